"""The turns of a spoken conversation: who has the floor, and what happens when that changes.

Hearth listens; when the user stops speaking, what they said is sent; while the reply is written it
thinks, then speaks the reply as it streams; when it has finished speaking it listens again. Speaking
while Hearth speaks interrupts it (barge-in): its voice and its reply stop, and it listens. Esc, or any
failure (no microphone, no output device, the model failed), ends the conversation with a message.

This is the rule alone, without Qt and without the parts it drives: each event returns the actions the
caller must take, in order (``TalkController`` takes them with the real microphone, chat and speaker).
The microphone stays open for the whole conversation: barge-in has to hear the user while Hearth speaks.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class State(str, Enum):
    OFF = "off"
    LISTENING = "listening"  # the user has the floor
    THINKING = "thinking"  # the message is sent; no word of the reply is out yet
    SPEAKING = "speaking"  # the reply is being spoken (or, with no voice, written)


# What the caller does, in the order the actions come.
LISTEN = "listen"  # open the microphone, for the whole conversation
STOP_LISTENING = "stop_listening"
SEND = "send"  # send ``text`` as the user's message; then call ``replying`` (or ``failed``)
SPEAK = "speak"  # start reading reply ``message_id`` aloud as it streams
END_SPEECH = "end_speech"  # reply ``message_id`` is complete: the speaker reads the rest, then finishes
STOP_VOICE = "stop_voice"  # silence the speaker now
STOP_REPLY = "stop_reply"  # stop the reply being written (it stays in the chat, marked stopped)
TELL = "tell"  # show ``text`` to the user


@dataclass(frozen=True)
class Action:
    kind: str
    text: str = ""
    message_id: int = 0


def worth_sending(text: str) -> bool:
    """Speech that became words; a recogniser's lone "." for a breath or a cough is not."""
    return any(c.isalnum() for c in text)


class TalkTurns:
    def __init__(self, speaks: bool) -> None:
        self.speaks = speaks  # a speaker reads replies aloud; without one, replies are only shown
        self.state = State.OFF
        self.reply_id = 0  # the reply of this turn, 0 before the chat took the message
        self.reply_done = False  # the reply has been written to its end
        self.turns = 0  # messages sent in this conversation

    @property
    def active(self) -> bool:
        return self.state != State.OFF

    # -- the user ---------------------------------------------------------------------------
    def start(self) -> list[Action]:
        if self.active:
            return []
        self.state = State.LISTENING
        self.reply_id, self.reply_done, self.turns = 0, False, 0
        return [Action(LISTEN)]

    def end(self) -> list[Action]:
        """Esc, the Talk button again, Voice ▸ Talk again: the conversation ends where it is."""
        return self._off()

    def heard(self, text: str) -> list[Action]:
        """The user stopped speaking and this is what they said."""
        if not self.active or not worth_sending(text):
            return []  # silence or noise: go on listening (or stay off)
        actions = self._interrupt() if self.state != State.LISTENING else []
        self.state = State.THINKING
        self.reply_id, self.reply_done = 0, False
        self.turns += 1
        return [*actions, Action(SEND, text=text.strip())]

    def speech_began(self) -> list[Action]:
        """The microphone hears the user start to speak. While Hearth speaks, that is barge-in."""
        if self.state != State.SPEAKING:
            return []  # listening, it is what is expected; thinking, the reply stops only for words (``heard``)
        actions = self._interrupt()
        self.state = State.LISTENING
        return actions

    # -- the chat ---------------------------------------------------------------------------
    def replying(self, message_id: int) -> list[Action]:
        """The chat took the message: ``message_id`` is the reply being written."""
        if self.state != State.THINKING or self.reply_id:
            return []
        self.reply_id = message_id
        return [Action(SPEAK, message_id=message_id)] if self.speaks else []

    def reply_streaming(self, message_id: int) -> list[Action]:
        """The reply's first words arrived. With no voice, that is Hearth's turn to "speak"."""
        if self.state == State.THINKING and message_id == self.reply_id and not self.speaks:
            self.state = State.SPEAKING
        return []

    def reply_ended(self, message_id: int, error: str = "") -> list[Action]:
        """The reply was written to its end, or failed with ``error``."""
        if not self.active or message_id != self.reply_id or self.reply_done:
            return []
        self.reply_done = True
        if error:
            return self._off(error)
        if not self.speaks:
            if self.state in (State.THINKING, State.SPEAKING):
                self.state = State.LISTENING
            return []
        return [Action(END_SPEECH, message_id=message_id)]

    def failed(self, message: str = "") -> list[Action]:
        """Something the conversation needs failed (the microphone, the output device, the model,
        sending): it ends, and the user reads ``message`` (empty: whoever failed already said why)."""
        return self._off(message)

    # -- the speaker ------------------------------------------------------------------------
    def voice_started(self) -> list[Action]:
        """The first sound of the reply reached the speakers."""
        if self.state == State.THINKING and self.speaks and self.reply_id:
            self.state = State.SPEAKING
        return []

    def voice_finished(self, message_id: int) -> list[Action]:
        """The speaker read the whole reply: the user's turn again."""
        if self.active and message_id == self.reply_id and self.reply_done \
                and self.state in (State.THINKING, State.SPEAKING):
            self.state = State.LISTENING
        return []

    # -- inside -----------------------------------------------------------------------------
    def _interrupt(self) -> list[Action]:
        """Hearth stops talking: its voice and the reply it is still writing."""
        actions = []
        if self.speaks and self.reply_id:
            actions.append(Action(STOP_VOICE))
        if self.reply_id and not self.reply_done:
            actions.append(Action(STOP_REPLY))
            self.reply_done = True
        return actions

    def _off(self, message: str = "") -> list[Action]:
        if not self.active:
            return [Action(TELL, text=message)] if message else []
        actions = [Action(STOP_LISTENING), *self._interrupt()]
        self.state = State.OFF
        if message:
            actions.append(Action(TELL, text=message))
        return actions
