"""The speech engine process: ``python -m app.engine.speech_worker``.

Like the LLM engine: requests on stdin, events on a private copy of stdout,
native work on the main thread, a reader thread that notices cancels and the
app going away. Microphone streams run the dictation policy here, next to the
recogniser, so the window only moves audio and shows text.
"""
from __future__ import annotations

import base64
import logging
import os
import queue
import threading
import traceback

import numpy as np

from app.core.dictation import Dictation, Piece, Settings
from app.core.errors import HearthError
from app.engine import protocol
from app.engine.worker_io import EventStream, requests, run

log = logging.getLogger("hearth.speech")


class SpeechWorker:
    def __init__(self, events: EventStream) -> None:
        self.send = events.send
        self._requests: queue.Queue[dict] = queue.Queue()
        self._cancelled: set[int] = set()
        self._lock = threading.Lock()
        self._streams: dict[int, Dictation] = {}
        from app.engine.speech import SpeechSession

        self.session = SpeechSession()

    def read_requests(self, stream) -> None:
        for request in requests(stream):
            if request.get("op") == protocol.CANCEL:
                with self._lock:
                    self._cancelled.add(request.get("id"))
            self._requests.put(request)

    def is_cancelled(self, request_id: int) -> bool:
        with self._lock:
            return request_id in self._cancelled

    def serve(self) -> None:
        from app.engine.speech import describe_runtime

        self.send({"event": protocol.READY, "pid": os.getpid(), "backend": "faster-whisper",
                   "speech": describe_runtime()})
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
                self._streams.pop(request_id, None)
            except Exception as error:  # noqa: BLE001 - report, keep serving
                log.error("%s failed:\n%s", op, traceback.format_exc())
                self.send({"event": protocol.ERROR, "id": request_id, "op": op, "path": request.get("path", ""),
                           "message": f"Speech recognition failed: {error}", "detail": repr(error)})
                self._streams.pop(request_id, None)

    def handle(self, op: str, request_id: int, request: dict) -> None:
        if op == protocol.LOAD:
            model = self.session.load(request["path"], request.get("device", "auto"), request.get("threads", 0))
            self.send({"event": protocol.LOADED, "id": request_id, "model": model})
        elif op == protocol.CONFIGURE:
            self.session.configure(request.get("language"), request.get("initial_prompt"))
            self.send({"event": protocol.DONE, "id": request_id, "reason": protocol.STOP})
        elif op == protocol.LISTEN:
            self.session._require()
            self._streams[request_id] = Dictation(
                self.session.transcribe, _vad(),
                on_partial=lambda text: self.send({"event": protocol.PARTIAL, "id": request_id, "text": text}),
                on_final=lambda piece: self._final(request_id, piece),
                settings=Settings(continuous=bool(request.get("continuous", False))))
        elif op == protocol.AUDIO:
            stream = self._streams.get(request_id)
            if stream is not None and not self.is_cancelled(request_id):
                stream.feed(self._audio_backlog(request_id, request))
        elif op == protocol.END:
            stream = self._streams.pop(request_id, None)
            if stream is not None and not self.is_cancelled(request_id):
                stream.finish()
            self.send({"event": protocol.DONE, "id": request_id, "reason": protocol.STOP})
        elif op == protocol.CANCEL:
            if self._streams.pop(request_id, None) is not None:
                self.send({"event": protocol.DONE, "id": request_id, "reason": protocol.CANCELLED})
        elif op == protocol.FILE:
            self._file(request_id, request["path"], request.get("language"), request.get("initial_prompt"))

    def _audio_backlog(self, request_id: int, request: dict) -> np.ndarray:
        """This piece of audio and every piece queued behind it: after a slow transcription the
        policy catches up in one step instead of re-analysing each 0.1 s piece."""
        pieces = [base64.b64decode(request["pcm"])]
        while True:
            try:
                following = self._requests.queue[0]  # peek: only audio of this stream is taken
            except IndexError:
                break
            if following.get("op") != protocol.AUDIO or following.get("id") != request_id:
                break
            pieces.append(base64.b64decode(self._requests.get_nowait()["pcm"]))
        return np.frombuffer(b"".join(pieces), dtype="<f4")

    def _final(self, request_id: int, piece: Piece) -> None:
        self.send({"event": protocol.FINAL, "id": request_id, "text": piece.text, "start": round(piece.start, 3),
                   "end": round(piece.end, 3)})

    def _file(self, request_id: int, path: str, language: str | None = None, prompt: str | None = None) -> None:
        """Transcribe a file; ``language`` and ``prompt`` (an API request's) apply to this file only."""
        for piece, progress in self.session.transcribe_file(path, lambda: self.is_cancelled(request_id),
                                                            language, prompt):
            self.send({"event": protocol.SEGMENT, "id": request_id, "text": piece.text.strip(),
                       "start": round(piece.start, 3), "end": round(piece.end, 3), "progress": round(progress, 4)})
        reason = protocol.CANCELLED if self.is_cancelled(request_id) else protocol.STOP
        self.send({"event": protocol.DONE, "id": request_id, "reason": reason})


def _vad():
    from app.engine.speech import speech_spans

    return speech_spans


def main() -> int:
    return run(SpeechWorker, "speech")


if __name__ == "__main__":
    raise SystemExit(main())
