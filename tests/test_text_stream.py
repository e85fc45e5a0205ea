"""Streaming text: characters split across tokens, stop strings split across tokens."""
from app.core.load_options import LoadOptions
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


def test_real_token_boundaries_split_characters_and_the_stream_rejoins_them(smollm_path):
    """The real SmolLM2 tokenizer splits an emoji and CJK across tokens; the text comes out whole."""
    from app.engine.llm import LlmSession

    text = "Crème brûlée 😀🍞 naïve 日本語 done"
    session = LlmSession()
    session.load(str(smollm_path), LoadOptions(n_ctx=256), threads=2)
    try:
        llm = session._llm
        tokens = llm.tokenize(text.encode(), add_bos=False, special=False)
        pieces = [llm.detokenize([token]) for token in tokens]
        split = [p for p in pieces if _incomplete_utf8(p)]
        assert split, "expected at least one token that holds part of a character"
        stream = TextStream(["<|im_end|>"])
        shown = [stream.feed(p) for p in pieces] + [stream.finish()]
        assert "".join(shown) == text
        assert not any("\ufffd" in s for s in shown)
    finally:
        session.unload()


def _incomplete_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
