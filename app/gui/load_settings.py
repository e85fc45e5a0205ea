"""Load settings for one model: the options form bound to the model controller, in a panel or a dialog.

The panel shows a model's own load options (its choices over the defaults), judges them
live with the model's real GGUF header, and hands them to ``ModelController.set_options``
on Apply, which keeps them and reloads the loaded model with a notice. Reset returns the
model to the defaults. The same panel sits in the Load settings dialog (beside the model
picker) and in the Model manager's Library details.
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core import fit
from app.core.errors import HearthError
from app.core.gguf_info import GGUFInfo, read_gguf_info
from app.core.fit_advice import suggest
from app.core.gpu_advice import build_advice
from app.core.load_options import LoadOptions
from app.gui.load_options_form import LoadOptionsForm

log = logging.getLogger("hearth.load_settings")

def gpu_note(backend: str) -> str:
    """Why the GPU controls are off, and the command for a GPU build; empty when the build has a GPU backend."""
    return build_advice(backend)


def advice_for(models, info: GGUFInfo):
    """``advise(options) -> [Suggestion]``: settings that would fit ``info`` on this machine."""
    return lambda options: suggest(info, options, *models.memory_probe(), models.gpu_probe())


class LoadSettingsPanel(QWidget):
    """The form for one model, with Apply; it follows the controller's changes to that model's options."""
    template_requested = Signal(str)  # the model's path: its chat template is to be chosen
    applied = Signal(str)

    def __init__(self, models, parent=None) -> None:
        super().__init__(parent)
        self.models = models
        self.path = ""
        self.info: GGUFInfo | None = None
        self.title = QLabel("")
        self.title.setObjectName("loadSettingsTitle")
        self.form = LoadOptionsForm()
        self.apply_button = QPushButton("Apply")
        self.apply_button.setObjectName("applyLoadSettings")
        self.state = QLabel("")
        self.state.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        self.form.changed.connect(self._on_changed)
        self.form.reset_requested.connect(self.reset)
        self.form.template_requested.connect(lambda: self.template_requested.emit(self.path))
        self.apply_button.clicked.connect(self.apply)
        models.options_changed.connect(self._on_options_changed)
        self.setEnabled(False)

    def show_model(self, path: str, info: GGUFInfo | None = None, name: str = "") -> None:
        """Edit the load options of the model at ``path`` (its header is read when not given)."""
        if info is None and path:
            try:
                info = read_gguf_info(path)
            except (HearthError, OSError) as error:
                log.info("no header for the load settings of %s: %s", path, error)
        self.path, self.info = path, info
        self.setEnabled(bool(path))
        self.form.set_gpu_note(gpu_note(self.models.engine.client.backend))
        self.title.setText(f"Load settings for {name or Path(path).name}" if path else "No model chosen")
        self.form.set_limits(info.context_length if info else None, fit.layer_count(info) if info else 0)
        if info is not None:
            self.form.set_judges(lambda options: self.models.fit_of(info, options), advice_for(self.models, info))
        else:
            self.form.set_judges(None, None)
        self.form.set_options(self.saved())

    def saved(self) -> LoadOptions:
        return self.models.options_for(self.path) if self.path else self.models.settings.default_load_options

    def apply(self) -> bool:
        """Keep the form's options for the model (the loaded one reloads with a notice)."""
        if not self.path:
            return False
        done = self.models.set_options(self.path, self.form.options())
        if done:
            self.applied.emit(self.path)
        self._on_changed(self.form.options())
        return done

    def reset(self) -> None:
        """The model's options back to the defaults, kept at once."""
        if self.path:
            self.models.reset_options(self.path)
            self.form.set_options(self.saved())

    def _on_changed(self, options: LoadOptions) -> None:
        dirty = options != self.saved()
        self.apply_button.setEnabled(bool(self.path) and dirty and not options.problem())
        self.state.setText("Not applied yet." if dirty else "")

    def _on_options_changed(self, path: str) -> None:
        """Someone else changed this model's options (or the defaults): show them, unless edits are pending."""
        if not self.path or path not in (self.path, ""):
            return
        if self.apply_button.isEnabled():
            self.form.set_template(self.saved().chat_template)  # chosen in the template dialog meanwhile
        else:
            self.form.set_options(self.saved())


class LoadSettingsDialog(QDialog):
    def __init__(self, models, path: str, info: GGUFInfo | None = None, name: str = "", parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("loadSettingsDialog")
        self.setWindowTitle(f"Load settings — {name or Path(path).name}")
        self.panel = LoadSettingsPanel(models, self)
        self.panel.show_model(path, info, name)
        self.form = self.panel.form
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        layout.addWidget(buttons)
