"""One file's resumable transfer: HTTP Range into a ``.part`` file, sha256 computed on the way.

Written by hand on purpose: huggingface_hub 2.x deletes its partial file when
a download fails, so it cannot resume after a pause, a dropped connection or a
restart. We use its HTTP client (``get_session``) and its auth headers, and
keep the bytes. Every run starts by hashing the bytes already on disk, so the
sha256 always describes exactly the file, whatever happened to the process
that wrote it.

Each attempt runs under a request guard: until the answer's headers are in it
has a deadline; from then on it must keep up a minimum pace (``net_limits``),
and Pause or Cancel end it within a poll interval wherever it waits.
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

from app.core import request_guard
from app.core.errors import HearthError
from app.core.gguf_info import format_bytes
from app.core.net_limits import DEFAULT_LIMITS, NetLimits
from app.core.offline import no_network, offline_download_message

HASH_CHUNK = 8 << 20


class TransferError(HearthError):
    """A transfer that stopped; ``retry`` says whether trying again later can help, ``retry_after`` how long
    the Hub asks to wait first (None when it does not say), ``pauses`` whether giving up leaves it paused."""

    pauses = False

    def __init__(self, message: str, detail: str = "", retry: bool = True, retry_after: float | None = None,
                 pauses: bool | None = None) -> None:
        super().__init__(message, detail)
        self.retry = retry
        self.retry_after = retry_after
        if pauses is not None:
            self.pauses = pauses


class Interrupted(TransferError):
    """Stopped because the user paused or cancelled."""

    def __init__(self) -> None:
        super().__init__("Stopped.", retry=False)


class DiskFull(TransferError):
    """No room left: the download pauses and keeps its bytes."""

    pauses = True

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message, detail, retry=False)


class SizeMismatch(TransferError):
    """The Hub's listing and its file server disagree on the size: trying again would only loop."""

    def __init__(self, job: "FileTransfer", served: int | None, detail: str) -> None:
        sends = f"its server has {format_bytes(served)}" if served is not None else "its server sends a different size"
        super().__init__(f"The Hub lists “{job.name}” as {format_bytes(job.size)}, but {sends}. Hearth stopped "
                         "instead of downloading it again and again; the bytes so far are kept. Try again later, "
                         "or tell the repo's owner.", detail, retry=False)


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
    git_sha1: str = ""  # a small non-LFS file's git blob id, checked when there is no sha256


def free_space_problem(folder: Path, needed: int) -> str:
    """A message when ``folder``'s disk has less than ``needed`` bytes free, else ""."""
    import shutil

    free = shutil.disk_usage(folder).free
    if free >= needed:
        return ""
    return (f"Not enough free disk space: the download needs {format_bytes(needed)} more and "
            f"{format_bytes(free)} is free in {folder}. Free some space, then resume.")


def run(job: FileTransfer, stop: threading.Event, progress: Callable[[int], None],
        limits: NetLimits = DEFAULT_LIMITS) -> None:
    """Bring ``job.part`` to ``job.size`` verified bytes, or raise a TransferError.

    ``progress`` gets the bytes on disk now and then. A pause or cancel (``stop`` set)
    raises Interrupted within a poll interval, leaving every byte written so far in place.
    """
    job.part.parent.mkdir(parents=True, exist_ok=True)
    digest, have = _hash_existing(job.part, job.size, stop)
    progress(have)
    if have < job.size:
        digest, have = _receive(job, digest, have, stop, progress, limits)
    if have != job.size:
        raise TransferError(f"“{job.name}” ended early ({format_bytes(have)} of {format_bytes(job.size)}).")
    actual = digest.hexdigest()
    if job.sha256 and actual != job.sha256.lower():
        job.part.unlink(missing_ok=True)
        raise ShaMismatch(
            f"“{job.name}” arrived damaged (its sha256 does not match the Hub's), so it was deleted. "
            "Download it again.", f"expected {job.sha256} got {actual}")
    if not job.sha256 and job.git_sha1:
        blob = git_blob_id(job.part, job.size, stop)
        if blob != job.git_sha1.lower():
            job.part.unlink(missing_ok=True)
            raise ShaMismatch(
                f"“{job.name}” arrived damaged (it does not match the Hub's copy), so it was deleted. "
                "Download it again.", f"expected git blob {job.git_sha1} got {blob}")


def git_blob_id(path: Path, size: int, stop: threading.Event) -> str:
    """The git blob id (sha1 of ``blob <size>\\0`` and the bytes) the Hub reports for a small non-LFS file.

    huggingface_hub's ``git_hash`` needs the whole file in memory; a listing can call any file small, so this
    streams it instead.
    """
    digest = hashlib.sha1(b"blob %d\0" % size)  # noqa: S324 - git's own content address, not a security hash
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            if stop.is_set():
                raise Interrupted()
            digest.update(chunk)
    return digest.hexdigest()


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


