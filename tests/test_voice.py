"""Voice input with the real tiny.en through the real Qt audio input (a PulseAudio virtual microphone)."""
from __future__ import annotations

import os
import re
import signal
import sys

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from tests import voice_helpers as mic
from test_main_window import wait_ready

# espeak-ng sentences that tiny.en reads well (checked against faster-whisper called directly).
FOX = "Open the window and let the fresh air in."
SENTENCES = ["My sister lives in a small house near the river.", "The children are playing football in the park.",
             "Turn off the lights before you go to bed."]


@pytest.fixture(scope="session")
def virtual_microphone(tmp_path_factory):
    """The virtual microphone, on a PulseAudio server of this test run's own: another test run beside it
    played its words into these tests' recordings and unplugged their microphone, and the computer's own
    default input is left alone. Qt keeps the first server it talks to, so if a test before these already
    opened the microphone (on the shared server), the shared server's virtual microphone is used."""
    if "app.gui.voice.microphone" in sys.modules:
        mic.ensure_virtual_microphone()
        yield mic
        mic.connect_microphone()
        return
    server = mic.private_pulseaudio(tmp_path_factory.mktemp("pulse"))
    yield mic
    server.terminate()
    server.wait()
    os.environ.pop("PULSE_SERVER", None)


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
    # The audio stream is open: its first samples have come, so the clip is not played into a stream
    # that is still starting.
    with qtbot.waitSignal(hearth.voice.microphone.samples_ready, timeout=10_000):
        pass


def play_and_wait(qtbot, hearth, clip, timeout=30_000):
    """Play ``clip`` and wait until the microphone has delivered all of it: from its first loud sample,
    as many samples as the clip holds from there. The player ends while PulseAudio still holds the last
    of it, and how long that takes depends on how busy the machine is."""
    wanted = mic.samples_from_first_sound(clip)
    heard = []  # samples delivered from the clip's first sound on

    def count(samples):
        if heard:
            heard[0] += len(samples)
        else:
            loud = np.flatnonzero(np.abs(samples) > mic.LOUD)
            if len(loud):
                heard.append(len(samples) - int(loud[0]))

    microphone = hearth.voice.microphone
    microphone.samples_ready.connect(count)  # after the voice controller's slot: counted means sent
    try:
        player = mic.play(clip)
        qtbot.waitUntil(lambda: player.poll() is not None and bool(heard) and heard[0] >= wanted, timeout=timeout)
    finally:
        microphone.samples_ready.disconnect(count)


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
    play_and_wait(qtbot, hearth, clips["fox"])
    # Partial text while the button is held, however far behind the microphone a busy machine puts
    # the engine (it may get the whole sentence and the quiet after it in one piece).
    qtbot.waitUntil(lambda: bool(partials), timeout=30_000)
    assert hearth.voice.listening_target == "chat"
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
    play_and_wait(qtbot, hearth, clips["fox"])
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
    play_and_wait(qtbot, hearth, clips["quiet"])
    qtbot.wait(800)
    assert window.lines == [] and partials == []  # silence and a burst of noise: no words
    play_and_wait(qtbot, hearth, clips["three"], timeout=60_000)
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
    play_and_wait(qtbot, hearth, clips["fox"])
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
    # long enough that the kill lands mid-file however fast the machine transcribes
    long_clip = mic.join([clips["three"]] * 16, clips["three"].with_name("long.wav"))
    window.transcribe(str(long_clip))
    client = hearth.voice.speech.client
    qtbot.waitUntil(lambda: client.pid is not None, timeout=20_000)
    qtbot.waitUntil(lambda: len(window.lines) >= 1, timeout=60_000)
    os.kill(client.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: "speech engine was killed" in window.status.text(), timeout=20_000)
    assert window.file_progress.isHidden() and window.file_button.isEnabled()

    qtbot.mouseClick(hearth.window.mic_button, Qt.LeftButton)
    listening_on(qtbot, hearth, "chat")
    play_and_wait(qtbot, hearth, clips["fox"])
    qtbot.mouseClick(hearth.window.mic_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not hearth.window.input.isReadOnly(), timeout=30_000)
    assert mic.word_error_rate(FOX, hearth.window.input.toPlainText()) <= 0.25


