"""Qt signals for the engine client's events.

The client calls back on its reader thread; emitting a signal from there to
objects living on the GUI thread makes Qt queue the call, so slots always run
on the GUI thread.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core.load_options import LoadOptions
from app.engine import protocol
from app.engine.client import EngineClient


class EngineBridge(QObject):
    model_loaded = Signal(int, dict)
    reply_started = Signal(int, int, str)  # request id, prompt tokens, notice
    piece_received = Signal(int, str, int)  # request id, text, tokens
    reply_finished = Signal(int, str, dict)  # request id, reason, stats
    tokens_counted = Signal(int, int, int)  # request id, tokens, context window
    load_failed = Signal(str, str, str)  # model path, message, detail
    request_failed = Signal(int, str, str)  # a chat (or other non-load) request: id, message, detail
    crashed = Signal(str, list)  # message, request ids that will never be answered
    load_progressed = Signal(int, float)  # load request id, share done (0..1)
    load_cancelled = Signal(int, str)  # load request id, model path: stopped on request, nothing loaded
    ready = Signal(dict)  # the engine (re)started: its "ready" event (versions, backends, devices)

    def __init__(self, log_path: Path | None = None, parent: QObject | None = None, **client_options) -> None:
        super().__init__(parent)
        self.client = EngineClient(self._dispatch, log_path=log_path, **client_options)

    def _dispatch(self, event: dict) -> None:
        kind = event.get("event")
        if kind == protocol.PIECE:
            self.piece_received.emit(event["id"], event["text"], event.get("n", 0))
        elif kind == protocol.STARTED:
            self.reply_started.emit(event["id"], event.get("prompt_tokens", 0), event.get("notice", ""))
        elif kind == protocol.PROGRESS:
            self.load_progressed.emit(event["id"], float(event.get("progress", 0.0)))
        elif kind == protocol.DONE and event.get("op") == protocol.LOAD:
            self.load_cancelled.emit(event["id"], event.get("path", ""))
        elif kind == protocol.DONE:
            self.reply_finished.emit(event["id"], event.get("reason", ""), event.get("stats", {}))
        elif kind == protocol.COUNTED:
            self.tokens_counted.emit(event["id"], event.get("tokens", 0), event.get("n_ctx", 0))
        elif kind == protocol.LOADED:
            self.model_loaded.emit(event["id"], event.get("model", {}))
        elif kind == protocol.ERROR:
            if event.get("op") == protocol.LOAD:
                self.load_failed.emit(event.get("path", ""), event.get("message", ""), event.get("detail", ""))
            else:
                self.request_failed.emit(event.get("id") or 0, event.get("message", ""), event.get("detail", ""))
        elif kind == protocol.CRASHED:
            self.crashed.emit(event.get("message", ""), event.get("requests", []))
        elif kind == protocol.READY:
            self.ready.emit(dict(event))

    # -- what controllers call ---------------------------------------------------------
    def start(self) -> None:
        self.client.start()

    def load(self, path: str, options: LoadOptions | None = None, gpu_layers: int | None = None) -> int:
        return self.client.load(path, options, gpu_layers)

    def chat(self, messages: list[dict], params: dict | None = None) -> int:
        return self.client.chat(messages, params)

    def count(self, messages: list[dict]) -> int:
        return self.client.count(messages)

    def unload(self) -> None:
        self.client.unload()

    def cancel(self, request_id: int) -> None:
        self.client.cancel(request_id)

    def cancel_load(self, request_id: int) -> None:
        self.client.cancel_load(request_id)

    def shutdown(self) -> None:
        self.client.shutdown()

    @property
    def pid(self) -> int | None:
        return self.client.pid
