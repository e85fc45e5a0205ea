"""Qt signals for the backends' events: the local engine, and the remote servers the user chats through.

Every request goes through a backend (priorities, its own listener, the model
it is for): the ``LocalBackend`` for a library file, the server's
``RemoteBackend`` (one per server, ``RemotePool``) for a ``ModelRef`` whose
``remote`` is set. Each request's listener turns its typed events into this
bridge's signals, tagged with the request's ticket, the same signals whichever
backend answered; tickets come from one counter, so one names one request. The listeners run on the
engine's reader thread; emitting a signal from there to objects living on the
GUI thread makes Qt queue the call, so slots always run on the GUI thread.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from app.backend.events import Counted, Done, Event, Failed, Loaded, Piece, Progress, Started
from app.backend.local import LocalBackend
from app.backend.model_ref import ModelRef
from app.backend.remote_pool import RemotePool
from app.backend.scheduler import Priority
from app.core.load_options import LoadOptions
from app.engine import protocol


class EngineBridge(QObject):
    model_loaded = Signal(int, dict)  # ticket (0: a reload the engine's restart replayed), what was loaded
    reply_started = Signal(int, int, str)  # ticket, prompt tokens, notice
    piece_received = Signal(int, str, int)  # ticket, text, tokens
    reply_finished = Signal(int, str, dict)  # ticket, reason, stats
    tokens_counted = Signal(int, int, int, bool)  # ticket, tokens, context window (0: unknown), an estimate
    load_failed = Signal(str, str, str)  # model path, message, detail
    request_failed = Signal(int, str, str)  # a chat (or other non-load) request: ticket, message, detail
    crashed = Signal(str, list)  # message, tickets that will never be answered
    load_progressed = Signal(int, float)  # load ticket, share done (0..1)
    load_cancelled = Signal(int, str)  # load ticket, model path: stopped on request, nothing loaded
    ready = Signal(dict)  # the engine (re)started: its "ready" event (versions, backends, devices)
    model_switched = Signal(dict)  # another requester (an API client) had the engine load this model

    def __init__(self, log_path: Path | None = None, parent: QObject | None = None, **client_options) -> None:
        super().__init__(parent)
        self.backend = LocalBackend(on_unrequested=self._unrequested, on_crash=self._on_crash,
                                    on_switch=self._on_switch, log_path=log_path, **client_options)
        self.client = self.backend.client  # the transport: pid, the build's system info, "ready"
        self.remotes = RemotePool()  # Hearth gives it RemoteServers.backend_for (the servers' names and keys)
        self._remote_loads: dict[int, object] = {}  # a remote choice's ticket -> its backend (for cancel_load)

    # -- each request's events -----------------------------------------------------------
    def _later_on_this_thread(self, listen):
        """``listen`` as the backends call it: from their reader threads (Qt queues the signals), or from the GUI
        thread itself when a request still waiting is cancelled (the scheduler ends it at once). There it runs
        after the caller is done, as a queued signal would: a slot that cancels must not meet the request's end
        inside its own call."""
        def deliver(event: Event) -> None:
            if QThread.currentThread() is self.thread():
                QTimer.singleShot(0, self, lambda: listen(event))
            else:
                listen(event)
        return deliver

    def _reply_listener(self, ticket: int):
        def listen(event: Event) -> None:
            if isinstance(event, Piece):
                self.piece_received.emit(ticket, event.text, event.tokens)
            elif isinstance(event, Started):
                self.reply_started.emit(ticket, event.prompt_tokens, event.notice)
            elif isinstance(event, Done):
                self.reply_finished.emit(ticket, event.reason, event.stats)
            elif isinstance(event, Counted):
                self.tokens_counted.emit(ticket, event.tokens, event.n_ctx, event.estimated)
            elif isinstance(event, Failed) and not event.crashed:  # a crash comes as ``crashed``
                self.request_failed.emit(ticket, event.message, event.detail)
        return self._later_on_this_thread(listen)

    def _load_listener(self, ticket: int, path: str):
        def listen(event: Event) -> None:
            if isinstance(event, Progress):
                self.load_progressed.emit(ticket, event.fraction)
            elif isinstance(event, Loaded):
                self.model_loaded.emit(ticket, event.model)
            elif isinstance(event, Done):  # a load ends with Done only when it was cancelled
                self.load_cancelled.emit(ticket, path)
            elif isinstance(event, Failed) and not event.crashed:
                self.load_failed.emit(path, event.message, event.detail)
        return self._later_on_this_thread(listen)

    def _choice_listener(self, ticket: int, ref: ModelRef):
        """A remote model being chosen: told as a load of the model's key, so ``ModelController`` follows it
        as it follows a file's load."""
        key = ref.key

        def listen(event: Event) -> None:
            if isinstance(event, Loaded):
                self._remote_loads.pop(ticket, None)
                self.model_loaded.emit(ticket, {**event.model, "path": key, "model_id": ref.model_id})
            elif isinstance(event, Failed):
                self._remote_loads.pop(ticket, None)
                self.remotes.choice_failed(ref.server, ref.model_id)
                self.load_failed.emit(key, event.message, event.detail)
            elif isinstance(event, Done):
                self._remote_loads.pop(ticket, None)
                self.remotes.choice_failed(ref.server, ref.model_id)
                self.load_cancelled.emit(ticket, key)
        return self._later_on_this_thread(listen)

    def _remote(self, ref: ModelRef, ticket: int = 0):
        """The backend of ``ref``'s server, with ``ref``'s model chosen ahead of what comes next (``ticket``:
        the choice's own, when the caller asked for it; 0: a request came first and the choice goes before
        it, told as a load the engine did on its own)."""
        backend = self.remotes.get(ref.server)
        if self.remotes.needs_choice(ref.server, ref.model_id) or ticket:
            ticket = ticket or self.backend.scheduler.new_ticket()
            self._remote_loads[ticket] = backend
            backend.load(ref.model_id, None, self._choice_listener(ticket, ref), ticket=ticket)
        return backend

    def _unrequested(self, event: dict) -> None:
        """The engine's own events: it started, or a restart replayed the last load."""
        kind = event.get("event")
        if kind == protocol.READY:
            self.ready.emit(dict(event))
        elif kind == protocol.LOADED:
            self.model_loaded.emit(0, event.get("model", {}))
        elif kind == protocol.ERROR and event.get("op") == protocol.LOAD:
            self.load_failed.emit(event.get("path", ""), event.get("message", ""), event.get("detail", ""))

    def _on_crash(self, message: str) -> None:
        self.crashed.emit(message, [])

    def _on_switch(self, ref: ModelRef, event: Event) -> None:
        if isinstance(event, Loaded):
            self.model_switched.emit(event.model)
        elif isinstance(event, Failed):
            self.load_failed.emit(ref.path, event.message, event.detail)

    # -- what controllers call ---------------------------------------------------------
    def start(self) -> None:
        self.backend.start()

    def load(self, path: str, options: LoadOptions | None = None, gpu_layers: int | None = None) -> int:
        ticket = self.backend.scheduler.new_ticket()
        return self.backend.load(path, options, self._load_listener(ticket, str(path)), gpu_layers, ticket=ticket)

    def select(self, ref: ModelRef) -> int:
        """Choose a remote server's model (the server checks it has it): answered like a load."""
        ticket = self.backend.scheduler.new_ticket()
        self._remote(ref, ticket)
        return ticket

    def chat(self, messages: list[dict], params: dict | None = None, priority: Priority = Priority.USER,
             model: ModelRef | None = None) -> int:
        """A reply to ``messages``; ``model``: the model that must answer (loaded first if another is)."""
        ticket = self.backend.scheduler.new_ticket()
        payload = {"messages": messages, "params": params or {}}
        if model is not None and model.remote:
            return self._remote(model).chat(messages, payload["params"], self._reply_listener(ticket), priority,
                                            ticket=ticket)
        return self.backend.submit(protocol.CHAT, payload, self._reply_listener(ticket), priority, model,
                                   ticket=ticket)

    def count(self, messages: list[dict], model: ModelRef | None = None) -> int:
        """How many tokens ``messages`` take; with a remote ``model``, counted by its server (or estimated). A
        local count is for the model the engine holds, as before."""
        ticket = self.backend.scheduler.new_ticket()
        if model is not None and model.remote:
            return self._remote(model).count(messages, self._reply_listener(ticket), ticket=ticket)
        return self.backend.submit(protocol.COUNT, {"messages": messages}, self._reply_listener(ticket),
                                   Priority.BACKGROUND, ticket=ticket)

    def unload(self) -> None:
        self.backend.unload()

    def cancel(self, ticket: int) -> None:
        """End a request early, whichever backend has it (tickets are unique, so the others ignore it)."""
        self.backend.cancel(ticket)
        for remote in self.remotes.backends():
            remote.cancel(ticket)

    def cancel_load(self, ticket: int) -> None:
        remote = self._remote_loads.get(ticket)
        if remote is not None:
            remote.cancel(ticket)
        else:
            self.backend.cancel_load(ticket)

    def shutdown(self) -> None:
        self.remotes.shutdown()
        self.backend.shutdown()

    @property
    def pid(self) -> int | None:
        return self.backend.pid
