"""The first impression, read off the real window: the sidebar's date groups, times and filter box; an
empty chat's suggestions; the first run's welcome and its way to the Model manager's Discover tab; the
model pill following a real load and a real reply of the starter SmolLM2. Conversations are written into
the real SQLite file before the app starts; the window is the real MainWindow on the real engine."""
from __future__ import annotations

import re
import sqlite3
import time
from datetime import date, datetime, timedelta

from PySide6.QtCore import Qt

from app.core import chat_dates
from app.core.store import Store
from app.gui.chat.suggestions import SUGGESTIONS


def noon(days_back: int) -> float:
    """Midday of a day ``days_back`` calendar days ago, in this computer's time zone."""
    return datetime.combine(date.today() - timedelta(days=days_back), datetime.min.time()).replace(hour=12).timestamp()


def seed(home, chats: list[tuple[str, float]], pinned: tuple[str, ...] = ()) -> dict[str, int]:
    """Conversations with one exchange each, last active at the given times; returns their ids by title."""
    store = Store(home.database)
    ids = {}
    for title, _when in chats:
        conversation = store.create_conversation(title)
        store.add_message(conversation.id, "user", f"About {title}")
        store.add_message(conversation.id, "assistant", "Here is what I know.")
        if title in pinned:
            store.set_pinned(conversation.id, True)
        ids[title] = conversation.id
    store.close()
    # The store stamps "now" on every change; the history a user built over weeks is written in directly.
    with sqlite3.connect(home.database) as db:
        db.executemany("UPDATE conversations SET updated_at = ? WHERE id = ?",
                       [(when, ids[title]) for title, when in chats])
    return ids


def visible_cards(window) -> list[tuple[str, str]]:
    return [card.texts() for card in window.empty_chat.suggestions.cards if card.isVisible()]


def test_the_sidebar_groups_chats_by_date_shows_their_times_and_filters_by_title(qtbot, make_hearth, home):
    today = time.time() - 60
    seed(home, [("Tax questions", noon(30)), ("Refactor the CSV parser", noon(3)),
                ("Birthday email for Sam", noon(1)), ("Trip to Lisbon", today)])
    hearth = make_hearth(include_starter=False)
    sidebar = hearth.window.conversations
    qtbot.waitUntil(lambda: len(sidebar.titles()) == 4, timeout=5_000)
    now = datetime.now().astimezone()
    rows = sidebar.rows()
    assert [row[:2] for row in rows] == [
        ("header", "Today"), ("chat", "Trip to Lisbon"), ("header", "Yesterday"), ("chat", "Birthday email for Sam"),
        ("header", "Previous 7 days"), ("chat", "Refactor the CSV parser"), ("header", "Older"),
        ("chat", "Tax questions")]
    times = {row[1]: row[2] for row in rows if row[0] == "chat"}
    assert re.fullmatch(r"\d\d:\d\d", times["Trip to Lisbon"]), times
    assert times["Birthday email for Sam"] in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    assert times["Refactor the CSV parser"] == chat_dates.time_label(noon(3), now)
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}( \d{4})?", times["Tax questions"]), times
    # The headers are drawn, not selectable: they take no clicks and arrow keys pass over them.
    header = sidebar.list.item(0)
    assert header.flags() == Qt.NoItemFlags and sidebar.list.visualItemRect(header).height() > 0
    # The open chat is the latest one; Down goes to the next chat, over the "Yesterday" header.
    assert sidebar.list.currentItem().text() == "Trip to Lisbon"
    sidebar.list.setFocus()
    qtbot.keyClick(sidebar.list, Qt.Key_Down)
    qtbot.waitUntil(lambda: hearth.chat.conversation.title == "Birthday email for Sam", timeout=5_000)

    # The filter box narrows the list as the user types, headers included.
    qtbot.keyClicks(sidebar.filter, "ta")
    assert sidebar.titles() == ["Tax questions"]
    qtbot.keyClicks(sidebar.filter, "x")
    assert [row[:2] for row in sidebar.rows()] == [("header", "Older"), ("chat", "Tax questions")]
    sidebar.filter.clear()
    qtbot.keyClicks(sidebar.filter, "EMAIL")  # any case
    assert sidebar.titles() == ["Birthday email for Sam"] and sidebar.list.currentItem().text() == sidebar.titles()[0]
    sidebar.filter.clear()
    qtbot.keyClicks(sidebar.filter, "no such words")
    assert sidebar.titles() == [] and len(sidebar.rows()) == 1 and "no such words" in sidebar.rows()[0][1]
    sidebar.filter.clear()
    assert len(sidebar.titles()) == 4
    # Enter in the filter box opens the first match.
    qtbot.keyClicks(sidebar.filter, "csv")
    qtbot.keyClick(sidebar.filter, Qt.Key_Return)
    qtbot.waitUntil(lambda: hearth.chat.conversation.title == "Refactor the CSV parser", timeout=5_000)
    assert hearth.window.view.message_widgets()[0].text == "About Refactor the CSV parser"


