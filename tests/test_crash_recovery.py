"""kill -9 of the whole app in the middle of a reply loses at most the last fraction of a second; a disk that
fills up, or a conversation file another program holds, never blanks a reply."""
import errno
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import Qt

from app.core import store as states
from conftest import REPO
from tests.test_main_window import LONG_ASK, last_reply, start_long_reply, type_and_enter, wait_ready


def _reply_in_db(database) -> tuple[str, str] | None:
    if not database.exists():
        return None
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        row = db.execute("SELECT content, status FROM messages WHERE role = 'assistant' ORDER BY id DESC").fetchone()
    return row


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_reply_survives_kill_9_up_to_its_last_save(qtbot, home, make_hearth):
    app = subprocess.Popen([sys.executable, str(REPO / "tests" / "helpers" / "streaming_app.py")],
                           stdout=subprocess.PIPE, text=True, env=dict(os.environ), cwd=REPO)
    try:
        engine_pid = int(app.stdout.readline().split()[1])
        deadline = time.monotonic() + 60
        seen = ""
        while time.monotonic() < deadline:
            row = _reply_in_db(home.database)
            if row and len(row[0]) > 80:
                seen = row[0]
                break
            time.sleep(0.05)
        assert seen, "the reply was never saved while streaming"
        first_seen = seen
        while time.monotonic() < deadline and len(seen) <= len(first_seen):  # at least one more periodic save
            time.sleep(0.05)
            seen = _reply_in_db(home.database)[0]
        assert len(seen) > len(first_seen) and seen.startswith(first_seen), "the reply stopped being saved"
        app.send_signal(signal.SIGKILL)
        app.wait(10)
    finally:
        if app.poll() is None:
            app.kill()
    # The engine notices its app is gone and exits by itself.
    deadline = time.monotonic() + 10
    while _alive(engine_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(engine_pid)

    saved, status = _reply_in_db(home.database)
    assert status == "streaming"  # nobody finished it: it died mid-reply
    assert saved.startswith(seen)  # every save made before the kill is there

    hearth = make_hearth()
    qtbot.waitUntil(lambda: len(hearth.window.view.message_widgets()) == 2, timeout=5_000)
    user, reply = hearth.window.view.message_widgets()
    assert user.text == "Write a very long story about a dragon who learns to bake bread."
    assert reply.text == saved
    assert reply.status_text.startswith("Interrupted")


def _saved(hearth, message_id):
    message = hearth.store.message(message_id)
    return message.content, message.status


def test_a_locked_conversation_file_never_blanks_a_reply(qtbot, home, make_hearth):
    hearth = start_long_reply(qtbot, make_hearth, 40)
    hearth.settings.model_titles = False
    window = hearth.window
    reply = last_reply(hearth)
    other = sqlite3.connect(home.database, isolation_level=None)  # another program takes the file
    other.execute("BEGIN EXCLUSIVE")
    try:
        qtbot.waitUntil(lambda: "another program is using the conversation file" in window.notice.text,
                        timeout=10_000)  # told while the reply is written, not at its end
        if hearth.chat.busy:
            shown = len(reply.text)
            qtbot.waitUntil(lambda: len(reply.text) > shown + 20 or not hearth.chat.busy, timeout=30_000)
            qtbot.mouseClick(window.stop_button, Qt.LeftButton)
        written = reply.text
        assert len(written) > 40 and reply.status_text.startswith("Stopped")
        assert _saved(hearth, reply.message_id)[1] == states.STREAMING  # not on disk yet
        hearth.chat.reopen()  # shown again (a theme change does this): from memory, whole
        assert last_reply(hearth).text == written and last_reply(hearth).status_text.startswith("Stopped")
        qtbot.wait(1_500)  # Hearth keeps trying meanwhile, and keeps failing
        assert "another program is using" in window.notice.text
    finally:
        other.execute("COMMIT")
        other.close()
    qtbot.waitUntil(lambda: _saved(hearth, reply.message_id) == (written, states.STOPPED), timeout=10_000)
    assert not window.notice.isVisible()  # true no longer
    assert "Paris" in ask_after(qtbot, hearth).text


def ask_after(qtbot, hearth):
    hearth.settings.max_tokens = 40
    type_and_enter(qtbot, hearth, "What is the capital of France?")
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    return last_reply(hearth)


@pytest.fixture
def small_disk(home):
    """Hearth's data folder (its conversation file among it) on a 4 MB file system of its own, to fill up."""
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(home.data)],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"a small file system to fill up needs mount (root): {mounted.stderr.strip()}")
    home.ensure()
    yield home.data
    for _attempt in range(50):  # the app closes its database first (make_hearth's teardown ran before)
        if subprocess.run(["umount", str(home.data)], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["umount", "-l", str(home.data)], check=True)


def _fill(folder):
    """Write a file until the file system has no byte left."""
    with open(folder / "filler", "wb", buffering=0) as filler:
        for size in (1 << 16, 512):
            try:
                while True:
                    filler.write(b"\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC


def test_a_full_disk_never_blanks_a_reply_and_it_is_saved_when_space_returns(qtbot, small_disk, make_hearth):
    hearth = make_hearth()
    hearth.settings.model_titles = False
    hearth.settings.max_tokens = 80  # it ends by itself, while the disk is full
    window = hearth.window
    wait_ready(qtbot, hearth)
    type_and_enter(qtbot, hearth, LONG_ASK)
    reply = last_reply(hearth)
    qtbot.waitUntil(lambda: len(reply.text) > 20, timeout=30_000)
    _fill(small_disk)
    qtbot.waitUntil(lambda: "the disk is full" in window.notice.text, timeout=20_000)
    assert "Free some space" in window.notice.text
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=120_000)
    written = reply.text
    assert len(written) > 40 and "Failed" not in reply.status_text and "tokens" in reply.status_text
    content, status = _saved(hearth, reply.message_id)
    assert status == states.STREAMING and len(content) < len(written)  # the disk has not taken it yet

    (small_disk / "filler").unlink()  # space returns
    qtbot.waitUntil(lambda: _saved(hearth, reply.message_id) == (written, states.DONE), timeout=10_000)
    assert hearth.store.message(reply.message_id).n_tokens > 0
    assert not window.notice.isVisible()
