"""One file's resumable transfer: HTTP Range into a ``.part`` file, sha256 computed on the way.

Written by hand on purpose: huggingface_hub 2.x deletes its partial file when
a download fails, so it cannot resume after a pause, a dropped connection or a
restart. We use its HTTP client (``get_session``) and its auth headers, and
keep the bytes. Every run starts by hashing the bytes already on disk, so the
sha256 always describes exactly the file, whatever happened to the process
that wrote it.
"""
from __future__ import annotations

import errno
import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from app.core.errors import HearthError
from app.core.gguf_info import format_bytes

HASH_CHUNK = 8 << 20
CONNECT_TIMEOUT = 15.0


class TransferError(HearthError):
    """A transfer that stopped; ``retry`` says whether trying again later can help."""

    def __init__(self, message: str, detail: str = "", retry: bool = True) -> None:
        super().__init__(message, detail)
        self.retry = retry


class Interrupted(TransferError):
    """Stopped because the user paused or cancelled."""

    def __init__(self) -> None:
        super().__init__("Stopped.", retry=False)


class DiskFull(TransferError):
    """No room left: the download pauses and keeps its bytes."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message, detail, retry=False)


class ShaMismatch(TransferError):
    """The finished bytes are not the file the Hub describes; the partial file is gone."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message, detail, retry=False)


@dataclass(frozen=True)
class FileTransfer:
    url: str
    headers: dict[str, str]
    part: Path
    size: int
    sha256: str  # expected, lowercase hex; empty when the Hub gave none (small non-LFS files)
    name: str


def free_space_problem(folder: Path, needed: int) -> str:
    """A message when ``folder``'s disk has less than ``needed`` bytes free, else ""."""
    import shutil

    free = shutil.disk_usage(folder).free
    if free >= needed:
        return ""
    return (f"Not enough free disk space: the download needs {format_bytes(needed)} more and "
            f"{format_bytes(free)} is free in {folder}. Free some space, then resume.")


def run(job: FileTransfer, stop: threading.Event, progress: Callable[[int], None],
        stall_seconds: float = 30.0) -> None:
    """Bring ``job.part`` to ``job.size`` verified bytes, or raise a TransferError.

    ``progress`` gets the bytes on disk now and then. A pause or cancel (``stop`` set)
    raises Interrupted within one chunk, leaving every byte written so far in place.
    """
    job.part.parent.mkdir(parents=True, exist_ok=True)
    digest, have = _hash_existing(job.part, job.size, stop)
    progress(have)
    if have < job.size:
        digest, have = _receive(job, digest, have, stop, progress, stall_seconds)
    if have != job.size:
        raise TransferError(f"“{job.name}” ended early ({format_bytes(have)} of {format_bytes(job.size)}).")
    actual = digest.hexdigest()
    if job.sha256 and actual != job.sha256.lower():
        job.part.unlink(missing_ok=True)
        raise ShaMismatch(
            f"“{job.name}” arrived damaged (its sha256 does not match the Hub's), so it was deleted. "
            "Download it again.", f"expected {job.sha256} got {actual}")


def _hash_existing(part: Path, size: int, stop: threading.Event):
    digest = hashlib.sha256()
    try:
        have = part.stat().st_size
    except FileNotFoundError:
        return digest, 0
    if have > size:  # more bytes than the file has: not ours to trust
        part.unlink()
        return digest, 0
    with open(part, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            if stop.is_set():
                raise Interrupted()
            digest.update(chunk)
    return digest, have


def _receive(job: FileTransfer, digest, have: int, stop: threading.Event, progress, stall_seconds: float):
    import httpx2
    from huggingface_hub.utils import get_session

    headers = {**job.headers, "Range": f"bytes={have}-", "Accept-Encoding": "identity"}
    # The read timeout is the stall detector: no byte for ``stall_seconds`` ends this attempt.
    timeout = httpx2.Timeout(stall_seconds, connect=min(CONNECT_TIMEOUT, stall_seconds))
    last_report = time.monotonic()
    try:
        with get_session().stream("GET", job.url, headers=headers, timeout=timeout,
                                  follow_redirects=True) as response:
            start = _check_response(response, job, have)
            if start == 0 and have:
                digest, have = hashlib.sha256(), 0  # the server ignored Range: start over
            with open(job.part, "r+b" if job.part.exists() else "wb") as out:
                out.seek(have)
                out.truncate()
                for chunk in response.iter_bytes():  # as it arrives: a drop loses nothing received
                    if stop.is_set():
                        raise Interrupted()
                    if have + len(chunk) > job.size:
                        raise TransferError(f"The server sent more bytes than “{job.name}” has.",
                                            f"{have + len(chunk)} > {job.size}")
                    _write(out, chunk, job)
                    digest.update(chunk)
                    have += len(chunk)
                    now = time.monotonic()
                    if now - last_report >= 0.1:
                        last_report = now
                        progress(have)
                out.flush()
                os.fsync(out.fileno())
    except TransferError:
        progress(size_on_disk(job.part))
        raise
    except httpx2.TimeoutException as error:
        progress(size_on_disk(job.part))
        raise TransferError(f"The download stalled (nothing arrived for {stall_seconds:g} s).", repr(error)) \
            from None
    except (httpx2.HTTPError, ConnectionError) as error:
        progress(size_on_disk(job.part))
        raise TransferError("The connection to the Hub was lost.", f"{type(error).__name__}: {error}") from None
    except OSError as error:  # closing the file flushes its buffer, and that (or the fsync) can meet a full disk
        progress(size_on_disk(job.part))
        raise _write_error(error, job) from None
    progress(have)
    return digest, have


def _write(out, chunk: bytes, job: FileTransfer) -> None:
    try:
        out.write(chunk)
    except OSError as error:
        raise _write_error(error, job) from None


def _write_error(error: OSError, job: FileTransfer) -> TransferError:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"The disk is full. “{job.name}” is paused with the bytes received so far; "
                        "free some space, then resume.", str(error))
    return TransferError(f"Cannot write “{job.part}”: {error.strerror}.", str(error), retry=False)


def _check_response(response, job: FileTransfer, have: int) -> int:
    """Where the body starts in the file; raises for answers that carry no file bytes."""
    status = response.status_code
    if status == 206:
        content_range = response.headers.get("Content-Range", "")
        try:
            start = int(content_range.split()[1].split("-")[0])
        except (IndexError, ValueError):
            raise TransferError("The server answered a resume with an unreadable range.", content_range) from None
        if start != have:
            raise TransferError("The server resumed at the wrong place.", f"{content_range} for {have}")
        return start
    if status == 200:
        return 0
    if status == 416:  # our bytes do not match the file any more: drop them
        job.part.unlink(missing_ok=True)
        raise TransferError("The server refused to resume; starting over.", "416", retry=True)
    if status in (401, 403):
        raise TransferError("This repo needs a Hugging Face token, or you must accept its license on its page "
                            "first. Add your token in Settings, then retry.", str(status), retry=False)
    if status == 404:
        raise TransferError(f"“{job.name}” is no longer on the Hub.", "404", retry=False)
    retry = status == 429 or status >= 500
    raise TransferError(f"The Hub answered {status} for “{job.name}”.", str(status), retry=retry)


def size_on_disk(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
