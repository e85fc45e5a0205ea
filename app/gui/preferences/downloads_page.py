"""Preferences ▸ Downloads: how long a download may crawl before Hearth reconnects and resumes it."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QLabel, QWidget

from app.core.net_limits import DEFAULT_LIMITS

MIN_STALL, MAX_STALL = 5.0, 600.0  # shorter reconnects on every hiccup; longer looks like a hang


class DownloadsPage(QWidget):
    changed = Signal()

    def __init__(self, downloads, settings, parent=None) -> None:
        super().__init__(parent)
        self.downloads, self.settings = downloads, settings
        self.stall = QDoubleSpinBox()
        self.stall.setRange(MIN_STALL, MAX_STALL)
        self.stall.setDecimals(0)
        self.stall.setSuffix(" s")
        self.stall.setValue(settings.download_stall_seconds)
        self.stall.setAccessibleName("Reconnect a stalled download after")
        self.stall.setKeyboardTracking(False)  # one change when the user is done typing, not per digit
        about = QLabel(f"A download slower than {DEFAULT_LIMITS.min_rate / 1000:.0f} kB/s for this long counts as "
                       "stalled: Hearth reconnects and carries on from the bytes it has. The next try uses it.")
        about.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Reconnect a stalled download after:", self.stall)
        form.addRow("", about)
        self.stall.valueChanged.connect(self._set_stall)

    def _set_stall(self, seconds: float) -> None:
        if seconds != self.settings.download_stall_seconds:
            self.settings.download_stall_seconds = float(seconds)
            self.downloads.set_stall_seconds(seconds)
            self.changed.emit()
