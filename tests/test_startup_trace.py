"""bench/startup.py's two moments, noted by the real app: its window's first paint, then the starter model ready."""
from __future__ import annotations

import json
import time

from app.gui.startup_trace import MODEL_READY, WINDOW_PAINTED, StartupTrace


def test_the_app_notes_its_first_paint_then_its_model_ready(qtbot, make_hearth, tmp_path):
    before = time.time()
    hearth = make_hearth()
    trace = tmp_path / "trace.jsonl"
    StartupTrace(str(trace), hearth.window, hearth.models)

    def moments() -> list[dict]:
        return [json.loads(line) for line in trace.read_text().splitlines()] if trace.exists() else []

    qtbot.waitUntil(lambda: len(moments()) == 2, timeout=60_000)
    painted, ready = moments()
    assert (painted["event"], ready["event"]) == (WINDOW_PAINTED, MODEL_READY)
    assert before < painted["time"] <= ready["time"] <= time.time()
    hearth.window.update()
    qtbot.wait(100)
    assert len(moments()) == 2  # each moment once
