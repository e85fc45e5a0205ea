"""The status bar's line about where the loaded model runs: "28/32 layers on the GPU (NVIDIA H200, 151 GB)".

Read from the engine's load report (the layers llama.cpp was given, the model's block
count, the build's backend) and the GPU's memory; llama.cpp counts the output layer as
one more layer than the blocks, and so does this line.
"""
from __future__ import annotations

from app.core.gpu import GpuMemory

CPU_TEXT = "CPU"


def gpu_layers_placed(report: dict) -> tuple[int, int]:
    """(layers on the GPU, layers in all) for a load report; (0, n) on a CPU-only build."""
    blocks = int(report.get("layer_count") or 0)
    layers = blocks + 1
    if str(report.get("backend") or "CPU") == "CPU":
        return 0, layers
    asked = int(report.get("n_gpu_layers") or 0)
    return (layers if asked < 0 else min(asked, layers)), layers


def describe(report: dict, gpu: GpuMemory | None) -> str:
    """"28/32 layers on the GPU (NVIDIA H200, 151 GB)", or "CPU" when nothing is offloaded; "" before a load."""
    if not report:
        return ""
    placed, layers = gpu_layers_placed(report)
    if placed == 0:
        return CPU_TEXT
    where = f"{gpu.name}, {gpu.total / 1e9:.0f} GB" if gpu is not None else str(report.get("backend"))
    return f"{placed}/{layers} layers on the GPU ({where})"
