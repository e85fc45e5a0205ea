"""The voice conversation (Voice ▸ Talk) through the real parts: espeak-ng speech played into the PulseAudio
virtual microphone, the real Qt audio input, the real tiny.en, the real SmolLM2 and the real store.

The app's own speaker reads the replies into a quiet null sink (tests/conftest.py); the last test records
a sink of its own and hears the conversation back with Whisper, and measures barge-in at the output.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from test_main_window import wait_ready
from test_voice import listening_on, play_and_wait, virtual_microphone  # noqa: F401 - a fixture

from app.core import store as states
from app.core.talk_turns import State
from app.gui.voice.talk_controller import BARGE_IN_CHUNKS
from tests import voice_helpers as mic

ASKS = ["Open the window and let the fresh air in.", "The children are playing football in the park."]
STORY = "Write a very long story about a dragon."


@pytest.fixture(scope="module")
def asks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("talk")
    return [mic.speak(text, folder / f"ask{i}.wav") for i, text in enumerate(ASKS)], \
        mic.speak(STORY, folder / "story.wav")


def saved(hearth, role):
    return [m for m in hearth.store.messages(hearth.chat.conversation.id) if m.role == role]


def started_talking(qtbot, make_hearth, max_tokens):
    hearth = make_hearth()
    hearth.settings.max_tokens = max_tokens
    wait_ready(qtbot, hearth)
    window = hearth.window
    states_seen = []
    window.talk.state_changed.connect(lambda state: states_seen[-1:] != [state] and states_seen.append(state))
    qtbot.mouseClick(window.composer.talk_button, Qt.LeftButton)
    listening_on(qtbot, hearth, "talk")
    assert window.talk.state == State.LISTENING
    assert window.composer.talk_button.isChecked() and window.voice_menu.conversation_action.isChecked()
    assert "Listening" in window.composer.talk_state.text() and window.composer.talk_state.isVisible()
    assert not window.mic_button.isEnabled()  # one microphone: push to talk waits
    return hearth, states_seen


def test_a_voice_conversation_goes_round_twice(qtbot, make_hearth, virtual_microphone, asks):  # noqa: F811
    hearth, states_seen = started_talking(qtbot, make_hearth, max_tokens=24)
    window, talk = hearth.window, hearth.window.talk
    clips_, _story = asks
    for turn, (clip, said) in enumerate(zip(clips_, ASKS), 1):
        play_and_wait(qtbot, hearth, clip)
        # The pause after the words ends the turn: the message is sent without a click.
        qtbot.waitUntil(lambda turn=turn: hearth.chat.conversation is not None
                        and len(saved(hearth, "user")) == turn, timeout=60_000)
        user = saved(hearth, "user")[-1]
        assert mic.word_error_rate(said, user.content) <= 0.25, user.content
        qtbot.waitUntil(lambda turn=turn: len(saved(hearth, "assistant")) == turn and not hearth.chat.busy,
                        timeout=90_000)
        reply = saved(hearth, "assistant")[-1]
        assert reply.status == states.DONE and reply.content.strip()  # written by SmolLM2, saved as usual
        qtbot.waitUntil(lambda: talk.state == State.LISTENING, timeout=10_000)
        assert hearth.voice.listening_target == "talk"  # the microphone stayed open
    assert states_seen == ["listening", "thinking", "speaking"] * 2 + ["listening"]
    # every turn is an ordinary message in the chat, on screen too
    shown = window.view.message_widgets()
    assert [w.role for w in shown] == ["user", "assistant"] * 2
    assert window.input.toPlainText() == ""  # the box was not used

    qtbot.keyClick(window.input, Qt.Key_Escape)  # Esc ends the conversation
    assert talk.state == State.OFF and hearth.voice.listening_target == ""
    assert not window.composer.talk_state.isVisible() and not window.composer.talk_button.isChecked()
    assert window.mic_button.isEnabled() and not window.voice_menu.conversation_action.isChecked()
    assert len(saved(hearth, "user")) == 2


def test_speaking_over_the_reply_stops_it_and_is_the_next_turn(qtbot, make_hearth, virtual_microphone,  # noqa: F811
                                                               asks):
    hearth, states_seen = started_talking(qtbot, make_hearth, max_tokens=4000)
    window, talk = hearth.window, hearth.window.talk
    clips_, story = asks
    play_and_wait(qtbot, hearth, story)
    qtbot.waitUntil(lambda: talk.state == State.SPEAKING and len(hearth.chat.saver.text) > 40, timeout=90_000)
    story_reply = saved(hearth, "assistant")[-1].id

    # Count the audio from the barge-in clip's first sound to the moment Hearth stops: audio time, which a
    # busy machine does not stretch the way it stretches wall-clock time.
    heard, stopped_at = [], []

    def count(samples):
        if heard:
            heard[0] += len(samples)
        else:
            loud = np.flatnonzero(np.abs(samples) > mic.LOUD)
            if len(loud):
                heard.append(len(samples) - int(loud[0]))

    microphone = hearth.voice.microphone
    microphone.samples_ready.connect(count)
    talk.state_changed.connect(lambda state: state == "listening" and not stopped_at and stopped_at.append(
        heard[0] if heard else 0))
    try:
        play_and_wait(qtbot, hearth, clips_[0])
    finally:
        microphone.samples_ready.disconnect(count)
    qtbot.waitUntil(lambda: bool(stopped_at), timeout=10_000)
    # The level of a piece is reported before the piece is counted here: the audio heard is one piece more.
    print(f"barge-in {stopped_at[0] / mic.RATE + 0.1:.2f} s of audio after the first sound")
    # Stopped on the level meter's second loud piece of 0.1 s: well within half a second of audio.
    assert 0 < stopped_at[0] <= (BARGE_IN_CHUNKS + 1) * mic.RATE // 10, stopped_at
    first = hearth.store.message(story_reply)
    assert first.status == states.STOPPED and first.content  # the interrupted reply stays, marked stopped

    # What was said over it is the next turn.
    qtbot.waitUntil(lambda: len(saved(hearth, "user")) == 2, timeout=60_000)
    assert mic.word_error_rate(ASKS[0], saved(hearth, "user")[-1].content) <= 0.25
    assert talk.state in (State.THINKING, State.SPEAKING)
    qtbot.keyClick(window.input, Qt.Key_Escape)  # Esc now ends the conversation and the reply being written
    assert talk.state == State.OFF and not hearth.chat.busy
    assert saved(hearth, "assistant")[-1].status == states.STOPPED
    assert "speaking" in states_seen


def test_without_a_model_it_does_not_start_and_says_why(qtbot, make_hearth):
    hearth = make_hearth(include_starter=False)
    window, talk = hearth.window, hearth.window.talk
    window.voice_menu.conversation_action.trigger()  # Voice ▸ Talk with the model, no model chosen
    assert talk.state == State.OFF and "Choose a model first" in window.notice.text
    assert not window.voice_menu.conversation_action.isChecked() and hearth.voice.listening_target == ""


def test_the_dictation_window_taking_the_microphone_ends_the_conversation(qtbot, make_hearth,
                                                                           virtual_microphone):  # noqa: F811
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    window, talk = hearth.window, hearth.window.talk
    qtbot.keyClick(window.input, Qt.Key_T, Qt.ControlModifier | Qt.ShiftModifier)  # the shortcut
    listening_on(qtbot, hearth, "talk")
    assert talk.state == State.LISTENING
    hearth.voice.listen("dictation", continuous=True)  # what the dictation window's Record does
    assert talk.state == State.OFF and hearth.voice.listening_target == "dictation"
    assert not window.composer.talk_state.isVisible()
    hearth.voice.stop()


def test_a_spoken_conversation_is_heard_twice_round_and_speaking_over_it_silences_the_voice(
        qtbot, make_hearth, virtual_microphone, asks, tmp_path):  # noqa: F811
    """The whole loop with the voice: each reply is read aloud into a sound output of the test's own and
    heard back by Whisper; then speech played over a reply stops Hearth's voice within half a second."""
    import time

    from app.core.speakable import Speakable
    from tests.speaker_helpers import OutputSink, loud_seconds, transcribe, voice_end_after

    sink = OutputSink()
    try:
        hearth, states_seen = started_talking(qtbot, make_hearth, max_tokens=40)
        hearth.settings.speech_output = sink.name
        talk = hearth.window.talk
        clips_, story = asks
        sink.record(tmp_path / "conversation")
        for turn, clip in enumerate(clips_, 1):
            play_and_wait(qtbot, hearth, clip)
            qtbot.waitUntil(lambda turn=turn: len(saved(hearth, "assistant")) == turn, timeout=60_000)
            qtbot.waitUntil(lambda: talk.state == State.SPEAKING, timeout=60_000)  # its first sound
            qtbot.waitUntil(lambda: talk.state == State.LISTENING and not hearth.speaker.speaking, timeout=120_000)
        assert states_seen == ["listening", "thinking", "speaking"] * 2 + ["listening"]
        qtbot.wait(300)
        audio = sink.stop_recording()
        replies = [m.content for m in saved(hearth, "assistant")]
        said = " ".join(" ".join(s.feed(text) + s.finish()) for text in replies for s in [Speakable()])
        heard = transcribe(audio)
        assert mic.word_error_rate(said, heard) <= 0.35, (said, heard)

        # Barge-in: a long reply is being read aloud; the user speaks over it.
        hearth.settings.max_tokens = 4000
        sink.record(tmp_path / "barge-in")
        play_and_wait(qtbot, hearth, story)
        qtbot.waitUntil(lambda: talk.state == State.SPEAKING and loud_seconds(sink.peek()) >= 1.0, timeout=120_000)
        first_loud = []

        def onset(samples):
            if not first_loud and np.abs(samples).max(initial=0) > mic.LOUD:
                first_loud.append(time.monotonic())

        hearth.voice.microphone.samples_ready.connect(onset)
        try:
            play_and_wait(qtbot, hearth, clips_[0])
        finally:
            hearth.voice.microphone.samples_ready.disconnect(onset)
        qtbot.waitUntil(lambda: len(saved(hearth, "user")) == 4, timeout=60_000)  # what was said is a turn
        audio = sink.stop_recording()
        # The interrupted voice ends where the output first falls silent after the user began (the reply
        # to what the user said may follow later: it is a new sound, after that silence).
        onset_at = first_loud[0] - sink.started
        voice_ended = voice_end_after(audio, onset_at)
        print(f"Hearth's voice ended {voice_ended - onset_at:.2f} s after the user's first sound")
        assert voice_ended - onset_at <= 0.5
        qtbot.keyClick(hearth.window.input, Qt.Key_Escape)
        assert talk.state == State.OFF
    finally:
        sink.close()
