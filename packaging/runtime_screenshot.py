"""Take the README's screenshots of the load settings and the local API server, in the real app.

A fresh home with the starter model: the Load settings dialog as a user opens it, then the
Server panel after a real `openai` client has asked it one question.

    xvfb-run -s "-screen 0 1280x800x24" python packaging/runtime_screenshot.py resources/
"""
from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(folder: str) -> None:
    os.environ.setdefault("HEARTH_HOME", tempfile.mkdtemp(prefix="hearth-shot-"))
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.main import Hearth, dress
    from app.paths import Paths

    app = QApplication([])
    dress(app)
    hearth = Hearth(Paths.from_environment())
    hearth.settings.temperature = 0.0
    hearth.settings.api_port = free_port()
    hearth.window.resize(1100, 700)
    hearth.start()
    out = Path(folder)
    stage = {"step": "wait"}
    asked: list[str] = []

    def ask() -> None:
        import openai

        client = openai.OpenAI(base_url=hearth.api.url, api_key="none", max_retries=0, timeout=120)
        model = client.models.list().data[0].id
        reply = client.chat.completions.create(model=model, max_tokens=40, temperature=0, messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the capital of France?"}])
        asked.append(reply.choices[0].message.content)

    def step() -> None:
        if stage["step"] == "wait" and hearth.models.state == "ready":
            hearth.window.open_load_settings()
            stage["step"] = "settings"
            QTimer.singleShot(600, grab_settings)
        elif stage["step"] == "asked" and asked:
            stage["step"] = "done"
            QTimer.singleShot(600, grab_server)

    def grab_settings() -> None:
        dialog = hearth.window.load_settings_dialog
        dialog.grab().save(str(out / "load-settings.png"))
        print(f"saved {out / 'load-settings.png'}")
        dialog.close()
        hearth.open_server_panel()
        hearth.server_panel.resize(820, 460)
        hearth.api.start()
        stage["step"] = "asked"
        threading.Thread(target=ask, daemon=True).start()

    def grab_server() -> None:
        hearth.server_panel.grab().save(str(out / "server.png"))
        print(f"saved {out / 'server.png'}")
        timer.stop()
        hearth.close()
        app.quit()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(100)
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "resources")
