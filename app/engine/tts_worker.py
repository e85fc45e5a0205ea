"""The speech-out engine process: ``python -m app.engine.tts_worker`` (``hearth --tts-worker`` in a bundle).

Piper (onnxruntime and espeak-ng, native code) runs here, not in the window: a crash in it ends this
process, the window says so, and the next sentence starts a new one. Like the other engines:
requests on stdin, events on a private copy of stdout, synthesis on the main thread, a reader thread
that notices cancels while a sentence is being made.
"""
from __future__ import annotations

import base64
import logging
import os
import queue
import threading
import traceback

from app.core.errors import HearthError
from app.engine import protocol
from app.engine.worker_io import EventStream, requests, run

log = logging.getLogger("hearth.tts")


class TtsWorker:
    def __init__(self, events: EventStream) -> None:
        self.send = events.send
        self._requests: queue.Queue[dict] = queue.Queue()
        self._cancelled: set[int] = set()
        self._lock = threading.Lock()
        from app.engine.voice import VoiceSession

        self.session = VoiceSession()

    def read_requests(self, stream) -> None:
        for request in requests(stream):
            if request.get("op") == protocol.CANCEL:
                with self._lock:
                    self._cancelled.add(request.get("id"))
                continue  # noticed here; the request it names ends where it is
            self._requests.put(request)

    def is_cancelled(self, request_id: int) -> bool:
        with self._lock:
            return request_id in self._cancelled

    def serve(self) -> None:
        from app.engine.voice import describe_runtime

        self.send({"event": protocol.READY, "pid": os.getpid(), "backend": "piper", "tts": describe_runtime()})
        while True:
            request = self._requests.get()
            op, request_id = request.get("op"), request.get("id")
            if op == protocol.SHUTDOWN:
                return
            try:
                self.handle(op, request_id, request)
            except HearthError as error:
                self.send({"event": protocol.ERROR, "id": request_id, "op": op, "path": request.get("path", ""),
                           "message": error.message, "detail": error.detail})
            except Exception as error:  # noqa: BLE001 - report, keep serving
                log.error("%s failed:\n%s", op, traceback.format_exc())
                self.send({"event": protocol.ERROR, "id": request_id, "op": op, "path": request.get("path", ""),
                           "message": "The voice could not say this sentence.", "detail": repr(error)})

    def handle(self, op: str, request_id: int, request: dict) -> None:
        if op == protocol.LOAD:
            voice = self.session.load(request["path"])
            self.send({"event": protocol.LOADED, "id": request_id, "model": voice})
        elif op == protocol.SPEAK:
            if self.is_cancelled(request_id):
                self.send({"event": protocol.DONE, "id": request_id, "reason": protocol.CANCELLED})
                return
            rate = self.session.sample_rate
            for pcm in self.session.synthesize(request["text"], float(request.get("speed", 1.0)),
                                               lambda: self.is_cancelled(request_id)):
                self.send({"event": protocol.AUDIO, "id": request_id, "rate": rate,
                           "pcm": base64.b64encode(pcm).decode("ascii")})
            reason = protocol.CANCELLED if self.is_cancelled(request_id) else protocol.STOP
            self.send({"event": protocol.DONE, "id": request_id, "reason": reason})
        with self._lock:
            self._cancelled.discard(request_id)


def main() -> int:
    return run(TtsWorker, "tts")


if __name__ == "__main__":
    raise SystemExit(main())
