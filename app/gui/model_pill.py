"""The model's state at a glance, beside the model picker: a rounded pill with a coloured mark and a
word or two (Loading…, Ready, Writing…, Failed, Unloaded (idle), Ready · server).

It shows what ModelController's ``state_changed`` says; the colours live in resources/style.qss under
``QFrame#modelPill[tone=…]``: quiet grey for idle states, the accent only while the model works, green
when ready, red when it failed.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy

from app.gui import icons
from app.gui import model_controller as states

# state → (words, icon, tone): the tone picks the pill's colours in the style sheet.
LOOKS = {
    states.NO_MODEL: ("No model", "state_dot", "idle"),
    states.LOADING: ("Loading…", "state_loading", "busy"),
    states.READY: ("Ready", "state_dot", "ready"),
    states.GENERATING: ("Writing…", "state_dot", "busy"),
    states.FAILED: ("Failed", "state_failed", "failed"),
    states.STOPPED_ENGINE: ("Engine stopped", "state_failed", "failed"),
    states.IDLE_UNLOADED: ("Unloaded (idle)", "state_dot", "idle"),
    states.CANCELLED: ("Load cancelled", "state_dot", "idle"),
}
MARK_COLOURS = {"idle": "#8a8d91", "busy": icons.ACCENT, "ready": "#2e9d57", "failed": "#d0453a"}


class ModelPill(QFrame):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPill")
        self.setFocusPolicy(Qt.NoFocus)  # it says, it does nothing: not a Tab stop
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Fixed)  # a pill, not a bar: the toolbar must not stretch it
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 3, 12, 3)
        layout.setSpacing(6)
        self.mark = QLabel()
        self.mark.setObjectName("modelPillMark")
        self.words = QLabel()
        self.words.setObjectName("modelPillText")
        layout.addWidget(self.mark)
        layout.addWidget(self.words)
        self.state = ""
        self.tone = ""
        self._icon = ""
        self.show_state(states.NO_MODEL, remote=False)

    def text(self) -> str:
        return self.words.text()

    def show_state(self, state: str, remote: bool = False, name: str = "") -> None:
        words, icon, tone = LOOKS.get(state, (state.capitalize(), "state_dot", "idle"))
        if remote and state in (states.READY, states.GENERATING):
            words, icon = f"{words} · server", "state_remote"
        self.state, self.tone, self._icon = state, tone, icon
        self.words.setText(words)
        self.setAccessibleName(f"Model: {name}, {words}" if name else f"Model: {words}")
        self.setToolTip(f"{name}: {words}" if name else words)
        self.setProperty("tone", tone)
        self.style().unpolish(self)
        self.style().polish(self)
        self.refresh_icon()

    def refresh_icon(self) -> None:
        size = self.words.fontMetrics().height() - 4 if self._icon == "state_dot" else self.words.fontMetrics().height()
        self.mark.setPixmap(icons.icon(self._icon, colour=MARK_COLOURS[self.tone]).pixmap(QSize(size, size)))
