"""The composer on its own: the real widget, keys and clicks through qtbot, push to talk through the real
VoiceController (PulseAudio's virtual microphone, the real tiny.en), as the window uses it."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from test_voice import FOX, clips, listening_on, play_and_wait, virtual_microphone  # noqa: F401 - fixtures

from app.gui.chat.composer import Composer
from app.gui.voice.voice_controller import VoiceController
from app.settings import Settings
from tests import voice_helpers as mic


@pytest.fixture
def settings(home):
    return Settings.load(home.settings_file)


@pytest.fixture
def voice(qtbot, settings, tmp_path):
    controller = VoiceController(settings, log_path=tmp_path / "speech.log")
    yield controller
    controller.shutdown()


@pytest.fixture
def composer(qtbot, voice, settings):
    widget = Composer(voice, settings)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_enter_and_send_submit_shift_enter_starts_a_line_up_edits_the_last(qtbot, composer):
    sent, edits = [], []
    composer.submitted.connect(sent.append)
    composer.edit_last_requested.connect(lambda: edits.append(True))
    qtbot.keyClick(composer.input, Qt.Key_Up)  # an empty box: edit the last message
    assert edits == [True]
    qtbot.keyClicks(composer.input, "first")
    qtbot.keyClick(composer.input, Qt.Key_Return, Qt.ShiftModifier)
    qtbot.keyClicks(composer.input, "second")
    qtbot.keyClick(composer.input, Qt.Key_Up)  # not empty: the cursor moves, nothing is edited
    assert edits == [True]
    qtbot.keyClick(composer.input, Qt.Key_Return)
    assert sent == ["first\nsecond"]
    assert composer.text() == "first\nsecond"  # the window clears it once the chat took it
    composer.clear()
    qtbot.mouseClick(composer.send_button, Qt.LeftButton)  # nothing to send
    qtbot.keyClicks(composer.input, "   ")
    qtbot.keyClick(composer.input, Qt.Key_Return)
    assert sent == ["first\nsecond"]
    composer.set_text("third")
    qtbot.mouseClick(composer.send_button, Qt.LeftButton)
    assert sent == ["first\nsecond", "third"]


def test_busy_shows_stop_and_stop_asks_to_stop(qtbot, composer):
    stops = []
    composer.stop_requested.connect(lambda: stops.append(True))
    composer.set_busy(True)
    assert composer.stop_button.isVisible() and not composer.send_button.isVisible()
    qtbot.mouseClick(composer.stop_button, Qt.LeftButton)
    assert stops == [True]
    composer.set_busy(False)
    assert composer.send_button.isVisible() and not composer.stop_button.isVisible()
    assert composer.input.hasFocus()


def test_talk_state_is_shown_and_the_button_follows_the_conversation(qtbot, composer):
    asked = []
    composer.talk_requested.connect(lambda: asked.append(True))
    qtbot.mouseClick(composer.talk_button, Qt.LeftButton)
    assert asked == [True] and not composer.talk_button.isChecked()  # checked only once it really started
    composer.show_talk_state("Listening…")
    assert composer.talk_state.isVisible() and composer.talk_state.text() == "Listening…"
    assert composer.talk_button.isChecked() and not composer.mic_button.isEnabled()
    composer.show_talk_state("")
    assert not composer.talk_state.isVisible() and not composer.talk_button.isChecked()
    assert composer.mic_button.isEnabled()


@pytest.mark.parametrize("send_at_once", [False, True], ids=["kept-in-the-box", "sent-at-once"])
def test_push_to_talk_joins_what_was_typed_and_sends_if_asked(qtbot, composer, voice, settings,
                                                              virtual_microphone, clips, send_at_once):  # noqa: F811
    settings.send_dictated = send_at_once
    sent, partials = [], []
    composer.submitted.connect(sent.append)
    voice.partial_text.connect(lambda target, text: partials.append(text))
    composer.set_text("Note:")
    qtbot.mouseClick(composer.mic_button, Qt.LeftButton)  # a short click: keeps listening
    qtbot.waitUntil(lambda: voice.listening_target == "chat", timeout=20_000)
    with qtbot.waitSignal(voice.microphone.samples_ready, timeout=10_000):
        pass
    assert composer.input.isReadOnly() and "Listening" in composer.input.placeholderText()
    assert composer.mic_level.isVisible()
    play_and_wait(qtbot, _Hearth(voice), clips["fox"])
    finished = []
    voice.finished.connect(finished.append)
    qtbot.mouseClick(composer.mic_button, Qt.LeftButton)  # click again: stop
    qtbot.waitUntil(lambda: finished == ["chat"], timeout=30_000)
    text = composer.text()
    assert text.startswith("Note: ") and mic.word_error_rate(FOX, text[len("Note: "):]) <= 0.25, text
    assert not composer.input.isReadOnly() and not composer.mic_level.isVisible()
    assert "Listening" not in composer.input.placeholderText()
    assert sent == ([text] if send_at_once else [])


class _Hearth:
    """What test_voice's play_and_wait reads of the app: its voice controller."""

    def __init__(self, voice) -> None:
        self.voice = voice
