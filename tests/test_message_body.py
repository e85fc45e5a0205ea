"""A reply rendered piece by piece while it streams looks exactly like the same text rendered whole."""
import pytest

from app.core import markdown_html
from app.gui.chat.message_body import MessageBody

REPLY = r"""# Baking bread

Dragons *love* bread. Here is how:

1. Mix flour and water.
2. Knead for **ten** minutes.

> A quote about bread,
> on two lines.
>
> > And a quote in it.

- [x] Preheat the oven
- [ ] Bake for $t = \frac{m}{2}$ minutes

$$
A = \pi r^2
$$

| Step | Minutes |
|---|---|
| Knead | 10 |
| Rise | 60 |

```python
def bake(loaf):
    return loaf.rise()
```

- one
- two
  continued

## Then

Final paragraph with `code` and a [link](https://example.org).

```
plain code at the end
```"""


def body(qtbot):
    widget = MessageBody()
    qtbot.addWidget(widget)
    widget.resize(560, 40)
    widget.show()
    return widget


@pytest.mark.parametrize("step", [7, 31])
def test_streamed_markdown_is_drawn_as_the_whole_text_is(qtbot, step):
    streamed, whole = body(qtbot), body(qtbot)
    checked = 0
    for end in list(range(step, len(REPLY), step)) + [len(REPLY)]:
        streamed.set_markdown(REPLY[:end], growing=True)
        inside_code = markdown_html._open_fence(REPLY[:end].split("\n")) is not None  # shown as runs until it closes
        if end == len(REPLY) or (end // 120 > checked and not inside_code):  # now and then, and at the end
            checked = end // 120
            whole.set_markdown(REPLY[:end])
            assert streamed.document().blockCount() == whole.document().blockCount(), REPLY[:end]
            assert streamed.toPlainText() == whole.toPlainText()
            assert streamed.height() == whole.height()
            assert streamed.grab().toImage() == whole.grab().toImage(), REPLY[:end]
    assert streamed.code_blocks == whole.code_blocks == ["def bake(loaf):\n    return loaf.rise()\n",
                                                         "plain code at the end\n"]


@pytest.fixture
def highlighted(monkeypatch) -> list[int]:
    """The number of lines of each call to Pygments from now on (what rendering code costs)."""
    calls: list[int] = []
    real_highlight = markdown_html.highlight

    def counting(code, language, dark=False):
        calls.append(code.count("\n") + 1)
        return real_highlight(code, language, dark)

    monkeypatch.setattr(markdown_html, "highlight", counting)
    return calls


def test_a_long_code_block_still_being_written_costs_only_its_last_lines_per_update(qtbot, highlighted):
    widget = body(qtbot)
    text = "Here is the program:\n\n```python\n"
    for number in range(300):
        line = f"    total = total + price[{number}] * count[{number}]  # line {number}\n"
        for piece in (line[:20], line[20:]):  # a line arrives in pieces
            text += piece
            widget.set_markdown(text, growing=True)
            assert sum(highlighted) <= markdown_html.OPEN_CODE_LINES + 1  # never the whole block again
            highlighted.clear()
            if number in (5, 23, 24, 25, 30, 299):  # each line once, in order, across the runs' edges
                code = text.split("```python\n")[1].rstrip("\n").split("\n")
                assert widget.toPlainText().split("\n") == ["Here is the program:", " ", "python  Copy", *code]
    widget.set_markdown(text + "```\n\nDone.", growing=True)  # the fence closes: one ordinary block
    assert widget.code_blocks == [text.split("```python\n")[1]]
    assert "Copy" in widget.toPlainText() and widget.toPlainText().endswith("Done.")


PROGRAM = [
    "import math",
    "",
    "RADIUS = 2",
    "",
    "",
    "def area(radius):",
    '    """The area of a circle.',
    "",
    "    radius: how far it is from the middle to the edge,",
    "    in any unit you like.",
    '    """',
    "    return math.pi * radius ** 2",
    "",
    "",
    "# the circle from the top of the file",
    "print(area(RADIUS))",
    "",
    "text = '''a string",
    "",
    "on four lines",
    "with # no comment in it",
    "'''",
    "",
    "print(text)",
]


def code_lines(widget, count):
    """The first ``count`` lines of the code block on screen: each one's text and the colour of each letter."""
    lines, block, inside = [], widget.document().begin(), False
    while block.isValid() and len(lines) < count:
        if inside:
            colours = []
            fragments = block.begin()
            while not fragments.atEnd():
                fragment = fragments.fragment()
                colour = fragment.charFormat().foreground().color().name()
                colours += [colour for letter in fragment.text() if not letter.isspace()]
                fragments += 1
            lines.append((block.text(), colours))
        inside = inside or block.text().startswith("python")  # the block's label line
        block = block.next()
    return lines


@pytest.mark.parametrize("ending", ["```", ""])  # the fence closes, or the reply ends inside the block
def test_a_growing_code_block_is_coloured_as_it_will_be_when_whole(qtbot, highlighted, ending):
    """A docstring or string that crosses the edge of a run, and blank lines at a run's start, look
    while the block grows exactly as they do once it ends."""
    whole = body(qtbot)
    whole.set_markdown("```python\n" + "\n".join(PROGRAM) + "\n" + ending)
    finished = code_lines(whole, len(PROGRAM))
    assert [text for text, _ in finished] == PROGRAM
    assert finished[8][1] == finished[6][1][:1] * len(finished[8][1])  # the docstring is one colour

    streamed = body(qtbot)
    text = "```python\n"
    for number, line in enumerate(PROGRAM):
        text += line + "\n"
        streamed.set_markdown(text + "pri", growing=True)  # the next line has begun
        assert code_lines(streamed, number + 1) == finished[:number + 1], f"after line {number}"

    # The block ends: the runs already shown stay, and only what no run held is lexed.
    highlighted.clear()
    streamed.set_markdown(text + ending, growing=bool(ending))  # a reply ending is its last, not growing, render
    assert sum(highlighted) < len(PROGRAM) / 2
    assert code_lines(streamed, len(PROGRAM)) == finished
    assert streamed.code_blocks == whole.code_blocks
    assert streamed.grab().toImage() == whole.grab().toImage()


def test_code_selected_on_screen_copies_as_written(qtbot):
    """The code's padding is painted, not typed: selecting the block with the mouse copies the code
    itself, every line with its own indentation and nothing before it."""
    widget = body(qtbot)
    widget.set_markdown("Here:\n\n```python\n" + "\n".join(PROGRAM) + "\n```\n\nDone.")
    document = widget.document()
    first = document.find("import math")
    last = document.find("print(text)")
    cursor = widget.textCursor()
    cursor.setPosition(first.selectionStart())
    cursor.setPosition(last.selectionEnd(), cursor.MoveMode.KeepAnchor)
    widget.setTextCursor(cursor)
    widget.copy()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text().split("\n") == PROGRAM


@pytest.mark.parametrize("reply", ["```python\nx = 1\n```", "> Quoted:\n>\n> ```python\n> x = 1\n> ```"])
def test_code_has_its_background_on_both_sides_of_its_padding(qtbot, reply):
    """Qt paints a paragraph's background only from its margin on; the body fills the padding left of it,
    at the page's edge or inside a quote."""
    widget = body(qtbot)
    widget.set_markdown(reply)
    block = widget.document().find("x = 1").block()
    box = widget.document().documentLayout().blockBoundingRect(block)
    margin = block.blockFormat().leftMargin()
    picture = widget.grab().toImage()
    middle = int(box.center().y())
    colour = block.blockFormat().background().color()
    edge = int(margin) - markdown_html.CODE_INDENT  # the box's left edge
    assert picture.pixelColor(edge + 1, middle) == colour  # the padding
    assert picture.pixelColor(edge + 200, middle) == colour  # the rest of the box
    if edge > 0:
        assert picture.pixelColor(edge - 2, middle) != colour  # nothing left of the box
