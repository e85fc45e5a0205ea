"""Streaming text: characters split across tokens, stop strings split across tokens."""
from app.core.text_stream import TextStream


def test_multibyte_characters_split_across_tokens():
    stream = TextStream()
    pieces = []
    for ch in "café 😀 naïve 日本":
        data = ch.encode()
        for i in range(len(data)):
            pieces.append(stream.feed(data[i:i + 1]))
    pieces.append(stream.finish())
    assert "".join(pieces) == "café 😀 naïve 日本"
    assert all("\ufffd" not in p for p in pieces)


def test_stop_string_across_tokens_is_never_shown():
    stream = TextStream(["<|im_end|>"])
    shown = [stream.feed(b) for b in (b"Paris", b".<|", b"im", b"_end", b"|> more")]
    assert "".join(shown) == "Paris."
    assert stream.stopped
    assert stream.finish() == ""


def test_held_prefix_is_released_when_it_does_not_complete():
    stream = TextStream(["\nUser:"])
    shown = [stream.feed(b"one\nUs"), stream.feed(b"ually two")]
    assert "".join(shown) + stream.finish() == "one\nUsually two"
    assert not stream.stopped


def test_stop_string_in_final_flush():
    stream = TextStream(["END"])
    assert stream.feed(b"abc EN") == "abc "
    assert stream.finish() == "EN"
