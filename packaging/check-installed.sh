#!/usr/bin/env bash
# Check an installed Hearth package the way a new user's machine would run it: from outside any
# checkout, with a clean environment (no virtual environment on the PATH), and with no network at all
# (a network namespace of its own, which needs root).
#
#   sudo packaging/check-installed.sh [OUTPUT_FOLDER]      default: build/installed-check
#
# 1. the desktop entry and the AppStream metainfo validate, the GGUF MIME type is registered
# 2. hearth --selftest answers a question with the starter model, transcribes espeak-ng speech, and
#    says a sentence in the default Piper voice
# 3. the installed app starts under Xvfb and its window appears; a screenshot is kept
# The screenshot is taken with the checkout's own Python (.venv), which is the checker, not the app.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout="$(pwd)"
out="$(realpath -m "${1:-build/installed-check}")"
python="${PYTHON:-$checkout/.venv/bin/python}"
rm -rf "$out" && mkdir -p "$out/home"
work="$(mktemp -d /tmp/hearth-check.XXXXXX)"  # outside the checkout: nothing of it is importable there
trap 'rm -rf "$work"' EXIT

fail() { echo "check-installed: $*" >&2; exit 1; }

[ -x /usr/bin/hearth ] || fail "/usr/bin/hearth is not installed"
desktop-file-validate /usr/share/applications/hearth.desktop
appstreamcli validate --no-net /usr/share/metainfo/io.github.hearth.Hearth.metainfo.xml
[ -f /usr/share/mime/application/x-gguf.xml ] || fail "the GGUF MIME type is not in the MIME database"
[ -f /usr/share/icons/hicolor/scalable/apps/hearth.svg ] || fail "the icon is not in the hicolor theme"
echo "desktop entry, metainfo, MIME type and icon: ok"

# A clean environment, as a desktop session's launcher gives: no venv, no PYTHONPATH, a fresh home.
clean=(env -i "HOME=$out/home" "PATH=/usr/bin:/bin" "LANG=C.UTF-8" "XDG_RUNTIME_DIR=$work")
espeak-ng -w "$work/speech.wav" "The quick brown fox jumps over the lazy dog."
(cd "$work" && "${clean[@]}" unshare -n /usr/bin/hearth --selftest "$work/speech.wav") > "$out/selftest.json" \
    || { cat "$out/selftest.json" >&2; fail "hearth --selftest failed (exit status above)"; }
"$python" - "$out/selftest.json" <<'PY'
import json, sys
lines = [line for line in open(sys.argv[1], encoding="utf-8").read().splitlines() if line.strip()]
assert len(lines) == 1, f"--selftest printed {len(lines)} lines, not one JSON line: {lines}"
report = json.loads(lines[0])
assert report["ok"] is True, report
assert report["chat"]["ok"] and report["chat"]["reply"].strip(), report["chat"]
heard = report["speech"]["text"].lower()
assert report["speech"]["ok"] and "fox" in heard and "dog" in heard, report["speech"]
assert report["voice"]["ok"] and report["voice"]["audio_s"] > 0.5, report["voice"]
print(f"selftest: ok (chat {report['chat']['reply'].strip()[:60]!r}; speech {report['speech']['text'].strip()!r}; "
      f"voice {report['voice']['voice']}, {report['voice']['audio_s']} s of audio)")
PY

# The window: start the installed app on a virtual display inside the namespace with no network.
cat > "$work/window.sh" <<'EOF'
set -u
hearth > "$OUT/app.log" 2>&1 &
app=$!
for _ in $(seq 240); do
    if xwininfo -root -tree | grep -E '\("hearth" "[Hh]earth"\)' | grep -v ' 1x1+' > "$OUT/window.txt"; then
        break
    fi
    kill -0 "$app" 2>/dev/null || { echo "the app exited before its window appeared" >&2; exit 1; }
    sleep 0.5
done
[ -s "$OUT/window.txt" ] || { echo "no Hearth window appeared in two minutes" >&2; kill "$app"; exit 1; }
sleep 3  # let the first paint and the starter model's load settle before the screenshot
"$PYTHON" "$CHECKOUT/packaging/x11_screenshot.py" "$OUT/window.png"
shot=$?
kill "$app" && wait "$app"
exit $shot
EOF
"${clean[@]}" "OUT=$out" "PYTHON=$python" "CHECKOUT=$checkout" \
    unshare -n xvfb-run -a -s "-screen 0 1280x800x24" bash "$work/window.sh" \
    || { cat "$out/app.log" >&2 2>/dev/null; fail "the installed app did not show its window"; }
echo "window: $(cat "$out/window.txt" | head -1 | sed 's/^ *//')"
echo "screenshot: $out/window.png"
