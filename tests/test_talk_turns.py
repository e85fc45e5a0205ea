"""The voice conversation's turn rule (app/core/talk_turns.py), event by event, and the dictation joining rule."""
from __future__ import annotations

import pytest

from app.core.dictation_join import DictationJoin
from app.core.talk_turns import (
    END_SPEECH,
    LISTEN,
    SEND,
    SPEAK,
    STOP_LISTENING,
    STOP_REPLY,
    STOP_VOICE,
    TELL,
    Action,
    State,
    TalkTurns,
)


def kinds(actions: list[Action]) -> list[str]:
    return [action.kind for action in actions]


def replying(turns: TalkTurns, said: str = "Hello there.", reply: int = 7) -> list[Action]:
    """From listening to the chat writing reply ``reply`` for what was said."""
    actions = turns.heard(said)
    assert actions[-1] == Action(SEND, text=said.strip())
    assert turns.state == State.THINKING
    return actions + turns.replying(reply)


@pytest.fixture(params=[True, False], ids=["with-voice", "no-voice"])
def turns(request) -> TalkTurns:
    turns = TalkTurns(speaks=request.param)
    assert kinds(turns.start()) == [LISTEN]
    assert turns.state == State.LISTENING and turns.active
    return turns


def test_off_until_started_and_nothing_happens_while_off():
    turns = TalkTurns(speaks=True)
    assert turns.state == State.OFF and not turns.active
    for event in (lambda: turns.heard("Hello."), turns.speech_began, lambda: turns.replying(3),
                  lambda: turns.reply_streaming(3), lambda: turns.reply_ended(3), turns.voice_started,
                  lambda: turns.voice_finished(3), turns.end):
        assert event() == []
        assert turns.state == State.OFF


def test_starting_twice_listens_once(turns):
    assert turns.start() == []
    assert turns.state == State.LISTENING


@pytest.mark.parametrize("noise", ["", "   ", ".", " … ", "?!"])
def test_silence_and_noise_keep_listening(turns, noise):
    assert turns.heard(noise) == []
    assert turns.state == State.LISTENING and turns.turns == 0


def test_a_turn_with_a_voice_goes_round():
    turns = TalkTurns(speaks=True)
    turns.start()
    assert replying(turns, "  What is the capital of France?  ") == [
        Action(SEND, text="What is the capital of France?"), Action(SPEAK, message_id=7)]
    assert turns.reply_streaming(7) == [] and turns.state == State.THINKING  # words, but no sound yet
    assert turns.voice_started() == [] and turns.state == State.SPEAKING
    assert turns.reply_ended(7) == [Action(END_SPEECH, message_id=7)]
    assert turns.state == State.SPEAKING  # the speaker still reads the rest
    assert turns.voice_finished(7) == [] and turns.state == State.LISTENING
    assert turns.turns == 1
    # and round again, with a new reply
    replying(turns, "And of Spain?", reply=9)
    turns.voice_started()
    turns.reply_ended(9)
    turns.voice_finished(9)
    assert turns.state == State.LISTENING and turns.turns == 2


def test_a_turn_without_a_voice_shows_the_reply_and_listens_again():
    turns = TalkTurns(speaks=False)
    turns.start()
    assert replying(turns) == [Action(SEND, text="Hello there.")]  # nothing to speak with
    assert turns.state == State.THINKING
    turns.reply_streaming(7)
    assert turns.state == State.SPEAKING
    assert turns.reply_ended(7) == [] and turns.state == State.LISTENING


def test_the_voice_finishing_before_the_reply_ends_does_not_end_the_turn():
    turns = TalkTurns(speaks=True)
    turns.start()
    replying(turns)
    turns.voice_started()
    turns.voice_finished(7)  # caught up with the stream: the reply is still being written
    assert turns.state == State.SPEAKING
    turns.reply_ended(7)
    turns.voice_finished(7)
    assert turns.state == State.LISTENING


def test_events_of_another_reply_are_ignored():
    turns = TalkTurns(speaks=True)
    turns.start()
    replying(turns, reply=7)
    assert turns.reply_ended(6) == [] and turns.voice_finished(6) == []
    assert turns.state == State.THINKING
    assert turns.replying(8) == []  # the turn's reply is known already


def test_barge_in_while_speaking_stops_the_voice_and_the_reply_and_listens():
    turns = TalkTurns(speaks=True)
    turns.start()
    replying(turns)
    turns.voice_started()
    assert kinds(turns.speech_began()) == [STOP_VOICE, STOP_REPLY]
    assert turns.state == State.LISTENING
    assert turns.reply_ended(7) == []  # the stopped reply ending is no news
    assert turns.voice_finished(7) == [] and turns.state == State.LISTENING
    # what the user said in the barge-in is the next turn
    assert replying(turns, "Stop, tell me about Spain.", reply=9)[-1] == Action(SPEAK, message_id=9)


