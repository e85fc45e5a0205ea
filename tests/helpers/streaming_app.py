"""Run the real Hearth app and start a long reply; the test kills this process with SIGKILL.

Prints the engine's pid once the reply is streaming. HEARTH_HOME comes from the environment.
"""

import os
import sys
from dataclasses import replace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.main import Hearth  # noqa: E402
from app.paths import Paths  # noqa: E402


def main() -> None:
    app = QApplication([])
    hearth = Hearth(Paths.from_environment())
    hearth.settings.temperature = 0.0
    hearth.settings.max_tokens = 4000
    hearth.settings.set_default_load_options(replace(hearth.settings.default_load_options, n_threads=2))
    hearth.start()
    sent = []

    def poll() -> None:
        if not sent and hearth.models.state == "ready":
            sent.append(hearth.chat.send("Write a very long story about a dragon who learns to bake bread."))
            print(f"engine {hearth.engine.pid}", flush=True)

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(50)
    app.exec()


if __name__ == "__main__":
    main()