def test_pinned_chats_keep_their_group_at_the_top(qtbot, make_hearth, home):
    seed(home, [("Recipes", noon(40)), ("Today's plan", time.time() - 60)], pinned=("Recipes",))
    hearth = make_hearth(include_starter=False)
    sidebar = hearth.window.conversations
    qtbot.waitUntil(lambda: len(sidebar.titles()) == 2, timeout=5_000)
    assert [row[:2] for row in sidebar.rows()] == [("header", "Pinned"), ("chat", "Recipes"), ("header", "Today"),
                                                    ("chat", "Today's plan")]


def test_the_first_run_welcomes_suggests_and_leads_to_discover_and_the_pill_follows_the_model(
        qtbot, make_hearth, hub):
    pill_seen: list[str] = []
    hearth = make_hearth()
    window = hearth.window
    hearth.models.state_changed.connect(lambda *_: pill_seen.append(window.model_pill.text()))
    qtbot.waitUntil(lambda: hearth.models.state == "ready", timeout=60_000)
    assert pill_seen[-1] == "Ready" and window.model_pill.tone == "ready"
    assert pill_seen[0] == "Loading…" and window.model_pill.tone == "ready"  # the library found it after the window showed
    # The first run: an empty store, one empty chat; the welcome names the model that is ready.
    assert len(hearth.store.conversations()) == 1 and window.view.message_widgets() == []
    welcome = window.empty_chat.welcome
    qtbot.waitUntil(welcome.isVisible, timeout=5_000)
    words = welcome.text()
    assert "Welcome to Hearth" in words and hearth.models.name in words and "SmolLM2" in words
    assert "tiny" in words and "is ready" in words and "stay on this computer" in words
    assert visible_cards(window) == [(s.title, s.hint) for s in SUGGESTIONS] and len(SUGGESTIONS) == 4

    # "Get a better model for this computer" opens the Model manager at Discover, whatever tab it was left on.
    hearth.open_manager()
    hearth.manager.tabs.setCurrentIndex(2)  # the Library
    hearth.manager.hide()
    qtbot.mouseClick(welcome.better_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: hearth.manager.isVisible(), timeout=5_000)
    assert hearth.manager.tabs.currentWidget() is hearth.manager.discover
    hearth.manager.hide()

    # A card puts its prompt into the message box; Enter sends it and the pill says the model is writing.
    card = window.empty_chat.suggestions.cards[0]
    qtbot.mouseClick(card, Qt.LeftButton)
    assert window.input.toPlainText() == SUGGESTIONS[0].prompt and window.input.hasFocus()
    hearth.settings.max_tokens = 12
    hearth.chat.set_model_titles(False)
    qtbot.keyClick(window.input, Qt.Key_Return)
    qtbot.waitUntil(lambda: len(window.view.message_widgets()) == 2 and not hearth.chat.busy, timeout=60_000)
    assert window.view.message_widgets()[0].text == SUGGESTIONS[0].prompt
    assert "Writing…" in pill_seen and window.model_pill.text() == "Ready"
    assert not window.empty_chat.isVisible()  # the chat has words now

    # Once a conversation exists, a new chat offers the suggestions, and the welcome is gone for good.
    qtbot.mouseClick(window.conversations.new_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.view.message_widgets() == [], timeout=5_000)
    qtbot.waitUntil(window.empty_chat.isVisible, timeout=5_000)
    assert len(visible_cards(window)) == 4 and not welcome.isVisible()


def test_no_welcome_once_conversations_exist(qtbot, make_hearth, home):
    seed(home, [("Earlier chat", time.time() - 600)])
    hearth = make_hearth()
    window = hearth.window
    qtbot.waitUntil(lambda: hearth.models.path != "", timeout=10_000)
    assert window.view.message_widgets() and not window.empty_chat.isVisible()  # the last chat reopens
    window.new_chat()
    qtbot.waitUntil(window.empty_chat.isVisible, timeout=5_000)
    assert len(visible_cards(window)) == 4 and not window.empty_chat.welcome.isVisible()
