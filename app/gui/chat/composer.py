"""The composer: the message box, Send/Stop, push to talk and the voice conversation's button.

It owns what the user is about to say. Typed text is sent with Enter or Send; push to talk fills the
box as the words are heard (partial text, then final text joined to what was typed before, the rule in
``app.core.dictation_join``) and, with "Send dictated messages at once", sends them when the button is
released. What is sent leaves as ``submitted``; whoever listens (the window) decides whether the chat
takes it and then clears the box. The voice conversation (``TalkController``) shows its state here.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.dictation_join import DictationJoin
from app.gui import icons
from app.gui.chat.input_box import InputBox
from app.gui.icons import Icons
from app.gui.voice.mic_button import MicButton

TARGET = "chat"  # the voice controller's name for push to talk into this box
LISTENING_PLACEHOLDER = "Listening… (release the button, or click it again, to stop)"
TALK_TIP = "Talk with the model: speak, it answers, speak again; Esc ends the conversation (Ctrl+Shift+T)"


class Composer(QWidget):
    submitted = Signal(str)  # the user sent this text (Enter, Send, or dictation sent at once)
    stop_requested = Signal()  # Stop: end the reply being written
    edit_last_requested = Signal()  # Up in an empty box
    talk_requested = Signal()  # the Talk button: start the voice conversation, or end it
    listening_started = Signal()  # push to talk began

    def __init__(self, voice, settings, icon_set: Icons | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.voice, self.settings = voice, settings
        icon_set = icon_set or Icons()
        self._join = DictationJoin()
        self._placeholder = ""
        self._dictating = False

        self.input = InputBox()
        self.input.setAccessibleName("Message")
        self.send_button = icon_set.put(QPushButton("Send"), "send", "on_accent")
        self.send_button.setObjectName("sendButton")
        self.send_button.setDefault(True)
        self.stop_button = icon_set.put(QPushButton("Stop"), "stop", "on_accent")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.hide()
        self.mic_button = icon_set.put(MicButton(icons.icon("microphone")), "microphone")
        self.mic_level = QProgressBar()
        self.mic_level.setObjectName("levelMeter")
        self.mic_level.setRange(0, 100)
        self.mic_level.setTextVisible(False)
        self.mic_level.setMaximumWidth(60)
        self.mic_level.hide()
        self.talk_button = icon_set.put(QToolButton(), "talk")
        self.talk_button.setObjectName("talkButton")
        self.talk_button.setText("Talk")
        self.talk_button.setToolButtonStyle(Qt.ToolButtonIconOnly)
        self.talk_button.setIconSize(self.mic_button.iconSize())
        self.talk_button.setCheckable(True)
        self.talk_button.setAccessibleName("Voice conversation")
        self.talk_button.setToolTip(TALK_TIP)
        self.talk_state = QLabel("")  # Listening… Thinking… Speaking… while a voice conversation goes on
        self.talk_state.setObjectName("talkState")
        self.talk_state.setAccessibleName("Voice conversation state")
        self.talk_state.hide()

        voice_row = QHBoxLayout()
        voice_row.setSpacing(4)
        voice_row.addWidget(self.mic_button)
        voice_row.addWidget(self.talk_button)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addLayout(voice_row)
        buttons.addWidget(self.mic_level, 0, Qt.AlignHCenter)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.input, 1)
        row.addLayout(buttons)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(self.talk_state)
        column.addLayout(row)

        self.input.submitted.connect(self.submitted)
        self.input.edit_last_requested.connect(self.edit_last_requested)
        self.send_button.clicked.connect(lambda: self._submit(self.text()))
        self.stop_button.clicked.connect(self.stop_requested)
        self.talk_button.clicked.connect(self._on_talk_clicked)
        if voice is not None:
            self.mic_button.start_requested.connect(lambda: voice.listen(TARGET, continuous=False))
            self.mic_button.stop_requested.connect(voice.stop)
            voice.listening_changed.connect(self._on_listening)
            voice.level.connect(self._on_level)
            voice.partial_text.connect(lambda target, text: target == TARGET and self._show_heard(text))
            voice.final_text.connect(self._on_final)
            voice.finished.connect(self._on_voice_finished)

    # -- what the window uses ----------------------------------------------------------------
    def text(self) -> str:
        return self.input.toPlainText()

    def set_text(self, text: str) -> None:
        """Put ``text`` in the box, the cursor at its end."""
        self.input.setPlainText(text)
        self.input.moveCursor(self.input.textCursor().MoveOperation.End)

    def clear(self) -> None:
        self.input.clear()

    def focus(self) -> None:
        self.input.setFocus()

    def set_busy(self, busy: bool) -> None:
        """A reply is being written: Stop instead of Send."""
        self.stop_button.setVisible(busy)
        self.send_button.setVisible(not busy)
        if not busy:
            self.focus()

    def show_talk_state(self, text: str) -> None:
        """The voice conversation's state ("Listening…"), or "" when no conversation goes on."""
        self.talk_state.setText(text)
        self.talk_state.setVisible(bool(text))
        self.talk_button.setChecked(bool(text))
        self.mic_button.setEnabled(not text)  # one microphone: push to talk waits for the conversation's end

    # -- inside ---------------------------------------------------------------------------
    def _submit(self, text: str) -> None:
        if text.strip():
            self.submitted.emit(text)

    def _on_talk_clicked(self) -> None:
        self.talk_button.setChecked(not self.talk_button.isChecked())  # the conversation's state decides
        self.talk_requested.emit()

    def _on_level(self, value: float) -> None:
        self.mic_level.setValue(int(value * 100))

    def _on_listening(self, target: str, listening: bool) -> None:
        if target != TARGET:
            return
        self.mic_button.set_listening(listening)
        self.mic_level.setVisible(listening)
        if listening:
            self._dictating = True
            self._join.begin(self.text())
            self.input.setReadOnly(True)
            self._placeholder = self.input.placeholderText()
            self.input.setPlaceholderText(LISTENING_PLACEHOLDER)
            self.listening_started.emit()

    def _show_heard(self, partial: str) -> None:
        if self._dictating:
            self.set_text(self._join.joined(partial))

    def _on_final(self, target: str, text: str, _start: float, _end: float) -> None:
        if target == TARGET and self._dictating:
            self._join.add_final(text)
            self._show_heard("")

    def _on_voice_finished(self, target: str) -> None:
        if target != TARGET or not self._dictating:
            return
        self._dictating = False
        self.input.setReadOnly(False)
        self.input.setPlaceholderText(self._placeholder)
        self.set_text(self._join.joined())
        self.focus()
        if self._join.anything_heard and self.settings.send_dictated:
            self._submit(self.text())
