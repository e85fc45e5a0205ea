"""The GUI's handle on the speech engine process: speech requests over an engine process.

Starting, crash detection, restart with the last model, and the log all come
from ``EngineProcess`` (the same transport the LLM engine's client composes);
this adds the speech requests.
"""
from __future__ import annotations

import base64
from pathlib import Path

import numpy as np

from app.engine import protocol
from app.engine.process import EngineProcess, EventHandler, ProcessClient, engine_command


class SpeechClient(ProcessClient):
    def __init__(self, on_event: EventHandler, *, command: list[str] | None = None, log_path: Path | None = None,
                 env: dict | None = None) -> None:
        self.process = EngineProcess(on_event, command or engine_command("app.engine.speech_worker",
                                                                          "--speech-worker"),
                                     log_path=log_path, env=env, describes=("speech engine",
                                                                            "the speech recogniser"))
        self.settings: dict = {}

    # -- the process ----------------------------------------------------------------------
    # -- speech requests --------------------------------------------------------------------
    def load(self, path: str, *, device: str = "auto", threads: int = 0) -> int:
        request = {"op": protocol.LOAD, "path": str(path), "device": device, "threads": threads}
        self.process.last_load = request
        return self.process.request(request)

    def configure(self, language: str | None, initial_prompt: str | None) -> None:
        self.settings = {"language": language or None, "initial_prompt": initial_prompt or None}
        self.process.request({"op": protocol.CONFIGURE, **self.settings})

    def listen(self, continuous: bool) -> int:
        """Start a microphone stream; returns its id for ``audio`` and ``end``."""
        if self.settings and not self.running:
            self.process.request({"op": protocol.CONFIGURE, **self.settings})  # a restarted engine forgot them
        return self.process.request({"op": protocol.LISTEN, "continuous": continuous})

    def audio(self, stream_id: int, samples: np.ndarray) -> None:
        pcm = base64.b64encode(samples.astype("<f4", copy=False).tobytes()).decode("ascii")
        try:
            self.process.send({"op": protocol.AUDIO, "id": stream_id, "pcm": pcm})
        except (BrokenPipeError, OSError):
            pass  # the engine died; the reader reports it

    def end(self, stream_id: int) -> None:
        try:
            self.process.send({"op": protocol.END, "id": stream_id})
        except (BrokenPipeError, OSError):
            pass

    def transcribe_file(self, path: str, language: str | None = None, prompt: str | None = None) -> int:
        """Transcribe a file; ``language`` and ``prompt`` apply to it alone (None: the configured ones)."""
        return self.process.request({"op": protocol.FILE, "path": str(path), "language": language or None,
                              "initial_prompt": prompt or None})
