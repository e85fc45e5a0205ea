"""The reply being written: whole in memory, saved while it grows, and saved in the end however long
the disk takes to let it.

Promise 1 with a disk that fills up, a conversation file another program locks, or a data folder
that turns read-only: the reply stays whole on screen and in memory (what the window shows comes
from here, never read back from the store), the user is told at once, and every save that failed
is tried again each RETRY_SECONDS until it lands. The store then holds the full text and the
reply's real ending (done, stopped, failed), not a row left at "streaming".

Saves never wait on a locked file (``wait=False``): this runs on the window's thread, and a save
that fails is tried again anyway.
"""
from __future__ import annotations

import dataclasses
import logging
import time

from PySide6.QtCore import QObject, QTimer, Signal

from app.core import store as states
from app.core.errors import StoreError
from app.core.store import Message, Store

log = logging.getLogger("hearth.chat")

SAVE_SECONDS = 0.3  # a growing reply is saved at most this often
RETRY_SECONDS = 1.0  # a save that failed is tried again this often

TROUBLE = {
    states.FULL: "Hearth cannot save the reply: the disk is full. Free some space; the reply stays on screen "
                 "and is saved as soon as there is room.",
    states.LOCKED: "Hearth cannot save the reply: another program is using the conversation file. The reply "
                   "stays on screen and is saved as soon as the file is free.",
    states.READ_ONLY: "Hearth cannot save the reply: the data folder is read-only. The reply stays on screen "
                      "and is saved as soon as Hearth can write there.",
}
TROUBLE_OTHER = "Hearth cannot save the reply. It stays on screen, and Hearth keeps trying to save it."


class ReplySaver(QObject):
    failed = Signal(str)  # saving stopped working: what to tell the user (once, until it works again)
    recovered = Signal()  # every save that had failed has landed

    def __init__(self, store: Store, parent: QObject | None = None, save_seconds: float = SAVE_SECONDS,
                 retry_seconds: float = RETRY_SECONDS) -> None:
        super().__init__(parent)
        self.store = store
        self.save_seconds = save_seconds
        self.reply: Message | None = None  # the reply being written, as it was when it began
        self.text = ""  # its whole text so far
        self.started_at = 0.0
        self.first_piece_at = 0.0
        self._last_save = 0.0
        self._pending: dict[int, dict] = {}  # message id -> the changes its failed saves still owe the store
        self._failing = False
        self._timer = QTimer(self)
        self._timer.setInterval(int(retry_seconds * 1000))
        self._timer.timeout.connect(self.retry)

    @property
    def unsaved(self) -> list[int]:
        """Messages whose latest changes are not in the store yet."""
        return list(self._pending)

    def begin(self, reply: Message, text: str) -> None:
        """``reply`` (already in the store, streaming) starts being written, from ``text``."""
        self.reply, self.text = reply, text
        self._last_save = self.started_at = time.monotonic()
        self.first_piece_at = 0.0

    def grow(self, text: str) -> None:
        self.text += text
        now = time.monotonic()
        if not self.first_piece_at:
            self.first_piece_at = now
        if now - self._last_save >= self.save_seconds:
            self._last_save = now
            self._save(self.reply.id, {"content": self.text})

    def end(self, status: str, stats: dict, error: str = "") -> Message | None:
        """The reply ends with ``status``: saved with its whole text and figures (or owed to the store
        until it can be). Returns the reply as it ended, built from memory, or None if none was written."""
        reply, self.reply = self.reply, None
        if reply is None:
            return None
        fields = {"content": self.text, "status": status, "error": error,
                  "finish": stats.get("reason", "") if status == states.DONE else ""}
        if self.first_piece_at:  # as the user saw it: from asking to the first words on screen
            fields["first_token_seconds"] = round(self.first_piece_at - self.started_at, 3)
        if stats:
            fields.update(n_tokens=int(stats.get("tokens", 0)),
                          tokens_per_second=float(stats.get("tokens_per_second", 0.0)))
        self._save(reply.id, fields)
        return dataclasses.replace(reply, **fields)

    def shown(self, messages: list[Message]) -> list[Message]:
        """``messages`` read from the store, with what memory knows better: the reply being written and
        the changes still owed to the store."""
        better = []
        for message in messages:
            known = {**self._pending.get(message.id, {}), **self._growing(message.id)}
            better.append(dataclasses.replace(message, **known) if known else message)
        return better

    def retry(self) -> None:
        """Try every save still owed once more."""
        for message_id in list(self._pending):
            self._save(message_id, self._growing(message_id))

    def _growing(self, message_id: int) -> dict:
        return {"content": self.text} if self.reply is not None and self.reply.id == message_id else {}

    def flush(self) -> None:
        """The app is closing: one last try, waiting for a locked file as long as any write does."""
        for message_id in list(self._pending):
            self._save(message_id, {}, wait=True)
        for message_id, fields in self._pending.items():
            log.error("reply %s could not be saved before closing; it keeps what was saved earlier "
                      "(%d characters unsaved)", message_id, len(fields.get("content", "")))
        self._timer.stop()

    def _save(self, message_id: int, fields: dict, wait: bool = False) -> bool:
        owed = {**self._pending.pop(message_id, {}), **fields}
        final = "status" in owed  # the reply's ending: on disk for good, not only in the OS's hands
        try:
            self.store.update_message(message_id, **owed, durable=final, wait=wait)
        except StoreError as error:
            self._pending[message_id] = owed
            if not self._timer.isActive():
                self._timer.start()
            if not self._failing:
                self._failing = True
                log.error("could not save reply %s: %s", message_id, error.detail)
                self.failed.emit(TROUBLE.get(states.cause(error.detail), TROUBLE_OTHER))
            return False
        if not self._pending:
            self._timer.stop()
            if self._failing:
                self._failing = False
                log.info("replies are saved again")
                self.recovered.emit()
        return True
