"""Qt signals for the speech engine's events (queued onto the GUI thread, as for the LLM engine)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.engine import protocol
from app.engine.speech_client import SpeechClient
from app.gui.voice.engine_events import EngineEvents


class SpeechBridge(EngineEvents):
    partial = Signal(int, str)  # stream id, text so far
    final = Signal(int, str, float, float)  # stream id, text, start, end (seconds in the stream)
    segment = Signal(int, str, float, float, float)  # file id, text, start, end, share of the file done

    def __init__(self, log_path: Path | None = None, parent: QObject | None = None, **options) -> None:
        super().__init__(parent)
        self.client = SpeechClient(self._dispatch, log_path=log_path, **options)

    def _own_event(self, kind: str, request_id: int, event: dict) -> bool:
        if kind == protocol.PARTIAL:
            self.partial.emit(request_id, event["text"])
        elif kind == protocol.FINAL:
            self.final.emit(request_id, event["text"], float(event["start"]), float(event["end"]))
        elif kind == protocol.SEGMENT:
            self.segment.emit(request_id, event["text"], float(event["start"]), float(event["end"]),
                              float(event["progress"]))
        else:
            return False
        return True
