"""The text of one message: plain for the user's words, Markdown for replies.

A QTextBrowser sized to its document, not a word-wrapped QLabel: a QLabel asks
its parent layout for every message's height again on each ``setText``, and on
a 2-core machine that GUI work cut llama.cpp's token rate by a third
(``bench/engine_throughput.py`` measured 0.65 of the plain loop). The widget's
height, and with it the column's layout, changes only when the document's does.
A growing reply is re-rendered by its message widget a few times a second, each
finished Markdown block only once (``markdown_html.BlockRenderer``).
"""
from __future__ import annotations

import math

from PySide6.QtCore import QSizeF, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPalette
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

    def set_plain_text(self, text: str) -> None:
        self.setPlainText(text)

    def set_markdown(self, text: str) -> None:
        dark = self.palette().color(QPalette.Base).lightness() < 128
        rendered = self._markdown.render(text, dark=dark)
        self._code_blocks = rendered.code_blocks
        self.setHtml(rendered.html)

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
