"""Models ▸ Connect to a server…: a base URL, an optional key, a test, and Save.

The dialog only lays out and asks: the test (a GET of the server's models) runs
in ``RemoteServers`` on a worker thread, and Save hands the address and key to
it (the key goes to the keyring or the private keys file, never the settings).
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QListWidget,
                               QPushButton, QVBoxLayout, QWidget)

from app.gui.remote_servers import RemoteServers

HINT = ("The address of an OpenAI-compatible server: hearth serve, llama.cpp's llama-server, vLLM or Ollama, "
        "for example http://192.168.1.20:8137/v1.")


class ConnectDialog(QDialog):
    def __init__(self, servers: RemoteServers, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.servers = servers
        self.setWindowTitle("Connect to a server")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("GPU box (optional)")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("http://host:port/v1")
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("none")
        self.test_button = QPushButton("&Test connection")
        self.status = QLabel(HINT)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.models = QListWidget()
        self.models.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)

        form = QFormLayout()
        form.addRow("&Name", self.name_edit)
        form.addRow("&Address", self.url_edit)
        form.addRow("API &key", self.key_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.test_button, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.status)
        layout.addWidget(self.models)
        layout.addWidget(self.buttons)

        self._asked = ""  # the address the test in progress asked, as typed
        self.test_button.clicked.connect(self.test)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.url_edit.textChanged.connect(self._update)
        servers.models_listed.connect(self._on_listed)
        servers.failed.connect(self._on_failed)
        self._update()

    def _update(self) -> None:
        has_url = bool(self.url_edit.text().strip())
        self.test_button.setEnabled(has_url and not self._asked)
        self.save_button.setEnabled(has_url)

    def _address(self) -> str | None:
        try:
            self.servers.normalized(self.url_edit.text())
        except ValueError as error:
            self.status.setText(str(error))
            return None
        return self.url_edit.text().strip()

    def test(self) -> None:
        url = self._address()
        if url is None:
            return
        self._asked = url
        self.models.clear()
        self.models.setVisible(False)
        self.status.setText(f"Asking {url} for its models…")
        self._update()
        self.servers.list_models(url, self.key_edit.text().strip())

    def _on_listed(self, url: str, ids: list) -> None:
        if url != self._asked:
            return
        self._asked = ""
        self.models.addItems([str(i) for i in ids])
        self.models.setVisible(bool(ids))
        self.status.setText(f"Connected: {len(ids)} model{'s' if len(ids) != 1 else ''}." if ids else
                            "Connected, but the server lists no models.")
        self._update()

    def _on_failed(self, url: str, message: str) -> None:
        if url != self._asked:
            return
        self._asked = ""
        self.status.setText(message)
        self._update()

    def save(self) -> None:
        url = self._address()
        if url is None:
            return
        self.servers.add(self.name_edit.text(), url, self.key_edit.text())
        self.accept()

    def done(self, result: int) -> None:
        self.servers.models_listed.disconnect(self._on_listed)
        self.servers.failed.disconnect(self._on_failed)
        super().done(result)
