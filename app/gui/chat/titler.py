"""Asks the engine for a conversation's title after its first exchange (or a later one, when the
first gave none), and saves it.

One title at a time, and never in the way: the chat cancels it when the user
asks something before it is done (the engine answers one request at a time).
A title replaces only the automatic name; a conversation the user renamed in
the meantime keeps the user's name (the store checks, in the same statement).
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from app.core import titles
from app.core.errors import StoreError
from app.core.store import Store
from app.gui.engine_bridge import EngineBridge

log = logging.getLogger("hearth.chat")


class Titler(QObject):
    titled = Signal(int, str)  # conversation id, its new title

    def __init__(self, store: Store, engine: EngineBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.engine = engine
        self._request = 0
        self._conversation = 0
        self._replaces = ""  # the automatic name a title may replace
        self._user_text = ""
        self._answer = ""
        self.tried: set[int] = set()  # conversations the model has been asked to name, titled or not
        engine.piece_received.connect(self._on_piece)
        engine.reply_finished.connect(self._on_finished)
        engine.request_failed.connect(self._on_failed)
        engine.crashed.connect(lambda _message, _ids: self._end())

    @property
    def busy(self) -> bool:
        return bool(self._request)

    def request(self, conversation_id: int, history: list[dict], user_text: str, replaces: str) -> None:
        """``history``: the conversation as the engine was sent it for the reply just written."""
        self.cancel()
        self._conversation, self._replaces, self._user_text, self._answer = \
            conversation_id, replaces, user_text, ""
        self._request = self.engine.chat(titles.request_messages(history), dict(titles.PARAMS))

    def cancel(self) -> None:
        if self._request:
            self.engine.cancel(self._request)
            self._end()

    def _on_piece(self, request_id: int, text: str, _n: int) -> None:
        if request_id == self._request:
            self._answer += text

    def _on_finished(self, request_id: int, reason: str, _stats: dict) -> None:
        if request_id != self._request:
            return
        if reason == "cancelled":
            self._end()  # the user's turn came first: asked again after a later reply
            return
        self.tried.add(self._conversation)
        title = titles.clean(self._answer, self._user_text)
        log.info("title for conversation %s: %r -> %r", self._conversation, self._answer, title)
        if title:
            try:
                if self.store.retitle(self._conversation, title, replaces=self._replaces):
                    self.titled.emit(self._conversation, title)
            except StoreError as error:
                log.warning("could not save the title: %s", error.detail)
        self._end()

    def _on_failed(self, request_id: int, message: str, _detail: str) -> None:
        if request_id == self._request:
            log.info("no title: %s", message)
            self.tried.add(self._conversation)
            self._end()

    def _end(self) -> None:
        self._request, self._conversation = 0, 0
