"""Choosing the GGUF model, with what its header says shown before it is loaded."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.core.library import LibraryEntry


class ModelPicker(QWidget):
    model_chosen = Signal(str, str, object)  # path, display name, GGUFInfo

    def __init__(self, parent=None, describe_fit=None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPicker")
        self._describe_fit = describe_fit  # GGUFInfo -> "Fits: needs about …", from the controller
        self.combo = QComboBox()
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
        self._filling = False
        self.combo.currentIndexChanged.connect(self._on_index)

    @property
    def entries(self) -> list[LibraryEntry]:
        return list(self._entries)

    def set_entries(self, entries: list[LibraryEntry], current: str = "") -> None:
        self._filling = True
        try:
            self._entries = list(entries)
            self.combo.clear()
            if not entries:
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
            index = self.combo.findData(current) if current else -1
            self.combo.setCurrentIndex(max(index, 0))
            self._show_details(self.current_entry())
        finally:
            self._filling = False

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
        index = max(self.combo.findData(path), 0) if path else 0
        if self._entries and index != self.combo.currentIndex():
            self._filling = True
            try:
                self.combo.setCurrentIndex(index)
                self._show_details(self.current_entry())
            finally:
                self._filling = False

    def _on_index(self, _index: int) -> None:
        entry = self.current_entry()
        self._show_details(entry)
        if self._filling or entry is None or not entry.usable:
            return
        self.model_chosen.emit(str(entry.path), entry.display_name, entry.info)

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
