"""Qt signals for the speech-out engine's events (queued onto the GUI thread, as for the other engines)."""
from __future__ import annotations

import base64
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.engine import protocol
from app.engine.tts_client import TtsClient


class TtsBridge(QObject):
    loaded = Signal(int, dict)  # id, the voice: path, name, sample_rate
    audio = Signal(int, bytes, int)  # sentence id, int16 mono PCM, sample rate
    done = Signal(int, str)  # id, reason
    failed = Signal(int, str, str)  # id, message, detail
    crashed = Signal(str, list)  # message, ids that will never be answered
    ready = Signal(dict)

    def __init__(self, log_path: Path | None = None, parent: QObject | None = None, **options) -> None:
        super().__init__(parent)
        self.client = TtsClient(self._dispatch, log_path=log_path, **options)

    def _dispatch(self, event: dict) -> None:
        kind, request_id = event.get("event"), event.get("id", 0)
        if kind == protocol.AUDIO:
            self.audio.emit(request_id, base64.b64decode(event["pcm"]), int(event["rate"]))
        elif kind == protocol.DONE:
            self.done.emit(request_id, event.get("reason", ""))
        elif kind == protocol.LOADED:
            self.loaded.emit(request_id, event.get("model", {}))
        elif kind == protocol.ERROR:
            self.failed.emit(request_id or 0, event.get("message", ""), event.get("detail", ""))
        elif kind == protocol.CRASHED:
            self.crashed.emit(event.get("message", ""), list(event.get("requests", [])))
        elif kind == protocol.READY:
            self.ready.emit(dict(event))

    def shutdown(self) -> None:
        self.client.shutdown()
