"""A dismissable line above the chat for errors and notices: never a modal box that blocks.

A notice may say what it is ``about`` (the model, the conversation on screen…); the window
withdraws it when that stops being true, so no notice outlives its truth.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton

# What a notice can be about: the model (true until one is ready), the conversation on screen (until
# another is shown), saving (until saves land again).
MODEL, CONVERSATION, SAVING = "model", "conversation", "saving"


class NoticeBar(QFrame):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.action = QPushButton()
        self.action.setObjectName("noticeAction")
        self.action.hide()
        self.action.clicked.connect(self._run_action)
        self._callback: Callable[[], None] | None = None
        self.about = ""  # what the last notice shown is about ("": nothing that ends)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action)
        layout.addWidget(close)
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisibleTo(self.parentWidget()) else ""

    def show_error(self, text: str, action: str = "", callback: Callable[[], None] | None = None,
                   about: str = "") -> None:
        self._show(text, "error", action, callback, about)

    def show_notice(self, text: str, action: str = "", callback: Callable[[], None] | None = None,
                    about: str = "") -> None:
        self._show(text, "notice", action, callback, about)

    def withdraw(self, about: str) -> None:
        """Hide the notice on show if it is about ``about``: what it said is no longer true."""
        if about and self.about == about:
            self.hide()

    def _run_action(self) -> None:
        callback, self._callback = self._callback, None
        self.hide()
        if callback is not None:
            callback()

    def _show(self, text: str, kind: str, action: str = "", callback: Callable[[], None] | None = None,
              about: str = "") -> None:
        self.label.setText(text)
        self.action.setText(action)
        self.action.setVisible(bool(action))
        self._callback = callback
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()
        self.about = about
