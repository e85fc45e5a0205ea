"""Changing what is on disk: importing a GGUF file into the models folder, deleting a model.

Deleting says exactly what will go before anything goes: every part of a
split model, and, for a file in the Hugging Face cache, the blob the cache's
link points to. Files outside Hearth's models folder are flagged so the
window can say so.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import HearthError
from app.core.library import LibraryEntry, split_parts

COPY, MOVE, LINK = "copy", "move", "link"
IMPORTED = "imported"  # <models>/imported/<file>: files that came from no Hub repo


class LibraryFileError(HearthError):
    pass


def import_model(source: Path, models_dir: Path, mode: str) -> Path:
    """Bring a GGUF file (all its parts, when split) into ``<models>/imported/``; returns the new path."""
    parts = split_parts(source)
    missing = [p for p in parts if not p.is_file()]
    if missing:
        raise LibraryFileError(f"Cannot import “{source.name}”: {missing[0].name} is missing.")
    folder = models_dir / IMPORTED
    folder.mkdir(parents=True, exist_ok=True)
    targets = [folder / part.name for part in parts]
    clash = next((t for t in targets if t.exists() or t.is_symlink()), None)
    if clash is not None:
        raise LibraryFileError(f"The models folder already has a file called “{clash.name}”.", str(clash))
    needed = sum(p.stat().st_size for p in parts) if mode == COPY else 0
    if needed and shutil.disk_usage(folder).free < needed:
        raise LibraryFileError(f"Not enough free space to copy “{source.name}” into the models folder.")
    done: list[Path] = []
    try:
        for part, target in zip(parts, targets):
            if mode == LINK:
                os.symlink(part.resolve(), target)
            elif mode == MOVE:
                shutil.move(part, target)
            else:
                # Copy under a hidden name and rename: a half-copied model never shows up in the library.
                temporary = target.with_name(f".{target.name}.importing")
                shutil.copyfile(part, temporary)
                os.replace(temporary, target)
            done.append(target)
    except OSError as error:
        for target in done if mode != MOVE else []:
            target.unlink(missing_ok=True)
        for target in targets:
            target.with_name(f".{target.name}.importing").unlink(missing_ok=True)
        raise LibraryFileError(f"Could not {mode} “{source.name}”: {error.strerror or error}.", str(error)) from None
    return targets[0]


@dataclass(frozen=True)
class DeletePlan:
    entry: LibraryEntry
    paths: tuple[Path, ...]  # everything that will be removed, in order
    outside: bool  # True when any of it lies outside Hearth's models folder

    @property
    def size(self) -> int:
        total = 0
        for path in self.paths:
            try:
                total += path.lstat().st_size if path.is_symlink() else path.stat().st_size
            except OSError:
                pass
        return total


def plan_delete(entry: LibraryEntry, models_dir: Path) -> DeletePlan:
    root = models_dir.resolve()
    paths: list[Path] = []
    for part in entry.files:
        paths.append(part)
        # A link (our own "link" imports, or a Hugging Face cache snapshot) points at the real bytes.
        if part.is_symlink() and not part.parent.resolve().is_relative_to(root) and _in_hf_cache(part):
            paths.append(part.resolve())
    outside = any(not _inside(p, root) for p in paths)
    return DeletePlan(entry, tuple(paths), outside)


def delete(plan: DeletePlan, models_dir: Path) -> None:
    root = models_dir.resolve()
    for path in plan.paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise LibraryFileError(f"Could not delete “{path.name}”: {error.strerror}.", str(error)) from None
    # Leave no empty <owner>/<repo> folders behind inside the models folder.
    for path in plan.paths:
        folder = path.parent
        while _inside(folder, root) and folder.resolve() != root:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent


def _inside(path: Path, root: Path) -> bool:
    # A link's own location decides: deleting a link inside the models folder leaves its target alone.
    return path.parent.resolve().is_relative_to(root) if path.is_symlink() else path.resolve().is_relative_to(root)


def _in_hf_cache(path: Path) -> bool:
    return "snapshots" in path.parts and path.resolve().parent.name == "blobs"
