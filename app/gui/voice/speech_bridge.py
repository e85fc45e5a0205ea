"""Qt signals for the speech engine's events (queued onto the GUI thread, as for the LLM engine)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.engine import protocol
from app.engine.speech_client import SpeechClient


class SpeechBridge(QObject):
    loaded = Signal(int, dict)
    partial = Signal(int, str)  # stream id, text so far
    final = Signal(int, str, float, float)  # stream id, text, start, end (seconds in the stream)
    segment = Signal(int, str, float, float, float)  # file id, text, start, end, share of the file done
    done = Signal(int, str)  # id, reason
    failed = Signal(int, str, str)  # id, message, detail
    crashed = Signal(str, list)  # message, ids that will never be answered
    ready = Signal(dict)  # the engine (re)started: its "ready" event (versions, CUDA devices, device)

    def __init__(self, log_path: Path | None = None, parent: QObject | None = None, **options) -> None:
        super().__init__(parent)
        self.client = SpeechClient(self._dispatch, log_path=log_path, **options)

    def _dispatch(self, event: dict) -> None:
        kind, request_id = event.get("event"), event.get("id", 0)
        if kind == protocol.PARTIAL:
            self.partial.emit(request_id, event["text"])
        elif kind == protocol.FINAL:
            self.final.emit(request_id, event["text"], float(event["start"]), float(event["end"]))
        elif kind == protocol.SEGMENT:
            self.segment.emit(request_id, event["text"], float(event["start"]), float(event["end"]),
                              float(event["progress"]))
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
