"""Preferences ▸ Load defaults: the load options every model uses unless it chose its own.

The same form as a model's load settings; the fit shown is for the chosen model (the one in
the picker), when there is one, with the defaults it would get. Apply hands the options to
``ModelController.set_default_options``, which keeps them and reloads the loaded model when
it follows the defaults. Reset returns to Hearth's own defaults.
"""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core import fit
from app.core.load_options import LoadOptions
from app.gui.load_options_form import LoadOptionsForm
from app.gui.load_settings import advice_for, gpu_note

TITLE = "Load defaults"
DEFAULT_LAYER_LIMIT = 128  # no model to count its layers: a number any model's "layers on the GPU" reaches


class LoadDefaultsPage(QWidget):
    def __init__(self, models, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("loadDefaultsPage")
        self.models = models
        intro = QLabel("How every model is loaded unless its own load settings (Models ▸ Load settings…) say "
                       "otherwise.")
        intro.setWordWrap(True)
        self.form = LoadOptionsForm()
        self.form.template_button.hide()  # a chat template belongs to one model
        self.form.template_label.setText("Each model's own")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setObjectName("applyLoadDefaults")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.form.changed.connect(self._on_changed)
        self.form.reset_requested.connect(lambda: self.form.set_options(LoadOptions()))
        self.apply_button.clicked.connect(self.apply)
        models.options_changed.connect(lambda path: path == "" and self.refresh())
        self.refresh()

    def refresh(self) -> None:
        """Show the defaults as they are kept, judged for the chosen model when there is one."""
        info = self.models.info
        self.form.set_gpu_note(gpu_note(self.models.engine.client.backend))
        self.form.set_limits(None, fit.layer_count(info) if info else DEFAULT_LAYER_LIMIT)
        if info is not None:
            self.form.set_judges(lambda options: self.models.fit_of(info, options), advice_for(self.models, info))
        self.form.set_options(self.models.settings.default_load_options)

    def apply(self) -> bool:
        done = self.models.set_default_options(self.form.options())
        self._on_changed(self.form.options())
        return done

    def _on_changed(self, options: LoadOptions) -> None:
        self.apply_button.setEnabled(options != self.models.settings.default_load_options and not options.problem())
