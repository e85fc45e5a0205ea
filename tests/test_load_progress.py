"""Loading shows llama.cpp's progress and can be cancelled: llama.cpp aborts, nothing stays loaded.

The cancel in the app's tests is sent when the first progress event arrives; Gemma read without a
memory map takes llama.cpp many progress calls. Should the load still finish before the cancel
reaches it, the outcome the user sees must be the same (no model loaded), so nothing here depends
on the machine's speed; the in-process test makes llama.cpp's own abort certain.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from app.core.load_options import LoadOptions
from app.gui.engine_bridge import EngineBridge
from app.gui.model_controller import CANCELLED, FAILED, LOADING, READY, ModelController
from app.settings import Settings


def test_llama_cpp_reports_progress_and_aborts_when_told(smollm_path):
    from app.engine.llm import LlmSession
    from app.engine.load_progress import LoadCancelled

    session = LlmSession()
    options = LoadOptions(n_ctx=512, n_threads=1, use_mmap=False)
    heard: list[float] = []
    session.load(str(smollm_path), options, threads=1, progress=lambda f: heard.append(f) or True)
    assert session.loaded and heard[0] == 0.0 and heard[-1] == 1.0 and heard == sorted(heard)
    assert len(heard) > 10  # llama.cpp's own calls, tensor by tensor

    stops: list[float] = []

    def stop_after_the_first_tensors(fraction: float) -> bool:
        stops.append(fraction)
        return fraction == 0.0

    with pytest.raises(LoadCancelled):
        session.load(str(smollm_path), options, threads=1, progress=stop_after_the_first_tensors)
    assert len(stops) == 2 and 0.0 < stops[1] < 1.0  # llama.cpp asked no more after the "stop"
    assert not session.loaded
    session.load(str(smollm_path), options, threads=1)  # and loads the next time, with no callback
    assert session.loaded
    session.unload()


@pytest.fixture
def models(qtbot, tmp_path):
    engine = EngineBridge(log_path=tmp_path / "engine.log")
    settings = Settings()
    settings.set_default_load_options(LoadOptions(n_threads=2, n_ctx=1024, use_mmap=False))
    controller = ModelController(engine, settings)
    yield controller
    engine.shutdown()


def test_a_load_reports_its_progress_before_it_is_ready(qtbot, models, gemma_path):
    heard: list[float] = []
    states: list[str] = []
    models.load_progress.connect(heard.append)
    models.state_changed.connect(lambda state, _name: states.append(state))
    models.loaded.connect(lambda _report: states.append(f"loaded after {len(heard)}"))
    models.choose(str(gemma_path), "Gemma")
    qtbot.waitUntil(lambda: models.state in (READY, FAILED), timeout=60_000)
    assert models.state == READY
    assert heard[0] == 0.0 and heard[-1] == 1.0 and heard == sorted(heard)
    assert states[0] == LOADING and f"loaded after {len(heard)}" in states  # every progress event came first


def test_cancel_during_a_load_leaves_no_model_and_says_so(qtbot, models, gemma_path, smollm_path):
    messages: list[str] = []
    models.load_cancelled.connect(messages.append)
    assert not models.cancel_load()  # nothing is loading
    models.choose(str(gemma_path), "Gemma")
    with qtbot.waitSignal(models.load_progress, timeout=60_000):
        pass
    pid = models.engine.pid
    assert models.cancel_load()
    qtbot.waitUntil(lambda: models.state != LOADING, timeout=60_000)
    assert models.state == CANCELLED
    assert messages == [("Loading Gemma was cancelled; no model is loaded. Choose it again, or send a message, "
                         "to load it.")]
    assert models.report == {} and not models.ready and models.n_ctx == 0
    # The engine holds no model (it answers as much), and it is the same process: nothing crashed.
    failures = []
    models.engine.request_failed.connect(lambda _id, message, _detail: failures.append(message))
    models.engine.count([{"role": "user", "content": "Hello"}])
    qtbot.waitUntil(lambda: bool(failures), timeout=30_000)
    assert failures == ["No model is loaded."] and models.engine.pid == pid
    assert models.engine.client.last_load is None  # a restart of the engine would not load it either

    models.choose(str(gemma_path), "Gemma")  # asked again, it loads
    qtbot.waitUntil(lambda: models.state in (READY, FAILED), timeout=60_000)
    assert models.state == READY and models.report["path"] == str(gemma_path)


def test_a_cancelled_model_loads_again_for_the_next_message(qtbot, models, gemma_path):
    models.choose(str(gemma_path), "Gemma")
    with qtbot.waitSignal(models.load_progress, timeout=60_000):
        pass
    models.cancel_load()
    qtbot.waitUntil(lambda: models.state == CANCELLED, timeout=60_000)
    models.begin_generating()  # what the chat does when a message is sent
    assert models.state == LOADING
    qtbot.waitUntil(lambda: models.ready, timeout=60_000)
    models.end_generating()
    assert models.state == READY


def test_options_that_change_keep_a_cancelled_model_unloaded(qtbot, models, gemma_path):
    path = str(gemma_path)
    models.choose(path, "Gemma")
    with qtbot.waitSignal(models.load_progress, timeout=60_000):
        pass
    models.cancel_load()
    qtbot.waitUntil(lambda: models.state == CANCELLED, timeout=60_000)
    starts = []
    models.load_starting.connect(starts.append)
    assert models.set_options(path, replace(models.options, n_ctx=2048))
    assert starts == [] and models.state == CANCELLED  # the user said no; a setting does not overrule it


def test_the_status_bar_shows_the_load_with_a_cancel_button(qtbot, make_hearth, home, gemma_path):
    from conftest import copy_model
    from PySide6.QtCore import Qt

    copy_model(gemma_path, home.models, "gemma.gguf")  # the only model: the window loads it at start
    saved = Settings.load(home.settings_file)
    saved.set_default_load_options(replace(saved.default_load_options, use_mmap=False))
    saved.save(home.settings_file)
    hearth = make_hearth(include_starter=False)
    window, models = hearth.window, hearth.models
    bar = window.load_progress
    assert bar.isHidden()
    seen = []  # the window's bar is updated before this slot runs: it shows each value as it comes
    models.load_progress.connect(lambda fraction: seen.append((fraction, bar.isVisible(), bar.bar.value())))
    qtbot.waitUntil(lambda: bool(seen), timeout=60_000)
    assert seen[0] == (0.0, True, 0) and window.model_pill.text() == "Loading…"
    assert bar.bar.text().startswith(f"Loading {models.name}…")
    qtbot.mouseClick(bar.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: models.state == CANCELLED, timeout=60_000)
    assert bar.isHidden() and window.model_pill.text() == "Load cancelled"
    assert window.notice.isVisible() and window.notice.text.startswith(f"Loading {models.name} was cancelled; no model")

    seen.clear()
    models.choose(models.path, models.name)  # chosen again, it loads
    qtbot.waitUntil(lambda: models.state == READY, timeout=60_000)
    assert seen[-1] == (1.0, True, 1000) and bar.isHidden()
    assert [value for _fraction, _shown, value in seen] == sorted(value for _fraction, _shown, value in seen)
