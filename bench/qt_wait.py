"""Benchmarks drive the real Qt app from a script: let its event loop run until something is true."""
from __future__ import annotations

import time


def wait(predicate, seconds: float, step_ms: int = 10) -> bool:
    """Run the Qt event loop until ``predicate()`` is true or ``seconds`` pass; the predicate's last answer."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.perf_counter() + seconds
    loop = QEventLoop()
    while time.perf_counter() < deadline:
        if predicate():
            return True
        QTimer.singleShot(step_ms, loop.quit)
        loop.exec()
    return predicate()
