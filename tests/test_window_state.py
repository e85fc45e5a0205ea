"""What the window looked like and which chat was open come back after a restart, and after a kill -9."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QSplitter

from app.settings import Settings
from conftest import REPO
from test_keyboard import seed


def test_size_place_and_sidebar_width_come_back_after_a_restart(qtbot, make_hearth, home):
    hearth = make_hearth(include_starter=False)
    window = hearth.window
    qtbot.waitExposed(window)
    window.resize(700, 520)  # within the offscreen screen (800 × 600): a window off it is moved back
    window.move(40, 30)
    # The user drags the sidebar's edge 60 pixels to the left.
    handle = window.findChild(QSplitter).handle(1)
    before = window.conversations.width()
    middle = QPoint(handle.width() // 2, handle.height() // 2)
    qtbot.mousePress(handle, Qt.LeftButton, pos=middle)
    qtbot.mouseMove(handle, middle - QPoint(60, 0))
    qtbot.mouseRelease(handle, Qt.LeftButton, pos=middle - QPoint(60, 0))
    width = window.conversations.width()
    assert width == before - 60
    # Kept as it changes, not only at a clean exit: the settings file on disk has it a moment later.
    qtbot.waitUntil(lambda: Settings.load(home.settings_file).sidebar_width == width, timeout=5_000)
    geometry = window.geometry()
    hearth.close()

    again = make_hearth(include_starter=False).window
    qtbot.waitExposed(again)
    assert again.geometry() == geometry and (again.width(), again.height()) == (700, 520)
    assert again.conversations.width() == width


def test_the_chat_on_screen_is_open_again_after_a_kill_9(qtbot, make_hearth, home):
    older, newer = seed(home, ["Older chat", "Newer chat"])
    app = subprocess.Popen([sys.executable, str(REPO / "tests" / "helpers" / "switching_app.py")],
                           stdout=subprocess.PIPE, text=True, env=dict(os.environ), cwd=REPO)
    try:
        line = app.stdout.readline()
        assert line == f"opened {older} after {newer}\n", line  # the newest opened first, then the click
        app.send_signal(signal.SIGKILL)  # at once: nothing gets the chance to save at exit
        app.wait(10)
    finally:
        if app.poll() is None:
            app.kill()
    hearth = make_hearth(include_starter=False)
    assert hearth.chat.conversation.id == older
    assert hearth.window.windowTitle().startswith("Older chat —")
    assert hearth.window.conversations.list.currentItem().text() == "Older chat"
    assert hearth.window.view.message_widgets()[0].text == "Older chat: question 1"


def test_a_hand_edited_geometry_does_not_stop_hearth_starting(qtbot, make_hearth, home):
    settings = Settings.load(home.settings_file)
    settings.window_geometry = "größe"  # not base64, not even ASCII
    settings.save(home.settings_file)
    window = make_hearth(include_starter=False).window
    qtbot.waitExposed(window)
    assert window.isVisible()
