"""Choosing the model: a GGUF file, with what its header says shown before it is loaded, or a model on one of
the remote servers the user connected, listed under the server's name ("Closet box ▸ qwen2.5-7b").

The servers' lists come from ``RemoteServers`` off the GUI thread (``set_remote``); a server that could not be
asked shows one disabled line saying why. ``popup_opening`` tells the window to ask the servers again.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.backend.model_ref import ModelRef, is_remote_key
from app.core.library import LibraryEntry

SEPARATOR = " ▸ "


def remote_label(server_name: str, model_id: str) -> str:
    return f"{server_name}{SEPARATOR}{model_id}"


class _Combo(QComboBox):
    popup_opening = Signal()

    def showPopup(self) -> None:
        self.popup_opening.emit()
        super().showPopup()


class ModelPicker(QWidget):
    model_chosen = Signal(str, str, object)  # path (or a remote model's key), display name, GGUFInfo (None: remote)
    popup_opening = Signal()  # the list is about to open: a moment to ask the servers for theirs again

    def __init__(self, parent=None, describe_fit=None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPicker")
        self._describe_fit = describe_fit  # GGUFInfo -> "Fits: needs about …", from the controller
        self.combo = _Combo()
        self.combo.popup_opening.connect(self.popup_opening)
        self.combo.setObjectName("modelCombo")
        self.combo.setMinimumContentsLength(28)
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.details = QLabel()
        self.details.setObjectName("modelDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextSelectableByMouse)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        label = QLabel("Model")
        label.setObjectName("modelLabel")
        row.addWidget(label)
        row.addWidget(self.combo, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.details)
        self._entries: list[LibraryEntry] = []
        self._remote: dict[str, tuple[str, list[str] | None, str]] = {}  # base URL -> (name, ids, why not)
        self._filling = False
        self._shown = ""  # the key of the model the picker names (kept while a server's list is on its way)
        self.combo.currentIndexChanged.connect(self._on_index)

    @property
    def entries(self) -> list[LibraryEntry]:
        return list(self._entries)

    def set_entries(self, entries: list[LibraryEntry], current: str = "") -> None:
        self._entries = list(entries)
        self._shown = current
        self._fill(current)

    def set_remote(self, base_url: str, name: str, model_ids: list[str] | None, problem: str = "") -> None:
        """A server's models (``model_ids``), or why it could not be asked (``problem``, with None)."""
        shown = (name, None if model_ids is None else list(model_ids), problem)
        if self._remote.get(base_url) != shown:  # the same answer again changes nothing on screen
            self._remote[base_url] = shown
            self._fill(self._shown)

    def keep_servers(self, base_urls: list[str]) -> None:
        """The servers the user still has, in order; the others leave the list."""
        kept = {url: self._remote.get(url, ("", [], "")) for url in base_urls}
        if list(kept) != list(self._remote) or kept != self._remote:
            self._remote = kept
            self._fill(self._shown)

    def remote_models(self) -> list[tuple[str, str]]:
        """[(label, key)] of the remote models listed."""
        return [(self.combo.itemText(i), self.combo.itemData(i)) for i in range(self.combo.count())
                if is_remote_key(self.combo.itemData(i) or "")]

    def _fill(self, current: str) -> None:
        self._filling = True
        try:
            entries = self._entries
            self.combo.clear()
            remote = any(ids is None or ids for _name, ids, _why in self._remote.values())
            if not entries and not remote:
                self.combo.addItem("No models yet")
                self.combo.setEnabled(False)
                self.details.setText("")
                return
            self.combo.setEnabled(True)
            self.combo.addItem("Choose a model…", "")
            for entry in entries:
                label = entry.display_name if entry.usable else f"⚠ {entry.path.name}"
                self.combo.addItem(label, str(entry.path))
                tip = f"{entry.info.name}\n{entry.path}" if entry.usable else f"{entry.problem}\n{entry.path}"
                self.combo.setItemData(self.combo.count() - 1, tip, Qt.ToolTipRole)
            self._fill_remote()
            index = self.combo.findData(current) if current else -1
            self.combo.setCurrentIndex(max(index, 0))
            self._describe_current()
        finally:
            self._filling = False

    def _fill_remote(self) -> None:
        model = self.combo.model()
        for url, (name, ids, problem) in self._remote.items():
            if ids is None:
                self.combo.addItem(f"{name}: {problem}", None)
                row = self.combo.count() - 1
                if isinstance(model, QStandardItemModel):
                    model.item(row).setEnabled(False)
                self.combo.setItemData(row, f"{problem}\n{url}", Qt.ToolTipRole)
                continue
            for model_id in ids:
                self.combo.addItem(remote_label(name, model_id), ModelRef(server=url, model_id=model_id).key)
                self.combo.setItemData(self.combo.count() - 1, f"{model_id}\non {name}, {url}", Qt.ToolTipRole)

    def current_entry(self) -> LibraryEntry | None:
        path = self.combo.currentData()
        return next((e for e in self._entries if str(e.path) == path), None) if path else None

    def select(self, path: str) -> None:
        index = self.combo.findData(path)
        if index >= 0:
            self.combo.setCurrentIndex(index)
            self._on_index(index)

    def show_model(self, path: str) -> None:
        """Name ``path`` (the model the chat uses, "" for none) without choosing it again: after a load
        refused or failed, or a model deleted, the picker names what answers, like the status bar."""
        self._shown = path
        index = max(self.combo.findData(path), 0) if path else 0
        if (self._entries or self._remote) and index != self.combo.currentIndex():
            self._filling = True
            try:
                self.combo.setCurrentIndex(index)
                self._describe_current()
            finally:
                self._filling = False

    def _on_index(self, index: int) -> None:
        self._describe_current()
        if self._filling:
            return
        key = self.combo.currentData() or ""
        if is_remote_key(key):
            self._shown = key
            self.model_chosen.emit(key, self.combo.itemText(index), None)
            return
        entry = self.current_entry()
        if entry is None or not entry.usable:
            return
        self._shown = key
        self.model_chosen.emit(str(entry.path), entry.display_name, entry.info)

    def _describe_current(self) -> None:
        ref = ModelRef.from_key(self.combo.currentData() or "")
        if ref is None:
            self._show_details(self.current_entry())
            return
        self._show_details(None)
        name = self._remote.get(ref.server, (ref.server,))[0]
        self.details.setText(f"Runs on {name} ({ref.server}): its load settings, chat template and memory are the "
                             "server's.")

    def _show_details(self, entry: LibraryEntry | None) -> None:
        if entry is None:
            self.details.setText("")
        elif entry.usable:
            text = entry.info.summary() + f" · {entry.source}"
            if self._describe_fit is not None:
                text += "\n" + self._describe_fit(entry.info)
            self.details.setText(text)
        else:
            self.details.setText(f"Cannot use this file: {entry.problem}")
        self.details.setProperty("problem", bool(entry and not entry.usable))
