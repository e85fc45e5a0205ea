"""The core knows nothing of Qt, and the GUI process never loads llama.cpp."""
import subprocess
import sys

from conftest import REPO

CORE_MODULES = ["app.core.errors", "app.core.gguf_info", "app.core.library", "app.core.store",
                "app.core.chat_template", "app.core.text_stream", "app.engine.client", "app.engine.protocol",
                "app.paths", "app.settings", "app.backend.local", "app.api.server", "app.api.serve"]


def _modules_after_import(modules: list[str]) -> set[str]:
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_core_imports_without_qt():
    loaded = _modules_after_import(CORE_MODULES)
    assert "app.core.gguf_info" in loaded
    assert not any(name == "PySide6" or name.startswith("PySide6.") for name in loaded)


def test_gui_process_does_not_load_llama_cpp():
    loaded = _modules_after_import(["app.main", "app.gui.main_window", "app.gui.chat.chat_controller",
                                    "app.api.server", "app.backend.local"])
    assert "app.gui.main_window" in loaded
    assert "llama_cpp" not in loaded
