"""The real window, driven like a user drives it: real engine process, real SQLite file."""
import os
import signal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.core import store as states
from conftest import copy_model

LONG_ASK = "Write a very long story about a dragon who learns to bake bread."


def wait_ready(qtbot, hearth, timeout=30_000):
    qtbot.waitUntil(lambda: hearth.chat.state == "ready", timeout=timeout)


def type_and_enter(qtbot, hearth, text):
    box = hearth.window.input
    box.setFocus()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key_Return)


def last_reply(hearth):
    return hearth.window.view.message_widgets()[-1]


def ask(qtbot, hearth, text="What is the capital of France?"):
    """Type a message, press Enter, wait for the whole reply (and the title the model then gives a new
    conversation, which also takes the engine); return the reply's widget."""
    type_and_enter(qtbot, hearth, text)
    qtbot.waitUntil(lambda: not hearth.chat.busy and not hearth.chat.titling, timeout=60_000)
    return last_reply(hearth)


def start_long_reply(qtbot, make_hearth, shown_chars):
    """A fresh app streaming a long reply, with at least ``shown_chars`` of it on screen."""
    hearth = make_hearth()
    hearth.settings.max_tokens = 4000
    wait_ready(qtbot, hearth)
    type_and_enter(qtbot, hearth, LONG_ASK)
    qtbot.waitUntil(lambda: len(last_reply(hearth).text) > shown_chars, timeout=30_000)
    return hearth


def test_asks_the_starter_model_and_reads_paris(qtbot, make_hearth, smollm_path):
    hearth = make_hearth()
    window = hearth.window
    qtbot.waitUntil(lambda: bool(window.picker.entries), timeout=10_000)
    window.picker.select(str(smollm_path))  # what a user's click on the picker does
    assert "135M parameters" in window.picker.details.text()
    wait_ready(qtbot, hearth)
    assert window.status_state.text() == "Ready"

    type_and_enter(qtbot, hearth, "What is the capital of France?")
    assert window.input.toPlainText() == ""
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    user, reply = window.view.message_widgets()
    assert user.text == "What is the capital of France?"
    assert "Paris" in reply.text
    # The status bar's figures follow in the next turn of the event loop (the reply's end has its own work).
    qtbot.waitUntil(lambda: window.status_speed.text().endswith("tok/s"), timeout=1_000)
    assert float(window.status_speed.text().split()[0]) > 0
    # Named after the question at once, then by the model from the first exchange.
    assert window.conversations.titles()[0] == "What is the capital of France?"
    qtbot.waitUntil(lambda: not hearth.chat.titling, timeout=30_000)
    title = window.conversations.titles()[0]
    assert title != "What is the capital of France?" and len(title) <= 60
    assert "France" in title or "Paris" in title  # about the exchange, in SmolLM2's words


def test_the_window_opens_ready_to_type_and_new_chat_keeps_no_empty_rows(qtbot, make_hearth):
    hearth = make_hearth()
    window = hearth.window
    qtbot.waitUntil(lambda: window.input.hasFocus(), timeout=5_000)  # no click needed to start typing
    assert window.conversations.titles() == ["New chat"]
    window.system_prompt.setPlainText("Answer in French.")
    window._flush_system_prompt()
    for _ in range(3):  # New chat on an empty chat gives a fresh one in its place, not another row
        qtbot.mouseClick(window.conversations.new_button, Qt.LeftButton)
    assert window.conversations.titles() == ["New chat"]
    assert window.system_prompt.toPlainText() == hearth.settings.default_system_prompt
    assert window.input.hasFocus()


def test_shift_enter_is_a_new_line(qtbot, make_hearth):
    hearth = make_hearth()
    box = hearth.window.input
    qtbot.keyClicks(box, "first")
    qtbot.keyClick(box, Qt.Key_Return, Qt.ShiftModifier)
    qtbot.keyClicks(box, "second")
    assert box.toPlainText() == "first\nsecond"
    assert hearth.window.view.message_widgets() == []


