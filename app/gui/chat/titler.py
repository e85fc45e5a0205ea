"""Asks the engine for a conversation's title after its first exchange (or a later one, when the
first gave none), and saves it.

One title at a time, and never in the way: asked a moment after a reply ends
(the reply's end has its own drawing to do), and dropped when the user asks
something before it is done (the engine answers one request at a time).
A title replaces only the automatic name; a conversation the user renamed in
the meantime keeps the user's name (the store checks, in the same statement).
"""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from app.core import titles
from app.core.errors import StoreError
from app.core.history import engine_turns
from app.core.store import Message, Store, title_from
from app.backend.model_ref import ModelRef
from app.backend.scheduler import Priority
from app.gui.engine_bridge import EngineBridge

log = logging.getLogger("hearth.chat")

DELAY_MS = 300


class Titler(QObject):
    titled = Signal(int, str)  # conversation id, its new title

    def __init__(self, store: Store, engine: EngineBridge, parent: QObject | None = None,
                 model: Callable[[], ModelRef | None] = lambda: None) -> None:
        super().__init__(parent)
        self.store = store
        self.engine = engine
        self.model = model  # the model that wrote the conversation: it names it too
        self._request = 0
        self._conversation = 0
        self._replaces = ""  # the automatic name a title may replace
        self._user_text = ""
        self._answer = ""
        # Conversations that need no title from now on: the model was asked (titled or not), or they
        # already have a name other than their opening words. Checked first, so a long conversation's
        # later replies do not read it back from disk again.
        self.settled: set[int] = set()
        self._pending: Message | None = None  # a reply after which a title may be asked for
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self._ask_after_reply)
        engine.piece_received.connect(self._on_piece)
        engine.reply_finished.connect(self._on_finished)
        engine.request_failed.connect(self._on_failed)
        engine.crashed.connect(lambda _message, _ids: self._end())

    @property
    def busy(self) -> bool:
        """A title is being written."""
        return bool(self._request)

    @property
    def titling(self) -> bool:
        """A title is being written, or about to be asked for."""
        return self._pending is not None or self.busy

    def after(self, reply: Message) -> None:
        """``reply`` has ended (done or stopped): a moment later, name its conversation if it needs a name."""
        self._pending = reply
        self._timer.start()

    def drop(self) -> None:
        """No title for now: not the one about to be asked for, nor the one being written."""
        self._timer.stop()
        self._pending = None
        if self._request:
            self.engine.cancel(self._request)
            self._end()

    def _ask_after_reply(self) -> None:
        """Ask while the conversation still has the name of its opening words.

        After the first exchange as a rule (a reply the user stopped counts); after a later one when the
        first gave none (its title gave way to the user's next turn, or its reply was empty). A
        conversation the user renamed keeps its name, and one the model was asked to name is not asked again."""
        reply, self._pending = self._pending, None
        if reply is None or not reply.content.strip() or reply.conversation_id in self.settled:
            return
        try:
            conversation = self.store.conversation(reply.conversation_id)
            opening = next((message for message in self.store.messages(conversation.id) if message.role == "user"),
                           None)
            if opening is None:
                return
            if conversation.title != title_from(opening.content):  # named by the model or the user
                self.settled.add(conversation.id)
                return
            history = engine_turns(self.store, conversation.id)  # as it was sent for the reply just written
        except StoreError:
            return
        self._conversation, self._replaces, self._user_text, self._answer = \
            conversation.id, conversation.title, opening.content, ""
        # Behind everything else: a user's turn or an API client's request that comes meanwhile goes first.
        self._request = self.engine.chat(titles.request_messages(history), dict(titles.PARAMS),
                                         Priority.BACKGROUND, self.model())

    def _on_piece(self, request_id: int, text: str, _n: int) -> None:
        if request_id == self._request:
            self._answer += text

    def _on_finished(self, request_id: int, reason: str, _stats: dict) -> None:
        if request_id != self._request:
            return
        if reason == "cancelled":
            self._end()  # the user's turn came first: asked again after a later reply
            return
        self.settled.add(self._conversation)
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
            self.settled.add(self._conversation)
            self._end()

    def _end(self) -> None:
        self._request, self._conversation = 0, 0
