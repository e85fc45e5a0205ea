"""The text of one message: plain for the user's words, Markdown for replies.

A QTextBrowser sized to its document, not a word-wrapped QLabel: a QLabel asks
its parent layout for every message's height again on each ``setText``, and on
a 2-core machine that GUI work cut llama.cpp's token rate by a third
(``bench/engine_throughput.py`` measured 0.65 of the plain loop). The widget's
height, and with it the column's layout, changes only when the document's does.
A growing reply is re-rendered by its message widget a few times a second, each
finished Markdown block only once (``markdown_html.BlockRenderer``), and the
document is changed only from the first block that changed: ``setHtml`` of the
whole reply each time costs parsing and layout in proportion to its length
(about 2 ms at 2,400 characters and 6 ms at 19,000 on two cores), paid on
every update while it streams.
"""
from __future__ import annotations

import atexit
import html
import math

import shiboken6
from PySide6.QtCore import QEvent, QMimeData, QPoint, QRectF, QSizeF, Qt, QUrl, Signal
from PySide6.QtGui import (QClipboard, QColor, QDesktopServices, QGuiApplication, QPainter, QPalette,
                           QTextBlockFormat, QTextCursor, QTextDocument, QTextDocumentFragment)
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QToolTip

from app.core import markdown_html, tasks_and_quotes
from app.gui.chat import rich_text


