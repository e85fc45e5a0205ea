"""Replies read as chat apps show them: line breaks, task check boxes, styled quotes, rendered math.

Each test draws the reply in the real message body (a QTextBrowser) and reads what it shows: the
document's lines and formats, the pixels of its picture, and what copying a selection puts on the
clipboard.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QGuiApplication, QHelpEvent, QPalette, QTextCharFormat, QTextDocumentFragment
from PySide6.QtWidgets import QToolTip

from app.core import markdown_html, tasks_and_quotes
from app.gui.chat.message_body import MessageBody
from tests.contrast import contrast, themed


@pytest.fixture(params=["light", "dark"])
def dark(request) -> bool:
    """The test runs in Hearth's light theme, then in its dark one."""
    with themed(request.param):
        yield request.param == "dark"


def body(qtbot, dark=False) -> MessageBody:
    widget = MessageBody()
    assert (widget.palette().color(QPalette.Base).lightness() < 128) == dark
    qtbot.addWidget(widget)
    widget.resize(560, 40)
    widget.show()
    return widget


def shown(widget, text: str, streamed: bool = False) -> None:
    if streamed:  # as a reply arrives: a few characters at a time, then finished
        for end in range(5, len(text), 5):
            widget.set_markdown(text[:end], growing=True)
    widget.set_markdown(text)


def box_of(widget, word: str):
    """The rectangle of the line where ``word`` starts, from its first letter on."""
    found = widget.document().find(word)
    assert not found.isNull(), (word, widget.toPlainText())
    cursor = widget.textCursor()
    cursor.setPosition(found.selectionStart())
    return widget.cursorRect(cursor)


def line_tops(widget, *words: str) -> list[float]:
    """Where on the page each word's line starts."""
    return [box_of(widget, word).top() for word in words]


def copied(widget, first: str, last: str) -> str:
    """Select from ``first`` to the end of ``last`` as a mouse would, copy, and read the clipboard."""
    document = widget.document()
    cursor = widget.textCursor()
    cursor.setPosition(document.find(first).selectionStart())
    cursor.setPosition(document.find(last).selectionEnd(), cursor.MoveMode.KeepAnchor)
    widget.setTextCursor(cursor)
    widget.copy()
    return QGuiApplication.clipboard().text()


@pytest.mark.parametrize("streamed", [False, True])
def test_a_single_newline_is_a_line_break(qtbot, streamed):
    widget = body(qtbot)
    shown(widget, "Roses are red,\nviolets are blue.\n\nA new paragraph.", streamed)
    roses, violets, paragraph = line_tops(widget, "Roses", "violets", "paragraph")
    assert roses < violets < paragraph


def test_task_lists_show_check_boxes_that_copy_as_written(qtbot, dark):
    widget = body(qtbot, dark)
    shown(widget, "Shopping:\n\n- [x] Flour\n- [ ] Yeast\n\nDone.", streamed=True)
    assert "[x]" not in widget.toPlainText() and "[ ]" not in widget.toPlainText()
    boxes = {}
    block = widget.document().begin()
    while block.isValid():
        fragment = block.begin().fragment() if not block.begin().atEnd() else None
        if fragment is not None and fragment.charFormat().isImageFormat():
            assert block.textList() is not None  # a list item, drawn without a bullet
            assert block.textList().format().style() == block.textList().format().Style.ListStyleUndefined
            boxes[block.text()[1:].strip()] = box_of(widget, block.text()[1:].strip())
        block = block.next()
    assert list(boxes) == ["Flour", "Yeast"]
    picture = widget.grab().toImage()
    background = widget.palette().color(QPalette.Base)
    pictures = []
    for word, text_box in boxes.items():
        # The box is the square left of the word: its edge stands out from the reply's background.
        side = text_box.height()
        square = [picture.pixelColor(x, y) for x in range(text_box.left() - side - 6, text_box.left())
                  for y in range(text_box.top(), text_box.bottom())]
        assert max(contrast(colour, background) for colour in square) >= 4.5, word
        pictures.append(square)
    assert pictures[0] != pictures[1]  # ticked and not ticked look different
    assert copied(widget, "Flour", "Yeast").split("\n") == ["Flour", "[ ] Yeast"]
    assert copied(widget, "Shopping", "Yeast").split("\n") == ["Shopping:", "[x] Flour", "[ ] Yeast"]


def test_a_quote_has_a_bar_and_muted_readable_text(qtbot, dark):
    widget = body(qtbot, dark)
    shown(widget, "Before.\n\n> Quoted words,\n> on two lines.\n>\n> A second paragraph.\n\nAfter.", streamed=True)
    picture = widget.grab().toImage()
    background = widget.palette().color(QPalette.Base)
    quoted = widget.document().find("Quoted")
    colour = quoted.charFormat().foreground().color()
    assert colour != widget.palette().color(QPalette.Text)  # muted ...
    assert contrast(colour, background) >= 4.5  # ... and still readable
    left = box_of(widget, "Quoted").left()
    assert left >= tasks_and_quotes.QUOTE_INDENT

    def ink(x: int, y: int) -> bool:
        return contrast(picture.pixelColor(x, y), background) > 1.3

    before, first, second, after = (box_of(widget, word) for word in ("Before", "Quoted", "second", "After"))
    # One bar down the whole quote, through the gap between its paragraphs, left of its text ...
    bars = [x for x in range(left) if all(ink(x, y) for y in range(first.top(), second.bottom()))]
    assert bars and max(bars) < left - 4
    # ... and not beyond it.
    assert not any(ink(x, y) for x in bars for y in (before.bottom() + 3, after.top() - 3))


