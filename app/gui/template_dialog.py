"""Models ▸ Chat template…: choose the format a model's prompts are built with, or paste Jinja.

The list holds Automatic (the file's own template, or a format picked for the model),
every format of the catalogue and Custom. Each choice shows its Jinja and a short exchange
rendered with it; pasted Jinja is rendered in the same sandbox as a GGUF's template, off the
GUI thread (a hostile one may run until the sandbox's time bound), and cannot be saved while
it fails. Saving keeps the choice for this model and reloads it when it is loaded.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from app.core import template_catalog
from app.core.errors import TemplateError
from app.core.template_choice import AUTOMATIC, preview, resolve_for
from app.gui.model_controller import ModelController

CUSTOM = "\0custom"  # the list's entry for pasted Jinja (no format can have this name)
TYPING_PAUSE_MS = 200


class _Signals(QObject):
    rendered = Signal(int, str, str)  # serial, preview text, error ("" when it rendered)


class _Render(QRunnable):
    """One preview rendered on the thread pool: the sandbox may take up to its time bound."""

    def __init__(self, serial: int, render: Callable[[], str]) -> None:
        super().__init__()
        self.serial, self.render, self.signals = serial, render, _Signals()

    def run(self) -> None:
        try:
            text, error = self.render(), ""
        except TemplateError as failure:
            text, error = "", failure.message
        self.signals.rendered.emit(self.serial, text, error)


class TemplateDialog(QDialog):
    saved = Signal(str, str)  # path, the chat_template option now kept for it

    def __init__(self, models: ModelController, path: str, name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.models, self.path = models, path
        self.setWindowTitle("Chat template")
        self.setObjectName("templateDialog")
        self._serial = 0
        self._rendered_ok: tuple[int, bool] = (0, False)  # the last preview's serial, and whether it rendered
        self._custom_text = ""

        heading = QLabel(f"How prompts for <b>{name or path}</b> are written.")
        self.in_use = QLabel(self._in_use_text())
        self.in_use.setObjectName("templateInUse")
        self.in_use.setWordWrap(True)
        self.choices = QListWidget()
        self.choices.setObjectName("templateChoices")
        self.choices.setAccessibleName("Chat formats")
        for label, value in (("Automatic", AUTOMATIC), *((n, n) for n in template_catalog.names()),
                             ("Custom (paste Jinja)", CUSTOM)):
            item = QListWidgetItem(label)
            item.setData(256, value)  # Qt.UserRole
            self.choices.addItem(item)
        self.choices.setMaximumWidth(190)
        mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        self.jinja = QPlainTextEdit()
        self.jinja.setObjectName("templateJinja")
        self.jinja.setAccessibleName("Jinja template")
        self.jinja.setFont(mono)
        self.edit_copy = QPushButton("Edit a copy")
        self.edit_copy.setToolTip("Start a custom template from this one")
        self.preview = QPlainTextEdit(readOnly=True)
        self.preview.setObjectName("templatePreview")
        self.preview.setAccessibleName("Preview of a short exchange")
        self.preview.setFont(mono)
        self.error = QLabel()
        self.error.setObjectName("templateError")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)

        right = QVBoxLayout()
        right.addWidget(QLabel("Jinja"))
        right.addWidget(self.jinja, 2)
        right.addWidget(self.edit_copy)
        right.addWidget(QLabel("Preview"))
        right.addWidget(self.preview, 2)
        right.addWidget(self.error)
        row = QHBoxLayout()
        row.addWidget(self.choices)
        row.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.in_use)
        layout.addLayout(row, 1)
        layout.addWidget(self.buttons)
        self.resize(820, 560)

        self._typing = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS, timeout=self._render_now)
        self.choices.currentRowChanged.connect(self._on_choice)
        self.jinja.textChanged.connect(self._on_typed)
        self.edit_copy.clicked.connect(self._edit_copy)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.select(models.options_for(path).chat_template)

    # -- what the user sees ---------------------------------------------------------------
    def _in_use_text(self) -> str:
        report = self.models.report if self.models.path == self.path else {}
        if report.get("template_description"):
            return f"In use now: {report['template_description']}."
        return "Not loaded: the choice is used the next time this model loads."

    @property
    def value(self) -> str:
        """The chat_template option the dialog would save: "", a format's name, or Jinja text."""
        chosen = self._chosen()
        return self.jinja.toPlainText() if chosen == CUSTOM else chosen

    def _chosen(self) -> str:
        item = self.choices.currentItem()
        return item.data(256) if item is not None else AUTOMATIC

    def select(self, value: str) -> None:
        """Show ``value`` (a chat_template option) as chosen."""
        found = template_catalog.find(value) if value else None
        key = AUTOMATIC if not value else (found.name if found else CUSTOM)
        if key == CUSTOM:
            self._custom_text = value
        for row in range(self.choices.count()):
            if self.choices.item(row).data(256) == key:
                if row == self.choices.currentRow():
                    self._on_choice(row)
                self.choices.setCurrentRow(row)
                return

    def _on_choice(self, _row: int) -> None:
        chosen = self._chosen()
        custom = chosen == CUSTOM
        self.jinja.blockSignals(True)
        if custom:
            self.jinja.setPlainText(self._custom_text)
        elif chosen == AUTOMATIC:
            self.jinja.setPlainText("")
            self.jinja.setPlaceholderText("The model's own template; when it has none, or it fails, a format "
                                          "picked by its architecture and name.")
        else:
            self.jinja.setPlainText(template_catalog.find(chosen).source)
        self.jinja.blockSignals(False)
        self.jinja.setReadOnly(not custom)
        self.edit_copy.setVisible(not custom and chosen != AUTOMATIC)
        self._render_now()

    def _on_typed(self) -> None:
        if self._chosen() == CUSTOM:
            self._custom_text = self.jinja.toPlainText()
            self._serial += 1  # what is on screen is no longer what was checked
            self.buttons.button(QDialogButtonBox.Save).setEnabled(False)
            self._typing.start()

    def _edit_copy(self) -> None:
        self.select(self.jinja.toPlainText())  # Jinja is no format's name: it opens as Custom

    # -- rendering off the GUI thread -----------------------------------------------------
    def _render_now(self) -> None:
        self._serial += 1
        chosen = self._chosen()
        self.buttons.button(QDialogButtonBox.Save).setEnabled(chosen != CUSTOM)
        if chosen == AUTOMATIC:
            loaded = self.models.path == self.path
            in_use = template_catalog.find(self.models.report.get("template", "")) if loaded else None
            info = self.models.info if loaded else None
            if in_use is None and info is None:
                self._show(self._serial, "", "")
                self.preview.setPlaceholderText("Shown once the model is chosen.")
                return
            # What the engine picked (it also reads the vocabulary), else what the header alone suggests.
            source = in_use.source if in_use else None
            render = lambda: preview(source or resolve_for(AUTOMATIC, info).source)
        else:
            source = self.jinja.toPlainText()  # the format's own Jinja, or what was pasted
            if not source.strip():
                self._show(self._serial, "", "Paste a Jinja chat template.")
                return
            render = lambda: preview(source)
        job = _Render(self._serial, render)
        job.signals.rendered.connect(self._show)
        QThreadPool.globalInstance().start(job)

    def _show(self, serial: int, text: str, error: str) -> None:
        if serial != self._serial:
            return  # a preview of what was on screen before
        self.preview.setPlainText(text)
        self.error.setText(f"This template cannot be used: {error}" if error else "")
        self._rendered_ok = (serial, not error)
        if self._chosen() == CUSTOM:
            self.buttons.button(QDialogButtonBox.Save).setEnabled(not error)

    @property
    def rendering(self) -> bool:
        """A preview of what is on screen is still on its way."""
        return self._rendered_ok[0] != self._serial

    # -- saving ---------------------------------------------------------------------------
    def save(self) -> None:
        if self._chosen() == CUSTOM and self._rendered_ok != (self._serial, True):
            return  # not checked yet, or it failed: the error says why
        value = self.value
        if self.models.set_options(self.path, replace(self.models.options_for(self.path), chat_template=value)):
            self.saved.emit(self.path, value)
            self.accept()
