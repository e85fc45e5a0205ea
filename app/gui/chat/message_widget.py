"""One message in the conversation: who said it, what was said, how it ended."""
from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout

from app.core import store as states
from app.core.store import Message
from app.gui.chat.message_body import MessageBody

ROLE_NAMES = {"user": "You", "assistant": "Assistant", "system": "System"}
STATUS_TEXT = {
    states.STREAMING: "",
    states.STOPPED: "Stopped",
    states.INTERRUPTED: "Interrupted: Hearth closed before this reply finished",
    states.ERROR: "Failed",
    states.DONE: "",
}


class MessageWidget(QFrame):
    def __init__(self, message: Message, parent=None) -> None:
        super().__init__(parent)
        self.message_id = message.id
        self.role = message.role
        self.setObjectName(f"message-{message.role}")
        self.setProperty("role", message.role)
        self.setFrameShape(QFrame.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        self.header = QLabel(ROLE_NAMES.get(message.role, message.role))
        self.header.setObjectName("messageHeader")
        self.body = MessageBody()
        if message.role == "user":
            palette = self.body.palette()
            palette.setColor(QPalette.Base, palette.color(QPalette.AlternateBase))
            self.body.setPalette(palette)
        self.footer = QLabel()
        self.footer.setObjectName("messageFooter")
        layout.addWidget(self.header)
        layout.addWidget(self.body)
        layout.addWidget(self.footer)
        self._text = message.content
        self.body.set_plain_text(self._text)
        self.set_status(message)

    @property
    def text(self) -> str:
        return self._text

    @property
    def status_text(self) -> str:
        return self.footer.text()

    def append(self, text: str) -> None:
        if not self._text:
            self.body.set_plain_text("")  # drop the "…" shown while waiting for the first words
        self._text += text
        self.body.append_plain_text(text)

    def set_status(self, message: Message) -> None:
        if message.content != self._text:
            self._text = message.content
            self.body.set_plain_text(self._text)
        if message.role == "assistant" and message.status == states.STREAMING and not self._text:
            self.body.set_plain_text("…")
        parts = []
        label = STATUS_TEXT.get(message.status, message.status)
        if label:
            parts.append(label)
        if message.status == states.ERROR and message.error:
            parts.append(message.error)
        if message.status in (states.DONE, states.STOPPED) and message.n_tokens:
            parts.append(f"{message.n_tokens} tokens · {message.tokens_per_second:.1f} tok/s")
        self.footer.setText(" · ".join(parts))
        self.footer.setVisible(bool(parts))
        self.setProperty("status", message.status)
