"""The download queue: one worker thread, files that survive pauses, drops, restarts and kills.

The queue owns its partial files (``<work>/<id>/<file>.part``), outside the
models folder: a model appears in the library only once every one of its files
is verified, by an atomic rename. The list of downloads is a small JSON file
rewritten atomically on every state change, so a restart (or a ``kill -9``)
picks up where it was; the bytes on disk say how far each file got.

A full disk is the one moment that file may not be writable. So a download the
disk paused also leaves an empty marker file in its folder: creating an empty
file takes no data blocks, only a directory entry, so it works when a write of
even a few bytes fails, and at the next start the marker, not the stale
"downloading" in the list, decides: the download stays paused.

Tries are counted per download, from its start or the user's Resume, whatever
progress each try makes: a server that sends a little and then fails can not
keep a download looping.
"""
from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from app.core import transfer
from app.core.hub_files import MAX_NAME_BYTES, HubFile, check_relative_path, check_repo_id
from app.core.net_limits import DEFAULT_LIMITS, NetLimits, format_wait

log = logging.getLogger("hearth.downloads")

QUEUED, DOWNLOADING, PAUSED, FAILED, DONE = "queued", "downloading", "paused", "failed", "done"
QUEUE_FILE = "queue.json"
# A download's id names its folder under the work folder (removed on Cancel): only ids Hearth makes pass.
DOWNLOAD_ID = re.compile(r"[0-9a-f]{12}")
DISK_FULL_MARKER = "paused-disk-full"
DISK_FULL_AT_START = "The disk was full when this download paused. Free some space, then resume."


def part_name(name: str) -> str:
    """The partial file's name: ``<file>.part``, or a hash of it where that would pass the 255-byte limit."""
    base = Path(name).name
    if len((base + ".part").encode("utf-8")) <= MAX_NAME_BYTES:
        return base + ".part"
    return hashlib.sha256(base.encode("utf-8")).hexdigest()[:32] + ".part"