@pytest.mark.parametrize("press_escape", [False, True], ids=["stop-button", "escape-key"])
def test_stop_keeps_the_partial_reply_and_the_next_message_works(qtbot, make_hearth, press_escape):
    hearth = start_long_reply(qtbot, make_hearth, 40)
    window = hearth.window
    assert window.stop_button.isVisible()

    if press_escape:
        qtbot.keyClick(window.input, Qt.Key_Escape)
    else:
        qtbot.mouseClick(window.stop_button, Qt.LeftButton)
    # Stopping is immediate: no waiting on the engine.
    assert not hearth.chat.busy
    assert window.send_button.isVisible() and not window.stop_button.isVisible()
    reply = last_reply(hearth)
    partial = reply.text
    assert partial and reply.status_text.startswith("Stopped")
    qtbot.wait(300)  # pieces already in flight must not reach the stopped message
    assert last_reply(hearth).text == partial
    saved = hearth.store.messages(hearth.chat.conversation.id)[-1]
    assert (saved.content, saved.status) == (partial, states.STOPPED)

    assert "Paris" in ask(qtbot, hearth).text


@pytest.mark.parametrize("how, says", [(signal.SIGKILL, "engine was killed (SIGKILL)"),
                                       (signal.SIGABRT, "engine crashed inside llama.cpp (SIGABRT)")])
def test_engine_killed_mid_reply(qtbot, make_hearth, how, says):
    hearth = start_long_reply(qtbot, make_hearth, 20)
    os.kill(hearth.engine.pid, how)

    window = hearth.window
    qtbot.waitUntil(lambda: says in window.notice.text, timeout=10_000)
    assert "Your conversation is safe" in window.notice.text
    assert window.isVisible() and not hearth.chat.busy
    assert window.status_state.text() == "Engine stopped"
    user, reply = window.view.message_widgets()
    assert user.text == LONG_ASK and reply.text  # the partial reply stays
    assert "Failed" in reply.status_text
    saved = hearth.store.messages(hearth.chat.conversation.id)
    assert [m.role for m in saved] == ["user", "assistant"] and saved[0].content == LONG_ASK

    assert "Paris" in ask(qtbot, hearth).text
    assert window.status_state.text() == "Ready"


@pytest.mark.parametrize("kind", ["text", "empty", "cut-header", "cut-tensors", "cut-weights"])
def test_bad_files_get_clear_messages_and_the_app_stays_usable(qtbot, make_hearth, smollm_path, tmp_path, kind):
    data = smollm_path.read_bytes()
    content = {
        "text": b"just some notes, definitely not a model\n",
        "empty": b"",
        "cut-header": data[:300_000],
        "cut-tensors": data[:1_785_000],
        "cut-weights": data[:60_000_000],
    }[kind]
    bad = tmp_path / f"{kind}.gguf"
    bad.write_bytes(content)
    expected = {"text": "is not a GGUF model", "empty": "is empty"}.get(kind, "is truncated")

    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    hearth.window.library.add_file(str(bad))  # what File ▸ Open GGUF file… and a drop both do
    qtbot.waitUntil(lambda: expected in hearth.window.notice.text, timeout=10_000)
    assert bad.name in hearth.window.notice.text
    assert str(bad) not in hearth.settings.added_models

    assert "Paris" in ask(qtbot, hearth).text


def test_bad_file_in_models_folder_is_listed_with_its_problem(qtbot, make_hearth, home, smollm_path):
    (home.models / "broken.gguf").write_bytes(smollm_path.read_bytes()[:5000])
    hearth = make_hearth()
    qtbot.waitUntil(lambda: len(hearth.window.picker.entries) == 2, timeout=10_000)
    picker = hearth.window.picker
    labels = [picker.combo.itemText(i) for i in range(picker.combo.count())]
    assert "⚠ broken.gguf" in labels
    picker.combo.setCurrentIndex(labels.index("⚠ broken.gguf"))
    assert "Cannot use this file" in picker.details.text() and "truncated" in picker.details.text()
    assert hearth.chat.model_path != str(home.models / "broken.gguf")


