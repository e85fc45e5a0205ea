"""kill -9 of the whole app in the middle of a reply loses at most the last fraction of a second."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

from conftest import REPO


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
        time.sleep(0.7)  # at least one more periodic save
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
    assert saved.startswith(seen) and len(saved) > len(seen)

    hearth = make_hearth()
    qtbot.waitUntil(lambda: len(hearth.window.view.message_widgets()) == 2, timeout=5_000)
    user, reply = hearth.window.view.message_widgets()
    assert user.text == "Write a very long story about a dragon who learns to bake bread."
    assert reply.text == saved
    assert reply.status_text.startswith("Interrupted")
