"""The GGUF files Hearth knows: its models folder, files the user opened or folders they added,
the Hugging Face cache, LM Studio's folder, and the starter model. Only the models folder is
Hearth's own; the others are listed where they are, never copied.

Each entry carries its header (or the reason it cannot be used), so the
picker can show details before anything is loaded. Reading headers takes tens
of milliseconds per file: callers run ``scan`` off the GUI thread.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.core.errors import ModelFileError
from app.core.gguf_info import GGUFInfo, read_gguf_info
from app.core.hub_files import SPLIT
from app.core.starter_models import CHAT_PACKAGE, package_folders

STARTER_PACKAGE = CHAT_PACKAGE
MODELS_FOLDER, ADDED, STARTER = "models folder", "added", "starter"
FOLDER, HF_CACHE, LM_STUDIO = "your folder", "Hugging Face cache", "LM Studio"


@dataclass(frozen=True)
class LibraryEntry:
    path: Path
    source: str
    info: GGUFInfo | None = None
    problem: str = ""
    parts: tuple[Path, ...] = ()  # every file of the model (one, or all parts of a split model)

    @property
    def files(self) -> tuple[Path, ...]:
        return self.parts or (self.path,)

    @property
    def size(self) -> int:
        return files_size(self.files)

    @property
    def usable(self) -> bool:
        return self.info is not None

    @property
    def display_name(self) -> str:
        """The file's own name, which people choose and recognise ("SmolLM2-135M-Instruct · Q4_1").

        ``general.name`` is often a training-run label ("Smollm2 135M 8k Lc100K Mix1 Ep2").
        """
        stem = self.path.name[: -len(".gguf")] if self.path.name.lower().endswith(".gguf") else self.path.name
        split = SPLIT.match(self.path.name)
        if split:
            stem = split.group("base")
        if self.info is None:
            return stem
        quant = self.info.quantization
        for separator in (".", "-", "_"):
            suffix = f"{separator}{quant}"
            if stem.upper().endswith(suffix.upper()):
                stem = stem[: -len(suffix)]
                break
        return f"{stem} · {quant}" + (f" · {len(self.parts)} parts" if len(self.parts) > 1 else "")


def files_size(paths) -> int:
    """Bytes of the files there are (one gone, or unreadable, counts nothing)."""
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            pass
    return total


def find_starter_model() -> Path | None:
    """The SmolLM2 file shipped by the ``starter`` extra (or inside the bundle)."""
    for folder in package_folders(STARTER_PACKAGE):
        for candidate in sorted(folder.glob("*.gguf")):
            return candidate
    return None


def _entry(path: Path, source: str) -> LibraryEntry:
    try:
        info = read_gguf_info(path)
        parts = split_parts(path)
        if len(parts) > 1:
            missing = [p.name for p in parts if not p.is_file()]
            if missing:
                raise ModelFileError(f"“{path.name}” is part 1 of {len(parts)}, and {missing[0]} is missing.")
            for part in parts[1:]:
                info.parameter_count += read_gguf_info(part).parameter_count
            info.all_parts_size = sum(p.stat().st_size for p in parts)
        return LibraryEntry(path, source, info=info, parts=tuple(parts))
    except (ModelFileError, OSError) as error:
        return LibraryEntry(path, source, problem=getattr(error, "message", str(error)))


def split_parts(path: Path) -> list[Path]:
    """Every file of a split model ("name-00001-of-00003.gguf" and its siblings), or just ``path``."""
    match = SPLIT.match(path.name)
    if not match:
        return [path]
    count = int(match.group("count"))
    base = match.group("base")
    return [path.with_name(f"{base}-{index:05d}-of-{count:05d}.gguf") for index in range(1, count + 1)]


def _is_secondary_split(path: Path) -> bool:
    # Only the first part stands for the model; a projector is not a chat model.
    match = SPLIT.match(path.name)
    return bool(match) and int(match.group("index")) > 1


def is_projector(path: Path) -> bool:
    return "mmproj" in path.name.lower()


@dataclass(frozen=True)
class Sources:
    """Where to look for GGUF files; every folder except ``models_dir`` is someone else's."""

    models_dir: Path
    added: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    hf_cache: Path | None = None  # None: huggingface_hub's own cache location
    hf_cache_enabled: bool = True
    lm_studio: tuple[Path, ...] = ()
    include_starter: bool = True


def lm_studio_folders(home: Path | None = None) -> tuple[Path, ...]:
    """LM Studio's models folders (the current one, then the one older versions used)."""
    home = home or Path.home()
    return (home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models")


def hf_cache_files(cache: Path | None) -> list[Path]:
    """GGUF files in the Hugging Face cache, through huggingface_hub's own view of it."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(cache)
    except (CacheNotFound, OSError, ValueError):
        return []
    found = []
    for repo in info.repos:
        if repo.repo_type != "model":
            continue
        for revision in repo.revisions:
            for cached in revision.files:
                if cached.file_name.lower().endswith(".gguf"):
                    found.append(Path(cached.file_path))
    return sorted(found)


def scan(sources: Sources) -> list[LibraryEntry]:
    entries: list[LibraryEntry] = []
    seen: set[Path] = set()

    def add(path: Path, source: str) -> None:
        try:
            resolved = path.resolve()
        except OSError:
            return
        if resolved in seen or is_projector(path) or _is_secondary_split(path):
            return
        seen.add(resolved)
        entries.append(_entry(path, source))

    def walk(folder: Path, source: str) -> None:
        if folder.is_dir():
            for path in sorted(folder.rglob("*.gguf")):
                if path.is_file():
                    add(path, source)

    walk(sources.models_dir, MODELS_FOLDER)
    for name in sources.added:
        add(Path(name), ADDED)
    for folder in sources.folders:
        walk(Path(folder), FOLDER)
    for path in hf_cache_files(sources.hf_cache) if sources.hf_cache_enabled else ():
        add(path, HF_CACHE)
    for folder in sources.lm_studio:
        walk(folder, LM_STUDIO)
    if sources.include_starter:
        starter = find_starter_model()
        if starter is not None:
            add(starter, STARTER)
    return entries


def speech_models(models_dir: Path) -> list[Path]:
    """faster-whisper model folders in the models folder (downloaded as ``<owner>/<repo>/``)."""
    if not models_dir.is_dir():
        return []
    return sorted(path.parent for path in models_dir.glob("*/*/model.bin") if (path.parent / "config.json").is_file())
