"""Take the README's screenshots of the real window, on a fresh home with the starter model.

    xvfb-run -s "-screen 0 1280x800x24" python packaging/screenshot.py resources/screenshot.png [light|dark]
    xvfb-run -s "-screen 0 1280x800x24" python packaging/screenshot.py resources/welcome.png light welcome
    xvfb-run -s "-screen 0 1280x800x24" python packaging/screenshot.py resources/talk.png dark talk

The first: a few weeks of earlier chats in the sidebar (written into the store as a user would have left
them), then real replies of SmolLM2 and a second version of the last. ``welcome``: the first run's window.
``talk``: the same chat, then a voice conversation listening (it needs a microphone: PulseAudio's default input).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


HISTORY = [("Plan a weekend in Lisbon", 1, True), ("Birthday email for Sam", 1, False),
           ("Refactor the CSV parser", 3, False), ("Explain Bayes' theorem", 5, False),
           ("Tax questions for freelancers", 24, False), ("Sourdough starter schedule", 40, False)]


def seed_history(paths) -> None:
    """Earlier chats, last active days ago: the store stamps "now", so their times are written in after."""
    import sqlite3
    import time

    from app.core.store import Store

    store = Store(paths.database)
    stamps = []
    for title, days, pinned in HISTORY:
        conversation = store.create_conversation(title)
        store.add_message(conversation.id, "user", f"About {title.lower()}")
        store.add_message(conversation.id, "assistant", "Here is what I know.")
        if pinned:
            store.set_pinned(conversation.id, True)
        stamps.append((time.time() - days * 86_400 - 3_600, conversation.id))
    store.close()
    with sqlite3.connect(paths.database) as db:
        db.executemany("UPDATE conversations SET updated_at = ? WHERE id = ?", stamps)


def main(target: str, theme: str = "light", mode: str = "chat") -> None:
    os.environ.setdefault("HEARTH_HOME", tempfile.mkdtemp(prefix="hearth-shot-"))
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.main import Hearth, dress
    from app.paths import Paths

    app = QApplication([])
    dress(app)
    paths = Paths.from_environment().ensure()
    if mode in ("chat", "talk"):
        seed_history(paths)
    hearth = Hearth(paths)
    hearth.settings.temperature = 0.0
    hearth.window.set_theme(theme)
    hearth.window.resize(1100, 700)
    hearth.start()
    if mode in ("chat", "talk"):
        hearth.window.new_chat()  # today's chat, above the history
    questions = ["What is the capital of France?", "Write a Python function that reverses a string."]
    regenerated = []

    def step() -> None:
        if hearth.models.state == "ready" and not hearth.chat.busy and not hearth.chat.titling:
            if mode == "welcome":
                timer.stop()
                QTimer.singleShot(400, finish)
            elif questions:
                hearth.window.input.setPlainText(questions.pop(0))
                hearth.window._send(hearth.window.input.toPlainText())
            elif not regenerated:  # a second version of the last reply: the "◀ 2/2 ▶" shows
                regenerated.append(True)
                hearth.chat.set_conversation_settings({"temperature": 0.7, "seed": 11})
                hearth.window.view.message_widgets()[-1].regenerate_button.click()
            elif mode == "talk" and not hearth.window.talk.active:
                hearth.window.talk.start()
            elif mode != "talk" or hearth.window.talk.state.value == "listening":
                timer.stop()
                QTimer.singleShot(1200, finish)

    def finish() -> None:
        if mode == "chat":
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
    main(sys.argv[1] if len(sys.argv) > 1 else "resources/screenshot.png", *sys.argv[2:4])
