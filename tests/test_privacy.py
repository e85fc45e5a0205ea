"""Privacy, proved: chat, the history, the library, file transcription, dictation and the Model manager, driven
as a user drives them, open no network connection but to the configured Hub, and to it only to search and to
download. Every ``socket.connect`` is recorded by Python's audit hook, in this process and in the engine and
speech processes (``tests/connect_audit.py`` says how). Only internet sockets count; AF_UNIX ones (PulseAudio,
the one-instance socket) never leave the computer."""
from __future__ import annotations

import os
from urllib.parse import urlparse

from conftest import copy_model
from test_dictation_window import transcribed
from test_main_window import ask, wait_ready
from test_model_manager import PLENTY, SMOL_REPO, open_manager, search
from test_voice import clips, listening_on, play_and_wait, virtual_microphone  # noqa: F401
from tests.connect_audit import recording

NAME = "smollm2-135m-instruct-q4_1.gguf"
HUB_PHASES = ("search", "download")


def test_nothing_but_search_and_download_opens_a_connection(qtbot, make_hearth, home, hub, smollm_path,
                                                            virtual_microphone, clips, tmp_path, monkeypatch):
    hub.add_repo(SMOL_REPO, {NAME: smollm_path}, downloads=9000, likes=80)
    endpoint = urlparse(os.environ["HF_ENDPOINT"])
    with recording(tmp_path / "connects.jsonl", monkeypatch) as audit:
        with audit.during("start and chat"):
            hearth = make_hearth(memory_probe=PLENTY)
            wait_ready(qtbot, hearth)
            assert "Paris" in ask(qtbot, hearth).text
        with audit.during("history"):
            first = hearth.chat.conversation.id
            hearth.chat.new_conversation()
            hearth.chat.open_conversation(first)
            qtbot.waitUntil(lambda: any("Paris" in m.text for m in hearth.window.view.message_widgets()))
        with audit.during("library"):
            mine = copy_model(smollm_path, tmp_path / "mine", "mine.gguf")
            hearth.library.add_file(str(mine))
            qtbot.waitUntil(lambda: mine in [e.path for e in hearth.window.picker.entries], timeout=10_000)
        with audit.during("file transcription"):
            hearth.open_dictation()
            window = hearth.dictation
            qtbot.addWidget(window)
            window.transcribe(str(clips["three"]))
            transcribed(qtbot, window)
        with audit.during("dictation"):
            before = len(window.lines)
            window.record_button.click()
            listening_on(qtbot, hearth, "dictation")
            play_and_wait(qtbot, hearth, clips["fox"])
            qtbot.waitUntil(lambda: len(window.lines) > before, timeout=20_000)
            window.record_button.click()
            qtbot.waitUntil(lambda: hearth.voice.listening_target == "", timeout=10_000)
        # Opening the manager is a search too: its first look lists the Hub's most downloaded GGUF repos.
        with audit.during("search"):
            manager = open_manager(qtbot, hearth)
            page = search(qtbot, manager, hub, "smol")
        with audit.during("download"):
            page.choose_repo(SMOL_REPO)
            qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=15_000)
            page.download_button.click()
            landed = home.models / "HuggingFaceTB" / "SmolLM2-135M-Instruct-GGUF" / NAME
            qtbot.waitUntil(lambda: landed in [e.path for e in hearth.window.picker.entries], timeout=60_000)
        with audit.during("after"):
            manager.close()
            assert "Paris" in ask(qtbot, hearth).text

    # The hook ran in both engine processes: had it not, nothing they did would have been seen.
    started = [" ".join(argv) for argv in audit.processes().values()]
    assert any("app.engine.worker" in argv for argv in started), started
    assert any("app.engine.speech_worker" in argv for argv in started), started
    network = [c for c in audit.all() if c.network]
    hub_address = (endpoint.hostname, endpoint.port)
    elsewhere = [c for c in network if not (c.phase in HUB_PHASES and tuple(c.address[:2]) == hub_address
                                            and c.where.startswith("test process"))]
    assert not elsewhere, elsewhere
    # And the hook does see connections: the Hub's, in both phases that need it.
    assert {c.phase for c in network} == set(HUB_PHASES), network


def test_the_audit_sees_a_connection_made_in_a_child_process(hub, tmp_path, monkeypatch):
    """The recorder can fail the test above: a connection a child process makes is seen, with its phase."""
    import subprocess
    import sys

    endpoint = urlparse(hub.url)
    with recording(tmp_path / "connects.jsonl", monkeypatch) as audit:
        with audit.during("library"):
            subprocess.run([sys.executable, "-c", "import socket; socket.create_connection"
                            f"(('{endpoint.hostname}', {endpoint.port})).close()"], check=True)
    [seen] = [c for c in audit.all() if c.network]
    assert seen.phase == "library" and "socket.create_connection" in seen.where
    assert seen.address == repr((endpoint.hostname, endpoint.port))
