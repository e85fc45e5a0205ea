"""One message in the conversation: who said it, what was said, how it ended, and what can be done with it.

Replies show as Markdown; while one streams it is re-rendered at most every
RENDER_EVERY_MS, and only this message: the rest of the conversation is never
touched by a growing reply.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QToolButton, QVBoxLayout,
                               QWidget)

from app.core import overflow, sampling
from app.core import store as states
from app.core.store import ROLE_NAMES, Message
from app.gui.chat.message_body import MessageBody

STATUS_TEXT = {
    states.STREAMING: "Writing…",  # a line kept for the figures that follow: nothing jumps when they come
    states.STOPPED: "Stopped",
    states.INTERRUPTED: "Interrupted: Hearth closed before this reply finished",
    states.ERROR: "Failed",
    states.DONE: "",
}
RENDER_EVERY_MS = 120


def _tool(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setAutoRaise(True)
    button.setObjectName("messageAction")
    button.setFocusPolicy(Qt.NoFocus)  # the chat is one Tab stop, not a walk through every message's buttons
    return button


def stats_line(message: Message) -> str:
    parts = []
    if message.n_tokens:
        parts.append(f"{message.n_tokens} tokens")
    if message.first_token_seconds:
        parts.append(f"first words in {message.first_token_seconds:.2f} s")
    if message.tokens_per_second:
        parts.append(f"{message.tokens_per_second:.1f} tok/s")
    if message.model:
        parts.append(message.model)
    return " · ".join(parts)


def settings_text(options: dict) -> str:
    """The settings a reply was written with, as the settings dialog names them."""
    parts = []
    for option in sampling.OPTIONS:
        if option.key in options:
            value = options[option.key]
            parts.append(f"{option.label} {'random' if value is None else value}")
    policy = overflow.clean(options.get(overflow.KEY))
    if policy:
        parts.append(f"when the context is full: {overflow.LABELS[policy].lower()}")
    return "Written with " + ", ".join(parts) if parts else ""


class MessageWidget(QFrame):
    edit_requested = Signal(int, str)  # message id, the new text
    regenerate_requested = Signal(int)
    continue_requested = Signal(int)
    retry_requested = Signal(int)
    delete_requested = Signal(int)
    version_requested = Signal(int, int)  # message id, -1 or +1
    speak_requested = Signal(int)  # read this reply aloud, or stop reading it

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

        top = QHBoxLayout()
        top.setSpacing(2)
        layout.addLayout(top)  # first: a widget shown before it has a parent would open as a window
        self.header = QLabel(ROLE_NAMES.get(message.role, message.role))
        self.header.setObjectName("messageHeader")
        top.addWidget(self.header)
        top.addStretch(1)
        self.previous_button = _tool("◀", "Previous version")
        self.version_label = QLabel()
        self.version_label.setObjectName("versionLabel")
        self.next_button = _tool("▶", "Next version")
        self.copy_button = _tool("Copy", "Copy this message")
        self.speak_button = _tool("Read aloud", "Read this reply aloud (Esc stops)")
        self.edit_button = _tool("Edit", "Edit and send again (the current version is kept)")
        self.regenerate_button = _tool("Regenerate", "Write this reply again (the current version is kept)")
        self.continue_button = _tool("Continue", "Write on from where the reply stopped")
        self.retry_button = _tool("Retry", "Write this reply again")
        self.delete_button = _tool("Delete", "Delete this message")
        # The actions sit at the right; the ones that come and go (Retry, Continue, the versions) come
        # first, so that showing one grows the row leftwards and no button moves under the pointer.
        for widget in (self.retry_button, self.continue_button, self.previous_button, self.version_label,
                       self.next_button, self.speak_button, self.copy_button, self.edit_button, self.regenerate_button,
                       self.delete_button):
            top.addWidget(widget)
        self.edit_button.setVisible(message.role == "user")
        self.regenerate_button.setVisible(message.role == "assistant")
        self.speak_button.setVisible(message.role == "assistant")

        self.body = MessageBody()
        self.body.copy_requested.connect(lambda text: QGuiApplication.clipboard().setText(text))
        if message.role == "user":
            palette = self.body.palette()
            palette.setColor(QPalette.Base, palette.color(QPalette.AlternateBase))
            self.body.setPalette(palette)
        self.editor = QWidget(self)
        edit_layout = QVBoxLayout(self.editor)
        edit_layout.setContentsMargins(0, 0, 0, 0)
        self.edit_box = QPlainTextEdit()
        self.edit_box.setObjectName("editBox")
        self.edit_box.setTabChangesFocus(True)  # Tab goes on to Cancel and Send, as in the message box
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_edit_button = QPushButton("Cancel")
        self.save_edit_button = QPushButton("Send")
        self.save_edit_button.setDefault(True)
        buttons.addWidget(self.cancel_edit_button)
        buttons.addWidget(self.save_edit_button)
        edit_layout.addWidget(self.edit_box)
        edit_layout.addLayout(buttons)
        self.editor.hide()

        self.footer = QLabel()
        self.footer.setObjectName("messageFooter")
        self.footer.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.body)
        layout.addWidget(self.editor)
        layout.addWidget(self.footer)

        self._render_timer = QTimer(self, singleShot=True, interval=RENDER_EVERY_MS)
        self._render_timer.timeout.connect(self._render)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self._text))
        self.edit_button.clicked.connect(lambda: self.start_edit())
        self.cancel_edit_button.clicked.connect(self.cancel_edit)
        self.save_edit_button.clicked.connect(self._save_edit)
        self.regenerate_button.clicked.connect(lambda: self.regenerate_requested.emit(self.message_id))
        self.speak_button.clicked.connect(lambda: self.speak_requested.emit(self.message_id))
        self.continue_button.clicked.connect(lambda: self.continue_requested.emit(self.message_id))
        self.retry_button.clicked.connect(lambda: self.retry_requested.emit(self.message_id))
        self.delete_button.clicked.connect(lambda: self.delete_requested.emit(self.message_id))
        self.previous_button.clicked.connect(lambda: self.version_requested.emit(self.message_id, -1))
        self.next_button.clicked.connect(lambda: self.version_requested.emit(self.message_id, 1))

        self._text = message.content
        self._status = message.status
        self._shown: str | None = None
        self._version = (1, 1)
        self._last = True  # only the newest message of the branch can be continued
        self._render()
        self.set_status(message)
        self.set_versions([message.id])

    @property
    def text(self) -> str:
        return self._text

    @property
    def status_text(self) -> str:
        return self.footer.text()

    @property
    def version_text(self) -> str:
        return "" if self.version_label.isHidden() else self.version_label.text()

    # -- streaming ------------------------------------------------------------------------
    def append(self, text: str) -> None:
        self._text += text
        if not self._render_timer.isActive():
            self._render_timer.start()

    def _render(self) -> None:
        if self.role == "assistant" and self._status == states.STREAMING and not self._text:
            shown = "…"
        else:
            shown = self._text
        if shown == self._shown:
            return  # e.g. a reply that ends: its last words are already on screen
        self._shown = shown
        if self.role == "assistant" and shown != "…":
            self.body.set_markdown(shown, growing=self._status == states.STREAMING)
        else:
            self.body.set_plain_text(shown)

    # -- what the view sets -------------------------------------------------------------------
    def set_status(self, message: Message) -> None:
        changed = message.content != self._text or message.status != self._status
        self._text, self._status = message.content, message.status
        if changed:
            self._render_timer.stop()
            self._render()
        streaming = message.status == states.STREAMING
        parts = []
        label = STATUS_TEXT.get(message.status, message.status)
        if label:
            parts.append(label)
        if message.status == states.ERROR and message.error:
            parts.append(message.error)
        if message.finish == "length":
            parts.append("Stopped at the token limit")
        if message.status in (states.DONE, states.STOPPED):
            stats = stats_line(message)
            if stats:
                parts.append(stats)
        self.footer.setText(" · ".join(parts))
        self.footer.setVisible(bool(parts))
        self.footer.setToolTip(settings_text(message.options))
        self._can_continue = (message.role == "assistant" and not streaming and bool(message.content)
                              and (message.finish == "length" or message.status in
                                   (states.STOPPED, states.INTERRUPTED)))
        self.continue_button.setVisible(self._can_continue and self._last)
        self.retry_button.setVisible(message.role == "assistant" and message.status == states.ERROR)
        self.setProperty("status", message.status)
        self._update_buttons()

    def set_versions(self, versions: list[int]) -> None:
        """The ids of this message's versions (itself among them): shows "◀ 2/3 ▶" when there are several."""
        several = len(versions) > 1
        index = versions.index(self.message_id) if self.message_id in versions else 0
        self._version = (index + 1, len(versions))
        self.version_label.setText(f"{index + 1}/{len(versions)}")
        for widget in (self.previous_button, self.version_label, self.next_button):
            widget.setVisible(several)
        self._update_buttons()

    def _update_buttons(self) -> None:
        """A reply being written cannot be edited, copied or deleted yet; other messages always can
        (the controller answers a click during a reply with a notice). Each change restyles a
        button, so only real changes are made: a reply ending must not restyle the whole column."""
        streaming = self._status == states.STREAMING
        current, total = self._version
        wanted = {self.copy_button: not streaming, self.edit_button: not streaming,
                  self.regenerate_button: not streaming, self.delete_button: not streaming,
                  self.previous_button: not streaming and current > 1,
                  self.next_button: not streaming and current < total}
        for button, enabled in wanted.items():
            if button.isEnabled() != enabled:
                button.setEnabled(enabled)

    def set_last(self, last: bool) -> None:
        self._last = last
        self.continue_button.setVisible(self._can_continue and last)

    def set_reading(self, reading: bool) -> None:
        """The speaker button says what a click will do: read this reply, or stop reading it."""
        self.speak_button.setText("Stop reading" if reading else "Read aloud")

    def set_found(self, found: bool) -> None:
        self.setProperty("found", found)
        self.style().unpolish(self)
        self.style().polish(self)

    # -- editing ----------------------------------------------------------------------------
    def start_edit(self, text: str | None = None) -> None:
        self.edit_box.setPlainText(self._text if text is None else text)
        self.body.hide()
        self.editor.show()
        self.edit_box.setFocus()
        self.edit_box.selectAll()

    def cancel_edit(self) -> None:
        self.editor.hide()
        self.body.show()

    @property
    def editing(self) -> bool:
        return not self.editor.isHidden()

    def _save_edit(self) -> None:
        text = self.edit_box.toPlainText().strip()
        if text:
            self.cancel_edit()
            self.edit_requested.emit(self.message_id, text)
