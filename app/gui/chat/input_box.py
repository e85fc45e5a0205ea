"""The message box: Enter sends, Shift+Enter starts a new line."""
from __future__ import annotations

from PySide6.QtCore import QKeyCombination, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QPlainTextEdit

# The box's own keys, read by its key handler and by the Keyboard shortcuts window alike. They are not
# QActions: a text box takes Enter and Up for itself before any shortcut could see them.
SEND = (QKeySequence(Qt.Key_Enter), QKeySequence(Qt.ControlModifier | Qt.Key_Enter))
NEW_LINE = (QKeySequence(Qt.ShiftModifier | Qt.Key_Enter),)
EDIT_LAST = (QKeySequence(Qt.Key_Up),)
KEYS = ((SEND, "Send the message"), (NEW_LINE, "Start a new line"),
        (EDIT_LAST, "Edit the last message you sent (in an empty box)"))


def pressed(event: QKeyEvent) -> QKeySequence:
    """The key as a sequence, Return and the keypad's Enter both read as Enter."""
    key = Qt.Key_Enter if event.key() == Qt.Key_Return else Qt.Key(event.key())
    return QKeySequence(QKeyCombination(event.modifiers() & ~Qt.KeypadModifier, key))


class InputBox(QPlainTextEdit):
    submitted = Signal(str)
    edit_last_requested = Signal()  # Up in an empty box: edit the last message sent

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Message the model… (Enter sends, Shift+Enter for a new line)")
        self.setTabChangesFocus(True)
        self.setFixedHeight(76)
        self.setObjectName("inputBox")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = pressed(event)
        if key in SEND:
            text = self.toPlainText()
            if text.strip():
                self.submitted.emit(text)
            event.accept()
            return
        if key in EDIT_LAST and not self.toPlainText():
            self.edit_last_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)
