"""What a conversation that outgrows the context window leaves out, by policy, with the real tokenizer."""
import pytest

from app.core import overflow
from app.core.errors import EngineError
from app.core.load_options import LoadOptions

FIRST = [{"role": "user", "content": "Here is my recipe: flour, water, salt. Keep it in mind."},
         {"role": "assistant", "content": "Noted: flour, water and salt."}]


def history(turns: int) -> list[dict]:
    middle = []
    for turn in range(turns):
        middle += [{"role": "user", "content": f"Middle question {turn}: " + "tell me about rivers. " * 12},
                   {"role": "assistant", "content": f"Middle answer {turn}: " + "rivers run to the sea. " * 12}]
    return [*FIRST, *middle, {"role": "user", "content": "So what goes in my bread?"}]


def test_each_policy_leaves_out_its_own_turns_and_always_starts_with_the_user():
    turns = history(3)  # 9 turns: the first exchange, 3 middle exchanges, the last question
    assert overflow.kept(turns, 3, overflow.DROP_OLDEST) == turns[4:]  # a reply whose question went goes too
    assert overflow.kept(turns, 2, overflow.KEEP_FIRST) == turns[:2] + turns[4:]
    assert overflow.kept(turns, 3, overflow.KEEP_FIRST) == turns[:2] + turns[6:]
    assert overflow.droppable(turns, overflow.DROP_OLDEST) == 8
    assert overflow.droppable(turns, overflow.KEEP_FIRST) == 6
    assert overflow.kept(turns, overflow.droppable(turns, overflow.KEEP_FIRST), overflow.KEEP_FIRST) == \
        turns[:2] + turns[-1:]
    continuing = [*turns[:-1], {"role": "assistant", "content": "A reply being continued"}]
    assert overflow.kept(continuing, 8, overflow.DROP_OLDEST) == continuing[-1:]  # the reply written on stays
    assert overflow.clean("keep_first") == overflow.KEEP_FIRST and overflow.clean("rm -rf") is None


@pytest.fixture(scope="module")
def session(smollm_path):
    from app.engine.llm import LlmSession

    session = LlmSession()
    session.load(str(smollm_path), LoadOptions(n_ctx=512), threads=2)
    yield session
    session.unload()


def text_of(session, tokens) -> str:
    return session._llm.detokenize(tokens).decode("utf-8", "replace")


def test_keep_the_first_exchange_sends_the_first_and_newest_turns_within_the_window(session):
    messages = [{"role": "system", "content": "You are a baker."}, *history(8)]
    budget = 400
    prompt, tokens, dropped, policy = session._fit_to_context(messages, budget, policy=overflow.KEEP_FIRST)
    sent = text_of(session, tokens)
    assert len(tokens) <= budget and policy == overflow.KEEP_FIRST and dropped >= 2
    assert "You are a baker." in sent and "flour, water, salt" in sent and "Noted: flour" in sent
    assert "Middle question 0:" not in sent and "So what goes in my bread?" in sent
    assert "Middle answer 7:" in sent  # as many of the newest turns as fit

    prompt, tokens, dropped, policy = session._fit_to_context(messages, budget, policy=overflow.DROP_OLDEST)
    sent = text_of(session, tokens)
    assert "You are a baker." in sent and "flour, water, salt" not in sent and "So what goes in my bread?" in sent


def test_keep_the_first_exchange_gives_way_when_the_first_exchange_alone_is_too_long(session):
    huge_first = [{"role": "user", "content": "Remember this: " + "bread " * 400}, FIRST[1]]
    messages = [*huge_first, *history(1)[2:]]
    _prompt, tokens, _dropped, policy = session._fit_to_context(messages, 300, policy=overflow.KEEP_FIRST)
    assert policy == overflow.DROP_OLDEST and len(tokens) <= 300
    assert "So what goes in my bread?" in text_of(session, tokens)


def test_stop_refuses_with_what_to_do_and_a_conversation_that_fits_is_sent_whole(session):
    messages = [{"role": "system", "content": "You are a baker."}, *history(8)]
    with pytest.raises(EngineError) as raised:
        session._fit_to_context(messages, 400, policy=overflow.STOP)
    assert "outgrown the model's context window" in raised.value.message
    assert "Nothing was sent" in raised.value.message and "larger context length" in raised.value.message
    short = [{"role": "system", "content": "You are a baker."}, *history(0)]
    _prompt, tokens, dropped, _policy = session._fit_to_context(short, 400, policy=overflow.STOP)
    assert dropped == 0 and "flour, water, salt" in text_of(session, tokens)
