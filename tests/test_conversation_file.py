"""Conversation files, sampling layers and Markdown: the plain-Python parts of the chat."""
import json

import pytest

from app.core import conversation_file, markdown_html, sampling
from app.core.conversation_file import ConversationFileError
from app.core.store import Store


def test_hearth_json_round_trip_keeps_branches_and_the_branch_on_screen(tmp_path):
    store = Store(tmp_path / "c.sqlite3")
    chat = store.create_conversation(system_prompt="Be kind.", settings={"top_p": 0.5})
    question = store.add_message(chat.id, "user", "Hi")
    store.add_message(chat.id, "assistant", "Hello")
    second = store.add_message(chat.id, "assistant", "Hey", parent_id=question.id)
    store.show_branch(second.id)
    conversation = store.conversation(chat.id)
    text = conversation_file.to_json(conversation, store.all_messages(chat.id), store.messages(chat.id))
    data = conversation_file.parse(text)
    copy = store.import_conversation(data.title, data.system_prompt, data.settings, data.messages)
    assert [m.content for m in store.messages(copy.id)] == ["Hi", "Hey"]
    assert sorted(map(len, store.siblings(copy.id).values())) == [1, 2, 2]
    assert (copy.system_prompt, copy.options) == ("Be kind.", {"top_p": 0.5})


@pytest.mark.parametrize("text, words", [
    ("not json", "not JSON"),
    ("{}", "no conversation"),
    ('[{"role": "user"}]', "no text"),
    ('[{"role": "tool", "content": "x"}]', "tool"),
    ('{"format": "hearth.conversation", "version": 99, "messages": []}', "newer Hearth"),
    ('{"format": "hearth.conversation", "version": 1, "messages": [{"id": 2, "parent": 1, "role": "user", '
     '"content": "x"}]}', "not before it"),
])
def test_files_that_are_not_conversations_say_why(text, words):
    with pytest.raises(ConversationFileError) as caught:
        conversation_file.parse(text)
    assert words in caught.value.message


def test_openai_messages_become_one_branch():
    data = conversation_file.parse(json.dumps([
        {"role": "developer", "content": "Rules"}, {"role": "user", "content": "Q"},
        {"role": "assistant", "content": "A"}]))
    assert data.system_prompt == "Rules" and data.title == "Q"
    assert [(m["role"], m["parent"]) for m in data.messages] == [("user", None), ("assistant", 1)]


def test_sampling_layers_and_gguf_recommendations():
    recommended = sampling.from_metadata({"general.sampling.temp": 0.6, "general.sampling.top_k": 20,
                                          "general.sampling.top_p": True, "general.sampling.min_p": 5.0})
    assert recommended == {"temperature": 0.6, "top_k": 20, "min_p": 1.0}  # a bool is no number; clamped
    chosen = sampling.effective({"temperature": 0.7, "max_tokens": 512}, recommended, {"top_k": 5})
    assert chosen["temperature"] == 0.6 and chosen["top_k"] == 5 and chosen["max_tokens"] == 512
    assert chosen["seed"] is None and set(chosen) == set(sampling.KEYS)


def test_markdown_from_a_model_cannot_inject_html_or_local_links():
    rendered = markdown_html.render("<img src=x onerror=alert(1)> [open](file:///etc/passwd) "
                                    "![i](file:///etc/passwd) [web](https://example.org)")
    assert "<img" not in rendered.html and 'href="file:' not in rendered.html and 'src="' not in rendered.html
    assert '<a href="https://example.org">web</a>' in rendered.html


@pytest.mark.parametrize("stopped, code", [
    ("Run this:\n\n~~~~sh\nls -l\n```\nstill code", "ls -l\n```\nstill code\n"),  # only ~~~~ closes ~~~~
    ("1. First step:\n\n   ```bash\n   make", "make\n"),  # inside a list item: closed at its indent
    ("Fine:\n\n```\nx = 1\n```", "x = 1\n"),  # closed already: left alone
])
def test_markdown_export_closes_a_code_block_the_reply_stopped_in(tmp_path, stopped, code):
    from markdown_it import MarkdownIt

    store = Store(tmp_path / "c.sqlite3")
    chat = store.create_conversation(title="Code")
    store.add_message(chat.id, "user", "Show me")
    store.add_message(chat.id, "assistant", stopped, status="stopped")
    store.add_message(chat.id, "user", "Thanks")
    markdown = conversation_file.to_markdown(store.conversation(chat.id), store.messages(chat.id))
    tokens = MarkdownIt("commonmark").parse(markdown)
    assert [token.content for token in tokens if token.type == "fence"] == [code]
    headings = [tokens[index + 1].content for index, token in enumerate(tokens) if token.type == "heading_open"]
    assert headings == ["Code", "You", "Assistant", "You"]
    assert markdown.endswith("## You\n\nThanks\n")
    store.close()
