"""The chat's rules in motion: conversations, the turn being generated, the model's state.

Order matters for promise 1: the user's turn is committed to the store
before the engine hears of it, and the reply is saved while it grows and once
more when it ends (``ReplySaver``, which also keeps trying when the disk refuses).
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from app.core import overflow, sampling
from app.core import store as states
from app.core.errors import StoreError
from app.core.history import engine_turns
from app.core.store import Conversation, Message, Store
from app.gui.chat.conversation_files import ConversationFiles
from app.gui.chat.reply_saver import ReplySaver
from app.gui.chat.titler import Titler
from app.gui.engine_bridge import EngineBridge
from app.gui.model_controller import READY, ModelController
from app.settings import Settings

log = logging.getLogger("hearth.chat")

WAIT_FOR_REPLY = "A reply is being written: wait for it to finish, or stop it (Esc)."
CHOOSE_MODEL = "Choose a model first: pick one above, or open a GGUF file."


class ChatController(QObject):
    conversations_changed = Signal(list)  # [Conversation]
    conversation_opened = Signal(object, list)  # Conversation, [Message]
    message_added = Signal(object)  # Message
    reply_grew = Signal(int, str)  # message id, new text
    reply_ended = Signal(object)  # the final Message
    busy_changed = Signal(bool)
    speed_measured = Signal(float)  # tokens per second of the last reply
    error_raised = Signal(str)
    notice_raised = Signal(str)
    model_needed = Signal(str)  # a reply was asked for with no model chosen: what to tell the user
    conversation_deleted = Signal(int, str)  # id, title: deleted, still undoable
    message_focused = Signal(int)  # a message to scroll to and mark (a search hit)
    context_measured = Signal(int, int)  # tokens the conversation takes, the context window (0: not known)

    def __init__(self, store: Store, engine: EngineBridge, models: ModelController, settings: Settings,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.engine = engine
        self.models = models  # which model answers, and its state
        self.settings = settings
        self.conversation: Conversation | None = None
        self._request = 0  # the chat request being answered, 0 when idle
        self.saver = ReplySaver(store, self)  # the reply being written, and saves the disk still owes
        self._last_notice = ""
        self._params: dict = {}
        self._prompt_tokens = 0
        self.context_estimated = False  # the last count was an estimate (a server without a tokenizer route)
        models.loaded.connect(self._on_loaded)
        models.load_failed.connect(self._on_load_failed)
        models.load_starting.connect(self.stop)
        models.notice_raised.connect(self.notice_raised)
        models.error_raised.connect(self.error_raised)
        engine.reply_started.connect(self._on_started)
        engine.piece_received.connect(self._on_piece)
        engine.reply_finished.connect(self._on_finished)
        engine.request_failed.connect(self._on_failed)
        engine.crashed.connect(self._on_crashed)
        engine.tokens_counted.connect(self._on_counted)
        self._count_request = 0
        self.titler = Titler(store, engine, self, model=self.models.ref)
        self.files = ConversationFiles(store, self)
        self.files.error_raised.connect(self.error_raised)
        self.files.imported.connect(self._on_imported)
        self.titler.titled.connect(self._on_titled)

    # -- conversations ----------------------------------------------------------------
    def refresh_conversations(self) -> None:
        self.conversations_changed.emit(self.store.conversations())

    def new_conversation(self) -> Conversation:
        """A fresh chat with the default system prompt and settings. Empty chats, on screen or not,
        give way to it: New chat must not pile up a row of empty "New chat"s."""
        self._stored(self.store.drop_empty_conversations)
        conversation = self.store.create_conversation(
            system_prompt=self.settings.default_system_prompt, model_path=self.models.path)
        self.refresh_conversations()
        self.open_conversation(conversation.id)
        return conversation

    def open_conversation(self, conversation_id: int) -> None:
        if self.conversation and self.conversation.id == conversation_id:
            return
        if self.busy:
            self.stop()
        try:
            self.conversation = self.store.conversation(conversation_id)
        except StoreError as error:
            self.error_raised.emit(error.message)
            return
        self.settings.last_conversation = conversation_id
        self.reopen()

    def open_latest_or_new(self) -> None:
        conversations = self.store.conversations()
        preferred = [c for c in conversations if c.id == self.settings.last_conversation]
        chosen = (preferred or conversations)[:1]
        if chosen:
            self.open_conversation(chosen[0].id)
        else:
            self.new_conversation()

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        try:
            self.store.rename_conversation(conversation_id, title)
            if self.conversation and self.conversation.id == conversation_id:
                self.conversation = self.store.conversation(conversation_id)
        except StoreError as error:
            self.error_raised.emit(error.message)
        self.refresh_conversations()

    def delete_conversation(self, conversation_id: int) -> None:
        """Hide the conversation at once; ``undo_delete`` brings it back until the app next starts."""
        if self.conversation and self.conversation.id == conversation_id and self.busy:
            self.stop()
        try:
            title = self.store.conversation(conversation_id).title
            self.store.delete_conversation(conversation_id)
        except StoreError as error:
            self.error_raised.emit(error.message)
            return
        if self.conversation and self.conversation.id == conversation_id:
            self.conversation = None
        self.refresh_conversations()
        if self.conversation is None:
            self.open_latest_or_new()
        self.conversation_deleted.emit(conversation_id, title)

    def undo_delete(self, conversation_id: int) -> None:
        if self._stored(self.store.restore_conversation, conversation_id):
            self.refresh_conversations()
            self.open_conversation(conversation_id)

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        self._stored(self.store.set_pinned, conversation_id, pinned)
        self.refresh_conversations()

    def _stored(self, change, *args) -> bool:
        """Make one change to the store; when it fails, the user reads why. True if it was made."""
        try:
            change(*args)
        except StoreError as error:
            self.error_raised.emit(error.message)
            return False
        return True

    def set_system_prompt(self, text: str) -> None:
        if self.conversation is None or text == self.conversation.system_prompt:
            return
        try:
            self.store.set_system_prompt(self.conversation.id, text)
            self.conversation = self.store.conversation(self.conversation.id)
        except StoreError as error:
            self.error_raised.emit(error.message)

    def settings_of_conversation(self) -> dict:
        """The settings this conversation's replies are written with (every key of sampling.OPTIONS, and
        what to do when it outgrows the context window)."""
        return self.default_settings(self.conversation.options if self.conversation else {})

    def default_settings(self, own: dict | None = None) -> dict:
        """Hearth's settings, then the loaded model's recommendations, then ``own`` on top."""
        own = own or {}
        app_defaults = {"temperature": self.settings.temperature, "max_tokens": self.settings.max_tokens}
        chosen = sampling.effective(app_defaults, self.models.sampling, own)
        chosen[overflow.KEY] = overflow.clean(own.get(overflow.KEY)) or overflow.DEFAULT
        return chosen

    def set_conversation_settings(self, changes: dict) -> None:
        """Keep the settings the user changed for this conversation (None: back to the default)."""
        if self.conversation is None:
            return
        own = dict(self.conversation.options)
        for key, value in changes.items():
            if key == overflow.KEY:
                value = overflow.clean(value)
                value = None if value == overflow.DEFAULT else value
            elif key in sampling.KEYS:
                value = None if value is None else sampling.clean(key, value)
            else:
                continue
            if value is None:
                own.pop(key, None)
            else:
                own[key] = value
        try:
            self.store.set_settings(self.conversation.id, own)
            self.conversation = self.store.conversation(self.conversation.id)
        except StoreError as error:
            self.error_raised.emit(error.message)

    # -- search, export, import ---------------------------------------------------------------
    def search(self, text: str) -> list:
        try:
            return self.store.search(text)
        except StoreError as error:
            self.error_raised.emit(error.message)
            return []

    def open_message(self, conversation_id: int, message_id: int) -> None:
        """Open a conversation at one message (a search hit), switching to the branch that holds it."""
        if not self._stored(self.store.show_branch, message_id):
            return
        if self.conversation and self.conversation.id == conversation_id:
            self.reopen()
        else:
            self.open_conversation(conversation_id)
        self.message_focused.emit(message_id)

    def export_conversation(self, path: str) -> bool:
        """The conversation on screen to a file (``ConversationFiles.export`` says how)."""
        return self.conversation is not None and self.files.export(self.conversation.id, path)

    def import_conversation(self, path: str) -> bool:
        """A conversation file as a new conversation, opened."""
        return self.files.import_file(path)

    def _on_imported(self, conversation_id: int) -> None:
        self.refresh_conversations()
        self.open_conversation(conversation_id)

    # -- the model --------------------------------------------------------------------
    @property
    def n_ctx(self) -> int:
        return self.models.n_ctx

    def choose_model(self, path: str, name: str = "", info=None, force: bool = False) -> None:
        """Answer with another model (a reply being written stops as it loads); the conversation remembers it."""
        if not self.models.choose(path, name, info, force):
            return
        self._last_notice = ""
        if self.conversation is not None:
            try:
                self.store.set_model(self.conversation.id, path)
            except StoreError as error:
                log.warning("could not remember the model: %s", error.detail)

    def forget_model(self) -> None:
        """The chosen model left the library (deleted, or taken off the list): the reply stops, it unloads."""
        self.stop()
        self.models.forget()

    def _on_loaded(self, _model: dict) -> None:
        self.context_estimated = False
        self.measure_context()  # the new window's size (nothing while a reply brings its own figures)

    def _notice_once(self, text: str) -> None:
        """Say a model's notice once, not again with every reply."""
        if text and text != self._last_notice:
            self._last_notice = text
            self.notice_raised.emit(text)

    # -- a turn -----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._request != 0

    def send(self, text: str) -> bool:
        """Save the user's turn at the end of the branch on screen, then ask for a reply."""
        return self._ask(text)

    def edit(self, message_id: int, text: str) -> bool:
        """A new version of one of the user's messages, answered anew; the old version stays a branch."""
        try:
            original = self.store.message(message_id)
        except StoreError as error:
            self.error_raised.emit(error.message)
            return False
        if original.role != "user" or original.conversation_id != getattr(self.conversation, "id", None):
            return False
        return self._ask(text, parent_id=original.parent_id, after_leaf=False)

    def regenerate(self, message_id: int) -> bool:
        """A new version of a reply, written for the same history; the old one stays a branch."""
        if not self._can_start():
            return False
        try:
            original = self.store.message(message_id)
            reply = self.store.add_message(original.conversation_id, "assistant", "", status=states.STREAMING,
                                           model=self.models.name, parent_id=original.parent_id,
                                           after_leaf=original.parent_id is not None,
                                           settings=self.settings_of_conversation())
        except StoreError as error:
            self.error_raised.emit(error.message)
            return False
        self.reopen()
        return self._generate(reply, "")

    def retry(self, message_id: int) -> bool:
        """Write a failed reply again: in its place when it ends the branch on screen, else as a new version."""
        branch = self.store.messages(self.conversation.id) if self.conversation else []
        if not branch or branch[-1].id != message_id:
            return self.regenerate(message_id)
        if not self._can_start():
            return False
        try:
            self.store.update_message(message_id, content="", status=states.STREAMING, error="", finish="",
                                      n_tokens=0, tokens_per_second=0.0, first_token_seconds=0.0)
            reply = self.store.message(message_id)
        except StoreError as error:
            self.error_raised.emit(error.message)
            return False
        self.message_added.emit(reply)  # the view updates the message it already shows
        return self._generate(reply, "")

    def continue_reply(self, message_id: int) -> bool:
        """Write on from the last word of a reply that stopped at its token limit or was stopped."""
        if not self._can_start():
            return False
        branch = self.store.messages(self.conversation.id) if self.conversation else []
        if not branch or branch[-1].id != message_id or branch[-1].role != "assistant":
            self.notice_raised.emit("Only the last reply of a conversation can be continued; "
                                    "regenerate this one, or ask a follow-up.")
            return False
        try:
            reply = self.store.message(message_id)
            self.store.update_message(reply.id, status=states.STREAMING, finish="")
            reply = self.store.message(reply.id)
        except StoreError as error:
            self.error_raised.emit(error.message)
            return False
        self.message_added.emit(reply)  # the view updates the message it already shows
        return self._generate(reply, reply.content, continuing=True)

    def show_version(self, message_id: int, step: int) -> None:
        """Show the previous (-1) or next (+1) version of a message, with its branch below it."""
        if self.conversation is None:
            return
        if self.busy:
            self.notice_raised.emit(WAIT_FOR_REPLY)
            return
        versions = self.store.siblings(self.conversation.id).get(message_id, [message_id])
        index = versions.index(message_id) + step
        if 0 <= index < len(versions) and self._stored(self.store.show_branch, versions[index]):
            self.reopen()

    def delete_message(self, message_id: int) -> None:
        if self.busy:
            self.notice_raised.emit(WAIT_FOR_REPLY)
            return
        if self._stored(self.store.delete_message, message_id):
            self.reopen()

    def versions(self) -> dict[int, list[int]]:
        return self.store.siblings(self.conversation.id) if self.conversation else {}

    def reopen(self) -> None:
        """Show the conversation on screen again from the store (a new branch, a new theme…)."""
        self.conversation_opened.emit(self.conversation, self.saver.shown(self.store.messages(self.conversation.id)))
        self.measure_context()

    def measure_context(self) -> None:
        """Ask the engine how much of its window the conversation on screen takes (answered by
        ``context_measured``); only while a model is ready, so nothing starts an engine for it."""
        if self.conversation is not None and self.models.state == READY and not self.busy:
            self._count_request = self.engine.count(engine_turns(self.store, self.conversation.id),
                                                    model=self.models.ref())

    def _on_counted(self, request_id: int, tokens: int, n_ctx: int, estimated: bool = False) -> None:
        # A server may not say its context window: its count is shown without one.
        if request_id == self._count_request and (n_ctx or self.models.remote):
            self.context_estimated = estimated
            self.context_measured.emit(tokens, n_ctx)

    def _can_start(self) -> bool:
        if self.busy:
            self.notice_raised.emit(WAIT_FOR_REPLY)
            return False
        if not self.models.path:
            self.model_needed.emit(CHOOSE_MODEL)
            return False
        return True

    def _ask(self, text: str, parent_id: int | None = None, after_leaf: bool = True) -> bool:
        text = text.strip()
        if not text or not self._can_start():
            return False
        if self.conversation is None:
            self.new_conversation()
        conversation_id = self.conversation.id
        try:
            user = self.store.add_message(conversation_id, "user", text, parent_id=parent_id, after_leaf=after_leaf)
            reply = self.store.add_message(conversation_id, "assistant", "", status=states.STREAMING,
                                           model=self.models.name, settings=self.settings_of_conversation())
        except StoreError as error:
            self.error_raised.emit(error.message)
            return False
        if after_leaf:
            self.message_added.emit(user)
            self.message_added.emit(reply)
        else:
            self.reopen()
        return self._generate(reply, "")

    def _generate(self, reply: Message, text: str, continuing: bool = False) -> bool:
        """Ask the engine to write ``reply`` (already saved, streaming) for the branch on screen."""
        self.saver.retry()  # the history below is read from the store: what it still owes goes first
        self.saver.begin(reply, text)
        history = engine_turns(self.store, self.conversation.id, keep_last_reply=continuing)
        self._params = {k: v for k, v in self.settings_of_conversation().items() if v is not None}
        self.models.begin_generating()  # a failed model is loaded again before the engine hears the chat
        self._request = self.engine.chat(history, {**self._params, "continue": continuing}, model=self.models.ref())
        self.busy_changed.emit(True)
        self.refresh_conversations()
        return True

    def close(self) -> None:
        """The app is closing: the reply and any title request end, and nothing is left to fire later."""
        self.stop()  # first: a stopped reply asks for a title, which is dropped next
        self.titler.drop()
        self.saver.flush()

    def stop(self) -> None:
        """End the reply now; the engine is told to stop, and whatever it still sends is dropped."""
        if not self.busy:
            return
        self.engine.cancel(self._request)
        self._finish(states.STOPPED)

    def _on_started(self, request_id: int, prompt_tokens: int, notice: str) -> None:
        if request_id != self._request:
            return
        self._prompt_tokens = prompt_tokens
        if self.n_ctx and prompt_tokens:  # a server says its prompt's size only at the end, if at all
            self.context_measured.emit(prompt_tokens, self.n_ctx)
        if notice:
            self._notice_once(notice)

    def _on_piece(self, request_id: int, text: str, n_tokens: int) -> None:
        if request_id != self._request or self.saver.reply is None:
            return
        self.reply_grew.emit(self.saver.reply.id, text)
        self.saver.grow(text)

    def _on_finished(self, request_id: int, reason: str, stats: dict) -> None:
        if request_id != self._request:
            return
        status = states.STOPPED if reason == "cancelled" else states.DONE
        self._finish(status, stats={**stats, "reason": reason})

    def _on_load_failed(self, message: str) -> None:
        """The chosen model did not load: the user reads why, and a reply waiting for it ends."""
        self.error_raised.emit(message)
        if self.busy:
            self.engine.cancel(self._request)
            self._finish(states.ERROR, error=message)

    def _on_failed(self, request_id: int, message: str, detail: str) -> None:
        if detail:
            log.warning("engine error: %s\n%s", message, detail)
        if request_id == self._request:
            self._finish(states.ERROR, error=message)
            self.error_raised.emit(message)

    def _on_crashed(self, message: str, request_ids: list) -> None:
        text = f"{message} Your conversation is safe; the next message restarts the engine."
        if self.busy and not self.models.remote:  # a reply from a server goes on
            self._finish(states.ERROR, error=message)
        self.error_raised.emit(text)

    @property
    def request_id(self) -> int:
        """The engine request of the reply being written, 0 when idle."""
        return self._request

    @property
    def titling(self) -> bool:
        """A title is being made for a conversation (or about to be asked for)."""
        return self.titler.titling

    def set_model_titles(self, on: bool) -> None:
        """Whether the model names new conversations; off also drops a title on its way."""
        self.settings.model_titles = on
        if not on:
            self.titler.drop()

    def _on_titled(self, conversation_id: int, title: str) -> None:
        if self.conversation and self.conversation.id == conversation_id:
            self.conversation = self.store.conversation(conversation_id)
        self.refresh_conversations()

    def _finish(self, status: str, *, stats: dict | None = None, error: str = "") -> None:
        self._request = 0
        stats = stats or {}
        reply = self.saver.end(status, stats, error)  # as it ended, whether or not the disk took it yet
        if reply is not None:
            self.reply_ended.emit(reply)
            if status in (states.DONE, states.STOPPED) and self.settings.model_titles:
                self.titler.after(reply)
        # The status bar's figures follow in the next turn of the event loop: a reply's end already
        # saves, re-renders and swaps buttons, and the window must not stall while it does.
        if stats.get("tokens_per_second"):
            rate = float(stats["tokens_per_second"])
            QTimer.singleShot(0, self, lambda: self.speed_measured.emit(rate))
        remote = self.models.remote  # its prompt's size is not known here: the server counts the conversation
        if stats and self.n_ctx and not remote:
            used, size = self._prompt_tokens + int(stats.get("tokens", 0)), self.n_ctx
            QTimer.singleShot(0, self, lambda: self.context_measured.emit(used, size))
        self.busy_changed.emit(False)
        self.models.end_generating()
        if reply is not None and (not stats or remote):
            self.measure_context()  # stopped here, with no figures from the engine: it counts the reply
