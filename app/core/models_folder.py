"""Moving the models folder: every file reaches the new place, or none leaves the old one.

On one file system each file is renamed (instant, and a rename either happens or
does not). Across file systems each file is copied under a hidden name, flushed to
disk and renamed into place; only when every file is there are the originals
removed. A failure or a cancel before that point removes what was copied and
leaves the old folder as it was; a failure while removing the originals leaves a
copy in both places, never in neither.
"""
from __future__ import annotations

import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from app.core.errors import HearthError

log = logging.getLogger("hearth.models_folder")

CHUNK = 8 * 1024 * 1024
COPYING = ".{}.moving"  # a file being copied: never listed by the library (it does not end in .gguf)


class MoveError(HearthError):
    pass


class MoveCancelled(MoveError):
    def __init__(self) -> None:
        super().__init__("The move was cancelled; the models are still in the old folder.")


@dataclass(frozen=True)
class MovePlan:
    source: Path
    target: Path
    files: tuple[Path, ...]  # relative to source: regular files and links, never followed
    size: int  # bytes to move
    same_device: bool  # renames will do; otherwise copies

    @property
    def count(self) -> int:
        return len(self.files)


@dataclass(frozen=True)
class MoveResult:
    plan: MovePlan
    left_behind: tuple[Path, ...] = ()  # originals that could not be removed after their copy was made


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _files(source: Path) -> list[Path]:
    found = []
    for folder, dirs, names in os.walk(source, followlinks=False):
        base = Path(folder)
        # A link to a folder is moved as the link it is, not walked into.
        found += [(base / d).relative_to(source) for d in dirs if (base / d).is_symlink()]
        found += [(base / n).relative_to(source) for n in names]
    return sorted(found)


def plan_move(source: Path, target: Path) -> MovePlan:
    """What moving ``source``'s contents into ``target`` means, or a MoveError saying why it cannot be done."""
    source = source.expanduser().resolve()
    target = target.expanduser().resolve()
    if target == source:
        raise MoveError("That folder already is the models folder.")
    if target.is_relative_to(source):
        raise MoveError("The new folder is inside the models folder. Choose a folder outside it.")
    if source.is_relative_to(target):
        raise MoveError("The models folder is inside the new folder. Choose a folder that does not hold it.")
    if target.exists() and not target.is_dir():
        raise MoveError(f"“{target}” is a file, not a folder.")
    files = _files(source) if source.is_dir() else []
    for relative in files:
        there = target / relative
        if there.exists() or there.is_symlink():
            raise MoveError(f"The new folder already has “{relative}”. Choose an empty folder, or move that "
                            "file away first.", str(there))
    size = sum((source / r).lstat().st_size for r in files)
    anchor = _existing_ancestor(target)
    same_device = source.is_dir() and os.stat(source).st_dev == os.stat(anchor).st_dev
    if files and not same_device:
        free = shutil.disk_usage(anchor).free
        if free < size:
            raise MoveError(f"The new folder's disk has {free / 1e9:.1f} GB free; the models need "
                            f"{size / 1e9:.1f} GB.")
    return MovePlan(source, target, tuple(files), size, same_device)


def move(plan: MovePlan, progress: Callable[[int, int], None] = lambda done, total: None,
         stop: threading.Event | None = None) -> MoveResult:
    """Carry out ``plan``; ``progress(bytes_done, bytes_total)`` after each piece; ``stop`` cancels
    (before the originals are removed). Raises MoveError (the old folder untouched) on failure."""
    stop = stop or threading.Event()
    plan.target.mkdir(parents=True, exist_ok=True)
    if plan.same_device:
        _rename_all(plan, progress, stop)
        left = ()
    else:
        _copy_all(plan, progress, stop)
        left = _remove_originals(plan)
    _remove_empty_folders(plan.source)
    return MoveResult(plan, left)


def _made_folders(target: Path, relative: Path) -> list[Path]:
    """The folders ``target / relative`` needs that do not exist yet, outermost first, now made."""
    missing = []
    folder = (target / relative).parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    missing.reverse()
    for folder in missing:
        folder.mkdir()
    return missing


