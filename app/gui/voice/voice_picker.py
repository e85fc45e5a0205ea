"""Which Piper voice reads replies aloud: a picker with "Play sample" (Preferences ▸ Voice) and the same
choice as a Voice menu entry. The choice is ``settings.speech_voice`` (the .onnx's path; empty: the default voice).

The list comes from the library controller (its scan reads the voices off the GUI thread); the sample is
spoken by whatever ``play_sample(voice_path, text)`` the app passes in (the speech-out engine); without one
the button says why it cannot play.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QMenu, QPushButton, QWidget

from app.core.voice_library import DEFAULT, InstalledVoice

PlaySample = Callable[[str, str], None]
# What a sample says, by the voice's language (its two-letter family); English for the rest.
SAMPLES = {
    "en": "Hello! This is how I sound when I read your replies aloud.",
    "de": "Hallo! So klinge ich, wenn ich deine Antworten vorlese.",
    "fr": "Bonjour ! Voici ma voix quand je lis vos réponses à voix haute.",
    "es": "¡Hola! Así sueno cuando leo tus respuestas en voz alta.",
    "it": "Ciao! Ecco come suono quando leggo ad alta voce le tue risposte.",
    "nl": "Hallo! Zo klink ik als ik je antwoorden voorlees.",
    "pt": "Olá! É assim que eu soo quando leio as suas respostas em voz alta.",
}
NO_PLAYER = "Speech output is not available in this build, so a sample cannot be played."


def sample_text(voice: InstalledVoice | None) -> str:
    family = (voice.language_code if voice is not None else "en").split("_")[0].lower()
    return SAMPLES.get(family, SAMPLES["en"])


def voice_choices(voices: list[InstalledVoice], current: str) -> list[tuple[str, str, InstalledVoice | None]]:
    """(setting value, label, voice) for every usable voice: the default voice as "", downloaded ones by path.
    A chosen voice that is gone or broken stays listed (marked) rather than silently replaced."""
    default = next((v for v in voices if v.source == DEFAULT and v.usable), None)
    choices = [("", f"Default voice ({default.display_name})" if default else "Default voice", default)]
    for voice in voices:
        if voice.source != DEFAULT and voice.usable:
            choices.append((str(voice.model), voice.display_name, voice))
    if current and current not in [value for value, _label, _voice in choices]:
        problem = next((v.problem for v in voices if str(v.model) == current and v.problem), "not found")
        choices.append((current, f"⚠ {current} ({problem})", None))
    return choices


class VoicePicker(QWidget):
    changed = Signal()  # the chosen voice changed (the settings are to be saved)

    def __init__(self, library, settings, play_sample: PlaySample | None = None,
                 find_voices: Callable[[], None] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.library, self.settings = library, settings
        self.play_sample = play_sample
        self.combo = QComboBox()
        self.combo.setObjectName("ttsVoice")
        self.combo.setAccessibleName("Reading voice")
        self.play_button = QPushButton("Play sample")
        self.play_button.setObjectName("playSample")
        self.find_button = QPushButton("Find voices…")
        self.find_button.setEnabled(find_voices is not None)
        if find_voices is not None:
            self.find_button.clicked.connect(lambda: find_voices())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.play_button)
        layout.addWidget(self.find_button)
        self._voices: dict[str, InstalledVoice | None] = {}
        self.combo.currentIndexChanged.connect(self._chosen)
        self.play_button.clicked.connect(self.play)
        library.voices_changed.connect(lambda _voices: self.fill())
        self.fill()

    def showEvent(self, event) -> None:
        self.fill()  # a choice made in the Voice menu since
        super().showEvent(event)

    def fill(self) -> None:
        current = self.settings.speech_voice
        choices = voice_choices(self.library.voices, current)
        self._voices = {value: voice for value, _label, voice in choices}
        self.combo.blockSignals(True)
        self.combo.clear()
        for value, label, _voice in choices:
            self.combo.addItem(label, value)
        self.combo.setCurrentIndex(max(0, self.combo.findData(current)))
        self.combo.blockSignals(False)
        self._update_button()

    def labels(self) -> list[str]:
        return [self.combo.itemText(i) for i in range(self.combo.count())]

    def choose(self, value: str) -> None:
        self.combo.setCurrentIndex(self.combo.findData(value))

    def current_voice(self) -> InstalledVoice | None:
        return self._voices.get(self.combo.currentData() or "")

    def _chosen(self, _index: int) -> None:
        value = self.combo.currentData() or ""
        if value != self.settings.speech_voice:
            self.settings.speech_voice = value  # the speech-out engine reads it for the next reply
            self.changed.emit()
        self._update_button()

    def _update_button(self) -> None:
        voice = self.current_voice()
        if self.play_sample is None:
            self.play_button.setEnabled(False)
            self.play_button.setToolTip(NO_PLAYER)
        elif voice is None:
            self.play_button.setEnabled(False)
            self.play_button.setToolTip("This voice cannot be used; choose another or download it again.")
        else:
            self.play_button.setEnabled(True)
            self.play_button.setToolTip(f"Say “{sample_text(voice)}” in this voice")

    def play(self) -> None:
        voice = self.current_voice()
        if self.play_sample is not None and voice is not None:
            self.play_sample(str(voice.model), sample_text(voice))


def fill_voice_menu(menu: QMenu, library, settings, find_voices: Callable[[], None] | None = None,
                    on_change: Callable[[], None] | None = None) -> None:
    """Refill Voice ▸ Reading voice: one checkable entry per voice, the chosen one checked."""
    menu.clear()
    group = QActionGroup(menu)

    def choose(value: str) -> None:
        settings.speech_voice = value
        if on_change is not None:
            on_change()

    for value, label, _voice in voice_choices(library.voices, settings.speech_voice):
        action = menu.addAction(label)
        action.setCheckable(True)
        action.setChecked(value == settings.speech_voice)
        action.triggered.connect(lambda _on=False, v=value: choose(v))
        group.addAction(action)
    if find_voices is not None:
        menu.addSeparator()
        menu.addAction("Find voices…", find_voices)


def add_voice_menu(voice_menu: QMenu, library, settings, find_voices: Callable[[], None] | None = None,
                   on_change: Callable[[], None] | None = None) -> QMenu:
    """Add Voice ▸ Reading voice, filled each time it opens."""
    menu = voice_menu.addMenu("Reading &voice")
    menu.aboutToShow.connect(lambda: fill_voice_menu(menu, library, settings, find_voices, on_change))
    return menu
