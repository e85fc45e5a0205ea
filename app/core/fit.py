"""Will this model fit? Memory needed from the file's real GGUF metadata, against the machine's.

needed = weights + KV cache for the chosen context + compute buffers + runtime.
The compute term is fitted to the resident memory llama.cpp really uses with
the whole context filled (SmolLM2 and Gemma 3 at 1k to 8k context): a part
that scales with the vocabulary (logits, output buffers) and, with plain
attention, a part that scales with heads × context × micro-batch (the attention
scores of one micro-batch). Flash attention never builds those scores: its part
is a fixed share and one f16 row per cached token and head, far less at a long context.
``bench/fit_accuracy.py`` and ``bench/runtime_options.py`` check it against real loads.

With layers on a GPU the same parts are split the way llama.cpp splits them
(``app/core/offload.py``): RAM and GPU memory are judged apart.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.core.flash_policy import key_width, uses_flash_attention
from app.core.gguf_info import ArrayInfo, GGUFInfo, format_bytes
from app.core.gpu import GpuMemory
from app.core.load_options import (
    CACHE_BYTES_PER_VALUE,
    GPU_ALL,
    GPU_AUTO,
    LoadOptions,
)

FITS, TIGHT, WONT_FIT = "fits", "tight", "won't fit"
VERDICTS = (FITS, TIGHT, WONT_FIT)
MICRO_BATCH = 512
RUNTIME_BYTES = 50_000_000  # the engine process before a model: Python and llama.cpp
# Plain attention (fitted by bench/fit_accuracy.py):
VOCAB_BYTES = 345  # compute bytes per vocabulary entry
ATTENTION_BYTES = 3_650  # compute bytes per head per context token, 512-token micro-batch
# Flash attention (fitted by bench/runtime_options.py, SmolLM2 and Gemma 3 at 1k, 2k and 8k, within 2%):
FLASH_BASE_BYTES = 28_700_000
FLASH_VOCAB_BYTES = 220
FLASH_CONTEXT_BYTES = 2  # per context token per head per key value: an f16 row
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
    needed: int  # RAM and GPU memory together
    available: int
    total: int
    gpu: GpuMemory | None = None
    gpu_needed: int = 0  # the share of ``needed`` that goes to the GPU's memory
    gpu_layers: int = 0  # layers on the GPU, of ``layers``
    layers: int = 0
    ram_verdict: str = ""
    gpu_verdict: str = ""

    @property
    def ram_needed(self) -> int:
        return self.needed - self.gpu_needed

    @property
    def message(self) -> str:
        if self.gpu is not None and self.gpu_needed:
            numbers = (f"needs about {format_bytes(self.ram_needed)} of RAM "
                       f"({format_bytes(self.available)} of {format_bytes(self.total)} free) "
                       f"and {format_bytes(self.gpu_needed)} of GPU memory for {self.gpu_layers}/{self.layers} "
                       f"layers ({format_bytes(self.gpu.free)} of {format_bytes(self.gpu.total)} free on "
                       f"{self.gpu.name})")
        else:
            numbers = f"needs about {format_bytes(self.needed)}; {format_bytes(self.available)} of " \
                      f"{format_bytes(self.total)} RAM is free"
            if self.gpu is not None:
                numbers += f"; no layers on the GPU ({self.gpu.name})"
        if self.verdict == FITS:
            return f"Fits: {numbers}."
        if self.verdict == TIGHT:
            if self.gpu_verdict == TIGHT and self.ram_verdict == FITS:
                return f"Tight: {numbers}. The GPU's memory is nearly full."
            return f"Tight: {numbers}. Other programs may slow down."
        if self.gpu_verdict == WONT_FIT and self.ram_verdict != WONT_FIT:
            return f"Won't fit: {numbers}. Put fewer layers on the GPU, or loading it may fail."
        return f"Won't fit: {numbers}. Loading it may freeze this computer or be stopped by the system."


def metadata_int(info: GGUFInfo, key: str) -> int | None:
    value = info.metadata.get(f"{info.architecture}.{key}")
    if isinstance(value, ArrayInfo):  # per-layer lists (some hybrid models): no single number
        return None
    return int(value) if isinstance(value, (int, float)) else None


def block_count(info: GGUFInfo) -> int:
    return metadata_int(info, "block_count") or 0


def context_of(info: GGUFInfo, n_ctx: int) -> int:
    return min(n_ctx, info.context_length or n_ctx)


def kv_bytes_per_layer(info: GGUFInfo, n_ctx: int, type_k: str = "f16", type_v: str = "f16") -> int:
    """One layer's K and V cache for ``n_ctx`` tokens."""
    heads = metadata_int(info, "attention.head_count") or 1
    kv_heads = metadata_int(info, "attention.head_count_kv") or heads
    key_size = key_width(info)
    value_size = metadata_int(info, "attention.value_length") or key_size
    per_token = kv_heads * (key_size * CACHE_BYTES_PER_VALUE[type_k] + value_size * CACHE_BYTES_PER_VALUE[type_v])
    # Sliding-window layers get a full-size cache too: llama.cpp's default (swa_full), which Hearth
    # keeps so a conversation's cached prefix stays reusable from one turn to the next.
    return int(context_of(info, n_ctx) * per_token)


