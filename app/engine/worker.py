"""The engine process: ``python -m app.engine.worker``.

Reads requests on stdin, writes events on its private copy of stdout, and runs
one request at a time on its main thread. A reader thread watches stdin so
that "cancel" is seen while a reply is being generated, and so that the
process ends by itself when the app that started it is gone (stdin closes).
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
import traceback

from app.core.errors import HearthError, RequestError
from app.core.load_options import LoadOptions
from app.engine import protocol
from app.engine.load_progress import LoadCancelled
from app.engine.worker_io import EventStream, requests, run

log = logging.getLogger("hearth.engine")


class Worker:
    def __init__(self, events: EventStream) -> None:
        self.send = events.send
        self._requests: queue.Queue[dict] = queue.Queue()
        self._cancelled: set[int] = set()
        self._current: int | None = None
        self._cancel_current = threading.Event()
        self._state_lock = threading.Lock()
        from app.engine.llm import LlmSession

        self.session = LlmSession()

    # -- the stdin thread -------------------------------------------------------------
    def read_requests(self, stream) -> None:
        for request in requests(stream):
            if request.get("op") == protocol.CANCEL:
                with self._state_lock:
                    if request.get("id") == self._current:
                        self._cancel_current.set()
                    else:
                        self._cancelled.add(request.get("id"))
                continue
            self._requests.put(request)

    # -- the main thread --------------------------------------------------------------
    def serve(self) -> None:
        from app.engine.llama_build import describe_build
        from app.engine.llm import backend_name, system_info

        self.send({"event": protocol.READY, "pid": os.getpid(), "backend": backend_name(),
                   "system_info": system_info(), "build": describe_build()})
        while True:
            request = self._requests.get()
            op = request.get("op")
            if op == protocol.SHUTDOWN:
                return
            request_id = request.get("id")
            with self._state_lock:
                if request_id in self._cancelled:
                    self._cancelled.discard(request_id)
                    self.send({"event": protocol.DONE, "id": request_id, "reason": protocol.CANCELLED, "stats": {},
                               **_load_part(request)})
                    continue
                self._current = request_id
                self._cancel_current.clear()
            try:
                if op == protocol.LOAD:
                    self._load(request)
                elif op in (protocol.CHAT, protocol.COMPLETE):
                    self._chat(request)
                elif op == protocol.EMBED:
                    vectors, tokens = self.session.embed(list(request.get("texts") or []))
                    self.send({"event": protocol.EMBEDDED, "id": request_id, "vectors": vectors, "tokens": tokens})
                elif op == protocol.UNLOAD:
                    self.session.unload()
                    self.send({"event": protocol.UNLOADED, "id": request_id})
                elif op == protocol.COUNT:
                    tokens, n_ctx = self.session.count(request.get("messages") or [])
                    self.send({"event": protocol.COUNTED, "id": request_id, "tokens": tokens, "n_ctx": n_ctx})
                else:
                    self.send({"event": protocol.ERROR, "id": request_id, "message": f"Unknown request {op!r}."})
            except LoadCancelled as why:
                log.info("load %s cancelled (%s)", request_id, why)
                self.send({"event": protocol.DONE, "id": request_id, "reason": protocol.CANCELLED, "stats": {},
                           **_load_part(request)})
            except HearthError as error:
                log.warning("request %s failed: %s (%s)", request_id, error.message, error.detail)
                self.send({"event": protocol.ERROR, "id": request_id, "op": op, "path": request.get("path", ""),
                           "message": error.message, "detail": error.detail,
                           "invalid_request": isinstance(error, RequestError)})
            except Exception as error:  # report, stay alive for the next request
                log.error("request %s failed:\n%s", request_id, traceback.format_exc())
                self.send({"event": protocol.ERROR, "id": request_id, "op": op, "path": request.get("path", ""),
                           "message": f"The engine failed: {error}", "detail": traceback.format_exc()})
            finally:
                with self._state_lock:
                    self._current = None

    def _load(self, request: dict) -> None:
        options = LoadOptions.from_dict(request.get("options"))
        model = self.session.load(request["path"], options, threads=options.n_threads or default_threads(),
                                  gpu_layers=request.get("gpu_layers"), progress=self._progress_reporter(request["id"]))
        if self._cancel_current.is_set():  # heard after llama.cpp's last progress call: let go of it
            self.session.unload()
            raise LoadCancelled("cancelled after the weights were read")
        self.send({"event": protocol.LOADED, "id": request["id"], "model": model})

    def _progress_reporter(self, request_id: int):
        """llama.cpp calls back a few hundred times per load: the app hears the first and last calls
        and one every PROGRESS_SECONDS between; each call asks whether to go on (not when cancelled)."""
        last = {"sent": -PROGRESS_SECONDS, "fraction": -1.0}

        def progress(fraction: float) -> bool:
            now = time.monotonic()
            if (fraction >= 1.0 > last["fraction"]) or (now - last["sent"] >= PROGRESS_SECONDS
                                                       and fraction > last["fraction"]):
                last["sent"], last["fraction"] = now, fraction
                self.send({"event": protocol.PROGRESS, "id": request_id, "progress": round(fraction, 4)})
            return not self._cancel_current.is_set()

        return progress

    def _chat(self, request: dict) -> None:
        request_id = request["id"]

        def started(prompt_tokens: int, notice: str) -> None:
            self.send({"event": protocol.STARTED, "id": request_id, "prompt_tokens": prompt_tokens, "notice": notice})

        # Pieces leave at most every ``piece_seconds``: a fast model's tokens travel a few at a
        # time, so the app wakes less often; a slow model's go one by one, at once.
        interval = float(request.get("piece_seconds", protocol.PIECE_SECONDS))
        pending: list[str] = []
        counts = {"tokens": 0, "flushed": 0.0}  # the first words go out at once

        def flush() -> None:
            if pending:
                self.send({"event": protocol.PIECE, "id": request_id, "text": "".join(pending),
                           "n": counts["tokens"]})
                pending.clear()
                counts["tokens"] = 0
            counts["flushed"] = time.monotonic()

        def emit(text: str, n_tokens: int) -> None:
            pending.append(text)
            counts["tokens"] += n_tokens
            if time.monotonic() - counts["flushed"] >= interval:
                flush()

        try:
            if request.get("op") == protocol.COMPLETE:
                reason, stats = self.session.complete(str(request.get("prompt", "")), request.get("params") or {},
                                                      self._cancel_current, emit, started)
            else:
                reason, stats = self.session.chat(request["messages"], request.get("params") or {},
                                                  self._cancel_current, emit, started)
        finally:
            flush()
        self.send({"event": protocol.DONE, "id": request_id, "reason": reason, "stats": stats.as_dict()})


PROGRESS_SECONDS = 0.1


def _load_part(request: dict) -> dict:
    """What a "done" event adds when the request it ends was a load: the app tells it from a reply's end."""
    if request.get("op") != protocol.LOAD:
        return {}
    return {"op": protocol.LOAD, "path": request.get("path", "")}


def default_threads() -> int:
    """Physical cores: llama.cpp gains nothing from hyper-threads and loses to contention."""
    try:
        import psutil

        physical = psutil.cpu_count(logical=False)
    except ImportError:
        physical = None
    return max(1, physical or os.cpu_count() or 1)


def main() -> int:
    return run(Worker, "engine")


if __name__ == "__main__":
    raise SystemExit(main())
