"""Ctrl+K: search every conversation as you type; Enter or a click jumps to the message."""
from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from app.core.store import ROLE_NAMES, SearchHit



class SearchDialog(QDialog):
    chosen = Signal(int, int)  # conversation id, message id

    def __init__(self, search: Callable[[str], list[SearchHit]], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Search conversations")
        self.setObjectName("searchDialog")
        self.resize(560, 420)
        self._search = search
        layout = QVBoxLayout(self)
        self.query = QLineEdit()
        self.query.setPlaceholderText("Search all conversations…")
        self.query.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("searchStatus")
        layout.addWidget(self.query)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.run)
        self.query.textChanged.connect(self._timer.start)
        self.query.returnPressed.connect(self._choose_current)
        self.results.itemActivated.connect(self._choose)
        self.results.itemClicked.connect(self._choose)

    def open_fresh(self) -> None:
        self.query.selectAll()
        self.show()
        self.raise_()
        self.activateWindow()
        self.query.setFocus()

    def run(self) -> None:
        self._timer.stop()
        text = self.query.text().strip()
        self.results.clear()
        if not text:
            self.status.setText("")
            return
        hits = self._search(text)
        for hit in hits:
            snippet = html.escape(hit.snippet).replace("[", "<b>").replace("]", "</b>")
            item = QListWidgetItem(f"{hit.title} · {ROLE_NAMES.get(hit.role, hit.role)}\n{_plain(hit.snippet)}")
            item.setData(Qt.UserRole, (hit.conversation_id, hit.message_id))
            item.setToolTip(snippet)
            self.results.addItem(item)
        self.status.setText(f"{len(hits)} message{'s' if len(hits) != 1 else ''} found" if hits
                            else "Nothing found")
        if hits:
            self.results.setCurrentRow(0)

    def hits(self) -> list[str]:
        return [self.results.item(row).text() for row in range(self.results.count())]

    def _choose_current(self) -> None:
        if self._timer.isActive():
            self.run()
        item = self.results.currentItem()
        if item is not None:
            self._choose(item)

    def _choose(self, item: QListWidgetItem) -> None:
        conversation_id, message_id = item.data(Qt.UserRole)
        self.hide()
        self.chosen.emit(conversation_id, message_id)


def _plain(snippet: str) -> str:
    return " ".join(snippet.replace("[", "").replace("]", "").split())
