"""The sidebar: every conversation, pinned ones first, then the newest; new, pin, rename and delete."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QInputDialog, QListWidget, QListWidgetItem, QMenu, QPushButton,
                               QVBoxLayout, QWidget)

from app.core.store import Conversation
from app.paths import resource


class ConversationList(QWidget):
    new_requested = Signal()
    selected = Signal(int)
    rename_requested = Signal(int, str)
    delete_requested = Signal(int)
    pin_requested = Signal(int, bool)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationList")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.new_button = QPushButton("+  New chat")
        self.new_button.setObjectName("newChatButton")
        self.new_button.clicked.connect(self.new_requested)
        self.list = QListWidget()
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.ElideRight)
        self.list.setUniformItemSizes(True)
        self.list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.currentItemChanged.connect(self._on_current)
        self.list.itemDoubleClicked.connect(lambda item: self.ask_rename(item.data(Qt.UserRole)))
        layout.addWidget(self.new_button)
        layout.addWidget(self.list, 1)
        self._updating = False
        self._pin = QIcon(str(resource("pin.svg")))
        self._pin.addFile(str(resource("pin-selected.svg")), mode=QIcon.Selected)  # on the highlight

    def set_conversations(self, conversations: list[Conversation], current_id: int | None) -> None:
        self._updating = True
        try:
            self.list.clear()
            for conversation in conversations:
                item = QListWidgetItem(conversation.title)
                if conversation.pinned:  # an icon: a pin character needs an emoji font many systems lack
                    item.setIcon(self._pin)
                item.setData(Qt.UserRole, conversation.id)
                item.setData(Qt.UserRole + 1, bool(conversation.pinned))
                item.setToolTip(conversation.title)
                self.list.addItem(item)
                if conversation.id == current_id:
                    self.list.setCurrentItem(item)
        finally:
            self._updating = False

    def select(self, conversation_id: int) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.UserRole) == conversation_id:
                self._updating = True
                self.list.setCurrentItem(item)
                self._updating = False
                return

    def titles(self) -> list[str]:
        return [self.list.item(row).text() for row in range(self.list.count())]

    def _on_current(self, current: QListWidgetItem | None, _previous) -> None:
        if current is not None and not self._updating:
            self.selected.emit(current.data(Qt.UserRole))

    def _menu(self, position) -> None:
        item = self.list.itemAt(position)
        if item is None:
            return
        conversation_id = item.data(Qt.UserRole)
        menu = QMenu(self)
        pinned = bool(item.data(Qt.UserRole + 1))
        menu.addAction("Unpin" if pinned else "Pin to top", lambda: self.pin_requested.emit(conversation_id, not pinned))
        menu.addAction("Rename…", lambda: self.ask_rename(conversation_id))
        menu.addAction("Delete", lambda: self.ask_delete(conversation_id))
        menu.exec(self.list.viewport().mapToGlobal(position))

    def _title_of(self, conversation_id: int) -> str:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.UserRole) == conversation_id:
                return self.list.item(row).toolTip()
        return ""

    def ask_rename(self, conversation_id: int) -> None:
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=self._title_of(conversation_id))
        if ok and title.strip():
            self.rename_requested.emit(conversation_id, title.strip())

    def ask_delete(self, conversation_id: int) -> None:
        """Delete at once: the window offers Undo, which is kinder than a question asked every time."""
        self.delete_requested.emit(conversation_id)
