"""The Voice menu: push to talk, the dictation window, and what the recogniser uses."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMenu

from app.settings import Settings

# Whisper language codes offered in Voice ▸ Language ("" lets a multilingual model detect it).
LANGUAGES = (("", "Detect automatically"), ("en", "English"), ("de", "German"), ("fr", "French"),
             ("es", "Spanish"), ("it", "Italian"), ("pt", "Portuguese"), ("nl", "Dutch"), ("pl", "Polish"),
             ("ru", "Russian"), ("uk", "Ukrainian"), ("tr", "Turkish"), ("ja", "Japanese"), ("zh", "Chinese"),
             ("ko", "Korean"), ("hi", "Hindi"), ("ar", "Arabic"))


def fill_choices(menu: QMenu, choices: list[tuple[str, str]], current: str, choose: Callable[[str], None]) -> None:
    """Refill ``menu`` with one checkable entry per (value, label), the current value checked."""
    menu.clear()
    group = QActionGroup(menu)
    for value, label in choices:
        action = menu.addAction(label)
        action.setCheckable(True)
        action.setChecked(value == current)
        action.triggered.connect(lambda _on=False, v=value: choose(v))
        group.addAction(action)


class VoiceMenu(QMenu):
    def __init__(self, voice, settings: Settings, toggle_talk: Callable[[], None],
                 open_dictation: Callable[[], None], find_models: Callable[[], None],
                 converse: Callable[[], None] | None = None, parent=None) -> None:
        super().__init__("&Voice", parent)
        self.voice, self.settings = voice, settings
        self._find_models = find_models
        self.talk_action = QAction("&Push to talk", self, shortcut=QKeySequence("Ctrl+Shift+Space"),
                                   triggered=lambda: toggle_talk())
        # The voice conversation: checked while it goes on (whoever runs it keeps the check in step).
        self.conversation_action = QAction("T&alk with the model", self, shortcut=QKeySequence("Ctrl+Shift+T"),
                                           checkable=True, triggered=lambda: converse and converse())
        self.conversation_action.setVisible(converse is not None)
        self.dictation_action = QAction("&Dictation window…", self, shortcut=QKeySequence("Ctrl+Shift+D"),
                                        triggered=lambda: open_dictation())
        self.send_dictated_action = QAction("&Send dictated messages at once", self, checkable=True)
        self.send_dictated_action.setChecked(bool(settings.send_dictated))
        self.send_dictated_action.toggled.connect(lambda on: setattr(settings, "send_dictated", on))
        self.microphone_menu = self.addMenu("&Microphone")
        self.microphone_menu.aboutToShow.connect(self._fill_microphones)
        self.speech_model_menu = self.addMenu("Speech &model")
        self.speech_model_menu.aboutToShow.connect(self._fill_speech_models)
        self.language_menu = self.addMenu("&Language")
        self.language_menu.aboutToShow.connect(self._fill_languages)
        self.addAction("Names and &terms…", self._ask_speech_prompt)
        for action in (self.talk_action, self.conversation_action, self.dictation_action, self.send_dictated_action):
            self.addAction(action)

    def _fill_microphones(self) -> None:
        devices = self.voice.microphone.devices()
        fill_choices(self.microphone_menu, [("", "System default"), *devices], self.settings.microphone,
                     lambda device: setattr(self.settings, "microphone", device))
        if not devices:
            self.microphone_menu.addAction("No microphone found").setEnabled(False)

    def _fill_speech_models(self) -> None:
        models = self.voice.speech_models()
        current = self.settings.speech_model or (models[0][0] if models else "")
        fill_choices(self.speech_model_menu, models, current, self.choose_speech_model)
        self.speech_model_menu.addSeparator()
        self.speech_model_menu.addAction("Find speech models…", self._find_models)

    def _fill_languages(self) -> None:
        fill_choices(self.language_menu, list(LANGUAGES), self.settings.speech_language,
                     lambda code: setattr(self.settings, "speech_language", code))
        self.language_menu.addAction("(English-only models such as tiny.en always hear English)").setEnabled(False)

    def _ask_speech_prompt(self) -> None:
        text, ok = QInputDialog.getText(
            self.parentWidget(), "Names and terms",
            "Words the recogniser should expect (names, jargon), separated by commas:",
            text=self.settings.speech_prompt)
        if ok:
            self.settings.speech_prompt = text.strip()

    def choose_speech_model(self, folder: str) -> None:
        self.settings.speech_model = folder  # loaded by the speech engine with the next recording