def vocab_size(info: GGUFInfo) -> int:
    vocab = info.metadata.get("tokenizer.ggml.tokens")
    return vocab.length if isinstance(vocab, ArrayInfo) else (metadata_int(info, "vocab_size") or 32_000)


def attention_compute(info: GGUFInfo, n_ctx: int, flash_attn: bool, n_batch: int = MICRO_BATCH) -> int:
    """Resident compute bytes for the blocks' attention over a full context."""
    heads = metadata_int(info, "attention.head_count") or 1
    context = context_of(info, n_ctx)
    if flash_attn:  # no scores matrix: a fixed share and one f16 row per cached token and head
        return FLASH_BASE_BYTES + int(context * heads * key_width(info) * FLASH_CONTEXT_BYTES)
    return int(heads * context * ATTENTION_BYTES * n_batch / MICRO_BATCH)


def output_compute(info: GGUFInfo, flash_attn: bool = False) -> int:
    """Resident compute bytes for the output layer (logits and what feeds them)."""
    return vocab_size(info) * (FLASH_VOCAB_BYTES if flash_attn else VOCAB_BYTES)


def estimate(info: GGUFInfo, n_ctx: int, type_k: str = "f16", type_v: str = "f16", flash_attn: bool = False,
             n_batch: int = MICRO_BATCH) -> MemoryEstimate:
    """Everything on the CPU: what the process's resident memory grows by with the whole context used."""
    kv_cache = block_count(info) * kv_bytes_per_layer(info, n_ctx, type_k, type_v)
    compute = output_compute(info, flash_attn) + attention_compute(info, n_ctx, flash_attn, n_batch)
    return MemoryEstimate(weights=model_weights(info), kv_cache=kv_cache, compute=compute)


def model_weights(info: GGUFInfo) -> int:
    return info.model_size - info.data_offset


def estimate_for(info: GGUFInfo, options: LoadOptions) -> MemoryEstimate:
    """Everything on the CPU, with what flash attention Auto comes to there."""
    return estimate(info, options.n_ctx, options.type_k, options.type_v,
                    uses_flash_attention(options, info, on_gpu=False), options.n_batch)


def system_memory() -> tuple[int, int]:
    """(available, total) bytes of RAM."""
    import psutil

    memory = psutil.virtual_memory()
    return memory.available, memory.total


def _verdict(needed: int, available: int) -> str:
    if needed <= available * COMFORT:
        return FITS
    return TIGHT if needed <= available else WONT_FIT


def _gpu_verdict(needed: int, free: int) -> str:
    # A GPU's memory serves the model alone: full up to Auto's margin is fine, past its free memory the load fails.
    if needed <= free * GPU_MARGIN:
        return FITS
    return TIGHT if needed <= free else WONT_FIT


def judge(needed: int, available: int, total: int) -> Fit:
    """Fits, tight or won't fit in RAM alone."""
    verdict = _verdict(needed, available)
    return Fit(verdict, needed, available, total, ram_verdict=verdict)


def layer_count(info: GGUFInfo) -> int:
    """Layers llama.cpp can offload: the blocks and the output layer."""
    return block_count(info) + 1


def auto_gpu_layers(info: GGUFInfo, options: LoadOptions, gpu: GpuMemory | None) -> int:
    """As many layers as fit in the GPU's free memory with a margin (0 without a GPU), from the
    blocks' real tensor sizes, their share of the KV cache and the GPU's compute buffers."""
    from app.core.offload import place

    if gpu is None or gpu.free <= 0:
        return 0
    budget = gpu.free * GPU_MARGIN
    # Each layer more only adds to the GPU's share, so a bisection finds the most that fit
    # (the fit is asked again as the user moves a control: this stays well under a millisecond).
    low, high = 1, layer_count(info)
    best = 0
    while low <= high:
        middle = (low + high) // 2
        if place(info, options, middle).gpu <= budget:
            best, low = middle, middle + 1
        else:
            high = middle - 1
    return best


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
    """Fits, tight or won't fit for ``info`` loaded with ``options`` on this machine: RAM and GPU memory apart."""
    from app.core.offload import place

    layers = gpu_layers_for(info, options, gpu)
    split = place(info, options, layers)
    ram_verdict = _verdict(split.ram, available)
    gpu_verdict = _gpu_verdict(split.gpu, gpu.free) if gpu is not None and layers else FITS
    worst = max((ram_verdict, gpu_verdict), key=VERDICTS.index)
    return Fit(worst, split.ram + split.gpu, available, total, gpu, split.gpu, layers, layer_count(info),
               ram_verdict, gpu_verdict)
