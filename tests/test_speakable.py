"""Speakable text: a streamed reply's Markdown becomes sentences to say, as the stream grows."""
from __future__ import annotations

import pytest

from app.core.speakable import Speakable, code_announcement, plain_text, split_sentences


def stream(reply: str, step: int = 1) -> list[tuple[int, str]]:
    """Feed ``reply`` as a stream cut every ``step`` characters (mid-word, mid-fence); (length fed, sentence)."""
    speakable, said = Speakable(), []
    for end in range(step, len(reply) + step, step):
        said += [(min(end, len(reply)), s) for s in speakable.feed(reply[:end])]
    said += [(len(reply), s) for s in speakable.finish()]
    return said


def sentences(reply: str, step: int = 1) -> list[str]:
    return [sentence for _at, sentence in stream(reply, step)]


REPLY = """# Getting started

Python is **great**. It reads like `English`, see [the docs](https://python.org)! Here is how:

```python
print("Hello. World")
x = 1 ** 2
```

1. Install it.
2. Run *it* now

| Name | Age |
|------|-----|
| Ann | 3 |
| Bob | 4 |

The area is $\\pi r^2$. Done
$$
E = mc^2
$$
> A quote. Ends here
"""


@pytest.mark.parametrize("step", [1, 2, 3, 7, 40, len(REPLY)])
def test_a_streamed_reply_reads_as_plain_sentences_however_it_is_cut(step):
    assert sentences(REPLY, step) == [
        "Getting started.",
        "Python is great.",
        "It reads like English, see the docs!",
        "Here is how:",
        "There is a Python code block here; it is shown on screen.",
        "Install it.",
        "Run it now.",
        "There is a table here with the columns Name and Age, and 2 rows; it is shown on screen.",
        "The area is pi r squared.",
        "Done.",
        "There is a formula here; it is shown on screen.",
        "A quote.",
        "Ends here.",
    ]


def test_nothing_markdown_is_ever_said():
    for sentence in sentences(REPLY):
        assert not set(sentence) & set("*#`|$\\[]"), sentence
        assert "print" not in sentence and "http" not in sentence


def test_the_first_sentence_comes_while_its_paragraph_is_still_streaming():
    reply = "The capital of France is Paris. It is known for the Eiffel Tower and"
    said = stream(reply)
    first_at, first = said[0]
    assert first == "The capital of France is Paris."
    assert first_at == len("The capital of France is Paris. ")  # at the space after the full stop
    assert said[1:] == [(len(reply), "It is known for the Eiffel Tower and.")]  # the rest at the end


def test_a_code_fence_cut_mid_stream_is_never_spelled_out():
    reply = "Try this:\n``"
    speakable = Speakable()
    assert speakable.feed(reply) == []  # "Try this:" waits for its line; the ticks may be a fence
    assert speakable.feed(reply + "`bash\nrm -rf build. Then go\n") == [
        "Try this:", "There is a shell code block here; it is shown on screen."]
    assert speakable.feed(reply + "`bash\nrm -rf build. Then go\n```\nDone. Next") == ["Done."]
    assert speakable.finish() == ["Next."]


def test_an_unclosed_code_block_at_the_end_is_announced_once():
    assert sentences("Here:\n```\nwhile True:\n    pass. Yes. No.\n") == [
        "Here:", "There is a code block here; it is shown on screen."]


def test_abbreviations_and_numbers_do_not_end_sentences():
    said, rest = split_sentences("Use e.g. pip, version 3.11 works. Dr. Smith agrees. Then")
    assert said == ["Use e.g. pip, version 3.11 works.", "Dr. Smith agrees."] and rest == "Then"


def test_inline_markup_reads_as_its_words():
    assert plain_text("**Bold**, *it*, ~~gone~~, `code`, [link text](http://x.org), ![a cat](cat.png)") == \
        "Bold, it, gone, code, link text, image: a cat"
    assert plain_text("Visit https://example.org today") == "Visit a link today"
    assert plain_text("**half bold, cut mid") == "half bold, cut mid"  # markers the stream cut say nothing
    assert plain_text("$\\frac{a}{b} + x^3 = 1$") == "a over b plus x cubed equals 1"


def test_lists_and_headings_each_read_as_a_sentence():
    assert sentences("## Steps\n- open the box\n- take it out!\n* [x] done\n\nAfter that, rest") == [
        "Steps.", "open the box.", "take it out!", "done.", "After that, rest."]


def test_an_empty_table_and_a_one_row_table_are_summarised():
    assert sentences("| A |\n|---|\n| 1 |\n\nEnd.") == [
        "There is a table here with the columns A, and 1 row; it is shown on screen.", "End."]


def test_a_different_text_starts_over():
    speakable = Speakable()
    assert speakable.feed("First reply. More") == ["First reply."]
    assert speakable.feed("Second one. Yes") == ["Second one."]


def test_code_announcements_name_the_language():
    assert code_announcement("js") == "There is a JavaScript code block here; it is shown on screen."
    assert code_announcement("") == "There is a code block here; it is shown on screen."
    assert code_announcement("elixir") == "There is an elixir code block here; it is shown on screen."


def test_a_long_first_sentence_is_spoken_from_its_first_pause():
    from app.core.speakable import lead_clause

    long = "Paris, the capital of France, is known for its museums, its food and the Eiffel Tower."
    assert lead_clause(long) == ["Paris, the capital of France,", "is known for its museums, its food and the Eiffel Tower."]
    assert lead_clause("The capital of France is Paris.") == ["The capital of France is Paris."]  # short: whole
    no_pause = "The capital of France is Paris and it has been the capital for a very long time."
    assert lead_clause(no_pause) == [no_pause]
    # a pause too near either end is no place to cut
    assert lead_clause("Yes, the capital of France is Paris and it has been so for centuries.") == \
        ["Yes, the capital of France is Paris and it has been so for centuries."]
