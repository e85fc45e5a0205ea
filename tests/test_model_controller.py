"""The loaded model's one owner: load options travel whole to llama.cpp and decide reloads.

Each option is read back from the engine's report of what llama.cpp really uses, through the
real engine process and the real SmolLM2.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from app.core.load_options import GPU_AUTO, LoadOptions
from app.gui.engine_bridge import EngineBridge
from app.gui.model_controller import FAILED, GENERATING, IDLE_UNLOADED, READY, ModelController
from app.settings import Settings


@pytest.fixture
def models(qtbot, tmp_path):
    engine = EngineBridge(log_path=tmp_path / "engine.log")
    settings = Settings()
    settings.set_default_load_options(LoadOptions(n_threads=2, n_ctx=1024))
    controller = ModelController(engine, settings)
    yield controller
    engine.shutdown()


def wait_loaded(qtbot, models: ModelController) -> dict:
    qtbot.waitUntil(lambda: models.state in (READY, FAILED), timeout=60_000)
    assert models.state == READY, models.report
    return models.report


def test_each_option_reloads_the_model_with_it(qtbot, models, smollm_path):
    path = str(smollm_path)
    models.choose(path, "SmolLM2")
    report = wait_loaded(qtbot, models)
    assert (report["n_ctx"], report["n_threads"], report["type_k"], report["flash_attn"]) == (1024, 2, "f16", False)
    assert report["use_mmap"] is True and report["use_mlock"] is False and report["n_gpu_layers"] == 0
    changes = [
        ({"n_ctx": 2048}, {"n_ctx": 2048}),
        ({"n_threads": 1}, {"n_threads": 1}),
        ({"n_batch": 256}, {"n_batch": 256}),
        ({"flash_attn": "on"}, {"flash_attn": True}),
        ({"flash_attn": "off"}, {"flash_attn": False}),
        ({"type_k": "q8_0"}, {"type_k": "q8_0"}),
        # Auto turns flash attention on for a quantized V cache, which needs it
        ({"flash_attn": "auto", "type_v": "q4_0"}, {"flash_attn": True, "type_v": "q4_0"}),
        ({"use_mmap": False}, {"use_mmap": False}),
    ]
    for change, expected in changes:
        loads = []
        models.loaded.connect(loads.append)
        with qtbot.waitSignal(models.notice_raised, timeout=5_000) as notice:
            assert models.set_options(path, replace(models.options, **change))
        assert notice.args[0].startswith("Reloading SmolLM2 with the new ")
        report = wait_loaded(qtbot, models)
        qtbot.waitUntil(lambda: bool(loads), timeout=60_000)
        models.loaded.disconnect(loads.append)
        assert {key: report[key] for key in expected} == expected, change
    assert models.settings.model_load[path]["type_v"] == "q4_0"  # kept for this model only
    assert models.settings.load_options_for("/other.gguf") == models.settings.default_load_options


def test_an_option_the_engine_does_not_see_does_not_reload(qtbot, models, smollm_path):
    path = str(smollm_path)
    models.choose(path)
    wait_loaded(qtbot, models)
    starts = []
    models.load_starting.connect(starts.append)
    assert models.set_options(path, replace(models.options, idle_unload_minutes=10))
    assert starts == [] and models.options.idle_unload_minutes == 10
    models.reset_options(path)  # back to the defaults: nothing the engine sees changed either
    assert starts == [] and path not in models.settings.model_load


def test_flash_attention_auto_follows_the_heads_on_the_cpu(qtbot, models, gemma_path):
    """Gemma 3's 256-wide heads run faster with flash attention on the CPU; SmolLM2's 64-wide ones
    (the test above: Auto loads it without) do not (app/core/flash_policy.py)."""
    models.choose(str(gemma_path), "Gemma 3")
    report = wait_loaded(qtbot, models)
    assert report["options"]["flash_attn"] == "auto" and report["flash_attn"] is True


def test_a_quantized_v_cache_without_flash_attention_is_refused(qtbot, models, smollm_path):
    path = str(smollm_path)
    models.choose(path)
    wait_loaded(qtbot, models)
    with qtbot.waitSignal(models.error_raised, timeout=5_000) as error:
        assert not models.set_options(path, replace(models.options, flash_attn="off", type_v="q8_0"))
    assert "needs flash attention" in error.args[0]
    assert models.options.type_v == "f16" and models.state == READY  # nothing kept, nothing reloaded


def test_new_defaults_reach_the_loaded_model_but_not_its_own_choices(qtbot, models, smollm_path):
    path = str(smollm_path)
    models.set_options(path, replace(models.options, n_ctx=512))
    models.choose(path)
    wait_loaded(qtbot, models)
    models.set_default_options(replace(models.settings.default_load_options, n_batch=128))
    report = wait_loaded(qtbot, models)
    qtbot.waitUntil(lambda: models.report.get("n_batch") == 128, timeout=60_000)
    assert models.report["n_ctx"] == 512  # its own context stays
    assert models.settings.default_load_options.n_gpu_layers == GPU_AUTO and report is not None


def test_unloads_after_its_idle_minutes_but_never_while_a_request_runs(qtbot, tmp_path, smollm_path):
    engine = EngineBridge(log_path=tmp_path / "engine.log")
    settings = Settings()
    settings.set_default_load_options(LoadOptions(n_threads=2, n_ctx=512, idle_unload_minutes=1))
    models = ModelController(engine, settings, idle_minute_seconds=0.1)  # a "minute" of a tenth of a second
    try:
        models.choose(str(smollm_path), "SmolLM2")
        wait_loaded(qtbot, models)
        models.begin_generating()  # a reply is on its way: the model is not idle, however long it takes
        qtbot.wait(500)
        assert models.state == GENERATING
        models.end_generating()
        qtbot.waitUntil(lambda: models.state == IDLE_UNLOADED, timeout=10_000)
        assert models.report == {} and models.n_ctx == 0 and models.path == str(smollm_path)
        models.begin_generating()  # the next message loads it again, with its options
        qtbot.waitUntil(lambda: models.state == GENERATING, timeout=60_000)
        assert models.report["n_ctx"] == 512
        models.end_generating()
    finally:
        engine.shutdown()
