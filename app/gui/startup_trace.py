"""When the window first painted and when the model was first ready, for bench/startup.py.

Only with ``HEARTH_STARTUP_TRACE=<file>`` in the environment: each moment is appended to the file as a
JSON line with the wall-clock time, so a benchmark that started the process can take the difference.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject

TRACE_ENV = "HEARTH_STARTUP_TRACE"
WINDOW_PAINTED, MODEL_READY = "window_painted", "model_ready"


class StartupTrace(QObject):
    def __init__(self, path: str, window, models) -> None:
        super().__init__(window)
        self.path = Path(path)
        self.window = window
        self.seen: set[str] = set()
        window.installEventFilter(self)
        models.loaded.connect(lambda _report: self.mark(MODEL_READY))

    def mark(self, event: str) -> None:
        if event in self.seen:
            return
        self.seen.add(event)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"event": event, "time": time.time()}) + "\n")

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint and WINDOW_PAINTED not in self.seen:
            # The paint is delivered now; its pixels reach the screen when this event returns.
            self.mark(WINDOW_PAINTED)
            self.window.removeEventFilter(self)
        return False
