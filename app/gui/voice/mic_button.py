"""The microphone button: hold it to talk, or click it to start and click again to stop."""
from __future__ import annotations

import time

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QToolButton

HOLD_SECONDS = 0.4  # a press longer than this is push-to-talk: releasing it stops


class MicButton(QToolButton):
    start_requested = Signal()
    stop_requested = Signal()

    def __init__(self, icon: QIcon | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("micButton")
        if icon is not None and not icon.isNull():
            self.setIcon(icon)
            self.setIconSize(QSize(22, 22))
        else:
            self.setText("Talk")
        self.setCheckable(True)
        self.setAccessibleName("Voice input")
        self.setToolTip("Hold to talk, or click to start and click again to stop (Ctrl+Shift+Space)")
        self._pressed_at: float | None = None
        self._started_by_press = False

    def set_listening(self, listening: bool) -> None:
        self.setChecked(listening)
        self.setProperty("listening", listening)
        self.style().polish(self)

    def toggle_listening(self) -> None:
        (self.stop_requested if self.isChecked() else self.start_requested).emit()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        event.accept()
        if self.isChecked():
            self._started_by_press = False
            self.stop_requested.emit()
            return
        self._pressed_at = time.monotonic()
        self._started_by_press = True
        self.start_requested.emit()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        event.accept()
        held = time.monotonic() - self._pressed_at if self._pressed_at is not None else 0.0
        self._pressed_at = None
        if self._started_by_press and held >= HOLD_SECONDS and self.isChecked():
            self.stop_requested.emit()
        self._started_by_press = False