def test_opened_file_joins_the_picker_and_loads(qtbot, make_hearth, gemma_path):
    hearth = make_hearth(include_starter=False)
    window = hearth.window
    qtbot.waitUntil(lambda: "No model yet" in window.view._placeholder.text(), timeout=10_000)
    assert window.view._placeholder.isVisible()
    assert str(hearth.paths.models) in window.view._placeholder.text()
    window.library.add_file(str(gemma_path))
    qtbot.waitUntil(lambda: hearth.chat.model_path == str(gemma_path.resolve()), timeout=10_000)
    assert "gemma3" in window.picker.details.text()
    wait_ready(qtbot, hearth)
    assert str(gemma_path.resolve()) in hearth.settings.added_models
    # Gemma 3 270M (base) ships no chat template: a default format, and the user is told.
    assert "chat template: no" in window.picker.details.text()
    hearth.settings.max_tokens = 24
    reply = ask(qtbot, hearth, "Name three colours.")
    assert reply.text.strip() and "Failed" not in reply.status_text
    assert "no chat template" in window.notice.text and "default chat format" in window.notice.text


def test_models_folder_files_are_found(qtbot, make_hearth, home, smollm_path):
    copy_model(smollm_path, home.models / "HuggingFaceTB" / "SmolLM2", "smol.gguf")
    hearth = make_hearth(include_starter=False)
    qtbot.waitUntil(lambda: hearth.chat.model_path.endswith("smol.gguf"), timeout=10_000)
    wait_ready(qtbot, hearth)


def test_conversations_new_rename_delete_and_survive_reopening(qtbot, make_hearth, home):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    type_and_enter(qtbot, hearth, "What is the capital of France?")
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    answer = last_reply(hearth).text
    first_id = hearth.chat.conversation.id

    qtbot.mouseClick(hearth.window.conversations.new_button, Qt.LeftButton)
    assert hearth.window.view.message_widgets() == []
    assert len(hearth.window.conversations.titles()) == 2
    assert hearth.chat.titling  # the model is naming the first conversation: the user's name wins
    hearth.chat.rename_conversation(first_id, "Geography")
    qtbot.waitUntil(lambda: not hearth.chat.titling, timeout=30_000)
    assert "Geography" in hearth.window.conversations.titles()
    hearth.window.conversations.list.setCurrentRow(hearth.window.conversations.titles().index("Geography"))
    assert hearth.chat.conversation.id == first_id
    assert last_reply(hearth).text == answer
    empty_id = [c.id for c in hearth.store.conversations() if c.id != first_id][0]
    hearth.chat.delete_conversation(empty_id)
    assert hearth.window.conversations.titles() == ["Geography"]
    hearth.close()

    reopened = make_hearth()
    qtbot.waitUntil(lambda: len(reopened.window.view.message_widgets()) == 2, timeout=5_000)
    assert reopened.window.conversations.titles() == ["Geography"]
    user, reply = reopened.window.view.message_widgets()
    assert user.text == "What is the capital of France?" and reply.text == answer


def test_system_prompt_is_per_conversation(qtbot, make_hearth):
    hearth = make_hearth()
    window = hearth.window
    window.system_toggle.setChecked(True)
    window.system_prompt.setPlainText("Answer in one word.")
    window._flush_system_prompt()
    assert hearth.store.conversation(hearth.chat.conversation.id).system_prompt == "Answer in one word."
    hearth.chat.new_conversation()
    assert window.system_prompt.toPlainText() == hearth.settings.default_system_prompt


def test_model_too_big_for_memory_is_not_loaded_without_asking(qtbot, make_hearth):
    # The machine as seen by the fit check: 150 MB free of 1 GB. SmolLM2 needs about 230 MB.
    hearth = make_hearth(memory_probe=lambda: (150_000_000, 1_000_000_000))
    window = hearth.window
    qtbot.waitUntil(lambda: "was not loaded" in window.notice.text, timeout=10_000)
    assert "Won't fit: needs about" in window.notice.text and "150.0 MB of 1.0 GB RAM is free" in window.notice.text
    assert "Won't fit" in window.picker.details.text()
    assert hearth.chat.state == "no model" and window.notice.action.text() == "Load anyway"
    qtbot.mouseClick(window.notice.action, Qt.LeftButton)
    wait_ready(qtbot, hearth)
    assert not window.notice.isVisible()


