"""Preferences ▸ Voice: the speech model, its language and expected words, the microphone, whether a
dictated message is sent at once, and the voice that reads replies aloud. The same settings as the Voice
menu, all in one place."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.gui.voice.voice_menu import LANGUAGES


def _fill(combo: QComboBox, choices: list[tuple[str, str]], current: str) -> None:
    combo.blockSignals(True)
    combo.clear()
    for value, label in choices:
        combo.addItem(label, value)
    index = combo.findData(current)
    combo.setCurrentIndex(max(index, 0))
    combo.blockSignals(False)


class VoicePage(QWidget):
    changed = Signal()

    def __init__(self, voice, send_dictated_action, find_models=None, voice_picker=None, parent=None) -> None:
        super().__init__(parent)
        self.voice, self.settings = voice, voice.settings
        self.send_dictated_action = send_dictated_action  # Voice ▸ Send dictated messages at once: kept in step
        self.speech_model = QComboBox()
        self.find_button = QPushButton("Find speech models…")
        self.find_button.setEnabled(find_models is not None)
        if find_models is not None:
            self.find_button.clicked.connect(lambda: find_models())
        self.language = QComboBox()
        self.prompt = QLineEdit(self.settings.speech_prompt)
        self.prompt.setPlaceholderText("Names and terms the recogniser should expect, separated by commas")
        self.microphone = QComboBox()
        self.send_dictated = QCheckBox("Send a dictated message as soon as its text is final")
        self.send_dictated.setChecked(bool(self.settings.send_dictated))
        note = QLabel("English-only models such as tiny.en always hear English.")
        note.setObjectName("quietText")
        form = QFormLayout(self)
        form.addRow("Speech model:", self.speech_model)
        form.addRow("", self.find_button)
        form.addRow("Language:", self.language)
        form.addRow("", note)
        form.addRow("Names and terms:", self.prompt)
        form.addRow("Microphone:", self.microphone)
        form.addRow("", self.send_dictated)
        self.voice_picker = voice_picker  # a VoicePicker: the Piper voice, with "Play sample"
        if voice_picker is not None:
            form.addRow("Reading voice:", voice_picker)
            voice_picker.changed.connect(self.changed)
        for widget, name in ((self.speech_model, "Speech model"), (self.language, "Language"),
                             (self.prompt, "Names and terms"), (self.microphone, "Microphone")):
            widget.setAccessibleName(name)
        self.fill()
        self.speech_model.currentIndexChanged.connect(lambda _i: self._set("speech_model", self.speech_model))
        self.language.currentIndexChanged.connect(lambda _i: self._set("speech_language", self.language))
        self.microphone.currentIndexChanged.connect(lambda _i: self._set("microphone", self.microphone))
        self.prompt.editingFinished.connect(self._set_prompt)
        self.send_dictated.toggled.connect(self._set_send_dictated)
        send_dictated_action.toggled.connect(self._show_send_dictated)

    def showEvent(self, event) -> None:
        self.fill()  # models downloaded, microphones plugged in or choices made in the Voice menu since
        super().showEvent(event)

    def fill(self) -> None:
        settings = self.settings
        models = self.voice.speech_models()
        current = settings.speech_model or (models[0][0] if models else "")
        if current and current not in [value for value, _label in models]:
            models.append((current, current))  # a folder set by hand: shown, not dropped
        _fill(self.speech_model, models, current)
        _fill(self.language, list(LANGUAGES), settings.speech_language)
        _fill(self.microphone, [("", "System default"), *self.voice.microphone.devices()], settings.microphone)
        if self.prompt.text() != settings.speech_prompt and not self.prompt.hasFocus():
            self.prompt.setText(settings.speech_prompt)
        self._show_send_dictated(bool(settings.send_dictated))

    def _set(self, name: str, combo: QComboBox) -> None:
        value = combo.currentData() or ""
        if getattr(self.settings, name) != value:
            setattr(self.settings, name, value)  # the speech engine and microphone read it at the next recording
            self.changed.emit()

    def _set_prompt(self) -> None:
        text = self.prompt.text().strip()
        if text != self.settings.speech_prompt:
            self.settings.speech_prompt = text
            self.changed.emit()

    def _set_send_dictated(self, on: bool) -> None:
        if self.send_dictated_action.isChecked() != on:
            self.send_dictated_action.setChecked(on)  # which sets the setting
            self.changed.emit()

    def _show_send_dictated(self, on: bool) -> None:
        if self.send_dictated.isChecked() != on:
            self.send_dictated.blockSignals(True)
            self.send_dictated.setChecked(on)
            self.send_dictated.blockSignals(False)
