"""The Server panel: start and stop the local API server, see where it listens and what it is asked.

A widget only: it shows what the controller tells it and asks the controller for
changes through signals; the server itself (sockets, keys) is the controller's.
"""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

LOG_ROWS = 500  # the newest requests shown; older ones scroll away
COLUMNS = ("Time", "Endpoint", "Client", "Status", "Tokens", "Tokens/s", "Seconds")


class ServerPanel(QWidget):
    start_requested = Signal()
    stop_requested = Signal()
    settings_changed = Signal(int, bool, list)  # port, serve on the local network, allowed web origins
    new_key_requested = Signal()

    def __init__(self, port: int, lan: bool, origins: list[str], api_key: str, parent=None) -> None:
        super().__init__(parent, Qt.Window)
        self.setObjectName("serverPanel")
        self.setWindowTitle("Local API server — Hearth")
        self.resize(760, 520)
        self.status = QLabel()
        self.status.setObjectName("serverStatus")
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.status.setWordWrap(True)
        self.toggle = QPushButton("Start")
        self.toggle.setObjectName("serverToggle")
        self.toggle.clicked.connect(self._on_toggle)
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setValue(port)
        self.lan = QCheckBox("Serve on the local network (other computers need the API key)")
        self.lan.setChecked(lan)
        self.key = QLineEdit(api_key)
        self.key.setReadOnly(True)
        self.key.setPlaceholderText("No key yet: one is made when you serve on the network")
        copy_key = QPushButton("Copy")
        copy_key.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.key.text()))
        new_key = QPushButton("New key")
        new_key.clicked.connect(self.new_key_requested)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(copy_key)
        key_row.addWidget(new_key)
        self.origins = QLineEdit(", ".join(origins))
        self.origins.setPlaceholderText("None: web pages cannot call the API (e.g. http://localhost:3000)")
        form = QFormLayout()
        form.addRow("Port", self.port)
        form.addRow("", self.lan)
        form.addRow("API key", key_row)
        form.addRow("Allowed web origins", self.origins)
        self.log = QTableWidget(0, len(COLUMNS))
        self.log.setObjectName("serverLog")
        self.log.setHorizontalHeaderLabels(COLUMNS)
        self.log.verticalHeader().hide()
        self.log.setEditTriggers(QTableWidget.NoEditTriggers)
        self.log.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.toggle)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(QLabel("Requests"))
        layout.addWidget(self.log, 1)
        for signal in (self.port.valueChanged, self.lan.toggled, self.origins.editingFinished):
            signal.connect(self._emit_settings)
        self._running = False
        self.show_state(False, "", "")

    def _emit_settings(self, *_args) -> None:
        origins = [o.strip() for o in self.origins.text().split(",") if o.strip()]
        self.settings_changed.emit(self.port.value(), self.lan.isChecked(), origins)

    def _on_toggle(self) -> None:
        (self.stop_requested if self._running else self.start_requested).emit()

    def show_state(self, running: bool, url: str, model: str) -> None:
        self._running = running
        self.toggle.setText("Stop" if running else "Start")
        for control in (self.port, self.lan, self.origins):
            control.setEnabled(not running)  # they take effect at the next start
        if running:
            served = f" · model: {model}" if model else " · no model loaded yet"
            self.status.setText(f"Serving at {url}{served}\nOpenAI clients: base_url={url}")
        else:
            self.status.setText("Off. Start it to let other programs on this computer use Hearth's models "
                                "through an OpenAI-compatible API.")

    def show_error(self, text: str) -> None:
        self.status.setText(text)

    def show_key(self, key: str) -> None:
        self.key.setText(key)

    def add_request(self, entry: dict) -> None:
        row = self.log.rowCount()
        if row >= LOG_ROWS:
            self.log.removeRow(0)
            row -= 1
        self.log.insertRow(row)
        rate = entry.get("tokens_per_second") or 0
        values = (time.strftime("%H:%M:%S", time.localtime(entry.get("time", time.time()))),
                  entry.get("endpoint", ""), entry.get("client", ""), str(entry.get("status", "")),
                  str(entry.get("tokens") or ""), f"{rate:.1f}" if rate else "", f"{entry.get('seconds', 0):.2f}")
        for column, value in enumerate(values):
            self.log.setItem(row, column, QTableWidgetItem(value))
        self.log.scrollToBottom()
