"""The conversation as the user reads it: a scrolling column of messages."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from app.core.store import Message
from app.gui.chat.message_widget import MessageWidget


class ChatView(QScrollArea):
    link_activated = Signal(str)  # a link in the placeholder text

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self._column = QWidget()
        self._layout = QVBoxLayout(self._column)
        self._layout.setContentsMargins(16, 16, 16, 16)
        self._layout.setSpacing(10)
        self._placeholder = QLabel()
        self._placeholder.setObjectName("chatPlaceholder")
        self._placeholder.setAlignment(Qt.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._placeholder.setTextFormat(Qt.RichText)
        self._placeholder.linkActivated.connect(self.link_activated)
        self._layout.addWidget(self._placeholder)
        self._layout.addStretch(1)
        self.setWidget(self._column)
        self._widgets: dict[int, MessageWidget] = {}
        self._follow = True
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.set_placeholder("")

    # -- what the window calls --------------------------------------------------------
    def set_placeholder(self, html: str) -> None:
        self._placeholder.setText(html)
        self._placeholder.setVisible(bool(html) and not self._widgets)

    def show_messages(self, messages: list[Message]) -> None:
        for widget in self._widgets.values():
            widget.deleteLater()
        self._widgets.clear()
        for message in messages:
            self._add(message)
        self._placeholder.setVisible(bool(self._placeholder.text()) and not self._widgets)
        self._follow = True
        QTimer.singleShot(0, self._scroll_to_end)

    def add_message(self, message: Message) -> None:
        self._add(message)
        self._placeholder.hide()
        self._follow = True

    def append_text(self, message_id: int, text: str) -> None:
        widget = self._widgets.get(message_id)
        if widget is not None:
            widget.append(text)

    def update_message(self, message: Message) -> None:
        widget = self._widgets.get(message.id)
        if widget is not None:
            widget.set_status(message)

    # -- what tests and accessibility read --------------------------------------------
    def message_widgets(self) -> list[MessageWidget]:
        return [self._widgets[key] for key in sorted(self._widgets)]

    def transcript(self) -> str:
        return "\n\n".join(f"{w.header.text()}: {w.text}" for w in self.message_widgets())

    # -- internals ----------------------------------------------------------------------
    def _add(self, message: Message) -> None:
        widget = MessageWidget(message, self._column)
        self._widgets[message.id] = widget
        self._layout.insertWidget(self._layout.count() - 1, widget)

    def _on_scrolled(self, value: int) -> None:
        # Follow new text only while the user is at the bottom; scrolling up to read stops it.
        self._follow = value >= self.verticalScrollBar().maximum() - 24

    def _on_range_changed(self, _minimum: int, _maximum: int) -> None:
        if self._follow:
            self._scroll_to_end()

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
