"""The chat's rules in motion: conversations, the turn being generated, the model's state.

Order matters for promise 1: the user's turn is committed to the store
before the engine hears of it, and the reply is saved while it grows (at most
every ``SAVE_SECONDS``) and once more when it ends.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core import fit
from app.core import store as states
from app.core.errors import StoreError
from app.core.gguf_info import GGUFInfo
from app.core.store import Conversation, Message, Store
from app.gui.engine_bridge import EngineBridge
from app.settings import Settings

log = logging.getLogger("hearth.chat")

SAVE_SECONDS = 0.3

# What the status bar says about the model.
NO_MODEL, LOADING, READY, GENERATING, FAILED, STOPPED_ENGINE = (
    "no model", "loading", "ready", "generating", "failed", "engine stopped")


class ChatController(QObject):
    conversations_changed = Signal(list)  # [Conversation]
    conversation_opened = Signal(object, list)  # Conversation, [Message]
    message_added = Signal(object)  # Message
    reply_grew = Signal(int, str)  # message id, new text
    reply_ended = Signal(object)  # the final Message
    busy_changed = Signal(bool)
    model_state_changed = Signal(str, str)  # state, model name
    speed_measured = Signal(float)  # tokens per second of the last reply
    error_raised = Signal(str)
    notice_raised = Signal(str)
    load_blocked = Signal(str, str, str)  # path, name, why: the model would not fit in memory

    def __init__(self, store: Store, engine: EngineBridge, settings: Settings, parent: QObject | None = None,
                 memory_probe=fit.system_memory, gpu_probe=lambda: None) -> None:
        super().__init__(parent)
        self.memory_probe = memory_probe
        self.gpu_probe = gpu_probe  # GpuMemory of the engine's GPU, or None
        self.store = store
        self.engine = engine
        self.settings = settings
        self.conversation: Conversation | None = None
        self.model_path: str = ""
        self.model_name: str = ""
        self.state = NO_MODEL
        self._request = 0  # the chat request being answered, 0 when idle
        self._reply: Message | None = None
        self._text = ""
        self._last_save = 0.0
        self._last_notice = ""
        engine.model_loaded.connect(self._on_loaded)
        engine.reply_started.connect(self._on_started)
        engine.piece_received.connect(self._on_piece)
        engine.reply_finished.connect(self._on_finished)
        engine.load_failed.connect(self._on_load_failed)
        engine.request_failed.connect(self._on_failed)
        engine.crashed.connect(self._on_crashed)

    # -- conversations ----------------------------------------------------------------
    def refresh_conversations(self) -> None:
        self.conversations_changed.emit(self.store.conversations())

    def new_conversation(self) -> Conversation:
        conversation = self.store.create_conversation(
            system_prompt=self.settings.default_system_prompt, model_path=self.model_path)
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
        self.conversation_opened.emit(self.conversation, self.store.messages(conversation_id))

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
        if self.conversation and self.conversation.id == conversation_id and self.busy:
            self.stop()
        try:
            self.store.delete_conversation(conversation_id)
        except StoreError as error:
            self.error_raised.emit(error.message)
            return
        if self.conversation and self.conversation.id == conversation_id:
            self.conversation = None
        self.refresh_conversations()
        if self.conversation is None:
            self.open_latest_or_new()

    def set_system_prompt(self, text: str) -> None:
        if self.conversation is None or text == self.conversation.system_prompt:
            return
        try:
            self.store.set_system_prompt(self.conversation.id, text)
            self.conversation = self.store.conversation(self.conversation.id)
        except StoreError as error:
            self.error_raised.emit(error.message)

    # -- the model --------------------------------------------------------------------
    def fit_of(self, info: GGUFInfo) -> fit.Fit:
        """Whether a model fits with this chat's context size and GPU offload, from its metadata."""
        needed = fit.estimate(info, self.settings.n_ctx).total
        share = fit.offload_share(self.settings.n_gpu_layers, info)
        return fit.judge(needed, *self.memory_probe(), gpu=self.gpu_probe() if share else None, gpu_share=share)

    def choose_model(self, path: str, name: str = "", info: GGUFInfo | None = None, force: bool = False) -> None:
        """Load a model. With its header at hand, refuse one that would not fit unless ``force``."""
        if path == self.model_path and self.state in (LOADING, READY, GENERATING):
            return
        if info is not None and not force:
            verdict = self.fit_of(info)
            if verdict.verdict == fit.WONT_FIT:
                self.load_blocked.emit(path, name, verdict.message)
                return
        if self.busy:
            self.stop()
        self.model_path = path
        self.model_name = name or Path(path).name
        self._last_notice = ""
        self.settings.last_model = path
        if self.conversation is not None:
            try:
                self.store.set_model(self.conversation.id, path)
            except StoreError as error:
                log.warning("could not remember the model: %s", error.detail)
        self._set_state(LOADING)
        self.engine.load(
            path, n_ctx=self.settings.n_ctx, n_threads=self.settings.n_threads,
            n_gpu_layers=self.settings.n_gpu_layers)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.model_state_changed.emit(state, self.model_name)

    def _on_loaded(self, request_id: int, model: dict) -> None:
        if model.get("path") != self.model_path:
            return  # an older load finished after the user picked another model
        self._set_state(GENERATING if self.busy else READY)

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
        """Save the user's turn, then ask the engine for a reply. False if nothing was sent."""
        text = text.strip()
        if not text or self.busy:
            return False
        if not self.model_path:
            self.error_raised.emit("Choose a model first: pick one above, or open a GGUF file.")
            return False
        if self.conversation is None:
            self.new_conversation()
        conversation_id = self.conversation.id
        try:
            user = self.store.add_message(conversation_id, "user", text)
            self.message_added.emit(user)
            history = self._history(conversation_id)
            self._reply = self.store.add_message(
                conversation_id, "assistant", "", status=states.STREAMING, model=self.model_name)
        except StoreError as error:
            self.error_raised.emit(error.message)
            return False
        self.message_added.emit(self._reply)
        self._text = ""
        self._last_save = time.monotonic()
        params = {"temperature": self.settings.temperature, "max_tokens": self.settings.max_tokens}
        self._request = self.engine.chat(history, params)
        self.busy_changed.emit(True)
        if self.state in (STOPPED_ENGINE, FAILED):
            self._set_state(LOADING)  # the client restarts the engine and reloads the model first
        elif self.state != LOADING:
            self._set_state(GENERATING)
        self.refresh_conversations()
        return True

    def _history(self, conversation_id: int) -> list[dict]:
        turns = []
        system_prompt = self.conversation.system_prompt.strip() if self.conversation else ""
        if system_prompt:
            turns.append({"role": "system", "content": system_prompt})
        for message in self.store.messages(conversation_id):
            if message.status == states.ERROR or not message.content.strip():
                continue
            turns.append({"role": message.role, "content": message.content})
        return turns

    def stop(self) -> None:
        """End the reply now; the engine is told to stop, and whatever it still sends is dropped."""
        if not self.busy:
            return
        self.engine.cancel(self._request)
        self._finish(states.STOPPED)

    def _on_started(self, request_id: int, prompt_tokens: int, notice: str) -> None:
        if request_id == self._request and notice:
            self._notice_once(notice)

    def _on_piece(self, request_id: int, text: str, n_tokens: int) -> None:
        if request_id != self._request or self._reply is None:
            return
        self._text += text
        self.reply_grew.emit(self._reply.id, text)
        now = time.monotonic()
        if now - self._last_save >= SAVE_SECONDS:
            self._save_progress(now)

    def _save_progress(self, now: float) -> None:
        try:
            self.store.update_message(self._reply.id, content=self._text, durable=False)
            self._last_save = now
        except StoreError as error:
            log.error("could not save the reply so far: %s", error.detail)

    def _on_finished(self, request_id: int, reason: str, stats: dict) -> None:
        if request_id != self._request:
            return
        status = states.STOPPED if reason == "cancelled" else states.DONE
        self._finish(status, stats=stats)

    def _on_load_failed(self, path: str, message: str, detail: str) -> None:
        """A load failed: the one the user asked for, or the reload after an engine restart."""
        log.warning("loading %s failed: %s %s", path, message, detail)
        if path != self.model_path:
            return  # an older choice, since replaced by another model
        self._set_state(FAILED)
        self.error_raised.emit(message)
        if self.busy:
            self._finish(states.ERROR, error=message)

    def _on_failed(self, request_id: int, message: str, detail: str) -> None:
        if detail:
            log.warning("engine error: %s\n%s", message, detail)
        if request_id == self._request:
            self._finish(states.ERROR, error=message)
            self.error_raised.emit(message)

    def _on_crashed(self, message: str, request_ids: list) -> None:
        text = f"{message} Your conversation is safe; the next message restarts the engine."
        if self.busy:
            self._finish(states.ERROR, error=message)
        if self.model_path:
            self._set_state(STOPPED_ENGINE)
        self.error_raised.emit(text)

    def _finish(self, status: str, *, stats: dict | None = None, error: str = "") -> None:
        reply, self._reply = self._reply, None
        self._request = 0
        stats = stats or {}
        if reply is not None:
            # An empty reply that failed says why instead of showing nothing.
            fields = {"content": self._text, "status": status, "error": error}
            if stats:
                fields.update(n_tokens=int(stats.get("tokens", 0)),
                              tokens_per_second=float(stats.get("tokens_per_second", 0.0)))
            try:
                self.store.update_message(reply.id, **fields)
                reply = self.store.message(reply.id)
            except StoreError as store_error:
                self.error_raised.emit(store_error.message)
            self.reply_ended.emit(reply)
        if stats.get("tokens_per_second"):
            self.speed_measured.emit(float(stats["tokens_per_second"]))
        self.busy_changed.emit(False)
        if self.state == GENERATING:
            self._set_state(READY)