MATH = (r"Euler: $e^{i\pi} + 1 = 0$, and \(\alpha \le \beta\). It costs $5 and $10." "\n\n"
        r"$$\frac{a+b}{2}$$" "\n\n"
        "The area is:\n\\[\nA = \\pi r^2\n\\]\nfor a circle.")


def formats(widget, text: str) -> list[tuple[str, QTextCharFormat]]:
    """Each character of the first place ``text`` is shown, with its format."""
    found = widget.document().find(text)
    assert not found.isNull(), (text, widget.toPlainText())
    result = []
    for position in range(found.selectionStart(), found.selectionEnd()):
        cursor = widget.textCursor()
        cursor.setPosition(position + 1)
        result.append((text[position - found.selectionStart()], cursor.charFormat()))
    return result


@pytest.mark.parametrize("streamed", [False, True])
def test_latex_math_is_rendered_and_keeps_its_source(qtbot, streamed):
    widget = body(qtbot)
    shown(widget, MATH, streamed)
    text = widget.toPlainText()
    assert "$e^" not in text and "\\alpha" not in text and "\\frac" not in text and "\\[" not in text
    assert "It costs $5 and $10." in text  # prices are not math
    exponent = formats(widget, "eiπ")  # e, then iπ raised
    assert [f.verticalAlignment() for _, f in exponent] == [QTextCharFormat.AlignNormal] + \
        [QTextCharFormat.AlignSuperScript] * 2
    assert all(f.fontItalic() for _, f in exponent)  # variables in italics
    assert "α ≤ β" in text
    assert "(a + b)/2" in text  # a fraction reads as one, bracketed where it needs to be
    assert [f.verticalAlignment() for _, f in formats(widget, "r2")][1] == QTextCharFormat.AlignSuperScript
    area, after = line_tops(widget, "A = π", "for a circle")
    assert line_tops(widget, "The area")[0] < area < after  # \[ … \] inside a paragraph: a line of its own
    centred = widget.document().find("(a + b)/2").block()
    assert centred.blockFormat().alignment() & centred.blockFormat().alignment().AlignHCenter

    # Copying gives back the TeX, delimiters and all; pointing at a formula shows it.
    assert copied(widget, "Euler", "for a circle").split("\n") == [
        r"Euler: $e^{i\pi} + 1 = 0$, and \(\alpha \le \beta\). It costs $5 and $10.",
        r"$$\frac{a+b}{2}$$", "The area is:", "\\[", "A = \\pi r^2", "\\]", "for a circle"]
    spot = box_of(widget, "α").center() + QPoint(2, 0)
    QGuiApplication.sendEvent(widget, QHelpEvent(QEvent.ToolTip, spot, widget.mapToGlobal(spot)))
    assert tip_text() == r"\(\alpha \le \beta\)"
    QGuiApplication.sendEvent(widget, QHelpEvent(QEvent.ToolTip, QPoint(2, 2), widget.mapToGlobal(QPoint(2, 2))))
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=5_000)  # plain words have no tooltip


def tip_text() -> str:
    """The tooltip as the user reads it (Qt shows it as rich text)."""
    return QTextDocumentFragment.fromHtml(QToolTip.text()).toPlainText()


def test_a_formulas_tooltip_shows_its_tex_as_text_never_as_markup(qtbot):
    widget = body(qtbot)
    shown(widget, r"Look: $\text{<b>bold</b> <img src=x>}$ here")
    spot = box_of(widget, "bold").center()
    QGuiApplication.sendEvent(widget, QHelpEvent(QEvent.ToolTip, spot, widget.mapToGlobal(spot)))
    assert QToolTip.isVisible()
    assert tip_text() == r"$\text{<b>bold</b> <img src=x>}$"  # the tags are letters, not bold text or an image


def test_math_that_does_not_parse_is_shown_as_written(qtbot):
    widget = body(qtbot)
    shown(widget, r"Half-written: $\frac{1}{$ and fine: $x_1$.")
    assert r"\frac{1}{" in widget.toPlainText()
    assert [f.verticalAlignment() for _, f in formats(widget, "x1")][1] == QTextCharFormat.AlignSubScript


def test_a_model_cannot_use_math_or_tasks_to_inject_markup():
    rendered = markdown_html.render(r'$\text{<img src=x>}$ and $x" onclick="y$ and - [x] <b>bold</b>')
    assert "<img src=x" not in rendered.html and "<b>" not in rendered.html
    assert '" onclick="' not in rendered.html


def test_an_app_that_copied_from_a_reply_exits_cleanly():
    """A message's copy is a QMimeData made in Python; Qt used to delete it after Python had shut down,
    and the process died with a segmentation fault on its way out."""
    import subprocess
    import sys

    from conftest import REPO

    script = (
        "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from app.gui.chat.message_body import MessageBody\n"
        "app = QApplication([])\n"
        "body = MessageBody(); body.set_markdown('Euler: $e^{i\\\\pi} + 1 = 0$ done')\n"
        "body.selectAll(); body.copy()\n"
        "print(app.clipboard().text())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == r"Euler: $e^{i\pi} + 1 = 0$ done"
