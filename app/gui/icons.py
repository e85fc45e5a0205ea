"""Which icon each action shows, in one place, drawn from the Phosphor set that qtawesome bundles.

Phosphor (MIT) is a single, consistent outline family like the one current chat apps use; qtawesome
ships its font as package data, so nothing is fetched and the icons look the same on every desktop.
Icons are drawn in the palette's colours, so they are made again when the theme changes: ``Icons``
remembers what it dressed and ``refresh()`` redraws them all (the window calls it from ``set_theme``).
"""
from __future__ import annotations

import os
import weakref

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

os.environ.setdefault("QT_API", "pyside6")  # qtpy (under qtawesome) must pick the binding Hearth runs on
import qtawesome  # noqa: E402

ACCENT = "#d9682b"  # the app's orange, as resources/style.qss uses it

# What each action shows: Phosphor 1.3 names (qtawesome's "ph." prefix).
NAMES = {
    "new_chat": "ph.note-pencil",
    "search": "ph.magnifying-glass",
    "filter": "ph.magnifying-glass",
    "manager": "ph.cube",
    "server": "ph.broadcast",
    "connect": "ph.hard-drives",
    "open": "ph.folder-open",
    "load_settings": "ph.sliders-horizontal",
    "preferences": "ph.gear",
    "send": "ph.paper-plane-right",
    "stop": "ph.stop",
    "microphone": "ph.microphone",
    "dictation": "ph.microphone",
    "talk": "ph.chats-circle",  # the voice conversation
    "export": "ph.export",
    "import": "ph.download-simple",
    "shortcuts": "ph.keyboard",
    "system_info": "ph.cpu",
    "download": "ph.download-simple",
    "better_model": "ph.sparkle",
    "private": "ph.lock-simple",
    # The empty chat's suggestions
    "explain": "ph.lightbulb",
    "email": "ph.envelope-simple",
    "code": "ph.code",
    "plan": "ph.list-bullets",
    # The model pill's states
    "state_dot": "ph.circle-fill",
    "state_failed": "ph.warning-circle",
    "state_remote": "ph.cloud",
    "state_loading": "ph.hourglass",
}
KINDS = ("plain", "accent", "on_accent")  # drawn in the text colour, the orange, or white on the orange


def _palette() -> QPalette:
    app = QApplication.instance()
    return app.palette() if app is not None else QPalette()


def icon(name: str, kind: str = "plain", colour: str = "") -> QIcon:
    """The icon for ``name`` in the current theme's colours (or in ``colour``)."""
    palette = _palette()
    text = palette.color(QPalette.Active, QPalette.WindowText).name()
    disabled = palette.color(QPalette.Disabled, QPalette.WindowText).name()
    if colour:
        text = colour
    elif kind == "accent":
        text = ACCENT
    elif kind == "on_accent":
        text, disabled = "#ffffff", QColor(255, 255, 255, 150).name(QColor.HexArgb)
    selected = text if kind == "on_accent" else palette.color(QPalette.Active, QPalette.HighlightedText).name()
    return qtawesome.icon(NAMES[name], color=text, color_active=text, color_disabled=disabled,
                          color_selected=selected)


class Icons:
    """Puts icons on actions and buttons and redraws them when the palette changes."""

    def __init__(self) -> None:
        self._dressed: list[tuple[weakref.ref, str, str]] = []

    def put(self, target, name: str, kind: str = "plain"):
        """Give ``target`` (a QAction or a button) the icon ``name``; returns ``target``."""
        target.setIcon(icon(name, kind))
        self._dressed.append((weakref.ref(target), name, kind))
        return target

    def refresh(self) -> None:
        alive = []
        for ref, name, kind in self._dressed:
            target = ref()
            if target is None:
                continue
            try:
                target.setIcon(icon(name, kind))
            except RuntimeError:  # its C++ side was deleted
                continue
            alive.append((ref, name, kind))
        self._dressed = alive
