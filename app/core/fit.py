"""Will this model fit? Memory needed from the file's real GGUF metadata, against the machine's.

needed = weights + KV cache for the chosen context + compute buffers + runtime.
The compute term is fitted to the resident memory llama.cpp really uses with
the whole context filled (SmolLM2 and Gemma 3 at 1k, 4k and 8k context; within
about 6%): a part that scales with the vocabulary (logits, output buffers)
and a part that scales with heads × context (the attention scores of one
micro-batch). ``bench/fit_accuracy.py`` checks it against real loads.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.core.gguf_info import ArrayInfo, GGUFInfo, format_bytes
from app.core.gpu import GpuMemory
from app.core.load_options import CACHE_BYTES_PER_VALUE, GPU_ALL, GPU_AUTO, LoadOptions

FITS, TIGHT, WONT_FIT = "fits", "tight", "won't fit"
MICRO_BATCH = 512
RUNTIME_BYTES = 50_000_000  # the engine process before a model: Python and llama.cpp
VOCAB_BYTES = 345  # compute bytes per vocabulary entry (fitted by bench/fit_accuracy.py)
ATTENTION_BYTES = 3_650  # compute bytes per head per context token (same fit)
GPU_MARGIN = 0.9  # Auto offload fills at most this share of the GPU's free memory
COMFORT = 0.8  # above this share of free memory the system starts to swap or evict caches


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    kv_cache: int
    compute: int
    runtime: int = RUNTIME_BYTES

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.compute + self.runtime


@dataclass(frozen=True)
class Fit:
    verdict: str
    needed: int
    available: int
    total: int
    gpu: GpuMemory | None = None
    gpu_needed: int = 0  # the share of ``needed`` that goes to the GPU's memory

    @property
    def message(self) -> str:
        if self.gpu is not None and self.gpu_needed:
            numbers = (f"needs about {format_bytes(self.gpu_needed)} of GPU memory "
                       f"({format_bytes(self.gpu.free)} of {format_bytes(self.gpu.total)} free on {self.gpu.name}) "
                       f"and {format_bytes(self.needed - self.gpu_needed)} of RAM "
                       f"({format_bytes(self.available)} of {format_bytes(self.total)} free)")
        else:
            numbers = f"needs about {format_bytes(self.needed)}; {format_bytes(self.available)} of " \
                      f"{format_bytes(self.total)} RAM is free"
        if self.verdict == FITS:
            return f"Fits: {numbers}."
        if self.verdict == TIGHT:
            return f"Tight: {numbers}. Other programs may slow down."
        return f"Won't fit: {numbers}. Loading it may freeze this computer or be stopped by the system."


def _int(info: GGUFInfo, key: str) -> int | None:
    value = info.metadata.get(f"{info.architecture}.{key}")
    if isinstance(value, ArrayInfo):  # per-layer lists (some hybrid models): no single number
        return None
    return int(value) if isinstance(value, (int, float)) else None


def estimate(info: GGUFInfo, n_ctx: int, type_k: str = "f16", type_v: str = "f16") -> MemoryEstimate:
    layers = _int(info, "block_count") or 0
    heads = _int(info, "attention.head_count") or 1
    kv_heads = _int(info, "attention.head_count_kv") or heads
    embedding = _int(info, "embedding_length") or 0
    key_size = _int(info, "attention.key_length") or (embedding // heads if heads else 0)
    value_size = _int(info, "attention.value_length") or key_size
    context = min(n_ctx, info.context_length or n_ctx)
    kv_per_token_layer = kv_heads * (key_size * CACHE_BYTES_PER_VALUE[type_k]
                                     + value_size * CACHE_BYTES_PER_VALUE[type_v])
    # Sliding-window layers get a full-size cache too: llama.cpp's default (swa_full), which Hearth
    # keeps so a conversation's cached prefix stays reusable from one turn to the next.
    kv_cache = int(layers * context * kv_per_token_layer)
    vocab = info.metadata.get("tokenizer.ggml.tokens")
    vocab_size = vocab.length if isinstance(vocab, ArrayInfo) else (_int(info, "vocab_size") or 32_000)
    compute = vocab_size * VOCAB_BYTES + heads * context * ATTENTION_BYTES
    weights = info.model_size - info.data_offset
    return MemoryEstimate(weights=weights, kv_cache=kv_cache, compute=compute)


def system_memory() -> tuple[int, int]:
    """(available, total) bytes of RAM."""
    import psutil

    memory = psutil.virtual_memory()
    return memory.available, memory.total


def _verdict(needed: int, available: int) -> str:
    if needed <= available * COMFORT:
        return FITS
    return TIGHT if needed <= available else WONT_FIT


def offload_share(n_gpu_layers: int, info: GGUFInfo) -> float:
    """The share of the model llama.cpp puts on the GPU for ``n_gpu_layers`` (-1: all of it)."""
    if n_gpu_layers == 0:
        return 0.0
    layers = (_int(info, "block_count") or 0) + 1  # the output layer counts as one more
    return 1.0 if n_gpu_layers < 0 else min(1.0, n_gpu_layers / layers)


def judge(needed: int, available: int, total: int, gpu: GpuMemory | None = None, gpu_share: float = 0.0) -> Fit:
    """Fits, tight or won't fit: RAM alone, or RAM and GPU memory when layers are offloaded."""
    if gpu is None or gpu_share <= 0:
        return Fit(_verdict(needed, available), needed, available, total)
    on_gpu = int((needed - RUNTIME_BYTES) * gpu_share)
    verdicts = (_verdict(needed - on_gpu, available), _verdict(on_gpu, gpu.free))
    worst = max(verdicts, key=(FITS, TIGHT, WONT_FIT).index)
    return Fit(worst, needed, available, total, gpu, on_gpu)


def estimate_for(info: GGUFInfo, options: LoadOptions) -> MemoryEstimate:
    return estimate(info, options.n_ctx, options.type_k, options.type_v)


def layer_count(info: GGUFInfo) -> int:
    """Layers llama.cpp can offload: the blocks and the output layer."""
    return (_int(info, "block_count") or 0) + 1


def auto_gpu_layers(info: GGUFInfo, options: LoadOptions, gpu: GpuMemory | None) -> int:
    """As many layers as fit in the GPU's free memory with a margin (0 without a GPU)."""
    if gpu is None or gpu.free <= 0:
        return 0
    needed = estimate_for(info, options)
    on_gpu_all = needed.total - RUNTIME_BYTES
    layers = layer_count(info)
    budget = gpu.free * GPU_MARGIN
    if on_gpu_all <= budget:
        return layers
    return max(0, min(layers, int(layers * budget / on_gpu_all)))


def gpu_layers_for(info: GGUFInfo, options: LoadOptions, gpu: GpuMemory | None) -> int:
    """The layers ``options`` put on the GPU: Auto worked out, All as the model's count."""
    if gpu is None:
        return 0
    if options.n_gpu_layers == GPU_AUTO:
        return auto_gpu_layers(info, options, gpu)
    if options.n_gpu_layers == GPU_ALL:
        return layer_count(info)
    return min(options.n_gpu_layers, layer_count(info))


def judge_options(info: GGUFInfo, options: LoadOptions, available: int, total: int,
                  gpu: GpuMemory | None = None) -> Fit:
    """Fits, tight or won't fit for ``info`` loaded with ``options`` on this machine."""
    needed = estimate_for(info, options).total
    share = gpu_layers_for(info, options, gpu) / layer_count(info) if gpu is not None else 0.0
    return judge(needed, available, total, gpu=gpu if share else None, gpu_share=share)
