"""A dismissable line above the chat for errors and notices: never a modal box that blocks."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton


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

    def show_error(self, text: str, action: str = "", callback: Callable[[], None] | None = None) -> None:
        self._show(text, "error", action, callback)

    def show_notice(self, text: str, action: str = "", callback: Callable[[], None] | None = None) -> None:
        self._show(text, "notice", action, callback)

    def _run_action(self) -> None:
        callback, self._callback = self._callback, None
        self.hide()
        if callback is not None:
            callback()

    def _show(self, text: str, kind: str, action: str = "", callback: Callable[[], None] | None = None) -> None:
        self.label.setText(text)
        self.action.setText(action)
        self.action.setVisible(bool(action))
        self._callback = callback
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()
