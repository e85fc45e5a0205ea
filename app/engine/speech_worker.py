"""The speech engine process: ``python -m app.engine.speech_worker``.

Like the LLM engine: requests on stdin, events on a private copy of stdout,
native work on the main thread, a reader thread that notices cancels and the
app going away. Microphone streams run the dictation policy here, next to the
recogniser, so the window only moves audio and shows text.
"""
from __future__ import annotations

import base64
import logging

import numpy as np

from app.core.dictation import Dictation, Piece, Settings
from app.engine import protocol
from app.engine.worker_io import EventStream, QueueWorker, run

log = logging.getLogger("hearth.speech")


class SpeechWorker(QueueWorker):
    QUEUE_CANCELS = True  # a cancelled microphone stream is ended in order, after what it was sent
    label = "speech engine"

    def __init__(self, events: EventStream) -> None:
        super().__init__(events)
        self._streams: dict[int, Dictation] = {}
        from app.engine.speech import SpeechSession

        self.session = SpeechSession()

    def ready(self) -> dict:
        from app.engine.speech import describe_runtime

        return {**super().ready(), "backend": "faster-whisper", "speech": describe_runtime()}

    def failure_message(self, error: Exception) -> str:
        return f"Speech recognition failed: {error}"

    def after_failure(self, request_id: int) -> None:
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