# -- the dictation policy with the real VAD and the real tiny.en, in this process ---------------------------
@pytest.fixture(scope="session")
def whisper():
    from app.engine.speech import SpeechSession, find_starter_speech_model

    session = SpeechSession()
    session.load(str(find_starter_speech_model()), device="cpu", threads=2)
    return session


def dictate(whisper, audio, continuous=True):
    """Final texts of ``audio`` through the real policy, fed as the microphone feeds it: 0.1 s at a time,
    after 0.6 s of quiet and followed by 2 s of it."""
    from app.core.dictation import Dictation, Settings
    from app.engine.speech import speech_spans

    finals = []
    policy = Dictation(whisper.transcribe, speech_spans, lambda _text: None, finals.append,
                       Settings(continuous=continuous))
    stream = np.concatenate([np.zeros(9_600), audio, np.zeros(32_000)]).astype(np.float32)
    for at in range(0, len(stream), 1_600):
        policy.feed(stream[at:at + 1_600])
    policy.finish()
    return [piece.text for piece in finals]


# Said slowly (140 words a minute), each pair has a pause between its sentences that ends an utterance.
PAIRS = [("My brother is learning to drive.", "He practices in the empty parking lot on Sundays.", "en-us"),
         ("My brother is learning to drive.", "He practices in the empty parking lot on Sundays.", "en-gb"),
         ("Please remind me to call the plumber tomorrow morning.", "The kitchen sink is leaking again.", "en-us"),
         ("We watched the fireworks from the roof of our building.", "The whole sky turned gold.", "en-gb")]


def test_a_sentence_after_a_pause_is_heard_as_the_rest_of_what_was_said(whisper, tmp_path):
    """Decoded on its own, each second sentence lost words Whisper keeps when it hears the whole
    recording (8 of these 29); decoded after the sentence before it, it keeps them (3 of 29 wrong)."""
    errors = 0.0
    for index, (first, second, voice) in enumerate(PAIRS):
        clip = mic.speak(f"{first} {second}", tmp_path / f"pair{index}.wav", speed=140, voice=voice)
        finals = dictate(whisper, mic.samples(clip))
        assert len(finals) == 2, finals  # the pause ended the first utterance
        assert mic.word_error_rate(first, finals[0]) <= 0.34, finals
        errors += mic.word_error_rate(second, finals[1]) * len(second.split())  # and not the first again
    assert round(errors) <= 5


# Short sentences in a window much longer than their audio, with Voice ▸ Names and terms set: Whisper
# wrote each of these twice ("Thank you very much Thank you very much").
ONCE = [(FOX, "en-us", "window, fresh air"), ("Thank you very much.", "en-us", "Maria, Hearth"),
        ("Open the door please.", "en-gb", "Maria, Hearth"), ("Call me back later.", "en-gb", "Maria, Hearth")]


def test_a_short_sentence_is_written_once(whisper, tmp_path):
    try:
        for index, (text, voice, prompt) in enumerate(ONCE):
            whisper.configure("en", prompt)
            audio = mic.samples(mic.speak(text, tmp_path / f"once{index}.wav", voice=voice))
            for continuous in (True, False):  # dictation, push to talk
                heard = " ".join(dictate(whisper, audio, continuous))
                assert mic.word_error_rate(text, heard) <= 0.5, heard
    finally:
        whisper.configure("en", None)


def test_push_to_talk_shows_the_words_that_reach_a_busy_engine_in_one_piece(whisper, clips):
    """An engine behind the microphone takes all the audio queued for it at once (speech_worker's
    backlog): the sentence and the quiet after it. While the button is held, that still becomes partial
    text; it used to wait for the release."""
    from app.core.dictation import Dictation, Settings
    from app.engine.speech import speech_spans

    partials, finals = [], []
    policy = Dictation(whisper.transcribe, speech_spans, partials.append, finals.append, Settings(continuous=False))
    for _ in range(10):  # a second of quiet, as it comes
        policy.feed(np.zeros(1_600, np.float32))
    policy.feed(np.concatenate([mic.samples(clips["fox"]), np.zeros(8_000, np.float32)]))
    assert partials and mic.word_error_rate(FOX, partials[-1]) <= 0.25, partials
    assert not finals
    policy.finish()
    assert len(finals) == 1 and mic.word_error_rate(FOX, finals[0].text) <= 0.25
