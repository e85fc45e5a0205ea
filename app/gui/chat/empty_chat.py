"""What an empty chat shows: on the first run the welcome, then a question and the suggestion cards."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.gui.chat.suggestions import SuggestionCards
from app.gui.chat.welcome import Welcome

ASK = "What would you like to talk about?"


class EmptyChat(QWidget):
    prompt_chosen = Signal(str)
    better_model_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyChat")
        column = QVBoxLayout(self)
        column.setContentsMargins(24, 12, 24, 8)
        column.setSpacing(14)
        self.welcome = Welcome()
        self.welcome.better_model_requested.connect(self.better_model_requested)
        self.welcome.hide()
        self.ask = QLabel(ASK)
        self.ask.setObjectName("emptyChatAsk")
        self.ask.setAlignment(Qt.AlignCenter)
        self.suggestions = SuggestionCards()
        self.suggestions.chosen.connect(self.prompt_chosen)
        column.addWidget(self.welcome)
        column.addWidget(self.ask)
        column.addWidget(self.suggestions)

    def set_first_run(self, first: bool) -> None:
        self.welcome.setVisible(first)
