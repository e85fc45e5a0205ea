"""The GUI's handle on the speech engine process: the LLM engine's client, speaking speech requests.

Starting, crash detection, restart with the last model, and the log all come
from ``EngineClient``; this adds the speech requests.
"""
from __future__ import annotations

import base64

import numpy as np

from app.engine import protocol
from app.engine.client import EngineClient, engine_command


class SpeechClient(EngineClient):
    def __init__(self, on_event, **options) -> None:
        options.setdefault("command", engine_command("app.engine.speech_worker", "--speech-worker"))
        super().__init__(on_event, **options)
        self.describes = ("speech engine", "the speech recogniser")
        self.settings: dict = {}

    def load(self, path: str, *, device: str = "auto", threads: int = 0) -> int:  # type: ignore[override]
        request = {"op": protocol.LOAD, "path": str(path), "device": device, "threads": threads}
        self.last_load = request
        return self._request(request)

    def configure(self, language: str | None, initial_prompt: str | None) -> None:
        self.settings = {"language": language or None, "initial_prompt": initial_prompt or None}
        self._request({"op": protocol.CONFIGURE, **self.settings})

    def listen(self, continuous: bool) -> int:
        """Start a microphone stream; returns its id for ``audio`` and ``end``."""
        if self.settings and not self.running:
            self._request({"op": protocol.CONFIGURE, **self.settings})  # a restarted engine forgot them
        return self._request({"op": protocol.LISTEN, "continuous": continuous})

    def audio(self, stream_id: int, samples: np.ndarray) -> None:
        pcm = base64.b64encode(samples.astype("<f4", copy=False).tobytes()).decode("ascii")
        try:
            self._send({"op": protocol.AUDIO, "id": stream_id, "pcm": pcm})
        except (BrokenPipeError, OSError):
            pass  # the engine died; the reader reports it

    def end(self, stream_id: int) -> None:
        try:
            self._send({"op": protocol.END, "id": stream_id})
        except (BrokenPipeError, OSError):
            pass

    def transcribe_file(self, path: str, language: str | None = None, prompt: str | None = None) -> int:
        """Transcribe a file; ``language`` and ``prompt`` apply to it alone (None: the configured ones)."""
        return self._request({"op": protocol.FILE, "path": str(path), "language": language or None,
                              "initial_prompt": prompt or None})
