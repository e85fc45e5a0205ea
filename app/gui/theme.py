"""Light and dark, chosen by the user or following the system as it changes.

Qt's own ``setColorScheme`` only takes effect where the platform theme supports it
(Windows 11, macOS, GNOME through the portal); elsewhere (KDE without it, X11 sessions,
offscreen) nothing would change. So Hearth sets the palette itself, on Qt's Fusion style,
which draws every widget from the palette. The style sheet uses ``palette(...)`` colours
and follows. ``QPalette.Dark`` is the secondary-text colour of both themes (the style sheet draws
quiet text in ``palette(dark)``), chosen to reach WCAG AA, 4.5:1, on the window, the base and the
alternate base; on Fusion, check boxes draw their edge in it (``check_box_style``).
"""
from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.gui.check_box_style import CheckBoxStyle

SYSTEM, LIGHT, DARK = "system", "light", "dark"
_STYLE_PROPERTY, CHECK_BOX_STYLE = "hearthStyle", "fusion with clear check boxes"
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


def light_palette(style) -> QPalette:
    palette = style.standardPalette()
    # The standard grey (#9f9f9f) is 2.6:1 on white: too faint for words.
    palette.setColor(QPalette.Dark, QColor("#5f6368"))
    # Warm near-whites instead of Fusion's flat grey form, and the accent as the selection (as in the dark
    # theme) instead of Fusion's blue; the placeholder is grey, not Fusion's black.
    for role, colour in ((QPalette.Window, "#f6f5f3"), (QPalette.Button, "#f9f8f6"), (QPalette.AlternateBase, "#f1efec"),
                         (QPalette.Midlight, "#e3e0db"), (QPalette.Mid, "#c4c0b9"), (QPalette.Highlight, "#b4541a"),
                         (QPalette.PlaceholderText, "#70757a"), (QPalette.Link, "#a4460f")):
        palette.setColor(QPalette.Active, role, QColor(colour))
        palette.setColor(QPalette.Inactive, role, QColor(colour))
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
    # Native styles may ignore a dark palette; on Linux, Fusion is Qt's own default anyway. (With a style
    # sheet set, app.style() is the sheet's wrapper, so a property says whether this style is in place.)
    if (dark or sys.platform not in ("win32", "darwin")) and app.property(_STYLE_PROPERTY) != CHECK_BOX_STYLE:
        app.setStyle(CheckBoxStyle())
        app.setProperty(_STYLE_PROPERTY, CHECK_BOX_STYLE)
    app.setPalette(dark_palette() if dark else light_palette(app.style()))
    if app.styleSheet():
        app.setStyleSheet(app.styleSheet())  # widgets polished by the style sheet take the new palette
    return choice

