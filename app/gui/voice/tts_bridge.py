"""Qt signals for the speech-out engine's events (queued onto the GUI thread, as for the other engines)."""
from __future__ import annotations

import base64
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.engine import protocol
from app.engine.tts_client import TtsClient
from app.gui.voice.engine_events import EngineEvents


class TtsBridge(EngineEvents):
    audio = Signal(int, bytes, int)  # sentence id, int16 mono PCM, sample rate

    def __init__(self, log_path: Path | None = None, parent: QObject | None = None, **options) -> None:
        super().__init__(parent)
        self.client = TtsClient(self._dispatch, log_path=log_path, **options)

    def _own_event(self, kind: str, request_id: int, event: dict) -> bool:
        if kind != protocol.AUDIO:
            return False
        self.audio.emit(request_id, base64.b64decode(event["pcm"]), int(event["rate"]))
        return True