def test_barge_in_after_the_reply_was_written_only_stops_the_voice():
    turns = TalkTurns(speaks=True)
    turns.start()
    replying(turns)
    turns.voice_started()
    turns.reply_ended(7)
    assert kinds(turns.speech_began()) == [STOP_VOICE]
    assert turns.state == State.LISTENING


def test_speech_onset_while_listening_or_thinking_is_no_barge_in(turns):
    assert turns.speech_began() == [] and turns.state == State.LISTENING
    replying(turns)
    assert turns.speech_began() == [] and turns.state == State.THINKING


def test_words_while_thinking_replace_the_reply_being_written(turns):
    replying(turns, "What is two and two?", reply=7)
    actions = turns.heard("No wait, what is three and three?")
    assert kinds(actions)[-2:] == [STOP_REPLY, SEND]
    assert actions[-1].text == "No wait, what is three and three?"
    assert turns.state == State.THINKING and turns.reply_id == 0 and turns.turns == 2
    assert turns.reply_ended(7) == []  # the stopped reply
    turns.replying(9)
    assert turns.reply_id == 9


def test_without_a_voice_barge_in_stops_the_reply_being_written():
    turns = TalkTurns(speaks=False)
    turns.start()
    replying(turns)
    turns.reply_streaming(7)
    assert kinds(turns.speech_began()) == [STOP_REPLY]
    assert turns.state == State.LISTENING


@pytest.mark.parametrize("where", ["listening", "thinking", "speaking", "finishing"])
def test_end_stops_everything_that_runs(where):
    turns = TalkTurns(speaks=True)
    turns.start()
    expected = [STOP_LISTENING]
    if where != "listening":
        replying(turns)
        expected = [STOP_LISTENING, STOP_VOICE, STOP_REPLY]
    if where in ("speaking", "finishing"):
        turns.voice_started()
    if where == "finishing":
        turns.reply_ended(7)
        expected = [STOP_LISTENING, STOP_VOICE]
    assert kinds(turns.end()) == expected
    assert turns.state == State.OFF and not turns.active
    assert turns.end() == []
    assert turns.voice_finished(7) == [] and turns.heard("Hello.") == []


@pytest.mark.parametrize("speaks", [True, False])
def test_a_failed_reply_ends_the_conversation_with_its_message(speaks):
    turns = TalkTurns(speaks=speaks)
    turns.start()
    replying(turns)
    actions = turns.reply_ended(7, error="The model failed to load.")
    assert kinds(actions) == [STOP_LISTENING, *([STOP_VOICE] if speaks else []), TELL]
    assert actions[-1].text == "The model failed to load."
    assert turns.state == State.OFF


@pytest.mark.parametrize("message", ["No microphone was found.", "No output device was found.", ""])
def test_failures_end_the_conversation_and_say_why(turns, message):
    actions = turns.failed(message)
    assert kinds(actions) == [STOP_LISTENING] + ([TELL] if message else [])
    assert turns.state == State.OFF
    # a second report of the same failure is told too, but stops nothing more
    assert kinds(turns.failed(message)) == ([TELL] if message else [])


def test_a_failure_while_speaking_stops_the_voice():
    turns = TalkTurns(speaks=True)
    turns.start()
    replying(turns)
    turns.voice_started()
    assert kinds(turns.failed("The output device went away.")) == [STOP_LISTENING, STOP_VOICE, STOP_REPLY, TELL]


def test_a_new_start_after_the_end_is_a_fresh_conversation():
    turns = TalkTurns(speaks=True)
    turns.start()
    replying(turns)
    turns.end()
    assert kinds(turns.start()) == [LISTEN]
    assert turns.reply_id == 0 and turns.turns == 0 and turns.state == State.LISTENING


@pytest.mark.parametrize("before, finals, partial, shown", [
    ("", [], "", ""),
    ("", ["Hello there."], "", "Hello there."),
    ("Note:", ["Open the window."], "", "Note: Open the window."),
    ("Note: ", ["Open the window."], "", "Note: Open the window."),
    ("Line one\n", ["two"], "", "Line one\ntwo"),
    ("Note:", ["One.", "  Two.  "], "and thr", "Note: One. Two. and thr"),
    ("Note:", [], "", "Note:"),  # nothing heard: no trailing space
    ("Note:", ["", "  "], "", "Note:"),
])
def test_dictation_joins_what_was_typed_and_what_was_heard(before, finals, partial, shown):
    join = DictationJoin()
    join.begin(before)
    for text in finals:
        join.add_final(text)
    assert join.joined(partial) == shown
    assert join.anything_heard == any(text.strip() for text in finals)
