"""Hearth on a PulseAudio server with no sound output at all, reading a real reply aloud.

Run as a program: Qt's audio backend binds to one server per process, and the test's own process
is on the shared one (which has outputs). Prints one JSON line: the notice, the reply as the window
shows it and as the store holds it.
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from app.main import Hearth
    from app.paths import Paths

    app = QApplication([])
    hearth = Hearth(Paths.from_environment().ensure())
    hearth.settings.temperature = 0.0
    hearth.settings.max_tokens = 40
    hearth.settings.set_default_load_options(replace(hearth.settings.default_load_options, n_threads=2))
    hearth.window.speech_out_menu.read_replies_action.setChecked(True)
    hearth.start()
    errors: list[str] = []
    hearth.speaker.error_raised.connect(errors.append)

    def wait(condition, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        return condition()

    wait(lambda: hearth.models.state == "ready", 60)
    hearth.chat.send("What is the capital of France?")
    wait(lambda: not hearth.chat.busy and (errors or not hearth.speaker.speaking), 90)
    wait(lambda: bool(errors), 10)
    reply = hearth.window.view.message_widgets()[-1]
    stored = hearth.store.message(reply.message_id)
    print(json.dumps({"errors": errors, "notice": hearth.window.notice.text, "shown": reply.text,
                      "stored": stored.content, "status": stored.status,
                      "outputs": hearth.speaker.player.outputs()}), flush=True)
    hearth.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
