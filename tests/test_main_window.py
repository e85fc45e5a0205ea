"""The real window, driven like a user drives it: real engine process, real SQLite file."""
import os
import signal

import pytest
from conftest import copy_model
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.core import store as states

LONG_ASK = "Write a very long story about a dragon who learns to bake bread."


def wait_ready(qtbot, hearth, timeout=30_000):
    qtbot.waitUntil(lambda: hearth.models.state == "ready", timeout=timeout)


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
    assert window.model_pill.text() == "Ready"

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
    assert window.model_pill.text() == "Engine stopped"
    user, reply = window.view.message_widgets()
    assert user.text == LONG_ASK and reply.text  # the partial reply stays
    assert "Failed" in reply.status_text
    saved = hearth.store.messages(hearth.chat.conversation.id)
    assert [m.role for m in saved] == ["user", "assistant"] and saved[0].content == LONG_ASK

    assert "Paris" in ask(qtbot, hearth).text
    assert window.model_pill.text() == "Ready"


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
    assert hearth.models.path != str(home.models / "broken.gguf")


def test_opened_file_joins_the_picker_and_loads(qtbot, make_hearth, gemma_path):
    hearth = make_hearth(include_starter=False)
    window = hearth.window
    qtbot.waitUntil(lambda: "No model yet" in window.view._placeholder.text(), timeout=10_000)
    assert window.view._placeholder.isVisible()
    assert str(hearth.paths.models) in window.view._placeholder.text()
    window.library.add_file(str(gemma_path))
    qtbot.waitUntil(lambda: hearth.models.path == str(gemma_path.resolve()), timeout=10_000)
    assert "gemma3" in window.picker.details.text()
    wait_ready(qtbot, hearth)
    assert str(gemma_path.resolve()) in hearth.settings.added_models
    # Gemma 3 270M (base) ships no chat template: Gemma's format, picked by its architecture, and the user is told.
    assert "chat template: no" in window.picker.details.text()
    hearth.settings.max_tokens = 24
    reply = ask(qtbot, hearth, "Name three colours.")
    assert reply.text.strip() and "Failed" not in reply.status_text
    assert "no chat template" in window.notice.text and "Gemma format" in window.notice.text


def test_models_folder_files_are_found(qtbot, make_hearth, home, smollm_path):
    copy_model(smollm_path, home.models / "HuggingFaceTB" / "SmolLM2", "smol.gguf")
    hearth = make_hearth(include_starter=False)
    qtbot.waitUntil(lambda: hearth.models.path.endswith("smol.gguf"), timeout=10_000)
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
    sidebar = hearth.window.conversations
    sidebar.list.setCurrentItem(sidebar._chat_items()[sidebar.titles().index("Geography")])
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
    assert hearth.models.state == "no model" and window.notice.action.text() == "Load anyway"
    # Nothing answers, and the picker says so too, like the status bar.
    assert window.picker.current_entry() is None and window.status_model.text() == "No model"
    qtbot.mouseClick(window.notice.action, Qt.LeftButton)
    wait_ready(qtbot, hearth)
    assert not window.notice.isVisible()
    assert window.picker.current_entry().display_name == window.status_model.text() == hearth.models.name


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
    qtbot.waitUntil(lambda: hearth.models.path == str(gemma_path.resolve()), timeout=10_000)
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
    assert hearth.models.state == "no model"  # two models and no earlier choice: the user picks
    assert "Choose a model" in window.view._placeholder.text()
    window.picker.select(str(odd))
    assert "llamb" in window.picker.details.text()
    qtbot.waitUntil(lambda: "could not load" in window.notice.text, timeout=20_000)
    assert hearth.models.state == "failed" and window.model_pill.text() == "Failed"
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


def named_models(hearth):
    """The model the picker names, and the one the status bar names ("" and "No model" for none)."""
    entry = hearth.window.picker.current_entry()
    return (entry.display_name if entry is not None else ""), hearth.window.status_model.text()


