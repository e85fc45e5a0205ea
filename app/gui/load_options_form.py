"""A form that edits one LoadOptions, with the fit estimate beside it, live.

The form only edits a value: it is given the options to show, the model's limits (its trained
context, its layer count) and callables that judge the options (``judge(options) -> Fit``) and
suggest better ones (``advise(options) -> [Suggestion]`` with ``.text`` and ``.options``). It never
opens a file or asks the engine; whoever shows it decides what Apply and Reset do.
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSlider,
                               QSpinBox, QVBoxLayout, QWidget)

from app.core import template_choice
from app.core.load_options import (CACHE_TYPES, FLASH_AUTO, FLASH_CHOICES, FLASH_OFF, FLASH_ON, GPU_ALL, GPU_AUTO,
                                   MAX_BATCH, MAX_THREADS, MIN_CONTEXT, LoadOptions)

FLASH_LABELS = {FLASH_AUTO: "Auto", FLASH_ON: "On", FLASH_OFF: "Off"}
GPU_MODES = (("Auto", GPU_AUTO), ("Layers", 0), ("All", GPU_ALL))
UNKNOWN_CONTEXT_LIMIT = 1 << 20  # no header at hand: llama.cpp caps the context at the model's own when it loads
MAX_IDLE_MINUTES = 24 * 60


class SteppedSpinBox(QSpinBox):
    """A spin box that takes any typed value but steps through common ones (powers of two)."""

    def stepBy(self, steps: int) -> None:
        value = self.value()
        for _ in range(abs(steps)):
            if steps > 0:
                value = next((v for v in _powers(self.minimum(), self.maximum()) if v > value), self.maximum())
            else:
                value = next((v for v in reversed(_powers(self.minimum(), self.maximum())) if v < value),
                             self.minimum())
        self.setValue(value)


def _powers(low: int, high: int) -> list[int]:
    values, value = [low], 1
    while value <= high:
        if value > low:
            values.append(value)
        value *= 2
    return values if values[-1] == high else [*values, high]


class LoadOptionsForm(QWidget):
    changed = Signal(object)  # LoadOptions: what the controls now say
    template_requested = Signal()  # "Change…" beside the chat template
    reset_requested = Signal()  # "Reset to defaults"

    def __init__(self, options: LoadOptions | None = None, judge=None, advise=None, gpu_note: str = "",
                 trained_ctx: int | None = None, layers: int = 0, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("loadOptionsForm")
        self._judge, self._advise = judge, advise
        self._template = ""
        self._quiet = False  # set_options moves many controls: one update at the end
        form = QFormLayout()
        self.context = SteppedSpinBox()
        self.context.setSuffix(" tokens")
        self.context.setGroupSeparatorShown(True)
        self.context.setToolTip("How many tokens the model can read at once: the conversation and the reply. "
                                "More needs more memory. Any value up to the model's trained length (llama.cpp rounds "
                                "it up to a multiple of 256); the arrows step through common sizes.")
        form.addRow("Context length", self.context)

        self.gpu_mode = QComboBox()
        for label, value in GPU_MODES:
            self.gpu_mode.addItem(label, value)
        self.gpu_layers = QSlider(Qt.Horizontal)
        self.gpu_layers.setAccessibleName("GPU layers")
        self.gpu_layers_label = QLabel("")
        self.gpu_layers_label.setMinimumWidth(70)
        gpu_row = QHBoxLayout()
        gpu_row.addWidget(self.gpu_mode)
        gpu_row.addWidget(self.gpu_layers, 1)
        gpu_row.addWidget(self.gpu_layers_label)
        self.gpu_note = QLabel(gpu_note)
        self.gpu_note.setObjectName("gpuNote")
        self.gpu_note.setWordWrap(True)
        self.gpu_note.setTextInteractionFlags(Qt.TextSelectableByMouse)  # the command is there to copy
        gpu_column = QVBoxLayout()
        gpu_column.addLayout(gpu_row)
        gpu_column.addWidget(self.gpu_note)
        form.addRow("GPU offload", _holder(gpu_column))
        self.set_gpu_note(gpu_note)

        self.threads = QSpinBox()
        self.threads.setRange(0, MAX_THREADS)
        self.threads.setSpecialValueText("Automatic")
        self.threads.setToolTip("CPU threads for the model. Automatic: one per physical core.")
        form.addRow("CPU threads", self.threads)
        self.batch = SteppedSpinBox()
        self.batch.setRange(32, MAX_BATCH)
        self.batch.setToolTip("Tokens of the prompt read in one step. Larger reads long prompts faster and "
                              "needs more memory.")
        form.addRow("Batch size", self.batch)
        self.flash = QComboBox()
        for key in FLASH_CHOICES:
            self.flash.addItem(FLASH_LABELS[key], key)
        self.flash.setToolTip("Flash attention saves memory; a quantized V cache needs it. Auto turns it on with "
                              "layers on a GPU, a quantized V cache, or a model with wide attention heads (where "
                              "it is also faster on the CPU).")
        form.addRow("Flash attention", self.flash)
        self.type_k, self.type_v = QComboBox(), QComboBox()
        for box in (self.type_k, self.type_v):
            for key in CACHE_TYPES:
                box.addItem(key, key)
            box.setToolTip("How the context is kept in memory: q8_0 takes about half of f16, q4_0 about a "
                           "quarter, with a small loss of quality.")
        form.addRow("K cache type", self.type_k)
        form.addRow("V cache type", self.type_v)
        self.problem = QLabel("")
        self.problem.setObjectName("loadProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form.addRow(self.problem)
        self.mmap = QCheckBox("Memory-map the file")
        self.mmap.setToolTip("Read the weights straight from the file as they are needed: faster to load, and "
                             "the system can share them.")
        self.mlock = QCheckBox("Keep in RAM")
        self.mlock.setToolTip("Lock the weights in RAM so the system never swaps them out.")
        memory_row = QHBoxLayout()
        memory_row.addWidget(self.mmap)
        memory_row.addWidget(self.mlock)
        memory_row.addStretch(1)
        form.addRow("Memory", _holder(memory_row))
        self.idle = QSpinBox()
        self.idle.setRange(0, MAX_IDLE_MINUTES)
        self.idle.setSuffix(" min")
        self.idle.setSpecialValueText("Never")
        self.idle.setToolTip("Unload the model after this many minutes without a request, to give its memory "
                             "back; the next message loads it again.")
        form.addRow("Unload when idle", self.idle)
        self.template_label = QLabel("")
        self.template_button = QPushButton("Change…")
        self.template_button.clicked.connect(self.template_requested)
        template_row = QHBoxLayout()
        template_row.addWidget(self.template_label, 1)
        template_row.addWidget(self.template_button)
        form.addRow("Chat template", _holder(template_row))

        self.fit = QLabel("")
        self.fit.setObjectName("loadFit")
        self.fit.setWordWrap(True)
        self.suggestions = QVBoxLayout()
        self.suggestion_buttons: list[QPushButton] = []
        self.reset_button = QPushButton("Reset to defaults")
        self.reset_button.clicked.connect(self.reset_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.fit)
        layout.addLayout(self.suggestions)
        reset_row = QHBoxLayout()
        reset_row.addStretch(1)
        reset_row.addWidget(self.reset_button)
        layout.addLayout(reset_row)

        self.set_limits(trained_ctx, layers)
        self.set_options(options or LoadOptions())
        for spin in (self.context, self.threads, self.batch, self.idle):
            spin.valueChanged.connect(self._update)
        for box in (self.gpu_mode, self.flash, self.type_k, self.type_v):
            box.currentIndexChanged.connect(self._update)
        self.gpu_layers.valueChanged.connect(self._update)
        for check in (self.mmap, self.mlock):
            check.toggled.connect(self._update)

    # -- what the owner calls ------------------------------------------------------------
    def set_limits(self, trained_ctx: int | None, layers: int) -> None:
        """The model's trained context and its offloadable layers (0 when unknown)."""
        self.context.setRange(MIN_CONTEXT, max(MIN_CONTEXT, trained_ctx or UNKNOWN_CONTEXT_LIMIT))
        self.gpu_layers.setRange(0, max(0, layers))

    def set_gpu_note(self, note: str) -> None:
        """On a build without a GPU backend: the GPU controls are off and ``note`` says why."""
        self.gpu_note.setText(note)
        self.gpu_note.setVisible(bool(note))
        for control in (self.gpu_mode, self.gpu_layers):
            control.setEnabled(not note)
            control.setToolTip(note or "Auto: as many layers as fit in the GPU's free memory. Layers: how many "
                               "of the model's layers run on the GPU. All: every layer.")

    def set_judges(self, judge=None, advise=None) -> None:
        self._judge, self._advise = judge, advise
        self._update()

    def set_options(self, options: LoadOptions) -> None:
        self._quiet = True
        try:
            self.context.setValue(options.n_ctx)
            if options.n_gpu_layers in (GPU_AUTO, GPU_ALL):
                self.gpu_mode.setCurrentIndex(self.gpu_mode.findData(options.n_gpu_layers))
            else:
                self.gpu_mode.setCurrentIndex(self.gpu_mode.findData(0))
                self.gpu_layers.setValue(options.n_gpu_layers)
            self.threads.setValue(options.n_threads)
            self.batch.setValue(options.n_batch)
            self.flash.setCurrentIndex(self.flash.findData(options.flash_attn))
            self.type_k.setCurrentIndex(self.type_k.findData(options.type_k))
            self.type_v.setCurrentIndex(self.type_v.findData(options.type_v))
            self.mmap.setChecked(options.use_mmap)
            self.mlock.setChecked(options.use_mlock)
            self.idle.setValue(options.idle_unload_minutes)
            self._template = options.chat_template
        finally:
            self._quiet = False
        self._update()

    def options(self) -> LoadOptions:
        mode = self.gpu_mode.currentData()
        return LoadOptions(n_ctx=self.context.value(),
                           n_gpu_layers=self.gpu_layers.value() if mode == 0 else mode,
                           n_threads=self.threads.value(), n_batch=self.batch.value(),
                           flash_attn=self.flash.currentData(), type_k=self.type_k.currentData(),
                           type_v=self.type_v.currentData(), use_mmap=self.mmap.isChecked(),
                           use_mlock=self.mlock.isChecked(), idle_unload_minutes=self.idle.value(),
                           chat_template=self._template)

    def set_template(self, choice: str) -> None:
        """The chat template chosen elsewhere (the template dialog), kept with the other options."""
        self._template = choice
        self._update()

    # -- live ------------------------------------------------------------------------------
    def _update(self, *_ignored) -> None:
        if self._quiet:
            return
        options = self.options()
        layered = self.gpu_mode.currentData() == 0
        self.gpu_layers.setVisible(layered)
        self.gpu_layers_label.setVisible(layered)
        self.gpu_layers_label.setText(f"{self.gpu_layers.value()} / {self.gpu_layers.maximum()}")
        self.template_label.setText(template_choice.describe(options.chat_template))
        why = options.problem()
        self.problem.setText(why)
        self.problem.setVisible(bool(why))
        self._show_fit(options)
        self.changed.emit(options)

    def _show_fit(self, options: LoadOptions) -> None:
        verdict = self._judge(options) if self._judge is not None else None
        self.fit.setText(verdict.message if verdict is not None else "")
        self.fit.setVisible(verdict is not None)
        self.fit.setProperty("verdict", verdict.verdict if verdict is not None else "")
        self.fit.style().unpolish(self.fit)
        self.fit.style().polish(self.fit)
        for button in self.suggestion_buttons:
            self.suggestions.removeWidget(button)
            button.deleteLater()
        self.suggestion_buttons = []
        for suggestion in (self._advise(options) if self._advise is not None else []):
            button = QPushButton(suggestion.text)
            button.setObjectName("fitSuggestion")
            button.clicked.connect(lambda _checked=False, chosen=suggestion.options: self._apply_suggestion(chosen))
            self.suggestions.addWidget(button)
            self.suggestion_buttons.append(button)

    def _apply_suggestion(self, options: LoadOptions) -> None:
        self.set_options(replace(options, chat_template=self._template))


def _holder(layout) -> QWidget:
    layout.setContentsMargins(0, 0, 0, 0)
    widget = QWidget()
    widget.setLayout(layout)
    return widget
