"""A chat people live in: edit and branch, continue, settings, search, export and import, Markdown.

Every test drives the real window with the real SmolLM2 answering through llama.cpp.
"""

import json
from dataclasses import replace

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication

from app.core import store as states
from tests.test_main_window import ask, last_reply, type_and_enter, wait_ready


def widgets(hearth):
    return hearth.window.view.message_widgets()


def test_edit_regenerate_and_move_between_versions(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    first_answer = ask(qtbot, hearth, "What is the capital of France?").text

    # Regenerate, with a warmer temperature for this conversation so the new version differs.
    # (capped: a warm SmolLM2 can ramble, and the test must not wait on a busy machine's speed)
    hearth.chat.set_conversation_settings({"temperature": 1.2, "seed": 7, "max_tokens": 48})
    reply = last_reply(hearth)
    qtbot.mouseClick(reply.regenerate_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    user, reply = widgets(hearth)
    assert reply.version_text == "2/2" and reply.previous_button.isEnabled()
    second_answer = reply.text
    assert second_answer and "Temperature 1.2" in reply.footer.toolTip()

    qtbot.mouseClick(reply.previous_button, Qt.LeftButton)  # ◀: back to the first version
    user, reply = widgets(hearth)
    assert (reply.text, reply.version_text) == (first_answer, "1/2")

    # Edit the question: a new version of it, answered anew; the old question and its replies remain.
    hearth.chat.set_conversation_settings({"temperature": None, "seed": None})  # back to the defaults
    qtbot.mouseClick(user.edit_button, Qt.LeftButton)
    assert user.editing
    user.edit_box.setPlainText("What is the capital of Italy?")
    qtbot.mouseClick(user.save_edit_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    user, reply = widgets(hearth)
    assert user.text == "What is the capital of Italy?" and user.version_text == "2/2"
    assert "Rom" in reply.text and reply.version_text == ""  # Rome, or Roma: SmolLM2 is small

    qtbot.mouseClick(user.previous_button, Qt.LeftButton)
    user, reply = widgets(hearth)
    assert user.text == "What is the capital of France?"
    assert reply.text in (first_answer, second_answer) and reply.version_text.endswith("/2")

    # Up in the empty input box edits the last message sent.
    hearth.window.input.setFocus()
    qtbot.keyClick(hearth.window.input, Qt.Key_Up)
    assert widgets(hearth)[0].editing
    qtbot.mouseClick(widgets(hearth)[0].cancel_edit_button, Qt.LeftButton)

    hearth.close()  # the branches and the one on screen survive a restart
    again = make_hearth()
    qtbot.waitUntil(lambda: len(widgets(again)) == 2, timeout=5_000)
    assert widgets(again)[0].text == "What is the capital of France?"
    assert widgets(again)[0].version_text == "1/2"


def test_a_reply_cut_at_its_token_limit_can_be_continued(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    hearth.chat.set_conversation_settings({"max_tokens": 16})
    reply = ask(qtbot, hearth, "Write a long story about a dragon who learns to cook.")
    assert "Stopped at the token limit" in reply.status_text and "16 tokens" in reply.status_text
    assert reply.continue_button.isVisible()
    cut = reply.text
    qtbot.mouseClick(reply.continue_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    [_user, reply] = widgets(hearth)  # the same message, longer: not a new one
    assert reply.text.startswith(cut) and len(reply.text) > len(cut)
    assert hearth.store.messages(hearth.chat.conversation.id)[-1].content == reply.text


def test_delete_a_message_and_a_conversation_with_undo_and_pin(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    ask(qtbot, hearth, "Say hello.")
    kept = hearth.chat.conversation.id
    qtbot.mouseClick(last_reply(hearth).delete_button, Qt.LeftButton)
    assert [w.role for w in widgets(hearth)] == ["user"]

    hearth.chat.new_conversation()
    ask(qtbot, hearth, "Name a colour.")
    doomed = hearth.chat.conversation.id
    titles = hearth.window.conversations.titles()
    doomed_title = hearth.store.conversation(doomed).title  # named by the model after the first exchange
    hearth.chat.delete_conversation(doomed)
    assert doomed_title not in hearth.window.conversations.titles()
    notice = hearth.window.notice
    assert notice.text.startswith(f"Deleted “{doomed_title}”") and notice.action.text() == "Undo"
    qtbot.mouseClick(notice.action, Qt.LeftButton)
    assert sorted(hearth.window.conversations.titles()) == sorted(titles)
    assert hearth.chat.conversation.id == doomed and widgets(hearth)[0].text == "Name a colour."

    hearth.chat.set_pinned(kept, True)
    assert hearth.window.conversations.titles()[0] == hearth.store.conversation(kept).title
    assert hearth.window.conversations.rows()[0] == ("header", "Pinned")  # in a group of its own, on top
    assert not hearth.window.conversations.item_of(kept).icon().isNull()  # the pin (tests/test_contrast.py)


def test_new_chats_keep_the_first_message_as_their_name_when_model_titles_are_off(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    action = hearth.window.titles_action
    assert action.isChecked()  # on by default
    action.trigger()  # Chat ▸ Let the model name new chats, as a click does
    assert not hearth.settings.model_titles
    ask(qtbot, hearth, "What is the capital of France?")
    qtbot.wait(600)  # past the moment a title would have been asked for
    assert not hearth.chat.titling and not hearth.chat.titler.busy
    assert hearth.window.conversations.titles()[0] == "What is the capital of France?"
    hearth.close()
    assert not make_hearth().window.titles_action.isChecked()  # remembered


def test_a_chat_still_named_after_its_question_gets_a_title_after_a_later_reply(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    conversations = hearth.window.conversations
    # The next question goes in before the model names the chat: the title gives way to the user's turn ...
    type_and_enter(qtbot, hearth, "What is the capital of France?")
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    assert hearth.chat.titling
    type_and_enter(qtbot, hearth, "And of Italy?")
    assert not hearth.chat.titler.busy and conversations.titles()[0] == "What is the capital of France?"
    # ... and is asked for again after that turn's reply, from the whole conversation.
    qtbot.waitUntil(lambda: not hearth.chat.busy and not hearth.chat.titling, timeout=60_000)
    title = conversations.titles()[0]
    assert title != "What is the capital of France?" and title == hearth.store.conversation(
        hearth.chat.conversation.id).title
    ask(qtbot, hearth, "And of Spain?")
    assert conversations.titles()[0] == title  # named once: later turns leave it alone

    # A first reply the user stopped is named from what it had written.
    hearth.chat.new_conversation()
    type_and_enter(qtbot, hearth, "Write a long story about a dragon who learns to cook.")
    qtbot.waitUntil(lambda: len(last_reply(hearth).text) > 80, timeout=30_000)
    qtbot.keyClick(hearth.window.input, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not hearth.chat.busy and not hearth.chat.titling, timeout=60_000)
    assert last_reply(hearth).status_text.startswith("Stopped")
    assert conversations.titles()[0] != "Write a long story about a dragon who learns to cook."


def test_search_jumps_to_the_message_in_its_branch(qtbot, make_hearth):
    hearth = make_hearth()
    hearth.settings.max_tokens = 40  # short replies: a busy machine writes them in seconds, not minutes
    wait_ready(qtbot, hearth)
    ask(qtbot, hearth, "Tell me about the platypus.")
    target = hearth.chat.conversation.id
    asked_first = widgets(hearth)[0]
    for _ in range(3):  # enough messages after it that it is off screen
        ask(qtbot, hearth, "Tell me another fact about the ocean.")
    qtbot.waitUntil(lambda: asked_first.visibleRegion().isEmpty(), timeout=5_000)
    hearth.chat.new_conversation()

    qtbot.keyClick(hearth.window, Qt.Key_K, Qt.ControlModifier)
    dialog = hearth.window._search
    qtbot.waitUntil(dialog.isVisible, timeout=2_000)
    qtbot.keyClicks(dialog.query, "platyp")  # the word is still being typed
    qtbot.waitUntil(lambda: dialog.hits() != [], timeout=2_000)
    title = hearth.store.conversation(target).title
    asked = [hit.startswith(f"{title} · You") and "platypus" in hit for hit in dialog.hits()]
    assert asked.count(True) == 1 and dialog.results.currentRow() == 0
    for _ in range(asked.index(True)):
        qtbot.keyClick(dialog.results, Qt.Key_Down)
    dialog.query.setFocus()
    qtbot.keyClick(dialog.query, Qt.Key_Return)
    assert not dialog.isVisible()
    assert hearth.chat.conversation.id == target
    found = hearth.window.view.found
    assert found is not None and found.text == "Tell me about the platypus."
    assert found.property("found") is True
    qtbot.waitUntil(lambda: not found.visibleRegion().isEmpty(), timeout=2_000)


def test_export_then_import_gives_the_same_conversation(qtbot, make_hearth, tmp_path):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    ask(qtbot, hearth, "What is the capital of France?")
    qtbot.mouseClick(last_reply(hearth).regenerate_button, Qt.LeftButton)  # a second branch to carry over
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    hearth.chat.set_conversation_settings({"top_k": 12})
    original = hearth.chat.conversation
    assert hearth.chat.export_conversation(str(tmp_path / "chat.json"))
    assert hearth.chat.export_conversation(str(tmp_path / "chat.md"))
    markdown = (tmp_path / "chat.md").read_text()
    assert markdown.startswith(f"# {original.title}\n") and "## You" in markdown

    assert hearth.chat.import_conversation(str(tmp_path / "chat.json"))
    copy = hearth.chat.conversation
    assert copy.id != original.id and copy.title == original.title and copy.options == {"top_k": 12}

    def shape(conversation_id):
        return [(m.role, m.content, m.status, m.n_tokens, m.finish, m.options)
                for m in hearth.store.all_messages(conversation_id)]

    assert shape(copy.id) == shape(original.id)
    assert [m.content for m in hearth.store.messages(copy.id)] == \
        [m.content for m in hearth.store.messages(original.id)]
    assert widgets(hearth)[1].version_text == "2/2"

    # The OpenAI messages format imports too; a broken file says why and changes nothing.
    openai = tmp_path / "openai.json"
    openai.write_text(json.dumps({"messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello!"}]}]}))
    assert hearth.chat.import_conversation(str(openai))
    assert hearth.chat.conversation.system_prompt == "Be brief."
    assert [w.text for w in widgets(hearth)] == ["Hi", "Hello!"]
    count = len(hearth.store.conversations())
    broken = tmp_path / "broken.json"
    broken.write_text('[{"role": "wizard", "content": "x"}]')
    assert not hearth.chat.import_conversation(str(broken))
    assert "wizard" in hearth.window.notice.text and len(hearth.store.conversations()) == count
    # A place that cannot be written says so, and leaves nothing behind.
    assert not hearth.chat.export_conversation(str(tmp_path / "missing" / "chat.md"))
    assert hearth.window.notice.text.startswith("Hearth could not write chat.md")
    assert not (tmp_path / "missing").exists()


def test_a_reply_with_a_table_and_python_renders_with_highlighting_and_copy(qtbot, make_hearth, tmp_path):
    reply = ("Here you are:\n\n| Language | Typing |\n|---|---|\n| Python | dynamic |\n| Rust | static |\n\n"
             "```python\ndef greet(name):\n    return f\"Hello, {name}\"\n```\n\nSee [the docs](https://docs.python.org).")
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"role": "user", "content": "Compare"}, {"role": "assistant", "content": reply}]))
    hearth = make_hearth()
    assert hearth.chat.import_conversation(str(chat))
    body = widgets(hearth)[1].body
    html = body.toHtml()
    document = body.document()
    frame_tables = [f for f in document.rootFrame().childFrames() if f.__class__.__name__ == "QTextTable"]
    assert len(frame_tables) == 1  # the Markdown table (a code block is paragraphs on a background)
    assert frame_tables[0].rows() == 3 and frame_tables[0].columns() == 2
    assert "Rust" in body.toPlainText() and "|" not in body.toPlainText()  # a table, not pipes
    assert "def greet" in body.toPlainText() and "```" not in body.toPlainText()
    assert 'font-weight' in html and html.count("color:#") >= 3  # keywords and strings are coloured
    assert body.code_blocks == ['def greet(name):\n    return f"Hello, {name}"\n']
    body.anchorClicked.emit(QUrl("copy:0"))  # the block's Copy link
    assert QGuiApplication.clipboard().text() == body.code_blocks[0]


