"""Take the README's screenshot of the dictation window, transcribing a spoken file.

    xvfb-run -s "-screen 0 1280x800x24" python packaging/dictation_screenshot.py resources/dictation.png

The speech is made with espeak-ng at the time (nothing recorded is committed).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SPEECH = ("Notes for Monday. My sister lives in a small house near the river. "
          "The children are playing football in the park. Turn off the lights before you go to bed.")


def main(target: str) -> None:
    os.environ.setdefault("HEARTH_HOME", tempfile.mkdtemp(prefix="hearth-shot-"))
    clip = Path(tempfile.mkdtemp()) / "notes.wav"
    subprocess.run(["espeak-ng", "-s", "160", "-w", str(clip), SPEECH], check=True)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.main import Hearth
    from app.paths import Paths, resource

    app = QApplication([])
    app.setStyleSheet(resource("style.qss").read_text(encoding="utf-8"))
    hearth = Hearth(Paths.from_environment(), include_starter=False)
    hearth.open_dictation()
    window = hearth.dictation
    window.resize(720, 460)
    window.timestamps.setChecked(True)
    window.transcribe(str(clip))

    def finish() -> None:
        window.grab().save(target)
        print(f"saved {target}")
        hearth.close()
        app.quit()

    hearth.voice.file_finished.connect(lambda _reason: QTimer.singleShot(300, finish))
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "resources/dictation.png")
