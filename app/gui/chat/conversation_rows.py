"""How the sidebar draws its rows: a group's name ("Today") as a quiet header, and each chat as its
title with its time at the right ("14:05", "Mon"), the title shortened with "…" to leave the time room.

The rows are plain QListWidgetItems (their text is the title, what tests, screen readers and the
keyboard use); this delegate only paints them. Headers are items without flags: the list's arrow
keys and clicks pass over them.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QIcon, QPalette
from PySide6.QtWidgets import QListWidgetItem, QStyle, QStyledItemDelegate, QStyleOptionViewItem

ID_ROLE = Qt.UserRole
PINNED_ROLE = Qt.UserRole + 1
TIME_ROLE = Qt.UserRole + 2  # the short time shown at the right
HEADER_ROLE = Qt.UserRole + 3  # True on a group's header row
ROW_PADDING = 14  # vertical room around a chat's title
HEADER_TOP = 12  # space above a group's name: the groups read as blocks
TIME_GAP = 10  # between the title's end and the time


def header_item(name: str) -> QListWidgetItem:
    item = QListWidgetItem(name)
    item.setFlags(Qt.NoItemFlags)  # not selectable, not enabled: arrow keys and clicks skip it
    item.setData(HEADER_ROLE, True)
    item.setData(Qt.AccessibleTextRole, f"{name}:")
    return item


def is_header(item: QListWidgetItem | None) -> bool:
    return item is not None and bool(item.data(HEADER_ROLE))


def _small(font: QFont) -> QFont:
    small = QFont(font)
    small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
    return small


class ConversationRowDelegate(QStyledItemDelegate):
    def sizeHint(self, option, index) -> QSize:  # noqa: N802 (Qt's name)
        height = QFontMetrics(option.font).height()
        if index.data(HEADER_ROLE):
            return QSize(0, QFontMetrics(_small(option.font)).height() + HEADER_TOP + 4)
        return QSize(0, height + ROW_PADDING)

    def paint(self, painter, option, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if index.data(HEADER_ROLE):
            self._paint_header(painter, opt)
            return
        small = _small(opt.font)
        time = index.data(TIME_ROLE) or ""
        room = QFontMetrics(small).horizontalAdvance(time) + TIME_GAP if time else 0
        icon = opt.decorationSize.width() + 6 if not opt.icon.isNull() else 0
        available = opt.rect.width() - room - icon - 16  # the item's own margins, both sides
        opt.text = QFontMetrics(opt.font).elidedText(opt.text, Qt.ElideRight, max(available, 20))
        if not opt.icon.isNull():  # the selection is a pale tint (style.qss): the pin keeps its own orange
            opt.icon = QIcon(opt.icon.pixmap(opt.decorationSize, QIcon.Normal))

        style.drawControl(QStyle.CE_ItemViewItem, opt, painter, widget)
        if time:
            painter.save()
            painter.setFont(small)
            painter.setPen(opt.palette.color(QPalette.Dark))  # on the pale selection too (style.qss)
            painter.drawText(opt.rect.adjusted(0, 0, -10, 0), Qt.AlignRight | Qt.AlignVCenter, time)
            painter.restore()

    def _paint_header(self, painter, opt: QStyleOptionViewItem) -> None:
        painter.save()
        font = _small(opt.font)
        font.setWeight(QFont.DemiBold)
        painter.setFont(font)
        painter.setPen(opt.palette.color(QPalette.Dark))
        painter.drawText(opt.rect.adjusted(10, 0, -10, -4), Qt.AlignLeft | Qt.AlignBottom, opt.text)
        painter.restore()