@dataclass
class Download:
    id: str
    repo_id: str
    revision: str
    label: str
    files: list[HubFile]
    state: str = QUEUED
    message: str = ""
    received: int = 0
    speed: float = 0.0  # bytes per second, over the last few seconds
    attempt: int = 0
    added: float = field(default_factory=time.time)
    folder: str = ""  # where under the models folder the files go side by side ("": <owner>/<repo>/<path>)

    @property
    def total(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def name(self) -> str:
        return Path(self.files[0].name).name

    @property
    def seconds_left(self) -> float | None:
        if self.state != DOWNLOADING or self.speed <= 0:
            return None
        return (self.total - self.received) / self.speed

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("speed")
        data["files"] = [asdict(f) for f in self.files]
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Download":
        files = [HubFile(str(f["name"]), int(f["size"]), str(f.get("sha256", "")), str(f.get("git_sha1", "")))
                 for f in data["files"]]
        known = {k: data[k] for k in ("id", "repo_id", "revision", "label", "state", "message", "received",
                                      "attempt", "added", "folder") if k in data}
        return cls(files=files, **known)


def _place(source: Path, target: Path) -> None:
    """Rename a verified file into the models folder. When that folder was moved to another disk a
    rename cannot cross, copy beside the target under a hidden name first: it still appears whole or not."""
    try:
        os.replace(source, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        temporary = target.with_name(f".{target.name}.installing")
        try:
            shutil.copyfile(source, temporary)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        source.unlink()


class DownloadQueue:
    def __init__(self, client, models_dir: Path, work_dir: Path, on_change: Callable[[Download], None] | None = None,
                 on_removed: Callable[[str], None] | None = None, on_finished: Callable[[Download, Path], None] | None = None,
                 stall_seconds: float | None = None, retry_base: float | None = None, max_attempts: int | None = None,
                 limits: NetLimits = DEFAULT_LIMITS) -> None:
        self.client = client
        self.models_dir = models_dir
        self.work_dir = work_dir
        overrides = {"stall_seconds": stall_seconds, "retry_base": retry_base, "max_attempts": max_attempts}
        self.limits = replace(limits, **{k: v for k, v in overrides.items() if v is not None})
        self._on_change = on_change or (lambda download: None)
        self._on_removed = on_removed or (lambda download_id: None)
        self._on_finished = on_finished or (lambda download, path: None)
        self._lock = threading.Condition()
        self._downloads: list[Download] = []
        self._stop = threading.Event()  # set to interrupt the running transfer
        self._current: str | None = None
        self._after_stop = ""  # what the running download becomes when interrupted: paused, cancelled, closing
        self._closed = False
        self._thread: threading.Thread | None = None
        self._load()

    # -- what the window asks -----------------------------------------------------------
    def downloads(self) -> list[Download]:
        with self._lock:
            return [replace(d) for d in self._downloads]

    def add(self, repo_id: str, revision: str, label: str, files: list[HubFile], folder: str = "") -> Download:
        """``folder``: where under the models folder the files go side by side (a voice's pair); by default
        each keeps its path in the repo under ``<owner>/<repo>/``."""
        check_repo_id(repo_id)
        for hub_file in files:
            check_relative_path(hub_file.name)
        if folder:
            check_relative_path(folder)
        with self._lock:
            for existing in self._downloads:
                if existing.repo_id == repo_id and existing.files == files and existing.state != DONE:
                    return replace(existing)
            download = Download(uuid.uuid4().hex[:12], repo_id, revision, label, list(files), folder=folder)
            self._downloads.append(download)
            self._save()
            self._lock.notify_all()
        self._changed(download)
        return replace(download)

    def pause(self, download_id: str) -> None:
        with self._lock:
            download = self._find(download_id)
            if download is None:
                return
            if self._current == download_id:  # the worker stops within one chunk and settles it
                self._after_stop = PAUSED
                self._stop.set()
                return
            if download.state not in (QUEUED, FAILED):
                return
            download.state = PAUSED
            self._save()
        self._changed(download)

    def resume(self, download_id: str) -> None:
        with self._lock:
            download = self._find(download_id)
            if download is None or download.state not in (PAUSED, FAILED):
                return
            download.state, download.message, download.attempt = QUEUED, "", 0
            self._marker(download).unlink(missing_ok=True)
            self._save()
            self._lock.notify_all()
        self._changed(download)

    retry = resume

    def cancel(self, download_id: str) -> None:
        """Stop and forget a download, deleting its partial files (finished models stay)."""
        with self._lock:
            download = self._find(download_id)
            if download is None:
                return
            if self._current == download_id:
                self._after_stop = "cancelled"
                self._stop.set()
                return
            self._downloads.remove(download)
            self._save()
        shutil.rmtree(self.work_dir / download_id, ignore_errors=True)
        self._on_removed(download_id)

    def clear_finished(self) -> None:
        with self._lock:
            finished = [d.id for d in self._downloads if d.state == DONE]
            self._downloads = [d for d in self._downloads if d.state != DONE]
            self._save()
        for download_id in finished:
            self._on_removed(download_id)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, daemon=True, name="downloads")
            self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker; the running download stays queued and resumes at the next start."""
        with self._lock:
            self._closed = True
            if self._current:
                self._after_stop = "closing"
                self._stop.set()
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    # -- the worker -------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._closed and not any(d.state == QUEUED for d in self._downloads):
                    self._lock.wait()
                if self._closed:
                    return
                download = next(d for d in self._downloads if d.state == QUEUED)
                download.state, download.message = DOWNLOADING, ""
                self._current, self._after_stop = download.id, ""
                self._stop.clear()
                self._save()
            self._changed(download)
            self._run(download)

    def _run(self, download: Download) -> None:
        try:
            self._fetch_all(download)
            final = self._install(download)
        except transfer.Interrupted:
            self._settle_interrupted(download)
            return
        except transfer.TransferError as error:
            log.warning("download %s stopped: %s (%s)", download.name, error.message, error.detail)
            if isinstance(error, transfer.DiskFull):
                self._mark_disk_full(download)
            message = error.message
            if error.detail in ("401", "403"):  # where to accept the license or check access
                message += f" {self.client.repo_url(download.repo_id)}"
            self._finish(download, PAUSED if error.pauses else FAILED, message)
            return
        except Exception:  # noqa: BLE001 - a bug must not kill the queue thread silently
            log.exception("download %s failed", download.name)
            self._finish(download, FAILED, "The download failed because of an unexpected problem; "
                                           "the details are in Hearth's log. Retry may help.")
            return
        self._finish(download, DONE, "")
        self._on_finished(replace(download), final)

    def _fetch_all(self, download: Download) -> None:
        folder = self.work_dir / download.id
        folder.mkdir(parents=True, exist_ok=True)
        done_before = 0
        for hub_file in download.files:
            finished = folder / Path(hub_file.name).name
            if finished.exists() and finished.stat().st_size == hub_file.size:
                done_before += hub_file.size
                continue
            self._fetch_with_retries(download, hub_file, folder, done_before)
            os.replace(folder / part_name(hub_file.name), finished)
            done_before += hub_file.size

    def _fetch_with_retries(self, download: Download, hub_file: HubFile, folder: Path, done_before: int) -> None:
        part = folder / part_name(hub_file.name)
        meter = _SpeedMeter()
        limits = self.limits
        while True:
            problem = transfer.free_space_problem(folder, download.total - self._bytes_on_disk(download, folder))
            if problem:
                raise transfer.DiskFull(problem)
            job = transfer.FileTransfer(self.client.file_url(download.repo_id, hub_file.name, download.revision),
                                        self.client.auth_headers(), part, hub_file.size, hub_file.sha256,
                                        Path(hub_file.name).name, hub_file.git_sha1)

            def progress(on_disk: int) -> None:
                download.received = done_before + on_disk
                download.speed = meter.add(on_disk)
                self._changed(download)

            try:
                transfer.run(job, self._stop, progress, limits)
                return
            except transfer.TransferError as error:
                if not error.retry:
                    raise
                download.attempt += 1  # every failed try counts, however far it got
                if error.retry_after is not None and error.retry_after > limits.retry_after_cap:
                    raise transfer.TransferError(
                        f"{error.message} The Hub asks Hearth to wait {format_wait(error.retry_after)} before "
                        "trying again; resume the download then.", error.detail, retry=False, pauses=True) from None
                if download.attempt >= limits.max_attempts:
                    raise transfer.TransferError(f"{error.message} Gave up after {download.attempt} tries.",
                                                 error.detail, retry=False, pauses=error.pauses) from None
                if error.retry_after is not None:
                    wait = error.retry_after
                    download.message = f"{error.message} The Hub asks to wait {format_wait(wait)}; trying again then…"
                else:
                    wait = min(limits.max_backoff, limits.retry_base * 2 ** (download.attempt - 1))
                    download.message = f"{error.message} Trying again in {max(1, round(wait))} s…"
                download.speed = 0.0
                self._changed(download)
                log.info("retrying %s in %.1f s: %s", hub_file.name, wait, error.detail)
                if self._stop.wait(wait):
                    raise transfer.Interrupted() from None
                download.message = ""

    def _install(self, download: Download) -> Path:
        """Move every verified file into ``<models>/<owner>/<repo>/`` (or the download's own folder there);
        the first part last."""
        owner, repo = check_repo_id(download.repo_id)
        folder = self.work_dir / download.id
        root = self.models_dir.resolve()
        targets = []
        for hub_file in download.files:
            relative = check_relative_path(hub_file.name)
            if download.folder:
                target = (root / check_relative_path(download.folder) / relative.name).resolve()
            else:
                target = (root / owner / repo / relative).resolve()
            if not target.is_relative_to(root):
                raise transfer.TransferError(f"Refused to write outside the models folder: {hub_file.name}",
                                             str(target), retry=False)
            targets.append((folder / relative.name, target))
        for source, target in reversed(targets):
            target.parent.mkdir(parents=True, exist_ok=True)
            _place(source, target)
        shutil.rmtree(folder, ignore_errors=True)
        return targets[0][1]

    def _settle_interrupted(self, download: Download) -> None:
        with self._lock:
            after = self._after_stop
        if after == "cancelled":
            with self._lock:
                self._current = None
                if download in self._downloads:
                    self._downloads.remove(download)
                self._save()
            shutil.rmtree(self.work_dir / download.id, ignore_errors=True)
            self._on_removed(download.id)
        elif after == "closing":
            self._finish(download, QUEUED, "")
        else:
            self._finish(download, PAUSED, "")

    def _finish(self, download: Download, state: str, message: str) -> None:
        with self._lock:
            download.state, download.message, download.speed = state, message, 0.0
            if state == DONE:
                download.received = download.total
            self._current = None
            self._save()
        self._changed(download)

    # -- helpers ------------------------------------------------------------------------------
    def _find(self, download_id: str) -> Download | None:
        return next((d for d in self._downloads if d.id == download_id), None)

    def _changed(self, download: Download) -> None:
        self._on_change(replace(download))

    def _bytes_on_disk(self, download: Download, folder: Path) -> int:
        total = 0
        for hub_file in download.files:
            name = Path(hub_file.name).name
            total += transfer.size_on_disk(folder / name) or transfer.size_on_disk(folder / part_name(name))
        return total

    def _marker(self, download: Download) -> Path:
        return self.work_dir / download.id / DISK_FULL_MARKER

    def _mark_disk_full(self, download: Download) -> None:
        """An empty file in the download's folder: written when nothing else can be (see the module's note)."""
        marker = self._marker(download)
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(marker, os.O_CREAT | os.O_WRONLY, 0o644))
            folder = os.open(marker.parent, os.O_RDONLY)
            try:
                os.fsync(folder)  # the new directory entry itself survives a crash
            finally:
                os.close(folder)
        except OSError as error:
            log.warning("could not mark %s as paused by a full disk: %s", download.name, error)

    def _load(self) -> None:
        path = self.work_dir / QUEUE_FILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            loaded = [Download.from_json(item) for item in raw]
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("download queue at %s unreadable (%s); starting empty", path, error)
            return
        for download in loaded:
            if not isinstance(download.id, str) or not DOWNLOAD_ID.fullmatch(download.id):
                log.warning("dropping queue entry with a tampered id %r (%s)", download.id, download.repo_id)
                continue
            try:
                check_repo_id(download.repo_id)
                for hub_file in download.files:
                    check_relative_path(hub_file.name)
                if download.folder:
                    check_relative_path(download.folder)
            except Exception:  # noqa: BLE001 - a tampered entry is dropped, not trusted
                log.warning("dropping unsafe queue entry %s", download.repo_id)
                continue
            if download.state != DONE and self._marker(download).exists():
                if download.state != PAUSED or not download.message:
                    download.message = DISK_FULL_AT_START  # the list could not be written when the disk filled
                download.state = PAUSED
            if download.state == DOWNLOADING:
                download.state = QUEUED  # it was running when Hearth stopped: carry on
            if download.state != DONE:
                download.received = self._bytes_on_disk(download, self.work_dir / download.id)
            self._downloads.append(download)

    def _save(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        data = json.dumps([d.to_json() for d in self._downloads], indent=1)
        handle, temporary = tempfile.mkstemp(prefix=".queue-", dir=self.work_dir)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.work_dir / QUEUE_FILE)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            full = " (the disk is full; paused downloads are marked in their folders)" \
                if error.errno in (errno.ENOSPC, errno.EDQUOT) else ""
            log.warning("could not save the download queue: %s%s", error, full)


class _SpeedMeter:
    """Bytes per second over the last few seconds, so the time left does not jump about."""

    WINDOW = 3.0

    def __init__(self) -> None:
        self._samples: list[tuple[float, int]] = []

    def add(self, on_disk: int) -> float:
        now = time.monotonic()
        self._samples.append((now, on_disk))
        while len(self._samples) > 2 and now - self._samples[0][0] > self.WINDOW:
            self._samples.pop(0)
        (first_time, first_bytes), (last_time, last_bytes) = self._samples[0], self._samples[-1]
        elapsed = last_time - first_time
        return max(0.0, (last_bytes - first_bytes) / elapsed) if elapsed > 0.2 else 0.0
