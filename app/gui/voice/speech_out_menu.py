"""The Voice menu's reading-aloud part: read replies aloud, pause, stop, speed, and the sound output."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from app.gui.voice.voice_menu import fill_choices

SPEEDS = ((0.75, "Slower (0.75×)"), (1.0, "Normal"), (1.25, "Faster (1.25×)"), (1.5, "Fast (1.5×)"),
          (2.0, "Very fast (2×)"))


class SpeechOutMenu:
    """The actions live on the Voice menu (their parent); this holds them and what they act on."""

    def __init__(self, menu: QMenu, read_aloud, settings) -> None:
        self.menu, self.read_aloud, self.settings = menu, read_aloud, settings
        menu.addSeparator()
        self.read_replies_action = QAction("&Read replies aloud", menu, checkable=True)
        self.read_replies_action.setChecked(bool(settings.read_aloud))
        self.read_replies_action.toggled.connect(lambda on: setattr(settings, "read_aloud", on))
        self.pause_action = QAction("&Pause reading", menu, shortcut=QKeySequence("Ctrl+Shift+R"),
                                    triggered=read_aloud.toggle_pause, enabled=False)
        self.stop_action = QAction("Stop &reading", menu, triggered=read_aloud.stop, enabled=False)
        menu.addActions([self.read_replies_action, self.pause_action, self.stop_action])
        self.speed_menu = menu.addMenu("Reading &speed")
        self.speed_menu.aboutToShow.connect(self._fill_speeds)
        self.output_menu = menu.addMenu("Sound &output")
        self.output_menu.aboutToShow.connect(self._fill_outputs)
        speaker = read_aloud.speaker
        speaker.speaking_changed.connect(self._on_speaking)
        speaker.paused_changed.connect(lambda paused: self.pause_action.setText(
            "Resume reading" if paused else "&Pause reading"))

    def _on_speaking(self, speaking: bool) -> None:
        self.pause_action.setEnabled(speaking)
        self.stop_action.setEnabled(speaking)
        if not speaking:
            self.pause_action.setText("&Pause reading")

    def _fill_speeds(self) -> None:
        current = min(SPEEDS, key=lambda item: abs(item[0] - self.settings.speech_speed))[0]
        fill_choices(self.speed_menu, [(str(speed), label) for speed, label in SPEEDS], str(current),
                     lambda value: setattr(self.settings, "speech_speed", float(value)))

    def _fill_outputs(self) -> None:
        player = self.read_aloud.speaker.player
        outputs = player.outputs()
        fill_choices(self.output_menu, [("", "System default"), *outputs], self.settings.speech_output,
                     self.choose_output)
        if not outputs:
            self.output_menu.addAction("No sound output found").setEnabled(False)

    def choose_output(self, output_id: str) -> None:
        self.settings.speech_output = output_id
        self.read_aloud.speaker.player.set_output(output_id)
