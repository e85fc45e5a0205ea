"""One Hearth per data folder: a second start (``hearth``, ``hearth file.gguf``) hands its files to the running
window and exits; a first instance killed with SIGKILL, or one still starting, never leads to two."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from PySide6.QtWidgets import QWidget

from conftest import REPO, copy_model

from app.gui.single_instance import InstanceServer, claim, instance_name


def _start(args: list[str], cwd, extra_env: dict | None = None, **popen) -> subprocess.Popen:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO), **(extra_env or {}))
    return subprocess.Popen([sys.executable, "-m", "app", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **popen)


def test_a_second_start_hands_its_file_to_the_running_window(make_hearth, home, smollm_path, qtbot, tmp_path,
                                                            monkeypatch):
    monkeypatch.delenv("XDG_ACTIVATION_TOKEN", raising=False)  # restored after: the running app sets it
    hearth = make_hearth()
    server = claim(home.data, [])
    assert isinstance(server, InstanceServer)
    server.files_received.connect(hearth.open_files)
    try:
        other = QWidget()  # the window the user was in when they double-clicked the file
        qtbot.addWidget(other)
        other.show()
        other.activateWindow()
        qtbot.waitUntil(other.isActiveWindow)
        model = copy_model(smollm_path, tmp_path / "elsewhere", "handed-over.gguf")
        # A relative name, resolved against the second start's own working folder.
        # The launcher's activation token (Wayland) comes along, for the running window to take the focus with.
        second = _start(["handed-over.gguf"], cwd=model.parent, extra_env={"XDG_ACTIVATION_TOKEN": "from-the-dock"})
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=60_000)
        output = second.stdout.read()
        assert second.returncode == 0, output
        qtbot.waitUntil(lambda: (hearth.window.picker.current_entry() is not None
                                 and hearth.window.picker.current_entry().path == model), timeout=30_000)
        assert str(model) in hearth.settings.added_models
        qtbot.waitUntil(hearth.window.isActiveWindow)  # brought forward
        assert os.environ.get("XDG_ACTIVATION_TOKEN") == "from-the-dock"  # offscreen Qt leaves it; Wayland uses it
    finally:
        server.close()


def _added(home) -> list[str]:
    try:
        return json.loads(home.settings_file.read_text()).get("added_models", [])
    except (FileNotFoundError, ValueError):
        return []


def _listening(home) -> int:
    try:
        return home.log_file.read_text().count("the one Hearth for this data folder")
    except FileNotFoundError:
        return 0


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_killed_instance_leaves_nothing_that_blocks_and_two_starts_make_one_hearth(home, smollm_path, tmp_path):
    first = _start([], cwd=tmp_path, start_new_session=True)
    running = []
    try:
        _wait(lambda: _listening(home) == 1, 60, "the first start never listened")
        os.killpg(first.pid, signal.SIGKILL)  # its engine too: nothing is left to answer
        first.wait(10)
        assert (home.data / "hearth.lock").exists()  # what a crash leaves behind
        # Two starts at the same moment: the second arrives while the first is still starting.
        model = copy_model(smollm_path, tmp_path / "models", "second-start.gguf")
        plain = _start([], cwd=tmp_path)
        with_file = _start([str(model)], cwd=tmp_path)
        running = [plain, with_file]
        _wait(lambda: any(p.poll() is not None for p in running), 90, "neither start handed over")
        ended = next(p for p in running if p.poll() is not None)
        assert ended.returncode == 0, ended.stdout.read()
        kept = next(p for p in running if p is not ended)
        assert kept.poll() is None, kept.stdout.read()  # one Hearth runs on, not none and not two
        assert _listening(home) == 2
        _wait(lambda: str(model) in _added(home), 60, "the file never reached the running Hearth")
        kept.send_signal(signal.SIGTERM)
        assert kept.wait(20) == 0
    finally:
        for process in [first, *running]:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_the_name_belongs_to_one_data_folder(tmp_path):
    assert instance_name(tmp_path / "a") != instance_name(tmp_path / "b")
    assert instance_name(tmp_path / "a") == instance_name(tmp_path / "x" / ".." / "a")


def test_a_file_the_system_opens_with_the_running_app_reaches_its_window(make_hearth, home, smollm_path, qtbot,
                                                                         tmp_path):
    """macOS's Finder sends the running app a file-open event instead of starting it again."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QFileOpenEvent

    hearth = make_hearth()
    server = claim(home.data, [])
    server.files_received.connect(hearth.open_files)
    try:
        model = copy_model(smollm_path, tmp_path / "finder", "opened-in-finder.gguf")
        QCoreApplication.sendEvent(QCoreApplication.instance(), QFileOpenEvent(str(model)))
        qtbot.waitUntil(lambda: str(model) in hearth.settings.added_models, timeout=30_000)
        qtbot.waitUntil(lambda: (hearth.window.picker.current_entry() is not None
                                 and hearth.window.picker.current_entry().path == model), timeout=30_000)
    finally:
        server.close()
