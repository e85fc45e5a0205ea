"""Light and dark, chosen by the user or following the system as it changes.

Qt's own ``setColorScheme`` only takes effect where the platform theme supports it
(Windows 11, macOS, GNOME through the portal); elsewhere (KDE without it, X11 sessions,
offscreen) nothing would change. So Hearth sets the palette itself, on Qt's Fusion style,
which draws every widget from the palette. The style sheet uses ``palette(...)`` colours
and follows.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

SYSTEM, LIGHT, DARK = "system", "light", "dark"
THEMES = (SYSTEM, LIGHT, DARK)


def dark_palette() -> QPalette:
    palette = QPalette()
    colours = {
        QPalette.Window: "#202124", QPalette.WindowText: "#e8eaed", QPalette.Base: "#17181a",
        QPalette.AlternateBase: "#2a2b2e", QPalette.ToolTipBase: "#2a2b2e", QPalette.ToolTipText: "#e8eaed",
        QPalette.Text: "#e8eaed", QPalette.Button: "#2d2e31", QPalette.ButtonText: "#e8eaed",
        QPalette.BrightText: "#ffffff", QPalette.Highlight: "#b4541a", QPalette.HighlightedText: "#ffffff",
        QPalette.Link: "#f0a070", QPalette.PlaceholderText: "#8a8d91", QPalette.Mid: "#6b6e73",
        QPalette.Midlight: "#3c3e42", QPalette.Light: "#4a4c50",
        QPalette.Dark: "#9aa0a6",  # the style sheet draws secondary text in palette(dark)
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        palette.setColor(QPalette.Disabled, role, QColor("#6b6e73"))
    return palette


def is_dark(choice: str) -> bool:
    if choice == DARK:
        return True
    if choice == LIGHT:
        return False
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply(choice: str) -> str:
    """Set the application's colours for ``choice``; returns the choice as kept (unknown: system)."""
    choice = choice if choice in THEMES else SYSTEM
    app = QApplication.instance()
    if app is None:
        return choice
    dark = is_dark(choice)
    if dark and app.style().name().lower() != "fusion":  # native styles may ignore a dark palette
        app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    if app.styleSheet():
        app.setStyleSheet(app.styleSheet())  # widgets polished by the style sheet take the new palette
    return choice

