"""The text of one message, built for streaming.

A word-wrapped QLabel re-lays out its whole text on every ``setText``, and
its parent layout asks every message for its height again: on a 2-core
machine that GUI work steals enough CPU from llama.cpp's threads to cut the
token rate by a third (``bench/engine_throughput.py`` measured 0.65 of the
plain loop). A QTextDocument appended at its end lays out only the last
paragraph, and the widget's height changes (and the column re-lays out) only
when a new line starts.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QSizeF, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPalette, QTextCursor
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser

from app.core import markdown_html


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
        self.anchorClicked.connect(self._on_link)
        self._code_blocks: list[str] = []
        self._markdown = markdown_html.BlockRenderer()
        self.setUndoRedoEnabled(False)
        # Opaque on purpose: a see-through body would make every update repaint the bubble
        # (and its style sheet) behind it. The bubble's colour comes in through the palette.
        self.document().setDocumentMargin(0)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._cursor = QTextCursor(self.document())

    def set_plain_text(self, text: str) -> None:
        self.setPlainText(text)
        self._cursor = QTextCursor(self.document())
        self._cursor.movePosition(QTextCursor.End)

    def set_markdown(self, text: str) -> None:
        dark = self.palette().color(QPalette.Base).lightness() < 128
        rendered = self._markdown.render(text, dark=dark)
        self._code_blocks = rendered.code_blocks
        self.setHtml(rendered.html)
        self._cursor = QTextCursor(self.document())
        self._cursor.movePosition(QTextCursor.End)

    @property
    def code_blocks(self) -> list[str]:
        return list(self._code_blocks)

    def _on_link(self, url: QUrl) -> None:
        if url.scheme() == markdown_html.COPY_SCHEME:
            index = int(url.path() or -1) if url.path().isdigit() else -1
            if 0 <= index < len(self._code_blocks):
                self.copy_requested.emit(self._code_blocks[index])
        elif url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)

    def append_plain_text(self, text: str) -> None:
        self._cursor.movePosition(QTextCursor.End)
        self._cursor.insertText(text)

    def _fit_height(self, size: QSizeF) -> None:
        height = max(1, math.ceil(size.height()))
        if height != self.height():
            self.setFixedHeight(height)
