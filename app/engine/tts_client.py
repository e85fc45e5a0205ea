"""The GUI's handle on the speech-out engine process: load a voice, say a sentence, cancel.

Starting, crash detection, restart with the last voice replayed, and the log come from
``EngineProcess``, the transport the LLM and speech-in clients compose too.
"""
from __future__ import annotations

from pathlib import Path

from app.engine import protocol
from app.engine.process import EngineProcess, EventHandler, ProcessClient, engine_command


class TtsClient(ProcessClient):
    def __init__(self, on_event: EventHandler, *, command: list[str] | None = None, log_path: Path | None = None,
                 env: dict | None = None) -> None:
        self.process = EngineProcess(on_event, command or engine_command("app.engine.tts_worker", "--tts-worker"),
                                     log_path=log_path, env=env, describes=("voice engine", "the Piper voice"))

    @property
    def voice(self) -> str:
        return (self.process.last_load or {}).get("path", "")

    def load(self, path: str) -> int:
        request = {"op": protocol.LOAD, "path": str(path)}
        self.process.last_load = request
        return self.process.request(request)

    def speak(self, text: str, speed: float = 1.0) -> int:
        """Synthesize one sentence; "audio" events with its PCM follow, then "done"."""
        return self.process.request({"op": protocol.SPEAK, "text": text, "speed": float(speed)})
