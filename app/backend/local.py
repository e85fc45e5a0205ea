"""The engine process as a backend: one loaded model, shared by requesters in priority order.

``EngineClient`` is the transport (spawn, read, crash, restart, log); this adds
the scheduling (``Scheduler``) and hands each request's typed events to that
request's own listener, on the engine's reader thread. Events that belong to no
request (the engine's "ready", the reload a restart replays) go to
``on_unrequested``; a crash goes to ``on_crash`` after the request it took down
has been told.
"""
from __future__ import annotations

import logging
from typing import Callable

from app.backend.events import Done, Event
from app.backend.model_ref import ModelRef
from app.backend.routing import Routing
from app.backend.scheduler import Job, Listener, Priority, Scheduler
from app.core.load_options import LoadOptions
from app.engine import protocol
from app.engine.client import EngineClient

log = logging.getLogger("hearth.backend")

CLOSING = "Hearth is closing; the request was not answered."


class LocalBackend:
    def __init__(self, *, max_waiting: int = 64, on_unrequested: Callable[[dict], None] | None = None,
                 on_crash: Callable[[str], None] | None = None,
                 on_switch: Callable[[ModelRef, Event], None] | None = None, **client_options) -> None:
        self.client = EngineClient(self._on_event, **client_options)
        self.scheduler = Scheduler(self._send, self._cancel_in_flight, max_waiting=max_waiting)
        self.on_unrequested = on_unrequested
        self.on_crash = on_crash
        self.on_switch = on_switch  # a request named another model, so it was loaded first: its Loaded or Failed
        self.routing = Routing(self.scheduler)
        self.loaded: ModelRef | None = None  # the model last asked of the engine (a restart reloads it)
        self.report: dict = {}  # what the engine said of the model it loaded last (context, backend, …)

    # -- requests -----------------------------------------------------------------------
    def load(self, path: str, options: LoadOptions | None, listener: Listener, gpu_layers: int | None = None,
             priority: Priority = Priority.USER, ticket: int | None = None) -> int:
        ref = ModelRef(str(path), options or LoadOptions(), gpu_layers)
        return self.scheduler.submit({"op": protocol.LOAD, "model": ref.to_wire()}, listener, priority,
                                     ticket=ticket)

    def submit(self, op: str, payload: dict, listener: Listener, priority: Priority = Priority.USER,
               model: ModelRef | None = None, bounded: bool = False, ticket: int | None = None) -> int:
        """Queue ``{"op": op, **payload}`` (chat, complete, embed, count); with ``model``, answered by that
        model, loaded first when the engine holds another. Returns the ticket for ``cancel``."""
        request = {"op": op, **payload}
        if model is not None:
            request["model"] = model.to_wire()
        return self.scheduler.submit(request, listener, priority, bounded, ticket)

    def chat(self, messages: list[dict], params: dict, listener: Listener, priority: Priority = Priority.USER,
             bounded: bool = False, model: ModelRef | None = None) -> int:
        return self.submit(protocol.CHAT, {"messages": messages, "params": params}, listener, priority, model,
                           bounded)

    def complete(self, prompt: str, params: dict, listener: Listener, priority: Priority = Priority.API,
                 bounded: bool = False, model: ModelRef | None = None) -> int:
        return self.submit(protocol.COMPLETE, {"prompt": prompt, "params": params}, listener, priority, model,
                           bounded)

    def embed(self, texts: list[str], listener: Listener, priority: Priority = Priority.API,
              bounded: bool = False, model: ModelRef | None = None) -> int:
        return self.submit(protocol.EMBED, {"texts": texts}, listener, priority, model, bounded)

    def count(self, messages: list[dict], listener: Listener, priority: Priority = Priority.BACKGROUND,
              model: ModelRef | None = None) -> int:
        return self.submit(protocol.COUNT, {"messages": messages}, listener, priority, model)

    def unload(self, listener: Listener | None = None) -> int:
        self.client.last_load = None  # from now on a restart loads nothing, even before the unload is sent
        return self.scheduler.submit({"op": protocol.UNLOAD}, listener or (lambda _event: None), Priority.USER)

    def cancel_load(self, ticket: int) -> None:
        """Stop a load, waiting or under way (llama.cpp aborts it); a restart does not replay it."""
        self.client.last_load = None
        self.loaded = None  # whatever the engine holds now, a request naming a model loads it again
        self.scheduler.cancel(ticket)

    def cancel(self, ticket: int) -> None:
        self.scheduler.cancel(ticket)

    def start(self) -> None:
        self.client.start()

    def shutdown(self) -> None:
        self.scheduler.fail_all(CLOSING)
        self.client.shutdown()

    @property
    def pid(self) -> int | None:
        return self.client.pid

    # -- the transport ------------------------------------------------------------------
    def _send(self, job: Job) -> None:
        request = job.request
        op = request["op"]
        client = self.client
        wanted = ModelRef.from_wire(request["model"]) if request.get("model") else None
        if op == protocol.LOAD:
            self.loaded = wanted
        elif op == protocol.UNLOAD:
            self.loaded = None
        elif wanted is not None and not wanted.same_load(self.loaded):
            self._switch(job, wanted)
        senders = {
            protocol.LOAD: lambda: client.load(wanted.path, wanted.options, wanted.gpu_layers),
            protocol.CHAT: lambda: client.chat(request["messages"], request["params"]),
            protocol.COMPLETE: lambda: client.complete(request["prompt"], request["params"]),
            protocol.EMBED: lambda: client.embed(request["texts"]),
            protocol.COUNT: lambda: client.count(request["messages"]),
            protocol.UNLOAD: client.unload,
        }
        if op not in senders:
            raise ValueError(f"unknown request {op!r}")
        if not self.routing.send(job, senders[op]):  # nothing was running to unload: done already
            job.listener(Done(protocol.STOP))
            self.scheduler.ended(job)

    def _switch(self, job: Job, wanted: ModelRef) -> None:
        """Load ``wanted`` ahead of ``job``, which named it (the engine runs them in this order)."""
        self.loaded = wanted
        listener = (lambda event: self.on_switch(wanted, event)) if self.on_switch else (lambda _event: None)
        step = Job(job.priority, job.order, 0, {"op": protocol.LOAD}, listener)
        self.routing.send(step, lambda: self.client.load(wanted.path, wanted.options, wanted.gpu_layers))

    def _cancel_in_flight(self, job: Job) -> None:
        engine_id = self.routing.engine_id(job)
        if engine_id is not None:
            self.client.cancel(engine_id)

    def _on_event(self, event: dict) -> None:
        if event.get("event") == protocol.LOADED:
            self.report = dict(event.get("model") or {})
        elif event.get("event") == protocol.UNLOADED:
            self.report = {}
        if self.routing.deliver(event):
            return
        if event.get("event") == protocol.CRASHED:
            if self.on_crash is not None:
                self.on_crash(event.get("message", ""))
        elif self.on_unrequested is not None:
            self.on_unrequested(event)
