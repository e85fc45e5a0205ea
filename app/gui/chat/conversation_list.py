"""The sidebar: every conversation, pinned ones first, then the newest, under date headers (Today,
Yesterday, Previous 7 days, Older: app/core/chat_dates.py) with each chat's time; a filter box on top
narrows the rows by title as the user types; new, pin, rename and delete.

Its keys are QActions, so the menus, the context menu and the Keyboard shortcuts window all read them
from here: F2 and Delete act on the selected chat while the list has focus; Next and Previous chat
(Ctrl+Tab, Ctrl+Page Down and back) work anywhere in the window once the window puts them in a menu.
"""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (QInputDialog, QLineEdit, QListWidget, QListWidgetItem, QMenu, QPushButton,
                               QVBoxLayout, QWidget)

from app.core import chat_dates
from app.core.store import Conversation
from app.gui import icons
from app.gui.chat.conversation_rows import (ID_ROLE, PINNED_ROLE, TIME_ROLE, ConversationRowDelegate, header_item,
                                            is_header)
from app.paths import resource


def local_now() -> datetime:
    return datetime.now().astimezone()


class ConversationList(QWidget):
    new_requested = Signal()
    selected = Signal(int)
    rename_requested = Signal(int, str)
    delete_requested = Signal(int)
    pin_requested = Signal(int, bool)

    def __init__(self, parent=None, clock=local_now) -> None:
        super().__init__(parent)
        self.setObjectName("conversationList")
        self.clock = clock  # now, as an aware datetime: which day is "Today" (tests pass a fixed one)
        self._conversations: list[Conversation] = []
        self._current_id: int | None = None  # the open chat, still known while the filter hides its row
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        self.new_button = QPushButton("New chat")
        self.new_button.setObjectName("newChatButton")
        self.new_button.setIcon(icons.icon("new_chat", "on_accent"))
        self.new_button.clicked.connect(self.new_requested)
        self.filter = QLineEdit()
        self.filter.setObjectName("chatFilter")
        self.filter.setPlaceholderText("Filter chats")
        self.filter.setAccessibleName("Filter chats by title")
        self.filter.setClearButtonEnabled(True)
        self.filter_icon = self.filter.addAction(icons.icon("filter"), QLineEdit.LeadingPosition)
        self.filter.textChanged.connect(lambda _text: self._show())
        self.filter.returnPressed.connect(self._open_first_match)
        self.list = QListWidget()
        self.list.setObjectName("chatList")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.ElideRight)
        self.list.setItemDelegate(ConversationRowDelegate(self.list))
        self.list.setIconSize(QSize(14, 14))  # the pin, no taller than the title's letters
        self.list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.currentItemChanged.connect(self._on_current)
        self.list.itemDoubleClicked.connect(lambda item: self.ask_rename(item.data(ID_ROLE)))
        layout.addWidget(self.new_button)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        # "Today" becomes "Yesterday" at midnight without anything else changing: regroup then.
        self._day_timer = QTimer(self)
        self._day_timer.setSingleShot(True)
        self._day_timer.timeout.connect(self._show)
        self._updating = False
        self._pin = QIcon(str(resource("pin.svg")))
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
        return item.data(ID_ROLE) if item is not None and not is_header(item) else None

    def _chat_items(self) -> list[QListWidgetItem]:
        return [item for item in map(self.list.item, range(self.list.count())) if not is_header(item)]

    def step(self, offset: int) -> None:
        """Open the next (1) or previous (-1) chat in the list, round from the end to the start."""
        chats = self._chat_items()
        if chats:
            current = self.list.currentItem()
            index = chats.index(current) if current in chats else (-1 if offset > 0 else 0)
            self.list.setCurrentItem(chats[(index + offset) % len(chats)])

    def _toggle_pin(self) -> None:
        conversation_id = self._target()
        if conversation_id is not None:
            self.pin_requested.emit(conversation_id, not self._pinned(conversation_id))

    def _pinned(self, conversation_id: int) -> bool:
        for item in self._chat_items():
            if item.data(ID_ROLE) == conversation_id:
                return bool(item.data(PINNED_ROLE))
        return False

    def set_conversations(self, conversations: list[Conversation], current_id: int | None) -> None:
        self._conversations = list(conversations)
        self._current_id = current_id
        self._show()

    def _show(self) -> None:
        """The rows for the conversations kept, under their date headers, narrowed by the filter."""
        current_id = self._current_id
        now = self.clock()
        words = self.filter.text().strip().casefold()
        shown = [c for c in self._conversations if words in c.title.casefold()]
        self._updating = True
        try:
            self.list.clear()
            for group in chat_dates.grouped(shown, now):
                self.list.addItem(header_item(group.name))
                for conversation in group.items:
                    self.list.addItem(self._row(conversation, now))
                    if conversation.id == current_id:
                        self.list.setCurrentItem(self.list.item(self.list.count() - 1))
            if words and not shown:
                self.list.addItem(header_item(f"No chat titles contain “{self.filter.text().strip()}”"))
        finally:
            self._updating = False
        self._day_timer.start(int(chat_dates.seconds_to_next_day(now) * 1000))

    def _row(self, conversation: Conversation, now: datetime) -> QListWidgetItem:
        item = QListWidgetItem(conversation.title)
        if conversation.pinned:  # an icon: a pin character needs an emoji font many systems lack
            item.setIcon(self._pin)
        time = chat_dates.time_label(conversation.updated_at, now)
        item.setData(ID_ROLE, conversation.id)
        item.setData(PINNED_ROLE, bool(conversation.pinned))
        item.setData(TIME_ROLE, time)
        item.setData(Qt.AccessibleTextRole, f"{conversation.title}, {time}")
        item.setToolTip(f"{conversation.title}\n{chat_dates.full_time(conversation.updated_at, now)}")
        return item

    def _open_first_match(self) -> None:
        chats = self._chat_items()
        if chats:
            self.list.setCurrentItem(chats[0])
            self.list.setFocus()

    def select(self, conversation_id: int) -> None:
        for item in self._chat_items():
            if item.data(ID_ROLE) == conversation_id:
                self._updating = True
                self.list.setCurrentItem(item)
                self._updating = False
                break
        self._current_id = conversation_id

    def titles(self) -> list[str]:
        """The chats' titles as listed (the filter's matches), headers left out."""
        return [item.text() for item in self._chat_items()]

    def rows(self) -> list[tuple[str, ...]]:
        """What the sidebar shows, top to bottom: ("header", "Today") and ("chat", title, time) rows."""
        return [("header", item.text()) if is_header(item) else ("chat", item.text(), item.data(TIME_ROLE))
                for item in map(self.list.item, range(self.list.count()))]

    def item_of(self, conversation_id: int) -> QListWidgetItem | None:
        return next((item for item in self._chat_items() if item.data(ID_ROLE) == conversation_id), None)

    def _on_current(self, current: QListWidgetItem | None, _previous) -> None:
        if current is not None and not is_header(current) and not self._updating:
            self._current_id = current.data(ID_ROLE)
            self.selected.emit(current.data(ID_ROLE))

    def _menu(self, position) -> None:
        item = self.list.itemAt(position)
        if item is None or is_header(item):
            return
        self._menu_target = item.data(ID_ROLE)
        self.pin_action.setText("Unpin" if self._pinned(self._menu_target) else "&Pin to top")
        menu = QMenu(self)
        menu.addActions([self.pin_action, self.rename_action, self.delete_action])
        try:
            menu.exec(self.list.viewport().mapToGlobal(position))
        finally:
            self._menu_target = None

    def _title_of(self, conversation_id: int) -> str:
        item = self.item_of(conversation_id)
        return item.text() if item is not None else ""

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
