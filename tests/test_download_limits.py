"""Downloads that end: crawling bodies, headers that never come, retry loops, Retry-After, names and full disks.

The real queue and transfer code against the local Hub server's faults, with the stall window and
deadlines passed in small through ``NetLimits``.
"""
from __future__ import annotations

import json
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.download_queue import DISK_FULL_MARKER, FAILED, PAUSED, QUEUED, DownloadQueue
from app.core.hub import HubClient
from app.core.hub_files import HubFile, UnsafePathError
from app.core.net_limits import DEFAULT_LIMITS
from tests.hub_server import Fault
from tests.test_downloads import NAME, REPO_ID, Watcher, _mount_tmpfs, add, models_folder_files

QUICK = replace(DEFAULT_LIMITS, retry_base=0.05, stall_seconds=0.5, min_rate=50_000, download_headers_seconds=30)


@pytest.fixture
def served(hub, smollm_path):
    hub.add_repo(REPO_ID, {NAME: smollm_path})
    return smollm_path


@pytest.fixture
def make_queue(hub, tmp_path):
    queues = []

    def make(root: Path | None = None, **changes):
        root = root or tmp_path
        watcher = Watcher()
        queue = DownloadQueue(HubClient(hub.url), root / "models", root / "downloads", on_change=watcher.change,
                              on_removed=lambda download_id: watcher.events.append(("removed", download_id)),
                              on_finished=watcher.finish, limits=replace(QUICK, **changes))
        queues.append(queue)
        return queue, watcher

    yield make
    for queue in queues:
        queue.close()


def settled_state(watcher, seconds: float = 30.0):
    assert watcher.settled.wait(seconds), "the download never settled"
    return watcher.last()


def test_a_crawling_body_counts_as_stalled_and_resumes(make_queue, served, hub, tmp_path):
    # After 1 MB the server sends 500 bytes every 0.05 s: 10 kB/s, a byte at a time never far behind.
    hub.fail_next(NAME, Fault("trickle", after=1_000_000, size=500, interval=0.05))
    queue, watcher = make_queue()
    add(queue)
    queue.start()
    assert watcher.finished.wait(60)
    assert any("stalled (under 50 KB/s for 0.5 s)" in m for m in watcher.messages()), watcher.messages()
    assert hub.state.requests[1].start >= 1_000_000  # resumed where the crawl left it
    assert models_folder_files(tmp_path)[0].read_bytes() == served.read_bytes()


def test_a_download_that_keeps_crawling_ends_paused_with_a_message(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, *[Fault("trickle", after=200_000, size=500, interval=0.05)] * 5)
    queue, watcher = make_queue(max_attempts=3)
    add(queue)
    queue.start()
    download = settled_state(watcher)
    assert download.state == PAUSED
    assert "stalled" in download.message and "Gave up after 3 tries" in download.message
    assert hub.state.asked(NAME) == 3
    assert next((tmp_path / "downloads").rglob("*.part")).stat().st_size >= 600_000  # the bytes stay


def test_pause_acts_at_once_while_the_headers_are_still_coming(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, Fault("slow_headers", interval=0.2))
    queue, watcher = make_queue(download_headers_seconds=120)
    download = add(queue)
    queue.start()
    deadline = time.monotonic() + 10
    while hub.state.asked(NAME) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    began = time.monotonic()
    queue.pause(download.id)
    assert settled_state(watcher, 10).state == PAUSED
    assert time.monotonic() - began < 6  # the headers' deadline is 120 s, and they would take 13 min


def test_cancel_acts_at_once_while_the_headers_are_still_coming(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, Fault("slow_headers", interval=0.2))
    queue, watcher = make_queue(download_headers_seconds=120)
    download = add(queue)
    queue.start()
    deadline = time.monotonic() + 10
    while hub.state.asked(NAME) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    began = time.monotonic()
    queue.cancel(download.id)
    deadline = time.monotonic() + 10
    while queue.downloads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert queue.downloads() == [] and time.monotonic() - began < 6  # not the 120 s deadline
    assert not (tmp_path / "downloads" / download.id).exists()


def test_headers_that_never_finish_end_in_a_message(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, *[Fault("slow_headers", interval=0.2)] * 3)
    queue, watcher = make_queue(download_headers_seconds=0.5, max_attempts=2)
    add(queue)
    queue.start()
    download = settled_state(watcher, 15)
    assert download.state == PAUSED
    assert "did not start sending" in download.message and "within 0.5 s" in download.message
    assert hub.state.asked(NAME) == 2


