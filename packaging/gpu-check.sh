#!/usr/bin/env bash
# Check Hearth's GPU offload on a machine with an NVIDIA GPU.
#   packaging/gpu-check.sh [--model PATH] [--context 4096]
# Builds llama-cpp-python with CUDA into its own environment (.venv-cuda/, kept for the next run),
# loads the starter model with Auto offload, checks the layers llama.cpp placed against Auto's count
# and Hearth's VRAM estimate against what nvidia-smi says the load really uses, and prints CPU
# against GPU tokens per second. Last line: one JSON object with the figures.
# Environment: HEARTH_CUDA_VENV (where the CUDA build goes), HEARTH_LLAMA_SOURCE (what pip builds:
# a version spec, or a local sdist for machines without a network), HEARTH_PYTHON (the Python that
# has Hearth's test extra, to find the starter model), HEARTH_NVCC (the CUDA compiler, when not on PATH).
# Exit status: 0 checks passed, 1 a check failed, 2 this machine cannot run the check (no GPU, no CUDA).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

fail() { echo "gpu-check: $*" >&2; exit 2; }

smi="$(command -v nvidia-smi || true)"
if [ -z "$smi" ]; then
    if [ -e /proc/driver/nvidia ]; then
        fail "the NVIDIA driver is loaded but nvidia-smi is not installed; install the driver's utilities."
    fi
    fail "no NVIDIA GPU found (no nvidia-smi, no NVIDIA driver). This check needs an NVIDIA GPU; nothing was run."
fi
if ! gpus="$("$smi" --query-gpu=name,memory.total --format=csv,noheader 2>&1)" || [ -z "$gpus" ]; then
    fail "nvidia-smi found no usable GPU: $(echo "$gpus" | head -n 1)"
fi
echo "GPU: $gpus"

venv="${HEARTH_CUDA_VENV:-$root/.venv-cuda}"
source_spec="${HEARTH_LLAMA_SOURCE:-llama-cpp-python>=0.3.36}"
has_cuda() {
    "$venv/bin/python" -c "import llama_cpp, sys; sys.exit('CUDA' not in llama_cpp.llama_print_system_info().decode())" \
        >/dev/null 2>&1
}
if ! has_cuda; then
    if [ -n "${HEARTH_NVCC+set}" ]; then
        nvcc="$HEARTH_NVCC"  # where the CUDA compiler is ("": none)
    else
        nvcc="$(command -v nvcc || true)"
        if [ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ]; then nvcc=/usr/local/cuda/bin/nvcc; fi
    fi
    [ -n "$nvcc" ] || fail "the CUDA toolkit (nvcc) is needed to build llama.cpp with CUDA; install it (e.g. apt install nvidia-cuda-toolkit)."
    export PATH="$(dirname "$nvcc"):$PATH"
    command -v cmake >/dev/null || fail "cmake is needed to build llama.cpp (apt install cmake build-essential)."
    echo "Building llama-cpp-python with CUDA into $venv (this takes several minutes) …"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet gguf psutil numpy
    CMAKE_ARGS="-DGGML_CUDA=on" "$venv/bin/pip" install --force-reinstall --no-cache-dir "$source_spec"
    has_cuda || { echo "gpu-check: the build finished without a CUDA backend" >&2; exit 1; }
fi

args=("$@")
if ! printf '%s\n' "${args[@]+"${args[@]}"}" | grep -qx -- "--model"; then
    finder="${HEARTH_PYTHON:-$root/.venv/bin/python}"
    model="$(cd "$root" && "$finder" -c 'from app.core.library import find_starter_model as f; print(f() or "")' \
        2>/dev/null || true)"
    [ -n "$model" ] || fail "the starter model was not found; pass --model PATH or set HEARTH_PYTHON to the Python with Hearth's starter extra."
    args+=(--model "$model")
fi
cd "$root"
PYTHONPATH="$root" exec "$venv/bin/python" "$root/packaging/gpu_check.py" "${args[@]}"
