"""When a model would not fit with the chosen load options: the options that would.

Each suggestion changes one thing the user can see in the load settings (a shorter
context, a quantized KV cache, fewer or more layers on the GPU), or, when no single
change is enough, a quantized cache with a shorter context; and each is checked with
the same estimate that judged the options, so clicking one gives a load that fits.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from app.core import fit
from app.core.gguf_info import GGUFInfo, format_bytes
from app.core.gpu import GpuMemory
from app.core.load_options import FLASH_AUTO, FLASH_OFF, MIN_CONTEXT, LoadOptions

CONTEXT_STEP = 256  # contexts are suggested in whole steps of this many tokens


@dataclass(frozen=True)
class Suggestion:
    text: str
    options: LoadOptions


def suggest(info: GGUFInfo, options: LoadOptions, available: int, total: int,
            gpu: GpuMemory | None = None) -> list[Suggestion]:
    """Options that fit where ``options`` do not (empty when they already fit, or nothing does)."""

    def judged(candidate: LoadOptions) -> fit.Fit:
        return fit.judge_options(info, candidate, available, total, gpu)

    if judged(options).verdict == fit.FITS:
        return []
    found: list[Suggestion] = []

    def offer(text: str, candidate: LoadOptions | None) -> None:
        if candidate is None or candidate == options or candidate.problem():
            return
        verdict = judged(candidate)
        if verdict.verdict == fit.FITS and all(s.options != candidate for s in found):
            found.append(Suggestion(f"{text} ({_needs(verdict)})", candidate))

    context = _longest_context(info, options, judged)
    if context:
        offer(f"Use a context of {context:,} tokens", replace(options, n_ctx=context))
    cache = _smaller_cache(options)
    if cache is not None:
        offer(f"Use a {cache.type_k} KV cache", cache)
    layers = _gpu_layers_that_fit(info, options, judged, gpu)
    if layers is not None:
        now = fit.gpu_layers_for(info, options, gpu)
        change = "Put fewer layers on the GPU" if layers < now else "Put more layers on the GPU"
        offer(f"{change}: {layers} of {fit.layer_count(info)}", replace(options, n_gpu_layers=layers))
    if not found and cache is not None:
        context = _longest_context(info, cache, judged)
        if context:
            offer(f"Use a {cache.type_k} KV cache and a context of {context:,} tokens",
                  replace(cache, n_ctx=context))
    return found


def _needs(verdict: fit.Fit) -> str:
    if verdict.gpu_needed:
        return f"about {format_bytes(verdict.ram_needed)} of RAM and {format_bytes(verdict.gpu_needed)} of GPU memory"
    return f"about {format_bytes(verdict.needed)} of RAM"


def _longest_context(info: GGUFInfo, options: LoadOptions, judged) -> int:
    """The longest context below the chosen one, in whole steps, that fits; 0 when none does.
    The estimate grows with the context, so a bisection finds it."""
    current = fit.context_of(info, options.n_ctx)
    low, high = MIN_CONTEXT // CONTEXT_STEP, (current - 1) // CONTEXT_STEP
    best = 0
    while low <= high:
        middle = (low + high) // 2
        if judged(replace(options, n_ctx=middle * CONTEXT_STEP)).verdict == fit.FITS:
            best, low = middle * CONTEXT_STEP, middle + 1
        else:
            high = middle - 1
    return best


def _smaller_cache(options: LoadOptions) -> LoadOptions | None:
    """A q8_0 cache (q4_0 when it is q8_0 already), with flash attention, which a quantized V cache needs."""
    smaller = {"f16": "q8_0", "q8_0": "q4_0"}
    if options.type_k not in smaller and options.type_v not in smaller:
        return None
    target = smaller.get(options.type_k if options.type_k in smaller else options.type_v)
    flash = FLASH_AUTO if options.flash_attn == FLASH_OFF else options.flash_attn
    return replace(options, type_k=target, type_v=target, flash_attn=flash)


def _gpu_layers_that_fit(info: GGUFInfo, options: LoadOptions, judged, gpu: GpuMemory | None) -> int | None:
    """The most layers on the GPU with which both RAM and GPU memory fit; None without a GPU or when none do."""
    if gpu is None:
        return None
    for layers in range(fit.layer_count(info), -1, -1):
        if judged(replace(options, n_gpu_layers=layers)).verdict == fit.FITS:
            return layers
    return None
