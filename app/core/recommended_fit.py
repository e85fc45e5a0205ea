"""The Recommended list ranked by what fits this computer, with the quant to download preselected.

Each catalogue model is judged with the same check that guards loading (``judge``, the
model controller's ``fit_of``: this machine's RAM, its GPU, the load options), on a
header built from the catalogue's architecture figures: that is what makes a model's KV
cache and compute buffers, and the file's size makes its weights. Offline the size is an
estimate (parameters × the quant's bits per weight); once the Hub lists a repo, its real
file sizes are used instead.

Memory is not the only limit: every token the model writes reads all the weights the CPU holds,
so a model that fits in RAM can still write too slowly to talk to. A pick is *quick* when the
weights left on the CPU are at most ``QUICK_CPU_BYTES``. Per model the quant is the largest of
the preferred ones (``quant_advice``) that fits comfortably and stays quick; failing that, the
smallest that fits comfortably. The list goes: quick comfortable fits first, the largest models
first, then comfortable fits that are slow here, then tight ones, then those too big (kept,
and marked).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from app.core import fit, quant_advice
from app.core.errors import HearthError
from app.core.gguf_info import GGUFInfo
from app.core.hub_files import HubFile, QuantChoice, choices
from app.core.recommended import CATALOGUE, CatalogueModel

log = logging.getLogger("hearth.hub")

# Average bits per weight of llama.cpp's quants over a whole model (K-quants mix block types), as its
# quantize tool reports them for 7-8B models; small models keep more of their weights in larger types.
BITS_PER_WEIGHT = {"Q4_K_M": 4.9, "Q5_K_M": 5.7, "Q6_K": 6.6, "Q8_0": 8.5}
LISTING_WORKERS = 4  # repos listed at once: a short wait without a burst the Hub would limit
# Weights the CPU reads for every token: at the 20-60 GB/s a desktop's memory moves, 5.5 GB (an 8B model at
# Q4_K_M, not at Q5_K_M) is about 4-11 tokens a second, reading speed or better; beyond it a reply is a wait.
QUICK_CPU_BYTES = 5_500_000_000
STOP_KINDS = ("offline", "timeout", "rate limited", "stopped")  # after these, asking the next repo is no use


@dataclass(frozen=True)
class Pick:
    model: CatalogueModel
    choice: QuantChoice  # the quant to download
    fit: fit.Fit
    estimated: bool  # the size is parameters × bits per weight, not the Hub's listing

    @property
    def verdict(self) -> str:
        return self.fit.verdict

    @property
    def cpu_bytes(self) -> int:
        return cpu_bytes(self.choice, self.fit)

    @property
    def quick(self) -> bool:
        """Writes at reading speed or better here: few enough weights left for the CPU to read per token."""
        return self.cpu_bytes <= QUICK_CPU_BYTES


def cpu_bytes(choice: QuantChoice, verdict: fit.Fit) -> int:
    """The file's weights that stay on the CPU, with the layers the fit puts on a GPU taken away."""
    share = verdict.gpu_layers / verdict.layers if verdict.layers else 0.0
    return int(choice.size * (1 - min(1.0, share)))


def estimated_size(model: CatalogueModel, quant: str) -> int:
    return int(model.parameters * BITS_PER_WEIGHT[quant] / 8)


def estimated_choices(model: CatalogueModel) -> list[QuantChoice]:
    """The repo's preferred quants as the catalogue knows them, sized from the parameter count."""
    return choices([HubFile(model.file_name(quant), estimated_size(model, quant)) for quant in model.quants])


