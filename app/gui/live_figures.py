"""Figures for the status bar while a reply streams: tokens per second, context used, engine memory.

Promise 3 says the GUI thread stays light while tokens stream, so each piece costs a few
additions here, and the figures go out at most every ``interval`` seconds. The engine's
memory is its resident set (psutil reads one /proc file), polled on a timer only while a
model is loaded, since nothing else changes it. The engine's exact speed still arrives with
the reply's end (``ChatController.speed_measured``); these are the running figures before it.
"""
from __future__ import annotations

import logging
import time

import psutil
from PySide6.QtCore import QObject, QTimer, Signal

from app.gui.engine_bridge import EngineBridge
from app.gui.model_controller import GENERATING, LOADING, READY, ModelController

log = logging.getLogger("hearth.figures")

MEMORY_POLL_MS = 2000


class LiveFigures(QObject):
    speed_changed = Signal(float)  # tokens per second of the reply being written
    context_changed = Signal(int, int)  # tokens the conversation takes so far, the context window
    memory_changed = Signal(int)  # bytes the engine process holds in RAM (0: no model loaded)

    def __init__(self, engine: EngineBridge, models: ModelController, request_id, interval: float = 0.25,
                 parent: QObject | None = None) -> None:
        """``request_id()`` names the chat request whose figures to show (0 when none)."""
        super().__init__(parent)
        self.engine = engine
        self.models = models
        self._request_id = request_id
        self.interval = interval
        self._tracking = 0
        self._prompt_tokens = 0
        self._tokens = 0  # tokens in the pieces so far
        self._first_at = 0.0  # when the first piece arrived
        self._first_tokens = 0  # tokens that piece carried: the rate counts those after it
        self._shown_at = 0.0
        self._process: psutil.Process | None = None
        self.memory_timer = QTimer(self)
        self.memory_timer.setInterval(MEMORY_POLL_MS)
        self.memory_timer.timeout.connect(self.poll_memory)
        engine.reply_started.connect(self._on_started)
        engine.piece_received.connect(self._on_piece)
        engine.reply_finished.connect(self._on_finished)
        models.state_changed.connect(self._on_model_state)

    # -- the reply ----------------------------------------------------------------------
    def _on_started(self, request_id: int, prompt_tokens: int, _notice: str) -> None:
        if request_id != self._request_id():
            return
        self._tracking = request_id
        self._prompt_tokens = prompt_tokens
        self._tokens = self._first_tokens = 0
        self._first_at = self._shown_at = 0.0

    def _on_piece(self, request_id: int, _text: str, n_tokens: int) -> None:
        if request_id != self._tracking:
            return
        if request_id != self._request_id():  # stopped: what the engine still sends is dropped
            self._tracking = 0
            return
        now = time.monotonic()
        self._tokens += n_tokens
        if not self._first_at:
            self._first_at, self._first_tokens = now, self._tokens
        if now - self._shown_at < self.interval:
            return
        self._shown_at = now
        elapsed = now - self._first_at
        if elapsed > 0 and self._tokens > self._first_tokens:
            self.speed_changed.emit((self._tokens - self._first_tokens) / elapsed)
        n_ctx = self.models.n_ctx
        if n_ctx and self._prompt_tokens:  # a server's reply starts without its prompt's size
            self.context_changed.emit(self._prompt_tokens + self._tokens, n_ctx)

    def _on_finished(self, request_id: int, _reason: str, _stats: dict) -> None:
        if request_id == self._tracking:
            self._tracking = 0
            self.poll_memory()  # the reply grew the cache: show what it holds now

    # -- the engine's memory ----------------------------------------------------------------
    def _on_model_state(self, state: str, _name: str) -> None:
        if state in (LOADING, READY, GENERATING) and not self.models.remote:  # a server's memory is its own
            if not self.memory_timer.isActive():
                self.memory_timer.start()
            if state != LOADING:
                self.poll_memory()
        else:
            self.memory_timer.stop()
            self._process = None
            self.memory_changed.emit(0)

    def poll_memory(self) -> None:
        pid = self.engine.pid
        if pid is None:
            self._process = None
            return
        try:
            if self._process is None or self._process.pid != pid:
                self._process = psutil.Process(pid)
            self.memory_changed.emit(int(self._process.memory_info().rss))
        except (psutil.Error, OSError) as error:  # it ended between the check and the read
            log.debug("engine memory unreadable: %s", error)
            self._process = None
