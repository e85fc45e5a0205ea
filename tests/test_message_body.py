"""A reply rendered piece by piece while it streams looks exactly like the same text rendered whole."""
import pytest

from app.gui.chat.message_body import MessageBody

REPLY = """# Baking bread

Dragons *love* bread. Here is how:

1. Mix flour and water.
2. Knead for **ten** minutes.

> A quote about bread,
> on two lines.

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
        if end == len(REPLY) or end // 120 > checked:  # compare now and then, and at the end
            checked = end // 120
            whole.set_markdown(REPLY[:end])
            assert streamed.document().blockCount() == whole.document().blockCount(), REPLY[:end]
            assert streamed.toPlainText() == whole.toPlainText()
            assert streamed.height() == whole.height()
            assert streamed.grab().toImage() == whole.grab().toImage(), REPLY[:end]
    assert streamed.code_blocks == whole.code_blocks == ["def bake(loaf):\n    return loaf.rise()\n",
                                                         "plain code at the end\n"]