def header_for(model: CatalogueModel, size: int) -> GGUFInfo:
    """A GGUF header as the model's real one would read, for the fit estimate; sized ``size`` bytes."""
    shape = model.shape
    arch = shape.architecture
    # The token embeddings' share of the weights, at the file's average bits per weight.
    embeddings = int(size * shape.vocabulary * shape.embedding / model.parameters)
    metadata = {
        "general.architecture": arch,
        "general.name": model.name,
        f"{arch}.block_count": shape.layers,
        f"{arch}.embedding_length": shape.embedding,
        f"{arch}.attention.head_count": shape.heads,
        f"{arch}.attention.head_count_kv": shape.kv_heads,
        f"{arch}.attention.key_length": shape.head_size,
        f"{arch}.attention.value_length": shape.head_size,
        f"{arch}.context_length": shape.context,
        f"{arch}.vocab_size": shape.vocabulary,
    }
    return GGUFInfo(path=Path(model.repo_id) / model.file_name("Q4_K_M"), file_size=size, version=3,
                    metadata=metadata, tensor_count=0, parameter_count=model.parameters, data_offset=0,
                    expected_size=size, input_bytes=embeddings, output_bytes=0 if shape.tied else embeddings,
                    embedding_matrix_bytes=embeddings, has_output_matrix=not shape.tied)


def pick(model: CatalogueModel, judge: Callable[[GGUFInfo], fit.Fit],
         listed: list[QuantChoice] | None = None) -> Pick:
    """The quant of ``model`` to offer and its fit: from the Hub's listing when there is one with a chat model."""
    usable = [c for c in listed or [] if c.downloadable]
    estimated = not usable
    offered = usable or estimated_choices(model)
    preferred = [c for c in offered if c.label in quant_advice.PREFERRED] or offered
    header = header_for(model, preferred[0].size)
    advice = quant_advice.advise(preferred, header, judge)
    comfortable = [a for a in advice if a.fit is not None and a.fit.verdict == fit.FITS]
    quick = [a for a in comfortable if cpu_bytes(a.choice, a.fit) <= QUICK_CPU_BYTES]
    if quick:
        best = max(quick, key=lambda a: a.choice.size)
    elif comfortable:  # slow here whatever the quant: the smallest is the least slow
        best = min(comfortable, key=lambda a: a.choice.size)
    else:
        best = next(a for a in advice if a.choice is quant_advice.recommended(advice))
    return Pick(model, best.choice, best.fit, estimated)


def rank(picks: list[Pick]) -> list[Pick]:
    """Quick comfortable fits first, then slow ones, then tight, then too big; within each, the largest
    model (and quant) first."""
    return sorted(picks, key=lambda p: (fit.VERDICTS.index(p.verdict), p.verdict == fit.FITS and not p.quick,
                                        -p.model.parameters, -p.choice.size))


def recommend(judge: Callable[[GGUFInfo], fit.Fit], listed: dict[str, list[QuantChoice]] | None = None,
              catalogue: tuple[CatalogueModel, ...] = CATALOGUE) -> list[Pick]:
    listed = listed or {}
    return rank([pick(model, judge, listed.get(model.repo_id)) for model in catalogue])


def list_catalogue(client, stop: threading.Event | None = None,
                   catalogue: tuple[CatalogueModel, ...] = CATALOGUE) -> tuple[dict[str, list[QuantChoice]], object]:
    """Each catalogue repo's choices as the Hub lists them, through ``client`` (a ``HubClient``, with its
    deadlines and caps), and the first error that made the rest not worth asking (None when there was none).

    A repo that answers "not found" or "needs a token" keeps its estimate; the others are still asked.
    """
    stop = stop or threading.Event()
    found: dict[str, list[QuantChoice]] = {}
    problem: list[HearthError] = []

    def one(model: CatalogueModel) -> None:
        if stop.is_set() or problem:
            return
        try:
            found[model.repo_id] = choices(client.list_files(model.repo_id, stop=stop).files)
        except HearthError as error:
            log.info("listing %s for the Recommended list failed: %s", model.repo_id, error.detail)
            if getattr(error, "kind", "error") in STOP_KINDS:
                problem.append(error)

    # The first repo alone: offline, it fails once, fast, instead of once per repo at the same moment.
    one(catalogue[0])
    with ThreadPoolExecutor(LISTING_WORKERS, thread_name_prefix="hub-recommended") as pool:
        list(pool.map(one, catalogue[1:]))
    return found, (problem[0] if problem else None)
