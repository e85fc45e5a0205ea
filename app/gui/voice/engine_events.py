"""Qt signals for what every engine process reports, queued onto the GUI thread: a load done, a request
ended or failed, the process crashed or (re)started. Each engine's bridge adds its own events."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.engine import protocol


class EngineEvents(QObject):
    loaded = Signal(int, dict)  # id, what was loaded
    done = Signal(int, str)  # id, reason
    failed = Signal(int, str, str)  # id, message, detail
    crashed = Signal(str, list)  # message, ids that will never be answered
    ready = Signal(dict)  # the engine (re)started: its "ready" event (versions, devices)

    def _dispatch(self, event: dict) -> None:
        kind, request_id = event.get("event"), event.get("id", 0)
        if self._own_event(kind, request_id, event):
            return
        if kind == protocol.DONE:
            self.done.emit(request_id, event.get("reason", ""))
        elif kind == protocol.LOADED:
            self.loaded.emit(request_id, event.get("model", {}))
        elif kind == protocol.ERROR:
            self.failed.emit(request_id or 0, event.get("message", ""), event.get("detail", ""))
        elif kind == protocol.CRASHED:
            self.crashed.emit(event.get("message", ""), list(event.get("requests", [])))
        elif kind == protocol.READY:
            self.ready.emit(dict(event))

    def _own_event(self, kind: str, request_id: int, event: dict) -> bool:
        """An event only this engine sends: emitted, and True; anything else, False."""
        return False

    def shutdown(self) -> None:
        self.client.shutdown()
