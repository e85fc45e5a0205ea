"""Read aloud in the chat: a reply's speaker button, and "Read replies aloud" for every new reply.

It follows the chat controller's reply as it streams (``reply_grew``) and hands its whole text so far
to the speaker, which speaks each sentence once it is complete. Widgets only click; this asks the
chat controller for a reply's text (the store, with what is not saved yet).
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from app.core import store as states
from app.core.errors import HearthError

log = logging.getLogger("hearth.read_aloud")


class ReadAloud(QObject):
    reading_changed = Signal(int, bool)  # message id, being read
    status_changed = Signal(str)  # "Speaking…", "Paused", "": what the status bar shows

    def __init__(self, chat, speaker, settings, parent: QObject | None = None, reads_new_replies=None) -> None:
        super().__init__(parent)
        self.chat, self.speaker, self.settings = chat, speaker, settings
        # Whether "Read replies aloud" may take a new reply now (a voice conversation reads its own turns).
        self.reads_new_replies = reads_new_replies or (lambda: True)
        self._following: int | None = None  # the streaming reply being read as it grows
        chat.message_added.connect(self._on_message_added)
        chat.reply_grew.connect(self._on_reply_grew)
        chat.reply_ended.connect(self._on_reply_ended)
        speaker.finished.connect(self._on_finished)
        speaker.speaking_changed.connect(lambda _on: self._show_status())
        speaker.paused_changed.connect(lambda _on: self._show_status())

    @property
    def reading(self) -> int | None:
        return self.speaker.message_id

    def toggle(self, message_id: int) -> None:
        """A reply's speaker button: read it, or stop if it is the one being read."""
        if self.speaker.message_id == message_id:
            self.stop()
        else:
            self.read(message_id)

    def read(self, message_id: int) -> None:
        saver = self.chat.saver
        streaming = saver.reply is not None and saver.reply.id == message_id
        if streaming:
            text = saver.text
        else:
            try:
                text = saver.shown([self.chat.store.message(message_id)])[0].content
            except (HearthError, LookupError) as error:
                log.warning("reply %s to read is gone: %s", message_id, error)
                return
        self._start(message_id)
        self.speaker.feed(message_id, text)
        if streaming:
            self._following = message_id
        else:
            self.speaker.end(message_id)

    def stop(self) -> bool:
        """Esc: stop reading. True if something was being read."""
        if not self.speaker.speaking:
            return False
        self._following = None
        self.speaker.stop()
        return True

    def toggle_pause(self) -> None:
        if self.speaker.paused:
            self.speaker.resume()
        else:
            self.speaker.pause()

    # -- the chat's reply -----------------------------------------------------------------
    def _start(self, message_id: int) -> None:
        previous = self.speaker.message_id
        self.speaker.speak_stream(message_id)
        if previous is not None and previous != message_id:
            self.reading_changed.emit(previous, False)
        if self.speaker.message_id == message_id:
            self.reading_changed.emit(message_id, True)

    def _on_message_added(self, message) -> None:
        if (self.settings.read_aloud and message.role == "assistant" and message.status == states.STREAMING
                and not message.content and message.id != self._following and self.reads_new_replies()):
            self._start(message.id)
            self._following = message.id if self.speaker.message_id == message.id else None

    def _on_reply_grew(self, message_id: int, _text: str) -> None:
        if message_id == self._following:
            self.speaker.feed(message_id, self.chat.saver.text)

    def _on_reply_ended(self, message) -> None:
        if message.id == self._following:
            self._following = None
            self.speaker.feed(message.id, message.content)
            self.speaker.end(message.id)

    def _on_finished(self, message_id: int) -> None:
        if message_id == self._following:
            self._following = None
        self.reading_changed.emit(message_id, False)

    def _show_status(self) -> None:
        if not self.speaker.speaking:
            self.status_changed.emit("")
        else:
            self.status_changed.emit("Paused" if self.speaker.paused else "Speaking…")