def test_streaming_renders_markdown_as_it_grows_and_shows_stats(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    type_and_enter(qtbot, hearth, "List three fruits as a Markdown bullet list.")
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    reply = last_reply(hearth)
    message = hearth.store.messages(hearth.chat.conversation.id)[-1]
    assert message.status == states.DONE and message.first_token_seconds > 0
    assert f"first words in {message.first_token_seconds:.2f} s" in reply.status_text
    assert "tok/s" in reply.status_text and "SmolLM2" in reply.status_text
    gauge = hearth.window.context_gauge
    assert gauge.value() > 0 and gauge.format().startswith("Context ") and gauge.maximum() == hearth.chat.n_ctx


def test_a_conversation_longer_than_a_small_context_drops_its_oldest_turns_and_says_so(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    hearth.models.set_options(hearth.models.path, replace(hearth.models.options, n_ctx=512))  # a small window
    qtbot.waitUntil(lambda: hearth.models.state == "ready" and hearth.chat.n_ctx == 512, timeout=30_000)
    hearth.chat.set_conversation_settings({"max_tokens": 48})
    filler = "Here is some background you can ignore: " + "the weather was mild and the river was calm. " * 8
    for turn in range(6):
        ask(qtbot, hearth, f"{filler} Question {turn}: name a fruit.")
        if "no longer fit" in hearth.window.notice.text:
            break
    assert "no longer fit in the model's context window (512 tokens)" in hearth.window.notice.text
    reply = hearth.store.messages(hearth.chat.conversation.id)[-1]
    assert reply.status == states.DONE and reply.content.strip()  # a reply, not an error
    gauge = hearth.window.context_gauge
    assert gauge.maximum() == 512 and gauge.value() <= 512
    assert "When it is full: drop the oldest turns" in gauge.toolTip()
    assert len(hearth.store.messages(hearth.chat.conversation.id)) >= 6  # nothing was deleted from disk

    # The user chooses to be stopped instead: nothing is sent, the reply says why and what to do.
    qtbot.keyClick(hearth.window, Qt.Key_Comma, Qt.ControlModifier)
    dialog = hearth.window.settings_dialog
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=2_000)
    assert dialog.overflow.currentText() == "Drop the oldest turns"
    dialog.overflow.setCurrentIndex(dialog.overflow.findText("Stop and tell me"))
    dialog.accept()
    assert hearth.store.conversation(hearth.chat.conversation.id).options["overflow"] == "stop"
    kept = [m.content for m in hearth.store.messages(hearth.chat.conversation.id)]
    reply = ask(qtbot, hearth, f"{filler} One more: name a vegetable.")
    assert "outgrown the model's context window" in reply.status_text and "Nothing was sent" in reply.status_text
    assert "outgrown the model's context window" in hearth.window.notice.text
    assert hearth.store.messages(hearth.chat.conversation.id)[-1].status == states.ERROR
    assert [m.content for m in hearth.store.messages(hearth.chat.conversation.id)][:len(kept)] == kept
    assert "When it is full: stop and tell me" in gauge.toolTip()


def test_conversation_settings_dialog_keeps_choices_per_conversation(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    qtbot.keyClick(hearth.window, Qt.Key_Comma, Qt.ControlModifier)
    dialog = hearth.window.settings_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=2_000)
    spin, custom = dialog.fields["top_k"]
    assert not spin.isEnabled() and spin.value() == 40 and "Hearth" in custom.toolTip()
    custom.setChecked(True)
    spin.setValue(12)
    dialog.preset_box.setCurrentIndex(dialog.preset_box.findText("Concise"))
    dialog.preset_box.activated.emit(dialog.preset_box.currentIndex())
    assert dialog.system_prompt.toPlainText().startswith("You are a helpful assistant. Answer in as few")
    dialog.accept()
    conversation = hearth.store.conversation(hearth.chat.conversation.id)
    assert conversation.options == {"top_k": 12}
    assert conversation.system_prompt.startswith("You are a helpful assistant. Answer in as few")
    assert hearth.window.system_prompt.toPlainText() == conversation.system_prompt
    reply = ask(qtbot, hearth, "Hi")
    assert "Top-k 12," in reply.footer.toolTip() and "Seed random" in reply.footer.toolTip()
    assert reply.footer.toolTip().endswith("when the context is full: drop the oldest turns")

    hearth.chat.new_conversation()  # a new conversation starts from the defaults
    assert hearth.chat.settings_of_conversation()["top_k"] == 40


def test_the_context_gauge_counts_a_conversation_when_it_opens(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    ask(qtbot, hearth, "Tell me about the moon in three sentences.")
    gauge = hearth.window.context_gauge
    long_one = hearth.chat.conversation.id
    used = gauge.value()
    hearth.chat.new_conversation()  # only the system prompt: a few tokens
    qtbot.waitUntil(lambda: 0 < gauge.value() < used, timeout=5_000)
    short = gauge.value()
    hearth.chat.open_conversation(long_one)  # counted again by the engine, with the model's template
    qtbot.waitUntil(lambda: gauge.value() > short, timeout=5_000)
    assert gauge.format() == f"Context {gauge.value():,} / {hearth.chat.n_ctx:,}"


def test_a_code_line_longer_than_the_reading_width_wraps_instead_of_being_cut_off(qtbot):
    from app.core.store import Message
    from app.gui.chat.chat_view import ChatView

    view = ChatView()
    qtbot.addWidget(view)
    view.resize(1600, 800)
    view.show()
    line = "total = " + " + ".join(f"value_{i}" for i in range(40))
    view.show_messages([Message(1, 1, "assistant", f"Here it is:\n\n```python\n{line}\n    return  total\n```\n",
                                states.DONE)])
    body = view.message_widgets()[0].body
    qtbot.waitUntil(lambda: body.isVisible() and body.width() > 100, timeout=5_000)
    assert body.document().size().width() <= body.viewport().width()  # nothing runs past the edge
    assert line in body.toPlainText() and "    return  total" in body.toPlainText()  # wrapped, not changed
    assert body.height() >= 3 * body.fontMetrics().lineSpacing()  # the long line takes several