def test_tries_are_bounded_however_far_each_gets(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, *[Fault("drop", after=500_000)] * 30)  # every try moves 0.5 MB forward, then drops
    queue, watcher = make_queue(max_attempts=4)
    add(queue)
    queue.start()
    download = settled_state(watcher)
    assert download.state == FAILED and "Gave up after 4 tries" in download.message
    assert hub.state.asked(NAME) == 4
    assert next((tmp_path / "downloads").rglob("*.part")).stat().st_size == 2_000_000  # nothing thrown away
    hub.state.faults.clear()


def test_a_file_shorter_than_its_listing_stops_without_looping_or_deleting(make_queue, served, hub, tmp_path):
    size = served.stat().st_size
    hub.add_repo(REPO_ID, {NAME: served}, listed={NAME: size + 4096})  # the listing claims 4 KB more
    hub.fail_next(NAME, Fault("unknown_total"))  # the first answer hides the total: it ends early, then 416
    queue, watcher = make_queue()
    add(queue)
    queue.start()
    download = settled_state(watcher)
    assert download.state == FAILED
    assert "lists “smollm2-135m-instruct-q4_1.gguf” as" in download.message and "its server has" in download.message
    assert hub.state.asked(NAME) == 2  # one that ended early, one answered 416: no loop
    assert next((tmp_path / "downloads").rglob("*.part")).stat().st_size == size  # the bytes are kept


def test_a_size_disagreement_the_server_states_stops_at_the_first_answer(make_queue, served, hub, tmp_path):
    size = served.stat().st_size
    hub.add_repo(REPO_ID, {NAME: served}, listed={NAME: size + 4096})
    queue, watcher = make_queue()
    add(queue)
    queue.start()
    download = settled_state(watcher)
    assert download.state == FAILED and "its server has 98." in download.message
    assert hub.state.asked(NAME) == 1


def test_retry_after_is_honoured_and_shown(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, Fault("status", status=429, headers={"Retry-After": "1"}))
    queue, watcher = make_queue()
    add(queue)
    began = time.monotonic()
    queue.start()
    assert watcher.finished.wait(60)
    assert time.monotonic() - began >= 1  # it waited as asked
    assert any("limiting downloads" in m and "The Hub asks to wait 1 s" in m for m in watcher.messages())


def test_a_retry_after_past_the_cap_pauses_with_a_message(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, Fault("status", status=429, headers={"Retry-After": "7200"}))
    queue, watcher = make_queue()
    add(queue)
    began = time.monotonic()
    queue.start()
    download = settled_state(watcher)
    assert time.monotonic() - began < 15  # not 2 h
    assert download.state == PAUSED and "asks Hearth to wait 2 h" in download.message
    assert hub.state.asked(NAME) == 1


def test_a_redirect_loop_on_a_file_is_named(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, *[Fault("redirect_loop")] * 40)
    queue, watcher = make_queue()
    add(queue)
    queue.start()
    download = settled_state(watcher)
    assert download.state == FAILED and "too many redirects" in download.message
    assert hub.state.asked(NAME) == DEFAULT_LIMITS.max_redirects + 1
    hub.state.faults.clear()


def test_a_web_page_instead_of_the_file_is_named(make_queue, served, hub, tmp_path):
    hub.fail_next(NAME, Fault("html"))
    queue, watcher = make_queue()
    add(queue)
    queue.start()
    download = settled_state(watcher)
    assert download.state == FAILED and "web page" in download.message
    assert not list((tmp_path / "downloads").rglob("*.part")) or \
        next((tmp_path / "downloads").rglob("*.part")).stat().st_size == 0


@pytest.mark.parametrize("name", ["q/" + "é" * 126 + ".gguf", "x\u2067.gguf"])
def test_names_a_file_system_cannot_hold_are_refused_before_any_byte(make_queue, hub, tmp_path, name):
    queue, _watcher = make_queue()
    with pytest.raises(UnsafePathError) as refused:
        queue.add(REPO_ID, "main", "x", [HubFile(name, 10, "")])
    assert "255 bytes" in refused.value.message or "bidirectional" in refused.value.message
    assert queue.downloads() == [] and not list((tmp_path / "downloads").rglob("*.part"))


def _fill(disk: Path) -> None:
    subprocess.run(["dd", "if=/dev/zero", f"of={disk / 'filler'}", "bs=1M"], capture_output=True, check=False)


