"""The Preferences window (Edit ▸ Preferences): a list of pages on the left, the chosen page on the right.

Pages are plain widgets added with ``add_page``; a page with a ``changed`` signal tells the window when a
setting changed, and the window passes it on once (``changed``) so the app saves settings.json.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QListWidget, QScrollArea, QStackedWidget,
                               QVBoxLayout, QWidget)

from app import APP_NAME


class PreferencesWindow(QDialog):
    changed = Signal()  # a setting changed on one of the pages

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Preferences — {APP_NAME}")
        self.setModal(False)
        self.resize(760, 520)
        self.page_list = QListWidget()
        self.page_list.setObjectName("preferencePages")
        self.page_list.setAccessibleName("Preference pages")
        self.page_list.setMaximumWidth(190)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(self.page_list)
        row.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(buttons)
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)

    def add_page(self, title: str, page: QWidget, index: int | None = None) -> QWidget:
        """Add ``page`` under ``title`` (at ``index`` in the list, or last)."""
        index = self.stack.count() if index is None else max(0, min(index, self.stack.count()))
        holder = QScrollArea()  # a tall page scrolls instead of stretching the window
        holder.setWidgetResizable(True)
        holder.setFrameShape(QScrollArea.NoFrame)
        holder.setWidget(page)
        self.stack.insertWidget(index, holder)
        self.page_list.insertItem(index, title)
        self.pages[title] = page
        signal = getattr(page, "changed", None)
        if signal is not None:
            signal.connect(self.changed)
        if self.page_list.currentRow() < 0:
            self.page_list.setCurrentRow(0)
        return page

    def titles(self) -> list[str]:
        return [self.page_list.item(row).text() for row in range(self.page_list.count())]

    def show_page(self, title: str) -> QWidget:
        self.page_list.setCurrentRow(self.titles().index(title))
        return self.pages[title]

    def current_title(self) -> str:
        item = self.page_list.currentItem()
        return item.text() if item is not None else ""

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)