def _receive(job: FileTransfer, digest, have: int, stop: threading.Event, progress, limits: NetLimits):
    from app.core import hub_http

    headers = {**job.headers, "Range": f"bytes={have}-", "Accept-Encoding": "identity"}
    last_report = time.monotonic()
    try:
        with request_guard.guarded(f"download “{job.name}”", limits.download_headers_seconds, stop,
                                   max_body=job.size, refuse_html=True, limits=limits) as guard:
            with hub_http.own_client("downloads").stream("GET", job.url, headers=headers, follow_redirects=True) as response:
                start = _check_response(response, job, have)
                guard.body_started(limits.stall_seconds, limits.min_rate)
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
    except Exception as error:  # noqa: BLE001 - sorted into what the queue needs to know
        progress(size_on_disk(job.part))
        raise _as_transfer_error(error, job, limits) from None
    progress(have)
    return digest, have


def _as_transfer_error(error: Exception, job: FileTransfer, limits: NetLimits) -> Exception:
    import httpx2

    if isinstance(error, TransferError):
        return error
    if isinstance(error, request_guard.ConnectionLost):
        error = error.cause  # a lost connection is retried (and resumed) like httpx2's own error
    if isinstance(error, request_guard.Stopped):
        return Interrupted()
    if isinstance(error, request_guard.Stalled):
        return TransferError(error.message, error.detail, pauses=True)
    if isinstance(error, request_guard.DeadlinePassed):
        return TransferError(f"The Hub did not start sending “{job.name}” within "
                             f"{limits.download_headers_seconds:g} s.", error.detail, pauses=True)
    if isinstance(error, request_guard.HubBusy):
        if error.status == 429:
            return TransferError(f"The Hub is limiting downloads from this computer (“{job.name}”).", error.detail,
                                 retry_after=error.retry_after, pauses=True)
        return TransferError(f"The Hub answered {error.status} (a problem on its side) for “{job.name}”.",
                             error.detail, retry_after=error.retry_after)
    if isinstance(error, request_guard.TooLarge) and error.cap < job.size:  # an error page or a redirect's body
        return TransferError(error.message, error.detail, retry=False)
    if isinstance(error, request_guard.TooLarge):
        return TransferError(f"The server sent more bytes than “{job.name}” has.", error.detail, retry=False)
    if isinstance(error, request_guard.RequestAborted):  # an answer that is not the file (a web page)
        return TransferError(f"The Hub answered with something other than “{job.name}”: a web page, or an "
                             "encoding Hearth cannot read. A proxy or a Wi-Fi sign-in page may be in the way.",
                             error.detail, retry=False)
    if isinstance(error, httpx2.TooManyRedirects):
        return TransferError(f"The Hub sent Hearth round in circles (too many redirects) for “{job.name}”.",
                             str(error), retry=False)
    if no_network(error):  # the queue still tries again, in case the network comes back
        return TransferError(offline_download_message(job.name), f"{type(error).__name__}: {error}")
    if isinstance(error, (httpx2.HTTPError, ConnectionError)):
        return TransferError("The connection to the Hub was lost.", f"{type(error).__name__}: {error}")
    if isinstance(error, OSError):  # closing the file flushes its buffer, and that (or the fsync) can meet a full disk
        return _write_error(error, job)
    return error


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
    """Where the body starts in the file; raises for answers that carry no file bytes, or the wrong file."""
    status = response.status_code
    if status == 206:
        content_range = response.headers.get("Content-Range", "")
        try:
            start = int(content_range.split()[1].split("-")[0])
        except (IndexError, ValueError):
            raise TransferError("The server answered a resume with an unreadable range.", content_range) from None
        if start != have:
            raise TransferError("The server resumed at the wrong place.", f"{content_range} for {have}")
        total = content_range.rsplit("/", 1)[-1]
        if total.isdigit() and int(total) != job.size:
            raise SizeMismatch(job, int(total), content_range)
        return start
    if status == 200:
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) != job.size:
            raise SizeMismatch(job, int(length), f"200 with Content-Length {length}")
        return 0
    if status == 416:
        # The revision is pinned, so the file cannot have changed: the server's file is shorter than the
        # listing says. Deleting the bytes and starting over would only end here again.
        total = response.headers.get("Content-Range", "").rsplit("/", 1)[-1]
        raise SizeMismatch(job, int(total) if total.isdigit() else None, f"416 at {have}")
    if status in (401, 403):
        raise TransferError("This repo needs a Hugging Face token, or you must accept its license on its page "
                            "first. Add your token in Settings, then retry.", str(status), retry=False)
    if status == 404:
        raise TransferError(f"“{job.name}” is no longer on the Hub.", "404", retry=False)
    raise TransferError(f"The Hub answered {status} for “{job.name}”.", str(status), retry=status >= 500)


def size_on_disk(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
