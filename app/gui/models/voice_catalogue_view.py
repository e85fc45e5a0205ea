"""Discover's list of Piper voices: one row per voice, by language, then name, then quality, with its size."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem

from app.core.gguf_info import format_bytes
from app.core.piper_catalogue import VoiceOffer

QUALITY_NOTES = {"x_low": "x-low (16 kHz, smallest)", "low": "low (16 kHz)", "medium": "medium (22 kHz)",
                 "high": "high (22 kHz, largest)"}
INSTALLED = "in your library"


class VoiceCatalogueView(QTreeWidget):
    chosen = Signal(object)  # VoiceOffer

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("voiceCatalogue")
        self.setHeaderLabels(["Voice", "Language", "Quality", "Speakers", "Size"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.header().setSectionResizeMode(1, QHeaderView.Stretch)
        self.header().setStretchLastSection(False)
        self._installed: set[str] = set()
        self.currentItemChanged.connect(self._on_current)

    def show_voices(self, voices: list[VoiceOffer]) -> None:
        self.blockSignals(True)
        self.clear()
        for offer in voices:
            item = QTreeWidgetItem([offer.name, offer.language,
                                    QUALITY_NOTES.get(offer.quality, offer.quality), str(offer.speakers),
                                    format_bytes(offer.size)])
            item.setData(0, Qt.UserRole, offer)
            item.setToolTip(0, offer.key)
            item.setToolTip(1, offer.language_code)
            for column in (3, 4):
                item.setTextAlignment(column, Qt.AlignRight | Qt.AlignVCenter)
            self.addTopLevelItem(item)
        self.blockSignals(False)
        self._mark()
        for column in (0, 2, 3, 4):
            self.resizeColumnToContents(column)

    def set_installed(self, keys: set[str]) -> None:
        self._installed = set(keys)
        self._mark()

    def _mark(self) -> None:
        for index in range(self.topLevelItemCount()):
            item = self.topLevelItem(index)
            offer: VoiceOffer = item.data(0, Qt.UserRole)
            item.setText(0, f"{offer.name} · {INSTALLED}" if offer.key in self._installed else offer.name)

    def keys(self) -> list[str]:
        return [self.topLevelItem(i).data(0, Qt.UserRole).key for i in range(self.topLevelItemCount())]

    def rows(self) -> list[tuple[str, ...]]:
        return [tuple(self.topLevelItem(i).text(c) for c in range(5)) for i in range(self.topLevelItemCount())]

    def choose(self, key: str) -> None:
        for index in range(self.topLevelItemCount()):
            item = self.topLevelItem(index)
            if item.data(0, Qt.UserRole).key == key:
                self.setCurrentItem(item)
                return

    def _on_current(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        if item is not None:
            self.chosen.emit(item.data(0, Qt.UserRole))
