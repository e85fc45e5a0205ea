"""The keyboard, as a user who never touches the mouse meets it: the shortcuts window, moving between chats,
rename and delete with Undo, the Tab order and the focus ring. The real window on a real SQLite file;
conversations are written into the store before the app starts (no model needed to read them)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from app.core.store import Store
from app.gui.chat import input_box
from app.gui.shortcuts_window import key_text, plain_label

LINKED_REPLY = ("See [the guide](https://example.com/guide), [the FAQ](https://example.com/faq) and "
                "[the forum](https://example.com/forum).\n\n```python\nprint('hello')\n```\n\n"
                "```python\nprint('again')\n```")


def seed(home, titles: list[str], replies: int = 1) -> list[int]:
    """Conversations in the real store, oldest first, each with ``replies`` exchanges; returns their ids."""
    store = Store(home.database)
    ids = []
    for title in titles:
        conversation = store.create_conversation(title)
        for turn in range(replies):
            store.add_message(conversation.id, "user", f"{title}: question {turn + 1}")
            store.add_message(conversation.id, "assistant", LINKED_REPLY)
        ids.append(conversation.id)
    store.close()
    return ids


def started(qtbot, make_hearth):
    hearth = make_hearth(include_starter=False)
    window = hearth.window
    window.activateWindow()
    qtbot.waitUntil(lambda: window.input.hasFocus(), timeout=5_000)
    return hearth


def current_title(window) -> str:
    return window.conversations.list.currentItem().text()


def test_f1_shows_every_shortcut_the_window_has(qtbot, make_hearth):
    hearth = started(qtbot, make_hearth)
    window = hearth.window
    qtbot.keyClick(window.input, Qt.Key_F1)
    shortcuts = window.shortcuts_window
    qtbot.waitUntil(lambda: shortcuts is not None and shortcuts.isVisible(), timeout=2_000)
    rows = shortcuts.rows()
    assert ("F1", "Keyboard shortcuts") in rows
    assert ("Ctrl+Tab  or  Ctrl+PgDown", "Next chat") in rows
    assert ("Ctrl+Shift+Tab  or  Ctrl+PgUp", "Previous chat") in rows
    assert ("F2", "Rename") in rows and ("Del", "Delete") in rows
    assert ("Enter  or  Ctrl+Enter", "Send the message") in rows
    # Every action of the window that answers a key is listed with all of its keys, and nothing else is.
    keyed = {action for action in window.findChildren(QAction)
             if any(not key.isEmpty() for key in action.shortcuts())}
    assert len(keyed) >= 15
    for action in keyed:
        assert (key_text(action.shortcuts()), plain_label(action.text())) in rows, action.text()
    listed = [row for row in rows if row[1]]
    assert len(listed) == len(keyed) + len(input_box.KEYS)


def test_ctrl_tab_and_ctrl_page_keys_move_between_chats(qtbot, make_hearth, home):
    seed(home, ["Gardening", "Cooking", "Travel"])  # the newest is listed first and opens
    hearth = started(qtbot, make_hearth)
    window = hearth.window
    assert window.conversations.titles() == ["Travel", "Cooking", "Gardening"]
    assert current_title(window) == "Travel"

    def press(key, modifiers):
        qtbot.keyClick(QApplication.focusWidget(), key, modifiers)
        return current_title(window), window.windowTitle().split(" — ")[0], window.view.message_widgets()[0].text

    assert press(Qt.Key_Tab, Qt.ControlModifier) == ("Cooking", "Cooking", "Cooking: question 1")
    assert press(Qt.Key_PageDown, Qt.ControlModifier)[:2] == ("Gardening", "Gardening")
    assert press(Qt.Key_Tab, Qt.ControlModifier)[:2] == ("Travel", "Travel")  # round from the end
    assert press(Qt.Key_Backtab, Qt.ControlModifier | Qt.ShiftModifier)[:2] == ("Gardening", "Gardening")
    assert press(Qt.Key_PageUp, Qt.ControlModifier)[:2] == ("Cooking", "Cooking")
    assert window.input.hasFocus()  # the keys work while typing, and leave the focus where it was
    for widget in (window.conversations.list, window.view):  # and from the sidebar and the chat alike
        widget.setFocus(Qt.TabFocusReason)
        assert press(Qt.Key_PageDown, Qt.ControlModifier)[:2] == ("Gardening", "Gardening")
        assert press(Qt.Key_Tab, Qt.ControlModifier)[:2] == ("Travel", "Travel")
        assert press(Qt.Key_PageUp, Qt.ControlModifier)[:2] == ("Gardening", "Gardening")
        assert press(Qt.Key_Backtab, Qt.ControlModifier | Qt.ShiftModifier)[:2] == ("Cooking", "Cooking")
        assert widget.hasFocus()


def test_f2_renames_and_delete_deletes_with_one_undo_that_brings_back_every_message(qtbot, make_hearth, home):
    gardening, cooking, travel = seed(home, ["Gardening", "Cooking", "Travel"], replies=2)
    store = Store(home.database)  # a second version of Cooking's first reply: a branch Undo must keep
    first_reply = store.all_messages(cooking)[1]
    store.add_message(cooking, "assistant", "Another version.", parent_id=first_reply.parent_id)
    store.close()
    hearth = started(qtbot, make_hearth)
    window, sidebar = hearth.window, hearth.window.conversations
    before = {cid: hearth.store.all_messages(cid) for cid in (gardening, cooking, travel)}

    assert sidebar.titles() == ["Cooking", "Travel", "Gardening"]  # Cooking's branch is the newest message
    sidebar.list.setFocus(Qt.TabFocusReason)
    qtbot.keyClick(sidebar.list, Qt.Key_Down)
    qtbot.keyClick(sidebar.list, Qt.Key_Up)
    assert current_title(window) == "Cooking" and hearth.chat.conversation.id == cooking
    qtbot.keyClick(sidebar.list, Qt.Key_F2)
    dialog = sidebar.rename_dialog
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=2_000)
    assert dialog.textValue() == "Cooking"
    field = dialog.findChild(QLineEdit)
    qtbot.waitUntil(field.hasFocus, timeout=2_000)  # the dialog is active: the keyboard types into it
    assert field.selectedText() == "Cooking"  # typing replaces the old title
    qtbot.keyClicks(field, "Baking")
    qtbot.keyClick(field, Qt.Key_Return)
    qtbot.waitUntil(lambda: "Baking" in sidebar.titles(), timeout=2_000)
    assert hearth.store.conversation(cooking).title == "Baking" and window.windowTitle().startswith("Baking —")

    # A desktop's window manager makes the window active again when the dialog closes; offscreen, the test does.
    assert window.focusWidget() is sidebar.list
    window.activateWindow()
    qtbot.waitUntil(lambda: sidebar.list.hasFocus(), timeout=2_000)  # back in the list after the dialog
    order = sidebar.titles()
    qtbot.keyClick(sidebar.list, Qt.Key_Delete)
    assert sidebar.titles() == ["Travel", "Gardening"]
    assert window.notice.text == "Deleted “Baking”." and window.notice.action.text() == "Undo"
    qtbot.keyClick(sidebar.list, Qt.Key_Delete)  # again, on the chat that is now selected
    assert sidebar.titles() == ["Gardening"]
    assert window.notice.text == "Deleted “Baking” and 1 more conversation."
    assert hearth.chat.search("question") and all(hit.conversation_id == gardening or hit.conversation_id == travel
                                                  for hit in hearth.chat.search("question"))
    assert not [hit for hit in hearth.chat.search("question") if hit.conversation_id == cooking]

    qtbot.mouseClick(window.notice.action, Qt.LeftButton)
    assert sidebar.titles() == order
    assert hearth.chat.conversation.id == cooking and current_title(window) == "Baking"
    for cid, messages in before.items():
        assert hearth.store.all_messages(cid) == messages  # every message, every branch, as it was
    assert {hit.conversation_id for hit in hearth.chat.search("question")} == {gardening, cooking, travel}
    hearth.close()
    again = make_hearth(include_starter=False)  # and a restart (which purges what was deleted) keeps them
    assert again.window.conversations.titles() == order


def test_the_last_reply_is_copied_and_written_again_from_the_keyboard(qtbot, make_hearth):
    from test_main_window import ask, wait_ready

    hearth = make_hearth()
    hearth.settings.max_tokens = 16
    wait_ready(qtbot, hearth)
    window = hearth.window
    hearth.chat.set_model_titles(False)
    reply = ask(qtbot, hearth, "Name a colour.")
    window.activateWindow()
    qtbot.waitUntil(window.input.hasFocus, timeout=5_000)
    qtbot.keyClick(window.input, Qt.Key_C, Qt.ControlModifier | Qt.ShiftModifier)
    assert QApplication.clipboard().text() == reply.text != ""
    qtbot.keyClick(window.input, Qt.Key_R, Qt.ControlModifier)
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    assert window.view.message_widgets()[-1].version_text == "2/2"


def tab_stops(qtbot, start: QWidget, limit: int = 60) -> list[QWidget]:
    """Press Tab from ``start`` until the focus comes back to it: the widgets it stopped at, in order."""
    start.setFocus(Qt.TabFocusReason)
    stops = []
    for _ in range(limit):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Tab)
        widget = QApplication.focusWidget()
        if widget is start:
            return stops
        stops.append(widget)
    raise AssertionError(f"Tab never came back to the start: {[type(w).__name__ for w in stops]}")


def test_tab_goes_round_the_window_once_and_the_chat_is_one_stop(qtbot, make_hearth, home):
    seed(home, ["Links"], replies=4)  # four replies with three links and two Copy links each
    hearth = started(qtbot, make_hearth)
    window = hearth.window
    assert len(window.view.message_widgets()) == 8
    stops = tab_stops(qtbot, window.input)
    names = [w.accessibleName() or w.objectName() or type(w).__name__ for w in stops]
    assert stops.count(window.view) == 1, names
    assert not [w for w in stops if w is not window.view and window.view.isAncestorOf(w)], names
    assert len(stops) == len(set(stops)), names  # no widget twice: Tab did not walk a message's links
    for widget in (window.send_button, window.conversations.new_button, window.conversations.list):
        assert widget in stops, names
    # In reading order: the sidebar, then the chat, then the message box's buttons (the box is the start).
    assert stops.index(window.conversations.list) < stops.index(window.view) < stops.index(window.send_button) \
        or stops.index(window.send_button) < stops.index(window.conversations.list) < stops.index(window.view)


def ring(focused, unfocused) -> float:
    """The share of a widget's outer 3-pixel band that looks different with focus than without."""
    a, b = focused.toImage(), unfocused.toImage()
    assert a.size() == b.size()
    width, height = a.width(), a.height()
    band = [(x, y) for x in range(width) for y in range(height)
            if x < 3 or y < 3 or x >= width - 3 or y >= height - 3]
    return sum(a.pixel(x, y) != b.pixel(x, y) for x, y in band) / max(1, len(band))