def test_a_model_refused_as_too_big_leaves_the_picker_on_the_model_that_answers(qtbot, make_hearth, home,
                                                                                smollm_path, gemma_path):
    gemma = copy_model(gemma_path, home.models / "unsloth" / "gemma-GGUF")
    free = [8_000_000_000]  # the fit check's view of free memory, changed below
    hearth = make_hearth(memory_probe=lambda: (free[0], 16_000_000_000))
    window = hearth.window
    qtbot.waitUntil(lambda: len(window.picker.entries) == 2, timeout=10_000)
    window.picker.select(str(smollm_path))
    wait_ready(qtbot, hearth)
    smol = named_models(hearth)
    assert smol[0] == smol[1] == hearth.models.name

    free[0] = 150_000_000  # something else took the memory: Gemma would not fit now
    window.picker.select(str(gemma))
    assert "was not loaded" in window.notice.text and window.notice.action.text() == "Load anyway"
    assert named_models(hearth) == smol and hearth.models.path == str(smollm_path)
    assert "Paris" in ask(qtbot, hearth).text  # SmolLM2 answers, and is the model both of them name
    assert hearth.store.messages(hearth.chat.conversation.id)[-1].model == smol[0]

    qtbot.mouseClick(window.notice.action, Qt.LeftButton)  # Load anyway
    wait_ready(qtbot, hearth)
    picked, shown = named_models(hearth)
    assert picked == shown == hearth.models.name and picked.startswith("gemma-3-270m")


def test_deleting_the_loaded_model_unloads_it_and_the_picker_and_status_bar_agree(qtbot, make_hearth, home, hub,
                                                                                  smollm_path):
    from tests.test_model_manager import open_manager

    own = copy_model(smollm_path, home.models / "HuggingFaceTB" / "SmolLM2-GGUF", "smol-Q4_1.gguf")
    hearth = make_hearth(include_starter=False)
    window = hearth.window
    wait_ready(qtbot, hearth)  # the only model: chosen by itself
    name = named_models(hearth)[0]
    assert named_models(hearth) == (name, name) and name
    maps = f"/proc/{hearth.engine.pid}/maps"
    with open(maps) as mapped:
        assert str(own) in mapped.read()

    manager = open_manager(qtbot, hearth)
    asked = []
    manager.ask = lambda title, text, choices: asked.append(text) or "Delete"
    manager.library_page.select(str(own))
    manager.library_page.delete_button.click()
    # The question is plain: what goes, what it frees, that it is for good.
    assert asked[-1].startswith(f"Delete {name} from this computer? This frees ")
    assert "cannot be undone" in asked[-1] and str(own) in asked[-1] and "outside" not in asked[-1]
    qtbot.waitUntil(lambda: not window.picker.entries, timeout=10_000)
    assert not own.exists()
    assert named_models(hearth) == ("", "No model") and hearth.models.state == "no model"
    assert hearth.settings.last_model == ""

    def let_go() -> bool:  # the engine no longer maps the deleted file, so its disk space is free again
        with open(maps) as mapped:
            return str(own) not in mapped.read()
    qtbot.waitUntil(let_go, timeout=10_000)
    type_and_enter(qtbot, hearth, "Hello?")
    assert "Choose a model first" in window.notice.text and window.input.toPlainText() == "Hello?"


def test_a_model_that_fails_to_load_never_lets_another_answer_in_its_name(qtbot, make_hearth, home, smollm_path):
    hearth = make_hearth()
    window = hearth.window
    wait_ready(qtbot, hearth)  # SmolLM2, the starter
    changing = copy_model(smollm_path, home.models, "changing.gguf")
    window.library.refresh()
    qtbot.waitUntil(lambda: len(window.picker.entries) == 2, timeout=10_000)
    changing.write_bytes(b"not a model any more\n" * 100)  # damaged after it was listed
    hearth.settings.max_tokens = 24

    window.picker.select(str(changing))
    qtbot.waitUntil(lambda: hearth.models.state == "failed", timeout=20_000)
    assert "is not a GGUF model" in window.notice.text
    name = named_models(hearth)[0]
    assert named_models(hearth) == (name, name) and name.startswith("changing")
    assert window.model_pill.text() == "Failed"
    # Sending tries the chosen model again; SmolLM2, loaded before, must not answer in its name.
    reply = ask(qtbot, hearth, "What is the capital of France?")
    assert "Failed" in reply.status_text and "is not a GGUF model" in reply.status_text
    assert "Paris" not in reply.text
    assert named_models(hearth) == (name, name) and window.model_pill.text() == "Failed"

    # A failed reply offers Retry; once the file is whole again, Retry writes the reply in its place.
    assert reply.retry_button.isVisible() and not reply.continue_button.isVisible()
    changing.write_bytes(smollm_path.read_bytes())
    qtbot.mouseClick(reply.retry_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not hearth.chat.busy and not hearth.chat.titling, timeout=60_000)
    user, retried = window.view.message_widgets()
    assert retried.message_id == reply.message_id and "Paris" in retried.text
    assert not retried.retry_button.isVisible() and "Failed" not in retried.status_text
    saved = hearth.store.messages(hearth.chat.conversation.id)
    assert [(m.role, m.status) for m in saved] == [("user", states.DONE), ("assistant", states.DONE)]
    assert "Paris" in saved[-1].content and hearth.store.siblings(hearth.chat.conversation.id)[saved[-1].id] == [
        saved[-1].id]  # written in place: no failed version left behind
    assert window.model_pill.text() == "Ready" and named_models(hearth) == (name, name)


