"""Suggestion cards for an empty chat: a few things to ask, one click puts the words in the message box.

The prompts are written whole, so a click followed by Enter asks something a small model answers well;
the user can still change them before sending. Each card is a button: Tab reaches it, Space presses it.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.gui import icons


@dataclass(frozen=True)
class Suggestion:
    title: str
    hint: str  # the second, quieter line of the card
    prompt: str  # what goes into the message box
    icon: str  # a name in app/gui/icons.py


SUGGESTIONS = (
    Suggestion("Explain a concept", "like why the sky is blue",
               "Explain in simple words why the sky is blue.", "explain"),
    Suggestion("Write a short email", "to thank a colleague",
               "Write a short, friendly email thanking a colleague for their help this week.", "email"),
    Suggestion("Help with code", "a Python function",
               "Write a Python function that checks whether a word is a palindrome.", "code"),
    Suggestion("Make a plan", "for a relaxed weekend",
               "Make a simple plan for a relaxed weekend at home, as a short list.", "plan"),
)


class SuggestionCard(QPushButton):
    """A card: an icon, a title and a hint, on a rounded face the style sheet draws."""

    def __init__(self, suggestion: Suggestion, parent=None) -> None:
        super().__init__(parent)
        self.suggestion = suggestion
        self.setObjectName("suggestionCard")
        self.setCursor(Qt.PointingHandCursor)
        self.setAccessibleName(f"{suggestion.title}, {suggestion.hint}")
        self.setToolTip(suggestion.prompt)
        self.setMinimumHeight(64)
        column = QVBoxLayout(self)
        column.setContentsMargins(14, 10, 14, 10)
        column.setSpacing(2)
        self.mark = QLabel()
        self.mark.setPixmap(icons.icon(suggestion.icon, "accent").pixmap(QSize(18, 18)))  # orange in both themes
        self.title = QLabel(suggestion.title)
        self.title.setObjectName("suggestionTitle")
        self.hint = QLabel(suggestion.hint)
        self.hint.setObjectName("suggestionHint")
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.mark)
        top.addWidget(self.title, 1)
        column.addLayout(top)
        column.addWidget(self.hint)
        for label in (self.mark, self.title, self.hint):
            label.setAttribute(Qt.WA_TransparentForMouseEvents)  # the card takes the click

    def texts(self) -> tuple[str, str]:
        return self.title.text(), self.hint.text()


class SuggestionCards(QWidget):
    chosen = Signal(str)  # the prompt of the card clicked

    def __init__(self, suggestions=SUGGESTIONS, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("suggestions")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(10)
        self.cards: list[SuggestionCard] = []
        for index, suggestion in enumerate(suggestions):
            card = SuggestionCard(suggestion)
            card.clicked.connect(lambda _checked=False, prompt=suggestion.prompt: self.chosen.emit(prompt))
            grid.addWidget(card, index // 2, index % 2)
            self.cards.append(card)
