"""What a reply's rich text holds beyond its letters: task check boxes, and formulas that keep their TeX.

``markdown_html`` writes a task's box as ``<img src="task:done">`` and each formula as a span whose
tooltip is its TeX (``math_markdown``). Here the box is drawn, and selected text is copied with the TeX
and ``[x]`` in place of what the screen shows for them: math pasted elsewhere is the Markdown it was.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QImage, QPainter, QTextCursor, QTextDocument
from PySide6.QtWidgets import QStyle, QStyleOptionButton, QWidget

from app.core import tasks_and_quotes

_TASK_TEXT = {tasks_and_quotes.TASK_DONE: "[x]", tasks_and_quotes.TASK_OPEN: "[ ]"}


def check_box(widget: QWidget, done: bool) -> QImage:
    """A check box as the widget's style draws one, the height of its text."""
    style = widget.style()
    size = max(style.pixelMetric(QStyle.PM_IndicatorWidth, None, widget), widget.fontMetrics().ascent())
    ratio = widget.devicePixelRatioF()
    image = QImage(round(size * ratio), round(size * ratio), QImage.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(Qt.transparent)
    option = QStyleOptionButton()
    option.initFrom(widget)
    option.rect = QRect(0, 0, size, size)
    option.state = (option.state & ~QStyle.State_HasFocus & ~QStyle.State_MouseOver) | QStyle.State_Enabled | \
        (QStyle.State_On if done else QStyle.State_Off)
    painter = QPainter(image)
    style.drawPrimitive(QStyle.PE_IndicatorCheckBox, option, painter, None)
    painter.end()
    return image


def tooltip_at(widget, point: QPoint) -> str:
    """The tooltip of the text under ``point`` (viewport coordinates): a formula's TeX, or nothing."""
    position = widget.document().documentLayout().hitTest(point, Qt.ExactHit)
    if position < 0:
        return ""
    cursor = QTextCursor(widget.document())
    cursor.setPosition(position)
    cursor.movePosition(QTextCursor.NextCharacter, QTextCursor.KeepAnchor)
    return cursor.charFormat().toolTip()


def copied_text(selection: QTextCursor) -> str:
    """The selection as plain text, with each formula's TeX and each task box as [x] or [ ]."""
    document, first, last = selection.document(), selection.selectionStart(), selection.selectionEnd()
    replacements = []  # (start, end, text), in document order
    block = document.findBlock(first)
    while block.isValid() and block.position() < last:
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            start, end = max(first, fragment.position()), min(last, fragment.position() + fragment.length())
            shape, tip = fragment.charFormat(), fragment.charFormat().toolTip()
            if start >= end:
                pass
            elif tip:
                if replacements and replacements[-1][1] == fragment.position() and replacements[-1][2] == tip:
                    replacements[-1] = (replacements[-1][0], end, tip)  # one formula, many fragments
                else:
                    replacements.append((start, end, tip))
            elif shape.isImageFormat() and shape.toImageFormat().name() in _TASK_TEXT:
                replacements.append((start, end, _TASK_TEXT[shape.toImageFormat().name()]))
            fragments += 1
        block = block.next()
    parts, done = [], first
    for start, end, text in [*replacements, (last, last, "")]:
        parts += [_plain(document, done, start), text]
        done = end
    return "".join(parts)


def _plain(document: QTextDocument, start: int, end: int) -> str:
    """A stretch of the document as plain text, its separators made what QTextDocument.toPlainText makes
    them (a fragment's own toPlainText starts a stretch inside a list item with a line break)."""
    if start >= end:
        return ""
    cursor = QTextCursor(document)
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.KeepAnchor)
    return cursor.selectedText().translate(_SEPARATORS)


_SEPARATORS = str.maketrans({"\u2029": "\n", "\u2028": "\n", "\ufdd0": "\n", "\ufdd1": "\n", "\xa0": " "})
