"""Speech out through the real audio stack: real SmolLM2 replies, the real Piper voice in its own
engine process, Qt's QAudioSink into a PulseAudio null sink of the test's own, recorded with parec and
heard back by the real Whisper (tiny.en)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import Qt

from app.core import store as states
from app.core.speakable import Speakable
from tests.speaker_helpers import OutputSink, loud_seconds, transcribe
from tests.voice_helpers import word_error_rate

pytestmark = pytest.mark.skipif(not __import__("shutil").which("parec"), reason="needs PulseAudio's parec")


@pytest.fixture
def sink():
    output = OutputSink()
    yield output
    output.close()


def spoken(text: str) -> str:
    speakable = Speakable()
    return " ".join(speakable.feed(text) + speakable.finish())


def start(qtbot, make_hearth, sink, max_tokens: int):
    hearth = make_hearth()
    hearth.settings.max_tokens = max_tokens
    hearth.settings.speech_output = sink.name  # Hearth's own output setting: the system default stays
    qtbot.waitUntil(lambda: hearth.models.state == "ready", timeout=60_000)
    return hearth


def test_new_replies_are_read_aloud_as_they_stream_and_whisper_hears_the_reply(qtbot, make_hearth, sink,
                                                                               tmp_path):
    hearth = start(qtbot, make_hearth, sink, max_tokens=60)
    window, speaker = hearth.window, hearth.speaker
    window.voice_menu.aboutToShow.emit()
    window.speech_out_menu.read_replies_action.trigger()
    assert hearth.settings.read_aloud
    statuses, ended_at = [], []
    window.read_aloud.status_changed.connect(statuses.append)
    hearth.chat.reply_ended.connect(lambda _message: ended_at.append(time.monotonic()))
    sink.record(tmp_path / "heard")
    with qtbot.waitSignal(speaker.finished, timeout=120_000):
        hearth.chat.send("Tell me about Paris in three short sentences.")
    audio = sink.stop_recording()
    reply = hearth.store.message(window.view.message_widgets()[-1].message_id)
    assert reply.status == states.DONE and reply.content
    said = spoken(reply.content)
    assert len(speaker.sentence_times) >= 2, reply.content
    # Speech began at the first complete sentence, while the reply was still being written.
    assert speaker.sentence_times[0][1] < ended_at[0]
    assert "Speaking…" in statuses and statuses[-1] == ""
    heard = transcribe(audio)
    assert word_error_rate(said, heard) <= 0.3, (said, heard)
    assert loud_seconds(audio) > 1.0


def test_the_speaker_button_reads_a_reply_and_esc_stops_it_at_once(qtbot, make_hearth, sink, tmp_path):
    hearth = start(qtbot, make_hearth, sink, max_tokens=160)
    window, speaker = hearth.window, hearth.speaker
    hearth.chat.send("Write a long story about a dragon who learns to bake bread.")
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=120_000)
    widget = window.view.message_widgets()[-1]
    assert widget.speak_button.isVisible() and widget.speak_button.text() == "Read aloud"
    assert not window.view.message_widgets()[0].speak_button.isVisible()  # the user's message: none
    sink.record(tmp_path / "stopped")
    with qtbot.waitSignal(speaker.sound_started, timeout=30_000):
        qtbot.mouseClick(widget.speak_button, Qt.LeftButton)
    assert widget.speak_button.text() == "Stop reading" and window.status_speaking.text() == "Speaking…"
    # Esc once the reply has been heard for a while (as the output received it: how soon a new stream
    # on a sleeping sink starts playing depends on the machine)
    qtbot.waitUntil(lambda: loud_seconds(sink.peek()) >= 0.8, timeout=30_000)
    qtbot.keyClick(window, Qt.Key_Escape)
    heard_before = loud_seconds(sink.peek())
    assert not speaker.speaking and widget.speak_button.text() == "Read aloud"
    assert window.status_speaking.isHidden()
    qtbot.wait(1500)  # what the sink still plays after Esc would be recorded now
    audio = sink.stop_recording()
    # After Esc, at most a short moment more is heard: the sound output's own small buffer.
    assert loud_seconds(audio) <= heard_before + 0.4, (heard_before, loud_seconds(audio))
    assert hearth.store.message(widget.message_id).content == widget.text  # the reply is untouched


def test_a_killed_voice_engine_gives_a_message_and_the_next_read_works(qtbot, make_hearth, sink, tmp_path):
    hearth = start(qtbot, make_hearth, sink, max_tokens=120)
    window, speaker = hearth.window, hearth.speaker
    hearth.chat.send("Write a long story about a dragon who learns to bake bread.")
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=120_000)
    widget = window.view.message_widgets()[-1]
    with qtbot.waitSignal(speaker.sound_started, timeout=30_000):
        widget.speak_button.click()
    with qtbot.waitSignal(speaker.error_raised, timeout=10_000) as raised:
        os.kill(speaker.engine.client.pid, signal.SIGKILL)
    assert "killed" in raised.args[0] and "next read" in raised.args[0]
    qtbot.waitUntil(lambda: "killed" in window.notice.text, timeout=5_000)
    assert not speaker.speaking and window.isVisible()
    # The next read starts a new engine and is heard.
    speaker.speak_stream(widget.message_id)
    sink.record(tmp_path / "again")
    with qtbot.waitSignal(speaker.finished, timeout=60_000):
        speaker.feed(widget.message_id, "The voice is back. It reads again.")
        speaker.end(widget.message_id)
    heard = transcribe(sink.stop_recording())
    assert word_error_rate("The voice is back. It reads again.", heard) <= 0.3, heard


def test_no_output_device_gives_a_message_and_the_reply_is_intact(tmp_path):
    """A PulseAudio server of its own with no sink at all: Qt finds no sound output."""
    folder = tmp_path / "pulse"
    folder.mkdir()
    runtime = {"PULSE_RUNTIME_PATH": str(folder), "PULSE_STATE_PATH": str(folder / "state")}
    server = subprocess.Popen(["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
                               "--load=module-native-protocol-unix"], env={**os.environ, **runtime},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if (folder / "native").exists():
                break
            time.sleep(0.05)
        env = {**os.environ, "PULSE_SERVER": f"unix:{folder / 'native'}", "HEARTH_HOME": str(tmp_path / "home")}
        run = subprocess.run([sys.executable, "tests/helpers/no_output_app.py"], env=env, capture_output=True,
                             text=True, timeout=240)
    finally:
        server.terminate()
        server.wait(10)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["outputs"] == []
    assert result["errors"] and "no sound output" in result["errors"][0]
    assert "no sound output" in result["notice"]
    assert result["status"] == states.DONE and "Paris" in result["stored"] and result["shown"] == result["stored"]
