"""The Recommended list ranked by what fits this computer, with the quant to download preselected.

Each catalogue model is judged with the same check that guards loading (``judge``, the
model controller's ``fit_of``: this machine's RAM, its GPU, the load options), on a
header built from the catalogue's architecture figures: that is what makes a model's KV
cache and compute buffers, and the file's size makes its weights. Offline the size is an
estimate (parameters × the quant's bits per weight); once the Hub lists a repo, its real
file sizes are used instead. Per model the quant is the largest of the preferred ones that
fits comfortably (``quant_advice``), and the list goes: comfortable fits first, the largest
models first, then tight ones, then those too big (kept, and marked).
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
    best = quant_advice.recommended(advice)
    verdict = next(a.fit for a in advice if a.choice is best)
    return Pick(model, best, verdict, estimated)


def rank(picks: list[Pick]) -> list[Pick]:
    """Comfortable fits first, then tight, then too big; within each, the largest model (and quant) first."""
    return sorted(picks, key=lambda p: (fit.VERDICTS.index(p.verdict), -p.model.parameters, -p.choice.size))


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
