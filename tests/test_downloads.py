"""The download queue against the local Hub server: real bytes, real faults, real restarts.

Every test ends in a verified file in the models folder or a clear message,
and never with anything half-written there.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.core import transfer
from app.core.download_queue import DONE, DOWNLOADING, FAILED, PAUSED, DownloadQueue
from app.core.hub import HubClient
from app.core.hub_files import UnsafePathError
from tests.hub_server import Fault

REPO_ID = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"
NAME = "smollm2-135m-instruct-q4_1.gguf"
REPO = Path(__file__).resolve().parent.parent


class Watcher:
    """Collects what the queue reports, from its worker thread."""

    def __init__(self) -> None:
        self.events = []
        self.finished = threading.Event()
        self.settled = threading.Event()
        self.paths = []

    def change(self, download) -> None:
        self.events.append(download)
        if download.state in (DONE, FAILED, PAUSED):
            self.settled.set()

    def finish(self, download, path) -> None:
        self.paths.append(path)
        self.finished.set()

    def last(self):
        return self.events[-1]

    def messages(self) -> list[str]:
        return [e.message for e in self.events if e.message]


@pytest.fixture
def served(hub, smollm_path):
    hub.add_repo(REPO_ID, {NAME: smollm_path})
    return smollm_path


@pytest.fixture
def make_queue(hub, tmp_path):
    queues = []

    def make(stall_seconds: float = 30.0, max_attempts: int = 8, root: Path | None = None):
        root = root or tmp_path
        watcher = Watcher()
        queue = DownloadQueue(HubClient(hub.url), root / "models", root / "downloads", on_change=watcher.change,
                              on_finished=watcher.finish, stall_seconds=stall_seconds, retry_base=0.05,
                              max_attempts=max_attempts)
        queues.append(queue)
        return queue, watcher

    yield make
    for queue in queues:
        queue.close()


def add(queue, repo_id=REPO_ID, names=(NAME,)):
    listing = HubClient(os.environ["HF_ENDPOINT"]).list_files(repo_id)
    files = [f for f in listing.files if f.name in names]
    return queue.add(repo_id, listing.revision, "Q4_1", files)


def models_folder_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "models").rglob("*") if p.is_file())


def test_download_lands_verified_in_owner_repo_folder(make_queue, served, hub, tmp_path):
    queue, watcher = make_queue()
    add(queue)
    queue.start()
    assert watcher.finished.wait(60)
    target = tmp_path / "models" / "HuggingFaceTB" / "SmolLM2-135M-Instruct-GGUF" / NAME
    assert watcher.paths == [target]
    assert target.read_bytes() == served.read_bytes()
    assert models_folder_files(tmp_path) == [target]
    assert not (tmp_path / "downloads" / watcher.last().id).exists()  # partial files cleaned up
    assert hub.state.sent(NAME) == served.stat().st_size
    progress = [e.received for e in watcher.events if e.state == DOWNLOADING]
    assert progress == sorted(progress) and watcher.last().received == served.stat().st_size


def test_dropped_connections_resume_where_they_stopped(make_queue, served, hub, tmp_path):
    size = served.stat().st_size
    hub.fail_next(NAME, Fault("drop", after=3_000_000), Fault("drop", after=5_000_000), Fault("drop", after=7_000_000))
    queue, watcher = make_queue()
    add(queue)
    queue.start()
    assert watcher.finished.wait(60)
    starts = [r.start for r in hub.state.requests]
    assert starts == [0, 3_000_000, 8_000_000, 15_000_000]  # each retry asks only for what is missing
    assert hub.state.sent(NAME) == size  # not one byte sent twice
    assert (tmp_path / "models" / "HuggingFaceTB" / "SmolLM2-135M-Instruct-GGUF" / NAME).read_bytes() == served.read_bytes()
    assert any("connection to the Hub was lost" in m for m in watcher.messages())


def test_server_error_then_success_and_a_truncated_body(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, Fault("status", status=500), Fault("short", after=1_000_000), Fault("status", status=503))
    queue, watcher = make_queue()
    add(queue)
    queue.start()
    assert watcher.finished.wait(60)
    messages = watcher.messages()
    assert any("answered 500" in m for m in messages) and any("ended early" in m for m in messages)
    assert [r.start for r in hub.state.requests] == [0, 1_000_000]
    assert len(models_folder_files(tmp_path)) == 1


def test_a_stall_is_noticed_and_the_download_resumes(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, Fault("stall", after=2_000_000, seconds=3.0))
    queue, watcher = make_queue(stall_seconds=0.5)
    add(queue)
    queue.start()
    assert watcher.finished.wait(60)
    assert any("stalled (nothing arrived for 0.5 s)" in m for m in watcher.messages())
    assert hub.state.requests[1].start == 2_000_000
    assert hub.state.sent(NAME) == served.stat().st_size


def test_wrong_bytes_are_rejected_and_a_fresh_download_fixes_it(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, Fault("wrong", after=10_000_000))
    queue, watcher = make_queue()
    download = add(queue)
    queue.start()
    assert watcher.settled.wait(60)
    failed = watcher.last()
    assert failed.state == FAILED
    assert "arrived damaged" in failed.message and "sha256" in failed.message
    assert models_folder_files(tmp_path) == []  # nothing unverified reaches the models folder
    assert not list((tmp_path / "downloads").rglob("*.part"))  # the damaged bytes are gone
    watcher.settled.clear()
    queue.retry(download.id)
    assert watcher.finished.wait(60)
    assert models_folder_files(tmp_path)[0].read_bytes() == served.read_bytes()


def test_server_gone_ends_in_a_clear_message_and_keeps_the_bytes(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, Fault("drop", after=4_000_000))
    queue, watcher = make_queue(max_attempts=3)
    # Point the queue at a port where nothing listens once the first attempt has dropped.
    queue.client = HubClient(hub.url)
    original = queue.client.file_url
    calls = []

    def gone_after_first(*args):
        calls.append(args)
        return original(*args) if len(calls) == 1 else "http://127.0.0.1:9/gone"

    queue.client.file_url = gone_after_first
    add(queue)
    queue.start()
    assert watcher.settled.wait(60)
    assert watcher.last().state == FAILED
    # Nothing listens there any more: refused, the way an unplugged network answers.
    message = watcher.last().message
    assert message.startswith("You're offline: downloading “smollm2-135m-instruct-q4_1.gguf” needs a network "
                              "connection.") and "Gave up after 3 tries" in message, message
    assert [p.stat().st_size for p in (tmp_path / "downloads").rglob("*.part")] == [4_000_000]
    assert models_folder_files(tmp_path) == []


def test_pause_keeps_the_bytes_and_resume_asks_only_for_the_rest(make_queue, served, hub, tmp_path):
    hub.state.bytes_per_second = 20_000_000
    queue, watcher = make_queue()
    download = add(queue)
    queue.start()
    deadline = time.monotonic() + 30
    while not any(e.received > 5_000_000 for e in watcher.events) and time.monotonic() < deadline:
        time.sleep(0.05)
    queue.pause(download.id)
    assert watcher.settled.wait(30) and watcher.last().state == PAUSED
    part = next((tmp_path / "downloads").rglob("*.part"))
    kept = part.stat().st_size
    assert kept > 5_000_000
    hub.state.bytes_per_second = 0
    queue.resume(download.id)
    assert watcher.finished.wait(60)
    assert hub.state.requests[-1].start == kept
    assert models_folder_files(tmp_path)[0].read_bytes() == served.read_bytes()


def test_queue_survives_a_restart(make_queue, served, hub, tmp_path):
    hub.state.bytes_per_second = 20_000_000
    queue, watcher = make_queue()
    add(queue)
    queue.start()
    while not any(e.received > 4_000_000 for e in watcher.events):
        time.sleep(0.05)
    queue.close()  # Hearth quits in the middle of the download
    kept = next((tmp_path / "downloads").rglob("*.part")).stat().st_size
    hub.state.bytes_per_second = 0
    again, watcher_again = make_queue()
    [waiting] = again.downloads()
    assert waiting.state == "queued" and waiting.received == kept
    again.start()
    assert watcher_again.finished.wait(60)
    assert hub.state.requests[-1].start == kept
    assert hub.state.sent(NAME) >= served.stat().st_size


def test_kill_9_in_the_middle_then_resume_without_sending_bytes_again(make_queue, served, hub, tmp_path):
    hub.state.bytes_per_second = 15_000_000
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = REPO / "tests" / "helpers" / "download_forever.py"
    process = subprocess.Popen([sys.executable, str(script), hub.url, str(tmp_path), REPO_ID, NAME], env=env)
    try:
        deadline = time.monotonic() + 60
        part = None
        while time.monotonic() < deadline:
            part = next((tmp_path / "downloads").rglob("*.part"), None)
            if part is not None and part.stat().st_size > 10_000_000:
                break
            time.sleep(0.05)
        assert part is not None, "the downloading process never started writing"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    hub.state.bytes_per_second = 0
    kept = part.stat().st_size
    asked_before = len(hub.state.requests)  # the killed request's count may still grow by a chunk in flight
    queue, watcher = make_queue()
    assert [d.received for d in queue.downloads()] == [kept]
    queue.start()
    assert watcher.finished.wait(60)
    resumed = hub.state.requests[-1]
    assert resumed.start == kept  # the bytes received before the kill are not asked for again
    assert resumed.sent == served.stat().st_size - kept
    resent = sum(r.sent for r in hub.state.requests[asked_before:] if r.path.endswith("/" + NAME))
    assert resent == served.stat().st_size - kept
    assert models_folder_files(tmp_path)[0].read_bytes() == served.read_bytes()


def _mount_tmpfs(folder: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, check=False).returncode == 0


def test_full_disk_pauses_with_its_message_and_keeps_the_bytes(make_queue, served, hub, tmp_path, monkeypatch):
    disk = tmp_path / "disk"
    mounted = _mount_tmpfs(disk, "140m")
    try:
        if not mounted:  # not root: make the write itself fail the way a full disk does
            disk.mkdir()
            real_write = transfer._write
            written = [0]

            def full_after_some(out, chunk, job):
                written[0] += len(chunk)
                if written[0] > 20_000_000:
                    raise transfer.DiskFull("The disk is full. (simulated ENOSPC)")
                real_write(out, chunk, job)

            monkeypatch.setattr(transfer, "_write", full_after_some)
        hub.state.bytes_per_second = 40_000_000
        queue, watcher = make_queue(root=disk)
        download = add(queue)
        queue.start()
        while mounted and not any(e.received > 5_000_000 for e in watcher.events):
            time.sleep(0.02)
        filler = disk / "filler"
        if mounted:  # another program fills the disk while Hearth downloads
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "count=200"], capture_output=True,
                           check=False)
        assert watcher.settled.wait(60)
        paused = watcher.last()
        assert paused.state == PAUSED and "The disk is full" in paused.message
        part = next((disk / "downloads").rglob("*.part"))
        kept = part.stat().st_size
        assert kept > 0 and models_folder_files(disk) == []
        filler.unlink(missing_ok=True)
        monkeypatch.undo()
        hub.state.bytes_per_second = 0
        watcher.settled.clear()
        queue.resume(download.id)
        assert watcher.finished.wait(60)
        assert hub.state.requests[-1].start == kept
        assert models_folder_files(disk)[0].read_bytes() == served.read_bytes()
        queue.close()
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(disk)], check=False)


def test_not_enough_space_is_said_before_starting(make_queue, served, hub, tmp_path):
    disk = tmp_path / "small"
    if not _mount_tmpfs(disk, "20m"):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        queue, watcher = make_queue(root=disk)
        add(queue)
        queue.start()
        assert watcher.settled.wait(30)
        assert watcher.last().state == PAUSED
        assert "Not enough free disk space: the download needs 98.4 MB more" in watcher.last().message
        assert hub.state.requests == []
        queue.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_gated_repo_without_token_says_what_to_do(make_queue, served, hub, tmp_path):
    hub.add_repo("meta/gated-GGUF", {NAME: served}, gated=True)
    queue, watcher = make_queue()
    add(queue, "meta/gated-GGUF")
    queue.start()
    assert watcher.settled.wait(30)
    assert watcher.last().state == FAILED
    assert "needs a Hugging Face token" in watcher.last().message
    assert models_folder_files(tmp_path) == []


def test_hostile_names_never_reach_the_disk(make_queue, served, hub, tmp_path):
    from app.core.hub_files import HubFile

    queue, _watcher = make_queue()
    for name in ("../../escape.gguf", "/abs.gguf", "a\\b.gguf", "C:/x.gguf"):
        with pytest.raises(UnsafePathError):
            queue.add(REPO_ID, "main", "x", [HubFile(name, 10, "")])
    with pytest.raises(UnsafePathError):
        queue.add("../evil", "main", "x", [HubFile("a.gguf", 10, "")])
    assert queue.downloads() == []
    assert not (tmp_path.parent / "escape.gguf").exists()
