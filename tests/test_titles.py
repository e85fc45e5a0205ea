"""What the model says when asked for a title, and what Hearth keeps of it."""
from app.core import titles


def test_a_title_is_the_first_line_without_label_quotes_or_full_stop():
    assert titles.clean(" The Capital of France: Paris\n\nUser: more") == "The Capital of France: Paris"
    assert titles.clean('Title: "Autumn leaves."') == "Autumn leaves"
    assert titles.clean("**sorting lists in python**") == "Sorting lists in python"


def test_what_is_not_a_title_is_dropped():
    assert titles.clean("") is None
    assert titles.clean("  \n ...") is None
    assert titles.clean(" Hello! I'm here to help with math and science-related tasks. What can I assist you with?") \
        is None  # a whole answer, not a title
    assert titles.clean("I'm sorry, I can't do that") is None
    assert titles.clean("Say hello.", user_text="Say hello.") is None  # the question back: nothing gained


def test_the_request_is_the_conversation_then_the_question_with_the_reply_started():
    history = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Why is the sky blue?"},
               {"role": "assistant", "content": "Rayleigh scattering."}]
    messages = titles.request_messages(history)
    assert messages[:3] == history  # the same prefix as the chat: the engine's KV cache serves both
    assert [m["role"] for m in messages[3:]] == ["user", "assistant"]
    assert messages[-1]["content"] == titles.PREFILL and titles.PARAMS["continue"] is True