def test_a_disk_full_pause_survives_a_restart_though_the_list_could_not_be_written(make_queue, served, hub,
                                                                                  tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "140m"):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        hub.state.bytes_per_second = 20_000_000
        queue, watcher = make_queue(root=disk, stall_seconds=60)  # holding the bytes below is not a stall
        download = add(queue)
        queue.start()
        deadline = time.monotonic() + 30
        while not any(e.received > 5_000_000 for e in watcher.events) and time.monotonic() < deadline:
            time.sleep(0.02)
        part = next((disk / "downloads").rglob("*.part"))
        hub.state.flowing.clear()  # the server holds its bytes while the disk fills to the last block
        before = -1
        while part.stat().st_size != before:
            before = part.stat().st_size
            time.sleep(0.3)
        _fill(disk)
        hub.state.flowing.set()
        paused = settled_state(watcher)
        assert paused.state == PAUSED and "The disk is full" in paused.message
        listed = json.loads((disk / "downloads" / "queue.json").read_text())
        assert listed[0]["state"] == "downloading"  # the list could not be written at that moment
        queue.close()

        again, _watcher = make_queue(root=disk)  # Hearth starts again, the disk still full
        [restored] = again.downloads()
        assert restored.state == PAUSED and "disk was full" in restored.message
        assert restored.received == part.stat().st_size > 5_000_000

        (disk / "filler").unlink()
        hub.state.bytes_per_second = 0
        again.start()
        time.sleep(0.3)
        assert again.downloads()[0].state == PAUSED  # it does not start by itself
        again.resume(download.id)
        assert _watcher.finished.wait(60)
        assert models_folder_files(disk)[0].read_bytes() == served.read_bytes()
        assert not (disk / "downloads" / download.id / DISK_FULL_MARKER).exists()
        again.close()
    finally:
        hub.state.flowing.set()
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_download_without_the_marker_carries_on_after_a_restart(make_queue, served, hub, tmp_path):
    """The marker is what keeps a download paused: without it, an interrupted download is queued again."""
    hub.state.bytes_per_second = 20_000_000
    queue, watcher = make_queue()
    add(queue)
    queue.start()
    while not any(e.received > 3_000_000 for e in watcher.events):
        time.sleep(0.02)
    queue.close()
    again, _ = make_queue()
    assert [d.state for d in again.downloads()] == [QUEUED]


def test_a_redirect_with_a_huge_body_fails_with_memory_bounded(make_queue, served, hub, tmp_path):
    import tracemalloc

    download = add(make_queue()[0])  # a listing, for the revision; this queue never starts
    location = f"/{REPO_ID}/resolve/{download.revision}/{NAME}"
    hub.fail_next(NAME, Fault("huge_error", status=302, size=52_000_000, headers={"Location": location}))
    queue, watcher = make_queue(tmp_path / "second")
    add(queue)
    tracemalloc.start()
    try:
        queue.start()
        state = settled_state(watcher)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert state.state == FAILED and "larger than 1.0 MB" in state.message, state.message
    assert peak < 24_000_000, f"peak {peak / 1e6:.0f} MB while following a redirect with a 52 MB body"


def test_a_tampered_id_in_the_saved_queue_is_dropped(make_queue, served, hub, tmp_path, caplog):
    queue, _watcher = make_queue()
    kept = add(queue)  # never started: it stays queued on disk
    queue.close()
    saved = tmp_path / "downloads" / "queue.json"
    entries = json.loads(saved.read_text(encoding="utf-8"))
    victim = tmp_path / "victim"
    (victim / "keep").mkdir(parents=True)
    for bad in ("../victim", "..", "ABCDEF012345", "0123456789abc", 123456789012):
        entries.append({**entries[0], "id": bad})
    saved.write_text(json.dumps(entries), encoding="utf-8")

    again, _watcher = make_queue()
    assert [d.id for d in again.downloads()] == [kept.id]
    assert "tampered id" in caplog.text
    again.cancel("../victim")
    again.cancel(kept.id)
    assert (victim / "keep").is_dir() and again.downloads() == []


def test_a_download_survives_huggingface_hub_closing_its_shared_session(make_queue, served, hub, tmp_path):
    # huggingface_hub closes its shared client after a connect error on any other request; the queue's own
    # client is not that one, so the stream goes on.
    from huggingface_hub.utils import close_session

    hub.state.flowing.clear()  # the body waits before each chunk until the session is closed
    queue, watcher = make_queue()
    add(queue)
    queue.start()
    deadline = time.monotonic() + 20
    while not hub.state.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert hub.state.requests, "the download never started"
    close_session()
    hub.state.flowing.set()
    assert watcher.finished.wait(60)
    assert hub.state.asked(NAME) == 1  # one GET: nothing was cut and resumed
    assert models_folder_files(tmp_path)[0].read_bytes() == served.read_bytes()
