"""Voice input with the real tiny.en through the real Qt audio input (a PulseAudio virtual microphone)."""
from __future__ import annotations

import os
import re
import signal

import pytest
from PySide6.QtCore import QPoint, Qt

from tests import voice_helpers as mic
from test_main_window import wait_ready

# espeak-ng sentences that tiny.en reads well (checked against faster-whisper called directly).
FOX = "Open the window and let the fresh air in."
SENTENCES = ["My sister lives in a small house near the river.", "The children are playing football in the park.",
             "Turn off the lights before you go to bed."]


@pytest.fixture(scope="session")
def virtual_microphone():
    mic.ensure_virtual_microphone()
    yield mic
    mic.connect_microphone()


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speech")
    fox = mic.speak(FOX, folder / "fox.wav")
    pause = mic.silence(1.5, folder / "pause.wav")
    parts = [mic.speak(text, folder / f"s{i}.wav") for i, text in enumerate(SENTENCES)]
    three = mic.join([pause, parts[0], pause, parts[1], pause, parts[2], pause], folder / "three.wav")
    quiet = mic.join([mic.silence(2.0, folder / "s2.wav"), mic.noise(0.6, folder / "burst.wav"),
                      mic.silence(2.0, folder / "s2b.wav")], folder / "quiet.wav")
    return {"fox": fox, "three": three, "quiet": quiet, "pause": pause}


def listening_on(qtbot, hearth, target):
    qtbot.waitUntil(lambda: hearth.voice.listening_target == target, timeout=20_000)
    qtbot.wait(400)  # the audio stream is open: let the first buffers flow before the clip plays


def play_and_wait(qtbot, clip, timeout=30_000):
    player = mic.play(clip)
    qtbot.waitUntil(lambda: player.poll() is not None, timeout=timeout)
    qtbot.wait(300)  # the last audio of the clip is still on its way through PulseAudio


def test_hold_to_talk_puts_the_words_in_the_input_box(qtbot, make_hearth, virtual_microphone, clips):
    hearth = make_hearth(include_starter=False)
    window = hearth.window
    window.input.setPlainText("Note:")
    hearth.settings.speech_prompt = "window, fresh air"  # Voice ▸ Names and terms
    partials, loaded = [], []
    hearth.voice.partial_text.connect(lambda target, text: partials.append(text))
    hearth.voice.model_loaded.connect(loaded.append)
    button = window.mic_button
    qtbot.mousePress(button, Qt.LeftButton, pos=QPoint(5, 5))  # held down while speaking
    listening_on(qtbot, hearth, "chat")
    assert window.input.isReadOnly() and "Listening" in window.input.placeholderText()
    # The first press starts the speech engine: partial text is asked of it once Whisper is loaded
    # (in a busy test run that took longer than the clip once).
    qtbot.waitUntil(lambda: bool(loaded), timeout=30_000)
    play_and_wait(qtbot, clips["fox"])
    assert partials, "no partial text while speaking"
    qtbot.mouseRelease(button, Qt.LeftButton, pos=QPoint(5, 5))
    finished = []
    hearth.voice.finished.connect(finished.append)
    qtbot.waitUntil(lambda: finished == ["chat"], timeout=20_000)
    text = window.input.toPlainText()
    assert text.startswith("Note: ")
    assert mic.word_error_rate(FOX, text[len("Note: "):]) <= 0.25, text
    assert not window.input.isReadOnly() and not button.isChecked()
    assert hearth.voice.speech.client.settings == {"language": "en", "initial_prompt": "window, fresh air"}


def test_click_to_toggle_and_send_at_once(qtbot, make_hearth, virtual_microphone, clips, smollm_path):
    hearth = make_hearth()
    window = hearth.window
    qtbot.waitUntil(lambda: bool(window.picker.entries), timeout=10_000)
    window.picker.select(str(smollm_path))
    wait_ready(qtbot, hearth)
    window.send_dictated_action.setChecked(True)
    qtbot.mouseClick(window.mic_button, Qt.LeftButton)  # a short click: keeps listening
    listening_on(qtbot, hearth, "chat")
    play_and_wait(qtbot, clips["fox"])
    assert hearth.voice.listening_target == "chat"
    qtbot.mouseClick(window.mic_button, Qt.LeftButton)  # click again: stop
    qtbot.waitUntil(lambda: len(window.view.message_widgets()) >= 1, timeout=20_000)
    user = window.view.message_widgets()[0]
    assert mic.word_error_rate(FOX, user.text) <= 0.25, user.text
    assert window.input.toPlainText() == ""
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)


