"""WCAG 2 contrast between two colours: 1 (none) to 21 (black on white); AA asks 4.5 for text."""
from __future__ import annotations

from contextlib import contextmanager

from PySide6.QtGui import QColor


def luminance(colour: QColor) -> float:
    def channel(value: int) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green()) + 0.0722 * channel(colour.blue())


def contrast(first, second) -> float:
    lighter, darker = sorted((luminance(QColor(first)), luminance(QColor(second))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@contextmanager
def themed(name: str):
    """The application dressed as ``hearth`` dresses it (style sheet, style), in the light or dark theme."""
    from PySide6.QtWidgets import QApplication

    from app.gui import theme
    from app.main import dress

    app = QApplication.instance()
    sheet, palette = app.styleSheet(), app.palette()
    dress(app)
    theme.apply(name)
    try:
        yield
    finally:
        app.setPalette(palette)
        app.setStyleSheet(sheet)
