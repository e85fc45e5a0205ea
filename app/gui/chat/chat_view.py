"""The conversation as the user reads it: a scrolling column of messages.

A long conversation opens at its end at once: only the newest PAGE messages
get widgets; older ones are built a page at a time when the user scrolls to
the top (or a search hit needs one). Building 2,000 rendered messages up front
took seconds; a page takes a few hundredths (``bench/ui_latency.py``).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app.core.store import Message
from app.gui.chat.message_widget import MessageWidget

PAGE = 30
# Lines of text stay this many characters wide at most: a wide window centres the column instead
# of stretching every line across it (70-80 characters is the comfortable measure for reading).
READING_CHARACTERS = 80
MESSAGE_PADDING = 26  # a message's own margins and frame, around its text


class ChatView(QScrollArea):
    link_activated = Signal(str)  # a link in the placeholder text
    edit_requested = Signal(int, str)
    regenerate_requested = Signal(int)
    continue_requested = Signal(int)
    retry_requested = Signal(int)
    delete_requested = Signal(int)
    version_requested = Signal(int, int)
    speak_requested = Signal(int)  # a reply's speaker button

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
        self._column = QWidget()
        self._layout = QVBoxLayout(self._column)
        self._layout.setContentsMargins(16, 16, 16, 16)
        self._layout.setSpacing(10)
        self.earlier_button = QPushButton()
        self.earlier_button.setObjectName("earlierButton")
        self.earlier_button.setFlat(True)
        self.earlier_button.setFocusPolicy(Qt.NoFocus)  # the view is one Tab stop; scrolling up shows more
        self.earlier_button.clicked.connect(self.show_earlier)
        self._layout.addWidget(self.earlier_button, 0, Qt.AlignHCenter)
        self._placeholder = QLabel()
        self._placeholder.setObjectName("chatPlaceholder")
        self._placeholder.setAlignment(Qt.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._placeholder.setTextFormat(Qt.RichText)
        self._placeholder.linkActivated.connect(self.link_activated)
        self._layout.addWidget(self._placeholder)
        self._start: QWidget | None = None  # what an empty chat offers (the window's welcome and suggestions)
        self._start_wanted = False
        self._layout.addStretch(1)
        self.setWidget(self._column)
        self._messages: list[Message] = []  # the whole branch on screen
        self._first_built = 0  # index in _messages of the oldest message with a widget
        self._widgets: dict[int, MessageWidget] = {}
        self._versions: dict[int, list[int]] = {}
        self._found: MessageWidget | None = None
        self._follow = True
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.set_placeholder("")
        self._update_earlier()
        self._fit_reading_width()

    # -- what the window calls --------------------------------------------------------
    def set_placeholder(self, html: str) -> None:
        self._placeholder.setText(html)
        self._update_empty()

    def set_start(self, panel: QWidget) -> None:
        """The panel an empty chat shows under the placeholder (once; ``show_start`` says when)."""
        self._start = panel
        self._layout.insertWidget(self._layout.indexOf(self._placeholder) + 1, panel)
        self._update_empty()

    def show_start(self, shown: bool) -> None:
        self._start_wanted = shown
        self._update_empty()

    def _update_empty(self) -> None:
        empty = not self._widgets
        self._placeholder.setVisible(empty and bool(self._placeholder.text()))
        if self._start is not None:
            self._start.setVisible(empty and self._start_wanted)
            if empty and self._start_wanted:  # read from its top, not followed to its end like a reply
                self._follow = False
                QTimer.singleShot(0, lambda: self.verticalScrollBar().setValue(0))

    def show_messages(self, messages: list[Message], versions: dict[int, list[int]] | None = None) -> None:
        for widget in self._widgets.values():
            widget.hide()
            widget.deleteLater()
        self._widgets.clear()
        self._found = None
        self._messages = list(messages)
        self._versions = versions or {}
        self._first_built = max(0, len(self._messages) - PAGE)
        for message in self._messages[self._first_built:]:
            self._add(message)
        self._update_earlier()
        self._follow = True
        QTimer.singleShot(0, self._scroll_to_end)
        self._update_empty()  # an empty chat's panel is read from the top: after the scroll to the end

    def add_message(self, message: Message) -> None:
        if message.id in self._widgets:  # a reply being continued: it is already on screen
            self.update_message(message)
            return
        self._messages.append(message)
        self._add(message)
        self._update_empty()
        self._follow = True

    def append_text(self, message_id: int, text: str) -> None:
        widget = self._widgets.get(message_id)
        if widget is not None:
            widget.append(text)

    def update_message(self, message: Message) -> None:
        widget = self._widgets.get(message.id)
        if widget is not None:
            widget.set_status(message)

    def show_earlier(self) -> None:
        """Build the page of messages before the oldest one shown, keeping the reader's place."""
        if self._first_built == 0:
            return
        bar = self.verticalScrollBar()
        from_bottom = bar.maximum() - bar.value()
        start = max(0, self._first_built - PAGE)
        for offset, message in enumerate(self._messages[start:self._first_built]):
            self._add(message, position=1 + offset)
        self._first_built = start
        self._update_earlier()
        self._column.adjustSize()
        self._follow = False
        QTimer.singleShot(0, lambda: bar.setValue(bar.maximum() - from_bottom))

    def focus_message(self, message_id: int) -> bool:
        """Scroll to a message and mark it (a search hit); False if it is not in the branch on screen."""
        if not any(m.id == message_id for m in self._messages):
            return False
        while message_id not in self._widgets:
            self.show_earlier()
        if self._found is not None:
            self._found.set_found(False)
        self._found = self._widgets[message_id]
        self._found.set_found(True)
        self._follow = False
        QTimer.singleShot(0, lambda: self.ensureWidgetVisible(self._found, 0, 40))
        return True

    def last_user_message(self) -> MessageWidget | None:
        users = [w for w in self.message_widgets() if w.role == "user"]
        return users[-1] if users else None

    # -- what tests and accessibility read --------------------------------------------
    def message_widgets(self) -> list[MessageWidget]:
        return [self._widgets[key] for key in sorted(self._widgets)]

    def widget_of(self, message_id: int) -> MessageWidget | None:
        return self._widgets.get(message_id)

    @property
    def found(self) -> MessageWidget | None:
        return self._found

    def transcript(self) -> str:
        return "\n\n".join(f"{w.header.text()}: {w.text}" for w in self.message_widgets())

    # -- internals ----------------------------------------------------------------------
    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.FontChange:
            self._fit_reading_width()

    def _fit_reading_width(self) -> None:
        margins = self._layout.contentsMargins()
        text = self.fontMetrics().averageCharWidth() * READING_CHARACTERS
        self._column.setMaximumWidth(text + MESSAGE_PADDING + margins.left() + margins.right())

    def _add(self, message: Message, position: int | None = None) -> None:
        if position is None and self._widgets:
            self._widgets[max(self._widgets)].set_last(False)
        widget = MessageWidget(message, self._column)
        widget.set_last(position is None)
        widget.set_versions(self._versions.get(message.id, [message.id]))
        widget.edit_requested.connect(self.edit_requested)
        widget.regenerate_requested.connect(self.regenerate_requested)
        widget.continue_requested.connect(self.continue_requested)
        widget.retry_requested.connect(self.retry_requested)
        widget.delete_requested.connect(self.delete_requested)
        widget.version_requested.connect(self.version_requested)
        widget.speak_requested.connect(self.speak_requested)
        self._widgets[message.id] = widget
        index = self._layout.count() - 1 if position is None else position
        self._layout.insertWidget(index, widget)

    def _update_earlier(self) -> None:
        hidden = self._first_built
        self.earlier_button.setText(f"Show {min(PAGE, hidden)} earlier messages ({hidden} in all)")
        self.earlier_button.setVisible(hidden > 0)

    def _on_scrolled(self, value: int) -> None:
        # Follow new text only while the user is at the bottom; scrolling up to read stops it.
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 24
        if value == 0 and bar.maximum() > 0 and self._first_built > 0:
            QTimer.singleShot(0, self.show_earlier)

    def _on_range_changed(self, _minimum: int, _maximum: int) -> None:
        if self._follow:
            self._scroll_to_end()

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
