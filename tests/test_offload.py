"""Auto GPU offload through the real engine, and the status bar's line about where the model runs.

There is no GPU here: the GPU is a GpuMemory passed in. This llama.cpp build is CPU-only, so it
takes the layer count Auto worked out (read back from the engine) and runs them on the CPU.
"""
from __future__ import annotations

import pytest

from app.core import fit, offload, offload_status
from app.core.gguf_info import read_gguf_info
from app.core.gpu import GpuMemory
from app.core.load_options import GPU_AUTO, LoadOptions
from app.gui.engine_bridge import EngineBridge
from app.gui.model_controller import FAILED, READY, ModelController
from app.settings import Settings

H200 = GpuMemory("NVIDIA H200", 140_000_000_000, 150_754_820_096)


def test_describe_the_placement():
    report = {"n_gpu_layers": 28, "layer_count": 31, "backend": "CUDA"}
    assert offload_status.describe(report, H200) == "28/32 layers on the GPU (NVIDIA H200, 151 GB)"
    assert offload_status.describe({**report, "n_gpu_layers": -1}, H200).startswith("32/32 layers")
    assert offload_status.describe({**report, "n_gpu_layers": 99}, H200).startswith("32/32 layers")
    assert offload_status.describe({**report, "backend": "Metal", "n_gpu_layers": -1}, None) == \
        "32/32 layers on the GPU (Metal)"
    assert offload_status.describe({**report, "n_gpu_layers": 0}, H200) == "CPU"
    assert offload_status.describe({**report, "backend": "CPU"}, H200) == "CPU"  # a CPU build places nothing
    assert offload_status.describe({}, H200) == ""


@pytest.fixture
def engine(qtbot, tmp_path):
    bridge = EngineBridge(log_path=tmp_path / "engine.log")
    yield bridge
    bridge.shutdown()


def test_auto_offload_sends_the_layers_that_fit_in_the_gpus_free_memory(qtbot, engine, smollm_path):
    info = read_gguf_info(smollm_path)
    options = LoadOptions(n_threads=2, n_ctx=2048, n_gpu_layers=GPU_AUTO)
    # A GPU with room for some of SmolLM2's blocks but not all of them: the per-block sizes decide.
    free = int(offload.place(info, options, 20).gpu / fit.GPU_MARGIN) + 1
    gpu = GpuMemory("Test GPU", free, 2 * free)
    settings = Settings()
    settings.set_default_load_options(options)
    models = ModelController(engine, settings, gpu_probe=lambda: gpu)
    assert models.fit_of(info).gpu_layers == 20
    models.choose(str(smollm_path), "SmolLM2", info=info)
    qtbot.waitUntil(lambda: models.state in (READY, FAILED), timeout=60_000)
    assert models.state == READY
    assert models.report["n_gpu_layers"] == fit.auto_gpu_layers(info, options, gpu) == 20
    assert offload_status.describe(models.report, gpu) == "CPU"  # this build has no GPU backend


def test_the_status_bar_says_where_the_model_runs(qtbot, make_hearth):
    hearth = make_hearth()
    label = hearth.window.status_offload
    qtbot.waitUntil(lambda: hearth.models.state == "ready", timeout=60_000)
    qtbot.waitUntil(lambda: label.text() == "CPU", timeout=5_000)  # this llama.cpp build: CPU only
    # What a CUDA build's report says after a load, with the GPU nvidia-smi names.
    hearth.models.gpu_probe = lambda: H200
    hearth.models.loaded.emit({**hearth.models.report, "backend": "CUDA", "n_gpu_layers": 28, "layer_count": 31})
    assert label.text() == "28/32 layers on the GPU (NVIDIA H200, 151 GB)" and label.isVisibleTo(hearth.window)
    hearth.models.forget()
    assert label.text() == ""


def test_auto_offload_on_metal_puts_every_layer_on_the_gpu(qtbot, engine, smollm_path):
    # Metal has no memory of its own to ask about (it shares RAM): Auto is every layer, as llama.cpp does there.
    settings = Settings()
    settings.set_default_load_options(LoadOptions(n_threads=2, n_ctx=1024, n_gpu_layers=GPU_AUTO))
    models = ModelController(engine, settings, gpu_probe=lambda: None)
    models.choose(str(smollm_path), "SmolLM2")
    qtbot.waitUntil(lambda: models.state in (READY, FAILED), timeout=60_000)
    assert models.report["n_gpu_layers"] == 0  # this CPU build
    engine.client.process.backend = "Metal"  # what a Metal build's engine says when it starts
    models.set_options(str(smollm_path), LoadOptions(n_threads=2, n_ctx=2048, n_gpu_layers=GPU_AUTO))
    qtbot.waitUntil(lambda: models.state == READY and models.report.get("n_ctx") == 2048, timeout=60_000)
    assert models.report["n_gpu_layers"] >= 31  # llama.cpp reads "all" (-1) as its largest int