class MessageBody(QTextBrowser):
    copy_requested = Signal(str)  # the text of a code block whose Copy link was clicked

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBody")
        self.setFrameShape(QFrame.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        # Links are answered here: Copy links copy their block, web links open in the browser, and
        # nothing else (a reply cannot make Hearth open a local file).
        self.setOpenLinks(False)
        # Not a Tab stop, and Tab does not walk its links: the chat view is one stop (a click still
        # gives it focus, to select and copy).
        self.setTextInteractionFlags(Qt.TextSelectableByMouse | Qt.LinksAccessibleByMouse)
        self.setFocusPolicy(Qt.ClickFocus)
        self.anchorClicked.connect(self._on_link)
        self._code_blocks: list[str] = []
        self._markdown = markdown_html.BlockRenderer()
        self._blocks: list[str] = []  # the HTML of each block in the document, while it grows
        self._ends: list[int] = []  # the document position where each of those blocks ends
        self.setUndoRedoEnabled(False)
        # Opaque on purpose: a see-through body would make every update repaint the bubble
        # (and its style sheet) behind it. The bubble's colour comes in through the palette.
        self.document().setDocumentMargin(0)
        # A growing reply changes its height a line at a time: with static contents a resize repaints
        # only the strip it uncovers, not the whole visible reply (about 1 ms a time for a screenful).
        self.setAttribute(Qt.WA_StaticContents)
        self.viewport().setAttribute(Qt.WA_StaticContents)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)

    def _dark(self) -> bool:
        return self.palette().color(QPalette.Base).lightness() < 128

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Code blocks' left padding: Qt paints a paragraph's background from its left margin on, and the
        last CODE_INDENT of a code paragraph's margin is its padding, so that strip is filled here first
        (at the page's edge, or inside a quote's indent). A quote's bar is drawn in the strip its indent
        leaves, one bar for each level of quoting (Qt's rich text has no borders on paragraphs)."""
        dark = self._dark()
        background = QColor(markdown_html.code_background(dark))
        bar = QColor(tasks_and_quotes.quote_colours(dark)[1])
        area = event.rect()
        block = self.cursorForPosition(QPoint(0, area.top())).block()
        layout = self.document().documentLayout()
        painter = None
        while block.isValid():
            box = layout.blockBoundingRect(block)
            if box.top() > area.bottom():
                break
            shape = block.blockFormat()
            if shape.leftMargin() >= markdown_html.CODE_INDENT and shape.background().color() == background:
                painter = painter or QPainter(self.viewport())
                left = box.left() + shape.leftMargin() - markdown_html.CODE_INDENT
                painter.fillRect(QRectF(left, box.top(), markdown_html.CODE_INDENT, box.height()), background)
            levels = _quote_levels(block)
            if levels:
                painter = painter or QPainter(self.viewport())
                after = block.next()
                for level in range(levels):
                    # Down to the next paragraph while it is quoted as deeply: one bar for a whole quote.
                    bottom = layout.blockBoundingRect(after).top() if _quote_levels(after) > level else box.bottom()
                    left = box.left() + level * tasks_and_quotes.QUOTE_INDENT + 2
                    painter.fillRect(QRectF(left, box.top(), tasks_and_quotes.QUOTE_BAR, bottom - box.top()), bar)
            block = block.next()
        if painter is not None:
            painter.end()
        super().paintEvent(event)

    def set_plain_text(self, text: str) -> None:
        self._blocks, self._ends = [], []
        self.setPlainText(text)

    def set_markdown(self, text: str, growing: bool = False) -> None:
        """Show ``text`` as Markdown; ``growing`` while a reply streams: only its changed end is redone."""
        rendered = self._markdown.render(text, dark=self._dark(), growing=growing)
        self._code_blocks = rendered.code_blocks
        if growing or self._blocks:  # a reply that was growing ends the same way: no full redo at its end
            self._show_blocks(rendered.blocks)
        else:
            self._blocks, self._ends = [], []
            self.setHtml(rendered.html)

    def _show_blocks(self, blocks: list[str]) -> None:
        kept = 0
        while kept < min(len(blocks), len(self._blocks)) and blocks[kept] == self._blocks[kept]:
            kept += 1
        if kept == len(blocks) == len(self._blocks):
            return
        cursor = QTextCursor(self.document())
        if kept == 0:
            self.setHtml(blocks[0] if blocks else "")
            self._blocks = blocks[:1]
            self._ends = [self.document().characterCount() - 1] if blocks else []
            kept = 1
        else:
            cursor.setPosition(self._ends[kept - 1])
            # Removing to the end joins this paragraph with the document's last one, whose format it
            # would take (a code run's background, say): it keeps its own.
            block_format, char_format = cursor.blockFormat(), cursor.blockCharFormat()
            cursor.movePosition(QTextCursor.End, QTextCursor.KeepAnchor)
            cursor.removeSelectedText()
            cursor.setBlockFormat(block_format)
            cursor.setBlockCharFormat(char_format)
            del self._blocks[kept:], self._ends[kept:]
        for block_html in blocks[kept:]:
            cursor.movePosition(QTextCursor.End)
            cursor.insertFragment(_appendable(block_html))
            self._blocks.append(block_html)
            self._ends.append(cursor.position())

    def loadResource(self, kind: int, url: QUrl):  # noqa: N802 (Qt's name)
        """A task list's check boxes, drawn by the style as the app's own check boxes are."""
        if url.scheme() == tasks_and_quotes.TASK_SCHEME:
            return rich_text.check_box(self, url.toString() == tasks_and_quotes.TASK_DONE)
        return super().loadResource(kind, url)

    def createMimeDataFromSelection(self):  # noqa: N802 (Qt's name)
        """Copied text has each formula's TeX and each task's [x] where the screen shows their rendering."""
        rendered = super().createMimeDataFromSelection()  # made from the selection when asked: cannot be changed
        data = QMimeData()
        data.setHtml(rendered.html())
        data.setText(rich_text.copied_text(self.textCursor()))
        return data

    def event(self, event) -> bool:
        if event.type() == QEvent.ToolTip:  # a formula's TeX, on hover
            tip = rich_text.tooltip_at(self, self.viewport().mapFrom(self, event.pos()))
            if tip:
                # The TeX is the model's text: Qt would take "<img …>" in it for rich text, so it is shown escaped.
                QToolTip.showText(event.globalPos(), f"<p style='white-space:pre-wrap'>{html.escape(tip)}</p>", self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    @property
    def code_blocks(self) -> list[str]:
        return list(self._code_blocks)

    def _on_link(self, url: QUrl) -> None:
        if url.scheme() == markdown_html.COPY_SCHEME:
            index = int(url.path()) if url.path().isdigit() else -1
            if 0 <= index < len(self._code_blocks):
                self.copy_requested.emit(self._code_blocks[index])
        elif url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)

    def _fit_height(self, size: QSizeF) -> None:
        height = max(1, math.ceil(size.height()))
        if height != self.height():
            self.setFixedHeight(height)


def _quote_levels(block) -> int:
    """How deeply a paragraph is quoted. Each level of quoting sets a paragraph in by QUOTE_INDENT, and
    nothing else in a reply does so by as much (a code block by CODE_INDENT, a list by its own indent).
    Qt's BlockQuoteLevel would say it, but Qt sets it on a quote's first paragraph only."""
    if not block.isValid():
        return 0
    return int(block.blockFormat().leftMargin() // tasks_and_quotes.QUOTE_INDENT)


def _appendable(html: str) -> QTextDocumentFragment:
    """One block's HTML as a fragment to insert at the end of a document, laid out as it would be
    in a ``setHtml`` of the whole text.

    Why by hand: Qt merges a fragment's first paragraph into the paragraph at the cursor, which loses
    its format (a quote's indent, a heading's size) and, at a list's end, joins the list. So the
    fragment starts with an empty, plain paragraph that takes the merge instead. A table already starts
    with one (Qt puts an empty paragraph before a frame); an empty first line of code does not count as
    one. A test compares the pixels.
    """
    document = QTextDocument()
    document.setHtml(html)
    cursor = QTextCursor(document)
    first = document.firstBlock()
    if first.length() > 1 or QTextCursor(first.next()).currentTable() is None:
        cursor.insertBlock()
        cursor.movePosition(QTextCursor.Start)
        listed = cursor.block().textList()
        if listed is not None:
            listed.remove(cursor.block())
        cursor.setBlockFormat(QTextBlockFormat())
    return QTextDocumentFragment(document)


def _take_back_copied_data() -> None:
    """What the user copied from a message stays on the clipboard after Hearth quits, as plain text
    made by Qt. The QMimeData a message made is a Python object: had Qt deleted it after Python's
    own exit (the clipboard goes with Qt's last destructors), the app would crash on its way out."""
    app = QGuiApplication.instance()
    if app is None:
        return
    clipboard = app.clipboard()
    for mode in (QClipboard.Clipboard, QClipboard.Selection):
        data = clipboard.mimeData(mode)
        if data is not None and shiboken6.createdByPython(data):
            clipboard.setText(data.text(), mode)


atexit.register(_take_back_copied_data)
