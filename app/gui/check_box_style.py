"""Fusion with check boxes that can be seen on a dark window.

Fusion draws a check box's edge in the window's colour made darker (``window.darker(140)``), and fills
it with the base colour. On Hearth's dark window (#202124) that edge is #17181a, 1.1:1 against the
window: an unticked box is invisible, and no palette role changes it. So this style draws the box
itself: the edge in the palette's secondary-text colour (``QPalette.Dark``, which the theme keeps at
4.5:1 or more against the window and the base), the tick in the text colour. Everything else is Fusion.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleFactory


class CheckBoxStyle(QProxyStyle):
    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def drawPrimitive(self, element, option, painter, widget=None) -> None:  # noqa: N802 (Qt's name)
        if element != QStyle.PE_IndicatorCheckBox:
            super().drawPrimitive(element, option, painter, widget)
            return
        draw_check_box(option, painter)


def draw_check_box(option, painter) -> None:
    palette, state = option.palette, option.state
    enabled = bool(state & QStyle.State_Enabled)
    if state & QStyle.State_HasFocus and state & QStyle.State_KeyboardFocusChange:
        edge = palette.color(QPalette.Highlight)
    else:
        edge = palette.color(QPalette.Dark if enabled else QPalette.Mid)
    fill = palette.color(QPalette.Base)
    if state & QStyle.State_Sunken:
        fill = _mix(fill, palette.color(QPalette.Text), 0.15)
    side = min(option.rect.width(), option.rect.height())
    box = QRectF(option.rect.x(), option.rect.y() + (option.rect.height() - side) / 2, side, side)
    box.adjust(0.5, 0.5, -0.5, -0.5)  # a one-pixel edge on whole pixels
    painter.save()
    painter.setRenderHint(painter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(edge, 1.0))
    painter.setBrush(fill)
    painter.drawRoundedRect(box, 2.0, 2.0)
    mark = palette.color(QPalette.Text if enabled else QPalette.Mid)
    painter.setPen(QPen(mark, max(1.5, box.width() / 8), Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
    painter.setBrush(Qt.NoBrush)
    if state & QStyle.State_NoChange:
        middle = box.center().y()
        painter.drawLine(QPointF(box.left() + box.width() * 0.25, middle), QPointF(box.right() - box.width() * 0.25, middle))
    elif state & QStyle.State_On:
        tick = QPainterPath()
        tick.moveTo(box.left() + box.width() * 0.24, box.top() + box.height() * 0.52)
        tick.lineTo(box.left() + box.width() * 0.42, box.top() + box.height() * 0.72)
        tick.lineTo(box.left() + box.width() * 0.78, box.top() + box.height() * 0.30)
        painter.drawPath(tick)
    painter.restore()


def _mix(first: QColor, second: QColor, amount: float) -> QColor:
    return QColor.fromRgbF(*(a + (b - a) * amount for a, b in zip(first.getRgbF()[:3], second.getRgbF()[:3])))