def test_dictation_commits_each_utterance_and_nothing_for_silence_or_noise(qtbot, make_hearth,
                                                                           virtual_microphone, clips):
    hearth = make_hearth(include_starter=False)
    hearth.open_dictation()
    window = hearth.dictation
    qtbot.addWidget(window)
    partials = []
    hearth.voice.partial_text.connect(lambda target, text: partials.append(text))
    window.record_button.click()
    listening_on(qtbot, hearth, "dictation")
    play_and_wait(qtbot, clips["quiet"])
    qtbot.wait(800)
    assert window.lines == [] and partials == []  # silence and a burst of noise: no words
    play_and_wait(qtbot, clips["three"], timeout=60_000)
    qtbot.waitUntil(lambda: len(window.lines) >= 3, timeout=20_000)
    window.record_button.click()
    qtbot.waitUntil(lambda: hearth.voice.listening_target == "", timeout=10_000)
    qtbot.wait(500)
    assert len(window.lines) == 3, [line.text for line in window.lines]
    for expected, line in zip(SENTENCES, window.lines, strict=True):
        assert mic.word_error_rate(expected, line.text) <= 0.25, line.text
    assert [line.start for line in window.lines] == sorted(line.start for line in window.lines)
    assert partials, "no partial text while speaking"
    assert window.text.toPlainText().count("\n") == 2
    window.timestamps.setChecked(True)
    assert re.match(r"^\[0:0\d\] ", window.text.toPlainText())


def test_a_file_becomes_srt_and_vtt_inside_the_clip(qtbot, make_hearth, clips, tmp_path):
    hearth = make_hearth(include_starter=False)
    hearth.open_dictation()
    window = hearth.dictation
    qtbot.addWidget(window)
    length = mic.duration(clips["three"])
    window.transcribe(str(clips["three"]))
    assert window.file_progress.isVisible() or window.file_progress.isVisibleTo(window)
    qtbot.waitUntil(lambda: window.status.text().startswith("Transcribed"), timeout=60_000)
    assert window.file_progress.isHidden() and len(window.lines) >= 2
    heard = " ".join(line.text for line in window.lines)
    assert mic.word_error_rate(" ".join(SENTENCES), heard) <= 0.25, heard

    srt = window.export("srt")
    cues = re.findall(r"(\d+)\n(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\n(.+)\n", srt)
    assert len(cues) == len(window.lines)
    for number, (index, *clock, text) in enumerate(cues, 1):
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, clock)
        start, end = h1 * 3600 + m1 * 60 + s1 + ms1 / 1000, h2 * 3600 + m2 * 60 + s2 + ms2 / 1000
        assert int(index) == number and 0 <= start < end <= length + 0.5 and text.strip()
    vtt = window.export("vtt")
    assert vtt.startswith("WEBVTT\n\n")
    assert len(re.findall(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}\n\S", vtt)) == len(window.lines)
    saved = tmp_path / "notes.srt"
    window.save_requested.emit(str(saved), srt)
    assert saved.read_text(encoding="utf-8") == srt


def test_no_microphone_and_a_lost_microphone_say_so(qtbot, make_hearth, virtual_microphone, clips):
    hearth = make_hearth(include_starter=False)
    window = hearth.window
    try:
        mic.disconnect_microphone()
        qtbot.waitUntil(lambda: not hearth.voice.microphone.devices(), timeout=10_000)
        qtbot.mouseClick(window.mic_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: "No microphone was found" in window.notice.label.text(), timeout=10_000)
        assert not window.mic_button.isChecked() and not window.input.isReadOnly()
    finally:
        mic.connect_microphone()
    qtbot.waitUntil(lambda: bool(hearth.voice.microphone.devices()), timeout=10_000)

    qtbot.mouseClick(window.mic_button, Qt.LeftButton)
    listening_on(qtbot, hearth, "chat")
    play_and_wait(qtbot, clips["fox"])
    try:
        mic.disconnect_microphone()  # unplugged in the middle of a recording
        qtbot.waitUntil(lambda: "disconnected" in window.notice.label.text(), timeout=10_000)
    finally:
        mic.connect_microphone()
    qtbot.waitUntil(lambda: not window.input.isReadOnly(), timeout=20_000)
    assert mic.word_error_rate(FOX, window.input.toPlainText()) <= 0.25  # what was heard is kept


def test_killing_the_speech_engine_mid_file_then_the_next_recording_works(qtbot, make_hearth, virtual_microphone,
                                                                          clips):
    hearth = make_hearth(include_starter=False)
    hearth.open_dictation()
    window = hearth.dictation
    qtbot.addWidget(window)
    long_clip = mic.join([clips["three"]] * 4, clips["three"].with_name("long.wav"))
    window.transcribe(str(long_clip))
    client = hearth.voice.speech.client
    qtbot.waitUntil(lambda: client.pid is not None, timeout=20_000)
    qtbot.waitUntil(lambda: len(window.lines) >= 1, timeout=60_000)
    os.kill(client.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: "speech engine was killed" in window.status.text(), timeout=20_000)
    assert window.file_progress.isHidden() and window.file_button.isEnabled()

    qtbot.mouseClick(hearth.window.mic_button, Qt.LeftButton)
    listening_on(qtbot, hearth, "chat")
    play_and_wait(qtbot, clips["fox"])
    qtbot.mouseClick(hearth.window.mic_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not hearth.window.input.isReadOnly(), timeout=30_000)
    assert mic.word_error_rate(FOX, hearth.window.input.toPlainText()) <= 0.25