def _rename_all(plan: MovePlan, progress, stop: threading.Event) -> None:
    done: list[Path] = []
    made: list[Path] = []
    moved = 0
    try:
        for relative in plan.files:
            if stop.is_set():
                raise MoveCancelled()
            made += _made_folders(plan.target, relative)
            there = plan.target / relative
            if there.exists() or there.is_symlink():  # appeared since the plan: never overwrite it
                raise MoveError(f"The new folder already has “{relative}”.", str(there))
            size = (plan.source / relative).lstat().st_size
            os.rename(plan.source / relative, there)
            done.append(relative)
            moved += size
            progress(moved, plan.size)
    except (OSError, MoveError) as error:
        for relative in reversed(done):
            try:
                os.rename(plan.target / relative, plan.source / relative)
            except OSError as undo:  # the file is still whole, in the new folder: say where
                log.error("could not put %s back: %s", relative, undo)
        _remove_folders(made)
        raise _as_move_error(error) from None


def _copy_file(source: Path, target: Path, moved: int, total: int, progress, stop: threading.Event) -> int:
    """Copy one file under a hidden name, flushed, then renamed into place. By hand rather than
    shutil.copyfile: a model is gigabytes, and the user watches the bytes go and may cancel."""
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
        return moved + source.lstat().st_size
    temporary = target.with_name(COPYING.format(target.name))
    try:
        with open(source, "rb") as reading, open(temporary, "wb") as writing:
            while chunk := reading.read(CHUNK):
                if stop.is_set():
                    raise MoveCancelled()
                writing.write(chunk)
                moved += len(chunk)
                progress(moved, total)
            writing.flush()
            os.fsync(writing.fileno())
        shutil.copystat(source, temporary)
        if target.exists() or target.is_symlink():
            raise MoveError(f"The new folder already has “{target.name}”.", str(target))
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return moved


def _copy_all(plan: MovePlan, progress, stop: threading.Event) -> None:
    done: list[Path] = []
    made: list[Path] = []
    moved = 0
    try:
        for relative in plan.files:
            if stop.is_set():
                raise MoveCancelled()
            made += _made_folders(plan.target, relative)
            moved = _copy_file(plan.source / relative, plan.target / relative, moved, plan.size, progress, stop)
            done.append(relative)
        for relative in plan.files:  # every copy is whole before any original goes
            if (plan.target / relative).lstat().st_size != (plan.source / relative).lstat().st_size:
                raise MoveError(f"The copy of “{relative}” is incomplete.", str(plan.target / relative))
    except (OSError, MoveError) as error:
        for relative in done:
            (plan.target / relative).unlink(missing_ok=True)
        _remove_folders(made)
        raise _as_move_error(error) from None


def _remove_originals(plan: MovePlan) -> tuple[Path, ...]:
    left = []
    for relative in plan.files:
        try:
            (plan.source / relative).unlink()
        except OSError as error:
            log.warning("copied %s but could not remove the original: %s", relative, error)
            left.append(plan.source / relative)
    return tuple(left)


def _remove_folders(made: list[Path]) -> None:
    for folder in reversed(made):
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty: something else put a file there


def _remove_empty_folders(root: Path) -> None:
    """The folders the files left, emptied; ``root`` itself stays (the user may point back at it)."""
    for folder, _dirs, _names in os.walk(root, topdown=False):
        if Path(folder) != root:
            try:
                os.rmdir(folder)
            except OSError:
                pass


def _as_move_error(error: Exception) -> MoveError:
    if isinstance(error, MoveError):
        return error
    where = getattr(error, "filename", "") or ""
    reason = getattr(error, "strerror", None) or str(error)
    return MoveError(f"The models could not be moved ({reason}); they are still in the old folder.",
                     f"{where}: {error}")


def rebased(path: str, source: Path, target: Path) -> str:
    """Where ``path`` is after the models moved from ``source`` to ``target`` (unchanged when outside)."""
    if not path:
        return path
    try:
        relative = Path(path).relative_to(source)
    except ValueError:
        try:
            relative = Path(path).resolve().relative_to(source.resolve())
        except (ValueError, OSError):
            return path
    return str(target / relative)