def test_fit_is_shown_before_loading(qtbot, make_hearth):
    hearth = make_hearth()
    qtbot.waitUntil(lambda: "Fits: needs about" in hearth.window.picker.details.text(), timeout=10_000)


def test_dropping_a_gguf_file_adds_it(qtbot, make_hearth, gemma_path):
    from PySide6.QtCore import QMimeData, QPoint, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    hearth = make_hearth(include_starter=False)
    window = hearth.window
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(gemma_path))])
    enter = QDragEnterEvent(QPoint(200, 200), Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    window.dropEvent(QDropEvent(QPointF(200, 200), Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier))
    qtbot.waitUntil(lambda: hearth.chat.model_path == str(gemma_path.resolve()), timeout=10_000)
    assert window.picker.combo.currentText().startswith("gemma-3-270m")


def test_a_message_that_cannot_be_saved_stays_in_the_box(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    # SQLite's own "database or disk is full" (SQLITE_FULL): cap the file at its current size.
    db = hearth.store._db
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    hearth.window.input.setPlainText("Please keep this text " * 300)
    qtbot.keyClick(hearth.window.input, Qt.Key_Return)
    assert hearth.window.input.toPlainText() == "Please keep this text " * 300
    assert "could not save your message. The disk is full" in hearth.window.notice.text
    assert not hearth.chat.busy


def test_a_model_llama_cpp_refuses_gets_a_message_and_another_model_works(qtbot, make_hearth, home, smollm_path):
    # A sound header naming an architecture llama.cpp does not know: only llama.cpp can refuse it.
    data = bytearray(smollm_path.read_bytes())
    key = b"general.architecture"
    at = data.index(key) + len(key) + 4 + 8  # skip the value type and the string length
    assert data[at:at + 5] == b"llama"
    data[at:at + 5] = b"llamb"
    odd = home.models / "odd-architecture.gguf"
    odd.write_bytes(bytes(data))

    hearth = make_hearth()
    window = hearth.window
    qtbot.waitUntil(lambda: len(window.picker.entries) == 2, timeout=10_000)
    assert hearth.chat.state == "no model"  # two models and no earlier choice: the user picks
    assert "Choose a model" in window.view._placeholder.text()
    window.picker.select(str(odd))
    assert "llamb" in window.picker.details.text()
    qtbot.waitUntil(lambda: "could not load" in window.notice.text, timeout=20_000)
    assert hearth.chat.state == "failed" and window.status_state.text() == "Failed"
    window.picker.select(str(smollm_path))
    wait_ready(qtbot, hearth)
    assert "Paris" in ask(qtbot, hearth).text


def test_what_the_screen_shows_while_a_reply_streams_is_a_full_paint_of_the_window(qtbot, make_hearth):
    """Streaming repaints only what changed (a reply's new strip, a thin scroll bar); nothing stale may stay
    on screen: the window's backing store, read as the screen shows it, equals painting the window afresh,
    both while the reply still fits and once it scrolls."""
    hearth = make_hearth()
    hearth.settings.max_tokens = 700
    wait_ready(qtbot, hearth)
    window = hearth.window
    type_and_enter(qtbot, hearth, LONG_ASK)
    bar = window.view.verticalScrollBar()
    checked, scrolled, seen = 0, 0, 0
    # Checks follow the reply's growth, not the clock: a busy machine writes slower, a quiet one faster,
    # and either way the screen is read both before and after the reply outgrows the view.
    while hearth.chat.busy and scrolled < 4:
        qtbot.waitUntil(lambda: len(last_reply(hearth).text) >= seen + 60 or not hearth.chat.busy,
                        timeout=120_000)
        seen = len(last_reply(hearth).text)
        for _attempt in range(3):  # a paint already due may still be on its way: a stale pixel stays
            QApplication.sendPostedEvents()
            shown = window.screen().grabWindow(window.winId()).toImage()
            fresh = window.grab().toImage().convertToFormat(shown.format())
            if shown == fresh:
                break
            qtbot.wait(30)
        assert shown == fresh, f"stale pixels on screen after {seen} characters"
        checked += 1
        scrolled += bar.maximum() > 0
    hearth.chat.stop()
    assert checked - scrolled >= 3 and scrolled >= 3  # seen both before and after the reply outgrew the view
