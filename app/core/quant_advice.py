"""Which quantization to offer first: the largest that fits comfortably, from real metadata.

All quants of one repo share the architecture (layers, KV heads, head size,
trained context), so the header of one of them, read from the Hub, gives
what the KV cache and compute buffers need; each quant brings its own size.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from app.core import fit
from app.core.gguf_info import GGUFInfo
from app.core.hub_files import QuantChoice

# The quants most people download: Q4_K_M loses little, Q5_K_M less, Q8_0 next to nothing; larger
# files (Q6_K, F16) cost memory and speed for a difference few notice, smaller ones lose quality.
PREFERRED = ("Q4_K_M", "Q5_K_M", "Q8_0")


@dataclass(frozen=True)
class Advice:
    choice: QuantChoice
    fit: fit.Fit | None  # None for files that are not chat models (projectors, incomplete splits)


def advise(choices: list[QuantChoice], header: GGUFInfo, judge: Callable[[GGUFInfo], fit.Fit]) -> list[Advice]:
    """A verdict for every chat model on offer; ``judge`` is the same check that guards loading."""
    advice = []
    for choice in choices:
        if not choice.downloadable:
            advice.append(Advice(choice, None))
            continue
        # The header's own tensor data offset is close enough for another quant of the same model.
        sized = replace(header, file_size=choice.first.size, all_parts_size=choice.size)
        advice.append(Advice(choice, judge(sized)))
    return advice


def recommended(advice: list[Advice]) -> QuantChoice | None:
    """The largest of the preferred quants that fits comfortably (the largest of any, when none of them is
    on offer or fits); failing that, the smallest chat model on offer."""
    usable = [a for a in advice if a.fit is not None]
    comfortable = [a for a in usable if a.fit.verdict == fit.FITS]
    preferred = [a for a in comfortable if a.choice.label in PREFERRED]
    if preferred or comfortable:
        return max(preferred or comfortable, key=lambda a: a.choice.size).choice
    return min(usable, key=lambda a: a.choice.size).choice if usable else None
