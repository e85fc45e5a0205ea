"""Take the README's screenshot of the real window: a fresh home, the starter model, one real reply.

    xvfb-run -s "-screen 0 1280x800x24" python packaging/screenshot.py resources/screenshot.png [light|dark]
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(target: str, theme: str = "light") -> None:
    os.environ.setdefault("HEARTH_HOME", tempfile.mkdtemp(prefix="hearth-shot-"))
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.main import Hearth, dress
    from app.paths import Paths

    app = QApplication([])
    dress(app)
    hearth = Hearth(Paths.from_environment())
    hearth.settings.temperature = 0.0
    hearth.window.set_theme(theme)
    hearth.window.resize(1100, 700)
    hearth.start()
    questions = ["What is the capital of France?", "Write a Python function that reverses a string."]
    regenerated = []

    def step() -> None:
        if hearth.models.state == "ready" and not hearth.chat.busy and not hearth.chat.titling:
            if questions:
                hearth.window.input.setPlainText(questions.pop(0))
                hearth.window._send(hearth.window.input.toPlainText())
            elif not regenerated:  # a second version of the last reply: the "◀ 2/2 ▶" shows
                regenerated.append(True)
                hearth.chat.set_conversation_settings({"temperature": 0.7, "seed": 11})
                hearth.window.view.message_widgets()[-1].regenerate_button.click()
            else:
                timer.stop()
                QTimer.singleShot(400, finish)

    def finish() -> None:
        hearth.window.input.setPlainText("Now make it handle None")
        app.processEvents()
        hearth.window.grab().save(target)
        print(f"saved {target}")
        hearth.close()
        app.quit()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(100)
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "resources/screenshot.png", *sys.argv[2:3])
