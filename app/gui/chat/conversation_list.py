"""The sidebar: every conversation, pinned ones first, then the newest; new, pin, rename and delete.

Its keys are QActions, so the menus, the context menu and the Keyboard shortcuts window all read them
from here: F2 and Delete act on the selected chat while the list has focus; Next and Previous chat
(Ctrl+Tab, Ctrl+Page Down and back) work anywhere in the window once the window puts them in a menu.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence
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
        self._menu_target: int | None = None  # the row a context menu was opened on
        self.rename_dialog: QInputDialog | None = None
        self.rename_action = self._list_action("&Rename…", QKeySequence(Qt.Key_F2),
                                               lambda: self.ask_rename(self._target()))
        self.delete_action = self._list_action("&Delete", QKeySequence(QKeySequence.Delete),
                                               lambda: self.ask_delete(self._target()))
        self.pin_action = self._list_action("&Pin to top", QKeySequence(), self._toggle_pin)
        self.next_action = QAction("&Next chat", self, triggered=lambda: self.step(1))
        self.next_action.setShortcuts([QKeySequence("Ctrl+Tab"), QKeySequence("Ctrl+PgDown")])
        self.previous_action = QAction("&Previous chat", self, triggered=lambda: self.step(-1))
        self.previous_action.setShortcuts([QKeySequence("Ctrl+Shift+Tab"), QKeySequence("Ctrl+PgUp")])

    def _list_action(self, text: str, keys: QKeySequence, slot) -> QAction:
        """An action on the selected chat, whose key works while the list has focus (Delete must not
        reach past it: in the message box it deletes a character)."""
        action = QAction(text, self.list, shortcut=keys, triggered=slot)
        action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
        self.list.addAction(action)
        return action

    def _target(self) -> int | None:
        if self._menu_target is not None:
            return self._menu_target
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item is not None else None

    def step(self, offset: int) -> None:
        """Open the next (1) or previous (-1) chat in the list, round from the end to the start."""
        count = self.list.count()
        if count:
            self.list.setCurrentRow((max(self.list.currentRow(), 0) + offset) % count)

    def _toggle_pin(self) -> None:
        conversation_id = self._target()
        if conversation_id is not None:
            self.pin_requested.emit(conversation_id, not self._pinned(conversation_id))

    def _pinned(self, conversation_id: int) -> bool:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.UserRole) == conversation_id:
                return bool(self.list.item(row).data(Qt.UserRole + 1))
        return False

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
        self._menu_target = item.data(Qt.UserRole)
        self.pin_action.setText("Unpin" if self._pinned(self._menu_target) else "&Pin to top")
        menu = QMenu(self)
        menu.addActions([self.pin_action, self.rename_action, self.delete_action])
        try:
            menu.exec(self.list.viewport().mapToGlobal(position))
        finally:
            self._menu_target = None

    def _title_of(self, conversation_id: int) -> str:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.UserRole) == conversation_id:
                return self.list.item(row).toolTip()
        return ""

    def ask_rename(self, conversation_id: int | None) -> None:
        """Ask for a new title in a window-modal dialog that does not block the event loop."""
        if conversation_id is None:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Rename conversation")
        dialog.setLabelText("Title:")
        dialog.setTextValue(self._title_of(conversation_id))
        dialog.textValueSelected.connect(
            lambda title: title.strip() and self.rename_requested.emit(conversation_id, title.strip()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.finished.connect(lambda _result: self.list.setFocus())
        self.rename_dialog = dialog  # tests type into it
        dialog.open()

    def ask_delete(self, conversation_id: int | None) -> None:
        """Delete at once: the window offers Undo, which is kinder than a question asked every time."""
        if conversation_id is not None:
            self.delete_requested.emit(conversation_id)
