"""This conversation's settings: system prompt (with saved presets), sampling, and what to do when it outgrows
the context window. (The model's context length is a load setting: Models ▸ Load settings…)

The dialog only edits values: it is given the current ones and the defaults they fall
back to, and hands back what the user changed. Defaults say where they come from (the
model's GGUF file or Hearth) so "why is top-k 64?" has an answer on screen.
"""
from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QHBoxLayout, QInputDialog, QLabel, QPlainTextEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from app.core import overflow, sampling


class ConversationSettingsDialog(QDialog):
    def __init__(self, system_prompt: str, presets: dict[str, str], own: dict, defaults: dict,
                 from_model: dict, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Conversation settings")
        self.setObjectName("conversationSettings")
        self.presets = dict(presets)
        layout = QVBoxLayout(self)

        prompt_row = QHBoxLayout()
        prompt_row.addWidget(QLabel("System prompt"))
        prompt_row.addStretch(1)
        self.preset_box = QComboBox()
        self.preset_box.addItem("Presets…")
        self.preset_box.addItems(sorted(self.presets))
        self.preset_box.activated.connect(self._use_preset)
        self.save_preset_button = QPushButton("Save as preset…")
        self.save_preset_button.clicked.connect(self._save_preset)
        prompt_row.addWidget(self.preset_box)
        prompt_row.addWidget(self.save_preset_button)
        layout.addLayout(prompt_row)
        self.system_prompt = QPlainTextEdit(system_prompt)
        self.system_prompt.setMaximumHeight(90)
        self.system_prompt.setTabChangesFocus(True)  # Tab moves on, as in every other field here
        layout.addWidget(self.system_prompt)

        form = QFormLayout()
        self.fields: dict[str, tuple[QWidget, QCheckBox]] = {}
        for option in sampling.OPTIONS:
            spin = QSpinBox() if option.decimals == 0 else QDoubleSpinBox()
            if option.decimals:
                spin.setDecimals(option.decimals)
                spin.setSingleStep(0.05)
            spin.setRange(option.minimum, option.maximum)
            if option.default is None:  # the seed: "random" unless one is set
                spin.setRange(option.minimum - 1, option.maximum)
                spin.setSpecialValueText("random")
            value = own.get(option.key, defaults.get(option.key))
            spin.setValue(value if value is not None else spin.minimum())
            custom = QCheckBox("set here")
            custom.setChecked(option.key in own)
            source = "the model's file" if option.key in from_model else "Hearth"
            shown = defaults.get(option.key)
            default_text = "random" if shown is None else str(shown)
            custom.setToolTip(f"Unchecked: the default, {default_text} (from {source}).")
            spin.setEnabled(custom.isChecked())
            custom.toggled.connect(spin.setEnabled)
            spin.setToolTip(f"Default {default_text}, from {source}")
            row = QHBoxLayout()
            row.addWidget(spin, 1)
            row.addWidget(custom)
            holder = QWidget()
            holder.setLayout(row)
            row.setContentsMargins(0, 0, 0, 0)
            form.addRow(option.label, holder)
            self.fields[option.key] = (spin, custom)
        self.overflow = QComboBox()
        for key, label in overflow.LABELS.items():
            self.overflow.addItem(label, key)
        self.overflow.setCurrentIndex(self.overflow.findData(overflow.clean(own.get(overflow.KEY)) or overflow.DEFAULT))
        self.overflow.setToolTip("What the model reads once this conversation no longer fits in its context window. "
                                 "Nothing is deleted from the conversation.")
        form.addRow("When it outgrows the context", self.overflow)
        where = QLabel("The context length is a load setting of the model: Models ▸ Load settings… (Ctrl+Shift+L).")
        where.setWordWrap(True)
        form.addRow(where)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def changes(self) -> dict:
        """Each sampling key: its value when set here, None for the default; and the overflow policy."""
        result = {}
        for key, (spin, custom) in self.fields.items():
            chosen = custom.isChecked() and not (spin.specialValueText() and spin.value() == spin.minimum())
            result[key] = spin.value() if chosen else None
        result[overflow.KEY] = self.overflow.currentData()
        return result

    def _use_preset(self, index: int) -> None:
        if index > 0:
            self.system_prompt.setPlainText(self.presets[self.preset_box.itemText(index)])
        self.preset_box.setCurrentIndex(0)

    def _save_preset(self) -> None:
        name, ok = QInputDialog.getText(self, "Save preset", "Name for this system prompt:")
        if ok and name.strip():
            self.presets[name.strip()] = self.system_prompt.toPlainText()
            if self.preset_box.findText(name.strip()) < 0:
                self.preset_box.addItem(name.strip())
