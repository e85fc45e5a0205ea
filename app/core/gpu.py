"""How much GPU memory there is, for the fit estimate when llama.cpp offloads layers.

Only asked when the engine's llama.cpp reports a GPU backend. CUDA memory comes
from ``nvidia-smi`` (present wherever the NVIDIA driver is); Metal shares the
system's RAM, which the RAM check already covers.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class GpuMemory:
    name: str
    free: int
    total: int


_cache: tuple[float, GpuMemory | None] = (-CACHE_SECONDS, None)


QUERY = ["--query-gpu=name,memory.free,memory.total", "--format=csv,noheader,nounits"]


def parse_nvidia_smi_all(output: str) -> list[GpuMemory]:
    """Every GPU of ``nvidia-smi --query-gpu=name,memory.free,memory.total --format=csv,noheader,nounits``."""
    found = []
    for line in output.strip().splitlines():
        parts = [part.strip() for part in line.rsplit(",", 2)]  # a name may hold commas; the numbers do not
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            found.append(GpuMemory(parts[0], int(parts[1]) << 20, int(parts[2]) << 20))
    return found


def parse_nvidia_smi(output: str) -> GpuMemory | None:
    """The first GPU of that query: the one llama.cpp's CUDA backend fills first."""
    found = parse_nvidia_smi_all(output)
    return found[0] if found else None


def nvidia_gpus(which=shutil.which, run=subprocess.run) -> list[GpuMemory]:
    """Every NVIDIA GPU with its memory, from ``nvidia-smi``, whatever backend llama.cpp was built with; empty
    without the driver's tool. nvidia-smi can take seconds: call it off the GUI thread (``gpu_memory`` caches)."""
    tool = which("nvidia-smi")
    if not tool:
        return []
    try:
        result = run([tool, *QUERY], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse_nvidia_smi_all(result.stdout) if result.returncode == 0 else []


def gpu_memory(backend: str) -> GpuMemory | None:
    """Free and total memory of the GPU llama.cpp would use, or None (CPU, Metal, or unknown)."""
    global _cache
    if backend != "CUDA":
        return None
    now = time.monotonic()
    if now - _cache[0] < CACHE_SECONDS:
        return _cache[1]
    gpus = nvidia_gpus()
    found = gpus[0] if gpus else None
    _cache = (now, found)
    return found
