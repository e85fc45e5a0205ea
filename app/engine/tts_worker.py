"""The speech-out engine process: ``python -m app.engine.tts_worker`` (``hearth --tts-worker`` in a bundle).

Piper (onnxruntime and espeak-ng, native code) runs here, not in the window: a crash in it ends this
process, the window says so, and the next sentence starts a new one. Like the other engines:
requests on stdin, events on a private copy of stdout, synthesis on the main thread, a reader thread
that notices cancels while a sentence is being made.
"""
from __future__ import annotations

import base64
import logging

from app.engine import protocol
from app.engine.worker_io import EventStream, QueueWorker, run

log = logging.getLogger("hearth.tts")


class TtsWorker(QueueWorker):
    label = "voice engine"

    def __init__(self, events: EventStream) -> None:
        super().__init__(events)
        from app.engine.voice import VoiceSession

        self.session = VoiceSession()

    def ready(self) -> dict:
        from app.engine.voice import describe_runtime

        return {**super().ready(), "backend": "piper", "tts": describe_runtime()}

    def failure_message(self, error: Exception) -> str:
        return "The voice could not say this sentence."

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
