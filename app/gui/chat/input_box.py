"""The message box: Enter sends, Shift+Enter starts a new line."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit


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
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and not event.modifiers() & Qt.ShiftModifier:
            text = self.toPlainText()
            if text.strip():
                self.submitted.emit(text)
            event.accept()
            return
        if event.key() == Qt.Key_Up and not event.modifiers() and not self.toPlainText():
            self.edit_last_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)
