"""Readable in both themes: WCAG AA contrast measured on the pixels Hearth draws, and no missing glyphs.

The app is dressed as ``hearth`` dresses it (its style sheet and style, tests/contrast.py) in the light
and the dark theme; each check grabs the real widget and measures the colours on screen: what a control's
ink is against what is really behind it (a message's bubble, the window).
"""
from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics, QImage
from PySide6.QtWidgets import QCheckBox, QLabel, QStyle, QStyleOptionButton, QToolButton, QVBoxLayout, QWidget

from app.core.store import Store
from app.gui.chat.conversation_list import ConversationList
from app.gui.chat.message_widget import MessageWidget
from tests.contrast import contrast, themed

AA = 4.5


@pytest.fixture(params=["light", "dark"])
def theme_name(request) -> str:
    with themed(request.param):
        yield request.param


def ink_and_background(picture: QImage) -> tuple[float, str]:
    """The contrast of a control's ink on its background: the background is the colour most of the
    control's pixels have; the ink is the pixel that stands out most from it (text drawn in a colour
    shows that colour in the middle of its strokes)."""
    colours = Counter(picture.pixelColor(x, y).name() for x in range(picture.width()) for y in range(picture.height()))
    background = colours.most_common(1)[0][0]
    return max(contrast(colour, background) for colour in colours), background


@pytest.fixture
def conversation(tmp_path):
    """A real conversation in a real store: a question, and an answer in two versions."""
    store = Store(tmp_path / "chats.sqlite3")
    chat = store.create_conversation()
    question = store.add_message(chat.id, "user", "What is the capital of France?")
    first = store.add_message(chat.id, "assistant", "Paris.", parent_id=question.id)
    second = store.add_message(chat.id, "assistant", "It is Paris.", parent_id=question.id, model="SmolLM2")
    store.update_message(second.id, n_tokens=4, tokens_per_second=30.0)  # a footer with its figures
    yield store, question.id, [first.id, second.id]
    store.close()


def test_message_actions_reach_aa_on_their_message(qtbot, theme_name, conversation):
    store, question, versions = conversation
    page = QWidget()
    layout = QVBoxLayout(page)
    widgets = []
    for message in store.messages(store.message(question).conversation_id):
        widget = MessageWidget(message)
        widget.set_versions(versions if message.role == "assistant" else [message.id])
        layout.addWidget(widget)
        widgets.append(widget)
    qtbot.addWidget(page)
    page.resize(640, 300)
    page.show()
    qtbot.waitExposed(page)
    measured = []
    for widget in widgets:
        quiet = [*widget.findChildren(QToolButton, "messageAction"), widget.version_label, widget.footer]
        for control in quiet:
            if not control.isVisibleTo(widget) or not control.isEnabled() or not (control.text() or "").strip():
                continue
            ratio, background = ink_and_background(widget.grab(control.geometry()).toImage())
            # The background measured is the message's own (its bubble), not the window's.
            assert background == widget.grab(widget.rect().adjusted(4, 4, -4, -4)).toImage().pixelColor(2, 2).name()
            measured.append((widget.role, control.text(), round(ratio, 2)))
    assert {text for _role, text, _ratio in measured} >= {"Copy", "Edit", "Regenerate", "Delete", "◀", "2/2"}
    assert all(ratio >= AA for _role, _text, ratio in measured), measured


def test_check_boxes_reach_aa_in_both_themes(qtbot, theme_name):
    page = QWidget()
    layout = QVBoxLayout(page)
    boxes = [QCheckBox("Timestamps"), QCheckBox("Send dictated text at once")]
    boxes[1].setChecked(True)
    for box in boxes:
        layout.addWidget(box)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    for box in boxes:
        option = QStyleOptionButton()
        box.initStyleOption(option)
        square = box.style().subElementRect(QStyle.SE_CheckBoxIndicator, option, box)
        ratio, background = ink_and_background(box.grab(square.adjusted(-2, -2, 2, 2)).toImage())
        window = box.grab().toImage().pixelColor(box.width() - 2, 1).name()
        # Measured against the window the box stands on: its edge, not only its tick, must show.
        edge = max(contrast(box.grab(square).toImage().pixelColor(x, square.height() // 2), window)
                   for x in range(0, 2))
        assert edge >= AA, (box.text(), theme_name, edge)
        assert ratio >= AA, (box.text(), theme_name, ratio, background)


def missing_glyphs(text: str) -> set[str]:
    """Characters no installed font can draw: Qt would show a box for them."""
    fonts = [QFontMetrics(QFont(family)) for family in QFontDatabase.families()]
    return {letter for letter in text if not letter.isspace()
            and not any(metrics.inFontUcs4(ord(letter)) for metrics in fonts)}


def test_a_pinned_chat_shows_a_pin_icon_and_no_text_needs_a_missing_glyph(qtbot, theme_name, tmp_path,
                                                                          conversation):
    store, question, versions = conversation
    pinned = store.create_conversation(title="Recipes")
    store.set_pinned(pinned.id, True)
    sidebar = ConversationList()
    qtbot.addWidget(sidebar)
    sidebar.resize(260, 300)
    sidebar.show()
    sidebar.set_conversations(store.conversations(), None)  # none selected: both rows on the list's colour
    other_id = next(c.id for c in store.conversations() if c.id != pinned.id)
    item, other = sidebar.item_of(pinned.id), sidebar.item_of(other_id)
    assert sidebar.rows()[:2] == [("header", "Pinned"), ("chat", "Recipes", item.data(Qt.UserRole + 2))]
    assert not item.icon().isNull()
    assert other.icon().isNull()  # only pinned chats carry the pin

    def orange_in(row_item) -> int:
        row = sidebar.list.viewport().grab(sidebar.list.visualItemRect(row_item)).toImage()
        return sum(1 for x in range(row.width()) for y in range(row.height())
                   if (lambda c: c.red() > 150 and 70 < c.green() < 140 and c.blue() < 90)(row.pixelColor(x, y)))

    # The icon is drawn: the row of the pinned chat has the pin's orange in it, the other row has not.
    orange = [orange_in(item), orange_in(other)]
    assert orange[0] > 10 and orange[1] == 0, orange
    # The open chat is a pale tint of the accent, not a bar of it: the pin keeps its orange there too.
    sidebar.select(pinned.id)
    assert sidebar.list.currentItem() is item and orange_in(item) > 10
    widgets = [MessageWidget(message) for message in store.messages(store.message(question).conversation_id)]
    texts = [sidebar.list.item(row).text() for row in range(sidebar.list.count())] + [
        control.text() for widget in widgets for control in widget.findChildren(QToolButton, "messageAction")]
    texts += [label.text() for widget in widgets for label in widget.findChildren(QLabel)]
    assert missing_glyphs("".join(texts)) == set()
    for widget in widgets:
        widget.deleteLater()
