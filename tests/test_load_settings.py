"""Load settings in the UI: every option changed in the form reloads the model with it (read back from
what llama.cpp reports), Reset, the V-cache refusal, the fit estimate moving with the controls, the
Library's and the Preferences' forms, and unloading after idle minutes.

Through the real app: the real engine process, the real SmolLM2, real Qt widgets.
"""
from __future__ import annotations

import re
from dataclasses import replace
from types import SimpleNamespace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.core import fit
from app.core.gguf_info import read_gguf_info
from app.core.gpu import GpuMemory
from app.core.load_options import LoadOptions
from app.gui.load_options_form import LoadOptionsForm
from app.gui.model_controller import IDLE_UNLOADED, READY
from app.gui.preferences.load_defaults_page import LoadDefaultsPage
from tests.test_main_window import ask, wait_ready

UNITS = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}


def needed_bytes(text: str, what: str = "") -> float:
    """The first "N unit" after ``what`` in a fit message ("needs about 310.2 MB; ...")."""
    match = re.search(re.escape(what) + r".*?([\d.]+) (B|KB|MB|GB|TB)", text)
    assert match, text
    return float(match.group(1)) * UNITS[match.group(2)]


def open_dialog(qtbot, hearth):
    hearth.window.activateWindow()  # the key is the main window's
    qtbot.waitUntil(lambda: QApplication.activeWindow() is hearth.window, timeout=5_000)
    qtbot.keyClick(hearth.window, Qt.Key_L, Qt.ControlModifier | Qt.ShiftModifier)
    dialog = hearth.window.load_settings_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=5_000)
    return dialog


def apply_and_reload(qtbot, hearth, panel) -> dict:
    """Click Apply; wait for the reload notice and for the engine's report of the new load."""
    loads = []
    hearth.models.loaded.connect(loads.append)
    with qtbot.waitSignal(hearth.models.notice_raised, timeout=5_000) as notice:
        assert panel.apply_button.isEnabled()
        panel.apply_button.click()
    assert notice.args[0].startswith("Reloading ")
    qtbot.waitUntil(lambda: bool(loads) and hearth.models.state == READY, timeout=60_000)
    hearth.models.loaded.disconnect(loads.append)
    return loads[-1]


def test_each_option_changed_in_the_form_reloads_the_model_with_it_and_reset_returns(qtbot, make_hearth,
                                                                                      smollm_path):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    path = hearth.models.path
    dialog = open_dialog(qtbot, hearth)
    form, panel = dialog.form, dialog.panel
    assert "SmolLM2" in panel.title.text() and form.context.maximum() == 8192  # the model's trained length
    assert not panel.apply_button.isEnabled()  # nothing changed yet
    changes = [
        (lambda: form.context.setValue(1536), {"n_ctx": 1536}),  # any value, not only a power of two
        (lambda: form.threads.setValue(1), {"n_threads": 1}),
        (lambda: form.batch.stepBy(-1), {"n_batch": 256}),  # the arrows step through common sizes
        (lambda: form.flash.setCurrentIndex(form.flash.findData("off")), {"flash_attn": False}),
        (lambda: form.type_k.setCurrentIndex(form.type_k.findData("q8_0")), {"type_k": "q8_0"}),
        (lambda: (form.flash.setCurrentIndex(form.flash.findData("on")),
                  form.type_v.setCurrentIndex(form.type_v.findData("q4_0"))), {"flash_attn": True, "type_v": "q4_0"}),
        (lambda: form.mmap.setChecked(False), {"use_mmap": False}),
    ]
    for change, expected in changes:
        change()
        report = apply_and_reload(qtbot, hearth, panel)
        assert {key: report[key] for key in expected} == expected, expected
        assert not panel.apply_button.isEnabled()
    assert hearth.settings.model_load[path]["type_v"] == "q4_0"  # kept for this model

    # A quantized V cache without flash attention is refused inline, before Apply.
    form.flash.setCurrentIndex(form.flash.findData("off"))
    assert form.problem.isVisibleTo(form) and "needs flash attention" in form.problem.text()
    assert not panel.apply_button.isEnabled()
    form.flash.setCurrentIndex(form.flash.findData("on"))
    assert not form.problem.isVisibleTo(form)

    # Reset: back to the defaults, kept at once, the model reloads with them.
    loads = []
    hearth.models.loaded.connect(loads.append)
    form.reset_button.click()
    qtbot.waitUntil(lambda: bool(loads) and hearth.models.state == READY, timeout=60_000)
    defaults = hearth.settings.default_load_options
    assert path not in hearth.settings.model_load and form.options() == defaults
    report = hearth.models.report
    assert (report["n_ctx"], report["n_batch"], report["type_v"], report["use_mmap"]) == (
        defaults.n_ctx, defaults.n_batch, "f16", True)


