"""The download queue: one row per model, with progress, speed, time left and what can be done next."""
from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QVBoxLayout,
                               QWidget)

from app.core.download_queue import DONE, DOWNLOADING, FAILED, PAUSED, QUEUED, Download
from app.core.gguf_info import format_bytes


def format_duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def describe(download: Download) -> str:
    """The line a person reads under the progress bar."""
    amount = f"{format_bytes(download.received)} of {format_bytes(download.total)}"
    if download.state == DOWNLOADING:
        if download.message:
            return f"{amount} · {download.message}"
        if download.speed > 0:
            left = download.seconds_left
            eta = f" · {format_duration(left)} left" if left is not None else ""
            return f"{amount} · {format_bytes(int(download.speed))}/s{eta}"
        return f"{amount} · connecting…"
    if download.state == QUEUED:
        return f"{amount} · waiting"
    if download.state == PAUSED:
        return f"{amount} · paused" + (f": {download.message}" if download.message else "")
    if download.state == FAILED:
        return download.message or "Failed."
    return f"{format_bytes(download.total)} · verified (sha256) and in your library"


def _linked(text: str) -> str:
    """Plain text as rich text, with web addresses made clickable (a gated repo's page)."""
    return re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', html.escape(text, quote=True))


class DownloadRow(QWidget):
    pause_clicked = Signal(str)
    resume_clicked = Signal(str)
    cancel_clicked = Signal(str)

    def __init__(self, download: Download, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("downloadRow")
        self.download_id = download.id
        self.title = QLabel()
        self.title.setObjectName("downloadTitle")
        self.title.setTextFormat(Qt.PlainText)  # names come from the Hub
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.detail = QLabel()
        self.detail.setObjectName("downloadDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.RichText)
        self.detail.setOpenExternalLinks(True)
        self.pause_button = QPushButton("Pause")
        self.resume_button = QPushButton("Resume")
        self.cancel_button = QPushButton("Cancel")
        self.pause_button.clicked.connect(lambda: self.pause_clicked.emit(self.download_id))
        self.resume_button.clicked.connect(lambda: self.resume_clicked.emit(self.download_id))
        self.cancel_button.clicked.connect(lambda: self.cancel_clicked.emit(self.download_id))
        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.bar)
        text.addWidget(self.detail)
        row = QHBoxLayout(self)
        row.addLayout(text, 1)
        for button in (self.pause_button, self.resume_button, self.cancel_button):
            row.addWidget(button, 0, Qt.AlignVCenter)
        self.update_from(download)

    def update_from(self, download: Download) -> None:
        self.state = download.state
        self.title.setText(f"<b>{download.repo_id}</b> · {download.label}"
                           + (f" · {len(download.files)} files" if len(download.files) > 1 else ""))
        self.bar.setValue(int(1000 * download.received / download.total) if download.total else 0)
        self.detail.setText(_linked(describe(download)))
        self.detail.setProperty("problem", download.state == FAILED or bool(download.message))
        self.detail.style().polish(self.detail)
        self.pause_button.setVisible(download.state in (QUEUED, DOWNLOADING))
        self.resume_button.setVisible(download.state in (PAUSED, FAILED))
        self.resume_button.setText("Retry" if download.state == FAILED else "Resume")
        self.cancel_button.setVisible(download.state != DONE)


class DownloadsPage(QWidget):
    pause_requested = Signal(str)
    resume_requested = Signal(str)
    cancel_requested = Signal(str)
    clear_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: dict[str, DownloadRow] = {}
        self.empty = QLabel("Nothing is downloading. Find a model on the Discover tab.")
        self.empty.setObjectName("downloadsEmpty")
        self.empty.setAlignment(Qt.AlignCenter)
        self._list = QWidget()
        self._column = QVBoxLayout(self._list)
        self._column.addWidget(self.empty)
        self._column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._list)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.clicked.connect(self.clear_requested)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)

    def show_download(self, download: Download) -> None:
        row = self.rows.get(download.id)
        if row is None:
            row = DownloadRow(download)
            row.pause_clicked.connect(self.pause_requested)
            row.resume_clicked.connect(self.resume_requested)
            row.cancel_clicked.connect(self.cancel_requested)
            self.rows[download.id] = row
            self._column.insertWidget(self._column.count() - 1, row)
        else:
            row.update_from(download)
        self.empty.setVisible(not self.rows)

    def remove_download(self, download_id: str) -> None:
        row = self.rows.pop(download_id, None)
        if row is not None:
            row.deleteLater()
        self.empty.setVisible(not self.rows)

    def active_count(self) -> int:
        return sum(1 for row in self.rows.values() if row.state in (QUEUED, DOWNLOADING))
