"""``python -m app`` starts the real app, and a SIGTERM (logout, ``kill``) quits it cleanly."""
import json
import os
import signal
import subprocess
import sys
import time

from conftest import REPO


def _last_model(home) -> str:
    try:
        return json.loads(home.settings_file.read_text()).get("last_model", "")
    except FileNotFoundError:
        return ""  # written atomically: either absent or whole


def test_python_m_app_starts_and_quits_cleanly_on_sigterm(home):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    started = time.monotonic()
    app = subprocess.Popen([sys.executable, "-m", "app"], cwd=REPO, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # The app picks the starter model by itself and remembers it once it is loaded. (The settings file
        # is written before that too: the open conversation and the window's size are kept as they change.)
        deadline = started + 60
        while time.monotonic() < deadline and not _last_model(home):
            assert app.poll() is None, app.stdout.read()
            time.sleep(0.05)
        assert home.database.exists()
        app.send_signal(signal.SIGTERM)
        assert app.wait(15) == 0
    finally:
        if app.poll() is None:
            app.kill()
    settings = json.loads(home.settings_file.read_text())
    assert settings["last_model"].endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert "engine started" in home.log_file.read_text()


def test_version():
    result = subprocess.run([sys.executable, "-m", "app", "--version"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "Hearth 0.1.0"


def test_every_package_is_installed():
    """``pip install .`` ships only the packages pyproject names: a new folder must be listed."""
    import tomllib

    declared = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "app").rglob("*.py")}
    assert folders <= declared, f"missing from pyproject.toml: {sorted(folders - declared)}"
    assert all((REPO / name.replace(".", "/") / "__init__.py").exists() for name in folders)
