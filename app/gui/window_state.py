"""The main window's size, place and sidebar width: restored at start, kept in the settings as they change.

Qt's ``saveGeometry``/``restoreGeometry`` do the hard part (the screen it was on, a maximized window's
normal size, a screen that is gone since); the settings hold their bytes as base64 text. Changes are
gathered for a moment before they are kept, so dragging a window's edge does not write the settings
file on every pixel, and ``store`` keeps them at once when the window closes.
"""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QMainWindow, QSplitter

from app.settings import Settings

GATHER_MS = 400


class WindowState(QObject):
    changed = Signal()  # the settings hold a new size, place or sidebar width: time to save them

    def __init__(self, window: QMainWindow, splitter: QSplitter, settings: Settings) -> None:
        super().__init__(window)
        self.window, self.splitter, self.settings = window, splitter, settings
        self._timer = QTimer(self, singleShot=True, interval=GATHER_MS)
        self._timer.timeout.connect(self.store)
        self._restoring = False

    def restore(self) -> None:
        """Put the window where it was (before it is shown), then start noticing changes."""
        self._restoring = True
        try:
            geometry = self.settings.window_geometry
            if geometry and geometry.isascii():  # a hand-edited settings.json must not stop Hearth starting
                self.window.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii")))
            width = self.settings.sidebar_width
            if width > 0:
                # The splitter is not laid out yet: give it the whole window's width, so the width it
                # keeps for the sidebar is this one (the chat side takes any change, its stretch is 1).
                self.splitter.setSizes([width, max(1, self.window.width() - width)])
        finally:
            self._restoring = False
        self.window.installEventFilter(self)
        self.splitter.splitterMoved.connect(lambda _position, _index: self._timer.start())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.window and not self._restoring:
            if event.type() in (QEvent.Resize, QEvent.Move, QEvent.WindowStateChange):
                self._timer.start()
            elif event.type() == QEvent.Close:
                self.store()
        return False

    def store(self) -> None:
        """Copy the window's state into the settings now; ``changed`` if it differs from what they held."""
        self._timer.stop()
        geometry = bytes(self.window.saveGeometry().toBase64()).decode("ascii")
        width = self.splitter.sizes()[0] if self.splitter.count() else 0
        if (geometry, width) == (self.settings.window_geometry, self.settings.sidebar_width):
            return
        self.settings.window_geometry, self.settings.sidebar_width = geometry, width
        self.changed.emit()
