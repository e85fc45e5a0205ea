"""The first run's welcome, above the suggestions of the first, empty chat: what Hearth is, which model
is ready (the starter is tiny: say so), that everything stays on this computer, and a way to a better
model. The window says when to show it and what the model is; the button is a signal.
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from app.gui import icons

TITLE = "Welcome to Hearth"
ABOUT = "Hearth is a private assistant: it runs language models on this computer, with no account and no cloud."
PRIVATE = "Your chats, your voice and the models stay on this computer. Nothing is sent anywhere."
BETTER = "Get a better model for this computer"


def model_line(name: str, ready: bool, starter: bool) -> str:
    """The sentence about the model the first chat will use."""
    if not name:
        return "Choose a model above to start."
    name = f"<b>{escape(name)}</b>"
    if starter:
        state = "is ready" if ready else "is getting ready"
        return (f"The starter model, {name}, {state}. It is tiny, so it answers fast but knows little; "
                "a bigger model writes much better.")
    return f"{name} {'is ready' if ready else 'is loading'}."


class Welcome(QFrame):
    better_model_requested = Signal()  # "Get a better model for this computer": the Model manager's Discover

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        column = QVBoxLayout(self)
        column.setContentsMargins(20, 14, 20, 16)
        column.setSpacing(8)
        self.title = QLabel(TITLE)
        self.title.setObjectName("welcomeTitle")
        self.about = QLabel(ABOUT)
        self.model = QLabel(model_line("", False, False))
        self.model.setTextFormat(Qt.RichText)
        self.private = QLabel(PRIVATE)
        for label in (self.about, self.model, self.private):
            label.setObjectName("welcomeText")
            label.setWordWrap(True)
        lock = QLabel()
        lock.setPixmap(icons.icon("private", "accent").pixmap(16, 16))
        private_row = QHBoxLayout()
        private_row.setSpacing(8)
        private_row.addWidget(lock, 0, Qt.AlignTop)
        private_row.addWidget(self.private, 1)
        self.better_button = QPushButton(BETTER)
        self.better_button.setObjectName("betterModelButton")
        self.better_button.setIcon(icons.icon("better_model", "on_accent"))
        self.better_button.setCursor(Qt.PointingHandCursor)
        self.better_button.clicked.connect(self.better_model_requested)
        column.addWidget(self.title)
        column.addWidget(self.about)
        column.addWidget(self.model)
        column.addLayout(private_row)
        column.addSpacing(4)
        column.addWidget(self.better_button, 0, Qt.AlignLeft)

    def show_model(self, name: str, ready: bool, starter: bool) -> None:
        self.model.setText(model_line(name, ready, starter))

    def text(self) -> str:
        """Its words as the user reads them (tests, screen readers)."""
        document = QTextDocument()
        document.setHtml(self.model.text())
        return "\n".join([self.title.text(), self.about.text(), document.toPlainText(), self.private.text(),
                          self.better_button.text()])
