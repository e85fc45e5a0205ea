"""The status bar's load indicator: how much of the model llama.cpp has read, and a Cancel button.

Shown while a model loads, hidden otherwise, so a large model's load never looks like a hang.
It only listens to the model controller and calls ``cancel_load()``; it decides nothing.
"""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QToolButton, QWidget

from app.gui.model_controller import LOADING, ModelController


class LoadProgressBar(QWidget):
    def __init__(self, models: ModelController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.models = models
        self.bar = QProgressBar()
        self.bar.setObjectName("loadProgress")
        self.bar.setRange(0, 1000)
        self.bar.setMaximumWidth(160)
        self.bar.setAccessibleName("Model loading")
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setObjectName("cancelLoad")
        self.cancel_button.setToolTip("Stop loading this model; no model stays loaded")
        self.cancel_button.setAccessibleName("Cancel loading")
        self.cancel_button.clicked.connect(self._cancel)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)
        models.state_changed.connect(self._on_state)
        models.load_progress.connect(self.show_progress)
        self.hide()

    def _on_state(self, state: str, name: str) -> None:
        if state != LOADING:
            self.hide()
            return
        if self.isHidden():  # a new load: start from nothing
            self.bar.setValue(0)
            self.bar.setFormat(f"Loading {name}… %p%")
            self.bar.setToolTip(f"llama.cpp is reading {name}")
            self.cancel_button.setEnabled(True)
            self.show()

    def show_progress(self, fraction: float) -> None:
        self.bar.setValue(round(max(0.0, min(1.0, fraction)) * 1000))

    def _cancel(self) -> None:
        if self.models.cancel_load():
            self.cancel_button.setEnabled(False)  # once is enough; the engine answers in a moment
            self.bar.setFormat("Cancelling…")