def assert_rings(qtbot, start: QWidget, count: int) -> None:
    """Tab round ``count`` stops from ``start`` and back: each looks different at its edge while it has focus."""
    start.setFocus(Qt.TabFocusReason)
    focused = {start: (start.grab(), start.geometry())}
    for _ in range(count):  # each control as Tab reaches it
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Tab)
        widget = QApplication.focusWidget()
        focused[widget] = (widget.grab(), widget.geometry())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Tab)
    assert QApplication.focusWidget() is start
    unfocused = {widget: widget.grab() for widget in focused if widget is not start}
    qtbot.keyClick(start, Qt.Key_Tab)
    unfocused[start] = start.grab()
    faint = []
    for widget, (picture, geometry) in focused.items():
        assert widget.geometry() == geometry, f"{widget!r} moved or resized when it got focus"
        share = ring(picture, unfocused[widget])
        if share < 0.3:
            faint.append((widget.accessibleName() or widget.objectName() or type(widget).__name__, round(share, 2)))
    assert not faint, f"no visible focus ring on {faint}"


@pytest.fixture
def dressed(qapp):
    """The application's style sheet, as ``hearth`` starts with it; taken off again for the next tests."""
    from app.main import dress

    dress(qapp)
    yield qapp
    qapp.setStyleSheet("")
    qapp.setPalette(qapp.style().standardPalette())


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_control_shows_a_focus_ring_in_both_themes(qtbot, dressed, make_hearth, home, theme):
    seed(home, ["Links"], replies=2)
    hearth = started(qtbot, make_hearth)
    window = hearth.window
    window.set_theme(theme)
    window.system_toggle.click()  # the system prompt box shows: one more control
    window.notice.show_notice("A notice with a button.", "Undo", lambda: None)
    stops = tab_stops(qtbot, window.input)
    assert window.system_prompt in stops and window.notice.action in stops
    assert_rings(qtbot, window.input, len(stops))

    window.open_settings()  # the conversation settings: spin boxes, check boxes, combo boxes, a text box
    dialog = window.settings_dialog
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2_000)
    first = dialog.system_prompt
    dialog_stops = tab_stops(qtbot, first)
    assert len(dialog_stops) >= 10
    assert_rings(qtbot, first, len(dialog_stops))
    dialog.reject()


def test_no_two_actions_share_a_shortcut(make_hearth):
    """Two actions on one key cancel each other out in Qt (neither fires): every key does one thing."""
    from collections import defaultdict

    from PySide6.QtGui import QAction

    hearth = make_hearth(include_starter=False)
    owners = defaultdict(list)
    for action in hearth.window.findChildren(QAction):
        for shortcut in action.shortcuts():
            if not shortcut.isEmpty():
                owners[shortcut.toString()].append(action.text().replace("&", ""))
    shared = {key: names for key, names in owners.items() if len(names) > 1}
    assert not shared, shared