def test_stop_updates_the_context_gauge_and_continue_moves_no_button(qtbot, make_hearth):
    hearth = start_long_reply(qtbot, make_hearth, 40)
    window, gauge = hearth.window, hearth.window.context_gauge
    prompt = gauge.value()
    assert prompt > 0  # the prompt, counted when the reply started
    reply = last_reply(hearth)
    actions = (reply.copy_button, reply.regenerate_button, reply.delete_button)
    before = [button.geometry() for button in actions]
    assert not reply.continue_button.isVisible()

    qtbot.mouseClick(window.stop_button, Qt.LeftButton)
    assert reply.continue_button.isVisible()
    reply.layout().activate()
    assert [button.geometry() for button in actions] == before  # nothing moved under the pointer
    assert reply.continue_button.geometry().right() < min(geometry.left() for geometry in before)
    qtbot.waitUntil(lambda: gauge.value() > prompt, timeout=10_000)  # the reply so far counts too
    assert gauge.format() == f"Context {gauge.value():,} / {hearth.chat.n_ctx:,}"


def test_message_text_keeps_a_reading_width_on_a_wide_window(qtbot, make_hearth):
    hearth = make_hearth()
    window = hearth.window
    wait_ready(qtbot, hearth)
    hearth.settings.max_tokens = 24
    hearth.settings.model_titles = False
    type_and_enter(qtbot, hearth, "Say hello.")
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    window.resize(2600, 900)
    view = window.view.viewport()
    qtbot.waitUntil(lambda: view.width() > 2000, timeout=5_000)
    for message in window.view.message_widgets():
        qtbot.waitUntil(lambda: message.width() < view.width() / 2, timeout=5_000)
        characters = message.body.width() / message.body.fontMetrics().averageCharWidth()
        assert 70 <= characters <= 85
        left = message.mapTo(view, message.rect().topLeft()).x()
        right = view.width() - (left + message.width())
        assert abs(left - right) <= 2  # centred
    window.resize(700, 600)  # a narrow window: messages take what there is
    qtbot.waitUntil(lambda: view.width() < 700, timeout=5_000)
    message = window.view.message_widgets()[-1]
    qtbot.waitUntil(lambda: message.width() > view.width() - 60, timeout=5_000)


def test_new_chat_reuses_an_empty_one_and_notices_end_with_what_they_were_about(qtbot, make_hearth, tmp_path,
                                                                               home, smollm_path, gemma_path):
    copy_model(gemma_path, home.models)  # two models and no earlier choice: nothing is loaded yet
    hearth = make_hearth()
    window = hearth.window
    qtbot.waitUntil(lambda: len(window.picker.entries) == 2, timeout=10_000)
    type_and_enter(qtbot, hearth, "What is the capital of France?")
    assert "Choose a model first" in window.notice.text
    window.picker.select(str(smollm_path))
    wait_ready(qtbot, hearth)
    assert not window.notice.isVisible()  # true no longer: a model is ready
    qtbot.keyClick(window.input, Qt.Key_Return)  # the words stayed in the box
    qtbot.waitUntil(lambda: not hearth.chat.busy and not hearth.chat.titling, timeout=60_000)
    talked = hearth.chat.conversation.id

    hearth.chat.export_conversation(str(tmp_path / "france.md"))
    assert window.notice.text.startswith("Saved “")
    hearth.chat.reopen()  # the same chat shown again (a new theme, another branch): still true
    assert window.notice.text.startswith("Saved “")
    qtbot.mouseClick(window.conversations.new_button, Qt.LeftButton)
    assert not window.notice.isVisible()  # about a chat no longer on screen

    titles = window.conversations.titles()
    assert titles.count("New chat") == 1 and len(titles) == 2
    window.conversations.list.setCurrentItem(window.conversations.item_of(talked))
    assert hearth.chat.conversation.id == talked
    qtbot.mouseClick(window.conversations.new_button, Qt.LeftButton)  # the empty chat is taken up again
    assert window.conversations.titles().count("New chat") == 1 and len(window.conversations.titles()) == 2
    assert window.view.message_widgets() == [] and hearth.chat.conversation.id != talked
