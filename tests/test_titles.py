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


def test_the_request_starts_the_reply_and_keeps_the_exchange_short():
    messages = titles.request_messages("Why is the sky blue? " * 200, "Because of Rayleigh scattering.")
    assert [m["role"] for m in messages] == ["system", "user", "assistant"]
    assert messages[-1]["content"] == titles.PREFILL and titles.PARAMS["continue"] is True
    assert len(messages[1]["content"]) < 2 * titles.EXCERPT_CHARS + 200
    assert "Rayleigh" in messages[1]["content"]
