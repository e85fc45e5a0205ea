"""Preferences ▸ Appearance: light, dark, or following the system (the same choice as View ▸ Theme)."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QLabel, QRadioButton, QVBoxLayout, QWidget

from app.gui import theme

LABELS = {theme.SYSTEM: "Follow the system", theme.LIGHT: "Light", theme.DARK: "Dark"}


class AppearancePage(QWidget):
    changed = Signal()

    def __init__(self, current: Callable[[], str], set_theme: Callable[[str], None], parent=None) -> None:
        super().__init__(parent)
        self._current, self._set_theme = current, set_theme
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Theme:"))
        for key in theme.THEMES:
            button = QRadioButton(LABELS[key])
            self.buttons[key] = button
            self.group.addButton(button)
            layout.addWidget(button)
            button.toggled.connect(lambda on, key=key: on and self._choose(key))
        layout.addStretch(1)
        self.show_current()

    def showEvent(self, event) -> None:
        self.show_current()  # View ▸ Theme may have changed it since
        super().showEvent(event)

    def show_current(self) -> None:
        button = self.buttons.get(self._current())
        if button is not None and not button.isChecked():
            button.blockSignals(True)
            button.setChecked(True)
            button.blockSignals(False)

    def _choose(self, key: str) -> None:
        if key != self._current():
            self._set_theme(key)
            self.changed.emit()