def test_the_fit_estimate_follows_the_context_and_cache_types(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    form = open_dialog(qtbot, hearth).form
    form.context.setValue(1024)
    small = needed_bytes(form.fit.text(), "needs about")
    form.context.setValue(8192)
    large = needed_bytes(form.fit.text(), "needs about")
    assert large > small * 1.2, (small, large)  # SmolLM2's f16 cache at 8k is ~180 MB more than at 1k
    form.type_k.setCurrentIndex(form.type_k.findData("q4_0"))
    form.type_v.setCurrentIndex(form.type_v.findData("q4_0"))
    quantized = needed_bytes(form.fit.text(), "needs about")
    assert quantized < large * 0.9, (large, quantized)
    assert form.fit.text() == hearth.models.fit_of(read_gguf_info(hearth.models.path), form.options()).message
    assert hearth.models.state == READY and hearth.models.report["n_ctx"] != 8192  # nothing applied yet


def test_the_fit_shows_gpu_memory_and_ram_apart_as_layers_move(qtbot, smollm_path):
    """With a GPU (here described by its numbers, as nvidia-smi would give them), moving the layer slider
    moves memory from RAM to the GPU in the text."""
    info = read_gguf_info(smollm_path)
    gpu = GpuMemory("Test GPU", free=8 << 30, total=12 << 30)
    form = LoadOptionsForm(LoadOptions(n_gpu_layers=0), judge=lambda o: fit.judge_options(info, o, 4 << 30, 8 << 30,
                                                                                          gpu=gpu),
                           trained_ctx=info.context_length, layers=fit.layer_count(info))
    qtbot.addWidget(form)
    assert "GPU memory" not in form.fit.text()
    ram_alone = needed_bytes(form.fit.text(), "needs about")
    form.gpu_layers.setValue(5)
    few = needed_bytes(form.fit.text(), " and ")  # "needs about R of RAM (…) and G of GPU memory for 5/31 layers"
    assert "GPU memory" in form.fit.text() and "of RAM" in form.fit.text() and "Test GPU" in form.fit.text()
    form.gpu_layers.setValue(fit.layer_count(info))
    # 26 more layers' weights and cache on the GPU (both sides carry the fixed CUDA context and compute buffer)
    assert needed_bytes(form.fit.text(), " and ") > few + 100_000_000
    assert needed_bytes(form.fit.text(), "needs about") < ram_alone / 3  # what went to the GPU left RAM
    form.gpu_mode.setCurrentIndex(form.gpu_mode.findData(-1))  # All
    assert form.options().n_gpu_layers == -1 and not form.gpu_layers.isVisibleTo(form)


def test_a_cpu_only_build_turns_the_gpu_controls_off_and_says_why(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    assert hearth.engine.client.backend == "CPU"  # the test machines' llama.cpp build
    form = open_dialog(qtbot, hearth).form
    assert not form.gpu_mode.isEnabled() and not form.gpu_layers.isEnabled()
    assert form.gpu_note.isVisibleTo(form) and "no GPU backend" in form.gpu_note.text()
    with qtbot.waitSignal(hearth.window.template_requested, timeout=2_000) as asked:
        form.template_button.click()  # "Change…": the template dialog (issue 13, part D) takes it from here
    assert asked.args == [hearth.models.path]


def test_a_suggestion_applies_its_options_to_the_form(qtbot, smollm_path):
    info = read_gguf_info(smollm_path)

    def shorter(o):
        return [SimpleNamespace(text="Use a 2,048-token context", options=replace(o, n_ctx=2048))] if o.n_ctx > 4096 \
            else []

    form = LoadOptionsForm(LoadOptions(n_ctx=8192), judge=lambda o: fit.judge_options(info, o, 4 << 30, 8 << 30),
                           advise=shorter, trained_ctx=info.context_length)
    qtbot.addWidget(form)
    [button] = form.suggestion_buttons
    assert button.text() == "Use a 2,048-token context"
    with qtbot.waitSignal(form.changed, timeout=2_000) as changed:
        button.click()
    assert changed.args[0].n_ctx == 2048 and form.context.value() == 2048 and form.suggestion_buttons == []


def test_the_library_details_edit_the_selected_models_load_settings(qtbot, make_hearth, smollm_path):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    hearth.open_manager()
    page = hearth.manager.library_page
    qtbot.waitUntil(lambda: bool(page.names()), timeout=10_000)
    page.select(str(smollm_path))
    panel = page.load_settings
    assert panel.path == str(smollm_path) and panel.isEnabled()
    panel.form.context.setValue(2560)
    report = apply_and_reload(qtbot, hearth, panel)
    assert report["n_ctx"] == 2560 and hearth.settings.model_load[str(smollm_path)]["n_ctx"] == 2560
    hearth.manager.close()
    dialog = open_dialog(qtbot, hearth)  # the picker's dialog shows the same choice
    assert dialog.form.context.value() == 2560


def test_the_preferences_page_sets_the_defaults_and_the_loaded_model_follows(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    page = LoadDefaultsPage(hearth.models)
    qtbot.addWidget(page)
    assert page.form.options() == hearth.settings.default_load_options and "Fits" in page.form.fit.text()
    page.form.batch.setValue(128)
    report = apply_and_reload(qtbot, hearth, page)
    assert report["n_batch"] == 128 and hearth.settings.default_load_options.n_batch == 128
    page.form.reset_button.click()  # Hearth's own defaults, applied with Apply
    assert page.form.options() == LoadOptions() and page.apply_button.isEnabled()


def test_an_idle_model_is_unloaded_and_the_next_message_loads_it_again(qtbot, make_hearth):
    hearth = make_hearth()
    hearth.settings.max_tokens = 16
    hearth.models.idle_minute_seconds = 0.2  # a "minute" of a fifth of a second (a constructor argument)
    wait_ready(qtbot, hearth)
    dialog = open_dialog(qtbot, hearth)
    starts = []
    hearth.models.load_starting.connect(starts.append)
    dialog.form.idle.setValue(1)
    dialog.panel.apply_button.click()
    assert starts == []  # unloading when idle is the app's business: no reload for it
    dialog.close()
    qtbot.waitUntil(lambda: hearth.models.state == IDLE_UNLOADED, timeout=10_000)
    assert hearth.window.model_pill.text() == "Unloaded (idle)"
    assert hearth.engine.client.last_load is None and hearth.models.n_ctx == 0  # the engine let go of it
    reply = ask(qtbot, hearth)
    assert "Paris" in reply.text and starts == [hearth.models.path]  # the message loaded it again
    qtbot.waitUntil(lambda: hearth.models.state == IDLE_UNLOADED, timeout=10_000)  # and idles out again
    QApplication.processEvents()
