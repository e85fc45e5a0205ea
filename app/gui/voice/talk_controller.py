"""The voice conversation (Voice ▸ Talk): the turn rule of ``app.core.talk_turns`` driven by the real parts.

What it calls and listens to:
- the voice controller: ``listen("talk", continuous=True)`` once for the whole conversation and ``stop()``;
  ``final_text`` (an utterance ended on silence: the user's turn is over), ``partial_text`` and ``level``
  (the user is speaking: barge-in while Hearth speaks), ``listening_changed`` and ``error`` (the
  microphone went away: the conversation ends).
- the chat controller: ``send(text)`` (the turn is saved and answered like a typed one), ``stop()``;
  ``message_added`` (the reply's id, emitted inside ``send``), ``reply_grew(id, delta)`` and
  ``reply_ended(Message)``.
- the speaker, optional (None: replies are only shown): ``speak_stream(id)``, ``feed(id, text_so_far)``,
  ``end(id)``, ``stop()``; its signals ``sound_started(int)`` (the reply is heard: SPEAKING), ``finished(int)``, ``error_raised(str)``.

Barge-in hears the user by loudness, not words: the microphone's level (one figure per 0.1 s of audio)
above ``BARGE_IN_LEVEL`` for ``BARGE_IN_CHUNKS`` pieces in a row stops Hearth's voice, about 0.2-0.3 s
after the user starts. Partial text, which comes a second or more into speech, stops it too when the
level missed a quiet voice. No echo cancellation is done here: with loudspeakers rather than headphones,
Hearth can hear itself and stop (PulseAudio's module-echo-cancel, or headphones, prevent that).
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from app.core import store as states
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

log = logging.getLogger("hearth.talk")

TARGET = "talk"  # the voice controller's name for this conversation's stream
BARGE_IN_LEVEL = 0.1  # the meter's figure (4 × RMS): a voice at arm's length is 0.3 or more, a quiet room < 0.05
BARGE_IN_CHUNKS = 2  # pieces of 0.1 s in a row: a click or a cough is one
NO_MODEL = "Choose a model first: the voice conversation sends what you say to it."
LABELS = {State.LISTENING: "Listening… speak, then pause. Esc ends the conversation.",
          State.THINKING: "Thinking…",
          State.SPEAKING: "Speaking… speak to interrupt. Esc ends the conversation."}
SILENT_SPEAKING = "Replying… (replies are not read aloud)"


class TalkController(QObject):
    state_changed = Signal(str)  # a State value
    message_raised = Signal(str)  # why the conversation ended, for the user
    heard_partial = Signal(str)  # the user's words so far, while they speak

    def __init__(self, voice, chat, speaker=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.voice, self.chat = voice, chat
        self.speaker = None
        self.turns = TalkTurns(speaks=False)
        self._reply_text = ""  # the reply being spoken, as far as it has streamed
        self._loud_chunks = 0
        self._taken: list[int] = []  # the reply ids ``send`` made (read from message_added while it runs)
        self._sending = False
        voice.final_text.connect(self._on_final)
        voice.partial_text.connect(self._on_partial)
        voice.level.connect(self._on_level)
        voice.listening_changed.connect(self._on_listening)
        voice.error.connect(self._on_voice_error)
        chat.message_added.connect(self._on_message_added)
        chat.reply_grew.connect(self._on_reply_grew)
        chat.reply_ended.connect(self._on_reply_ended)
        self.set_speaker(speaker)

    def set_speaker(self, speaker) -> None:
        """Give the conversation a voice (or take it away with None); takes effect with the next start."""
        if self.speaker is not None:
            for signal, slot in self._speaker_slots():
                signal.disconnect(slot)
        self.speaker = speaker
        if speaker is not None:
            for signal, slot in self._speaker_slots():
                signal.connect(slot)

    def _speaker_slots(self):
        # Speaking from the reply's first sound: until then the user hears nothing and Hearth is thinking.
        return ((self.speaker.sound_started, self._on_sound), (self.speaker.finished, self._on_spoken),
                (self.speaker.error_raised, self._on_speaker_error))

    # -- what the window uses -------------------------------------------------------------
    @property
    def state(self) -> State:
        return self.turns.state

    @property
    def active(self) -> bool:
        return self.turns.active

    @property
    def label(self) -> str:
        """The state in words, for the composer; "" when no conversation goes on."""
        if self.state == State.SPEAKING and self.speaker is None:
            return SILENT_SPEAKING
        return LABELS.get(self.state, "")

    def toggle(self) -> None:
        self.end() if self.active else self.start()

    def start(self) -> None:
        if self.active:
            return
        if not self.chat.models.path:
            self.message_raised.emit(NO_MODEL)
            self.state_changed.emit(self.state.value)  # the button that asked shows it did not start
            return
        self.turns = TalkTurns(speaks=self.speaker is not None)
        self._loud_chunks = 0
        self._run(self.turns.start())

    def end(self) -> None:
        self._run(self.turns.end())

    # -- events -----------------------------------------------------------------------------
    def _on_final(self, target: str, text: str, _start: float, _end: float) -> None:
        if target == TARGET:
            self._run(self.turns.heard(text))

    def _on_partial(self, target: str, text: str) -> None:
        if target != TARGET:
            return
        if self.state == State.SPEAKING:
            log.info("barge-in on partial text")
            self._run(self.turns.speech_began())
        if self.state == State.LISTENING:
            self.heard_partial.emit(text)

    def _on_level(self, value: float) -> None:
        if self.state != State.SPEAKING:
            self._loud_chunks = 0
            return
        self._loud_chunks = self._loud_chunks + 1 if value >= BARGE_IN_LEVEL else 0
        if self._loud_chunks >= BARGE_IN_CHUNKS:
            self._loud_chunks = 0
            log.info("barge-in on the microphone's level")
            self._run(self.turns.speech_began())

    def _on_listening(self, target: str, listening: bool) -> None:
        if target == TARGET and not listening and self.active:
            self._run(self.turns.failed())  # someone else took the microphone (the dictation window)

    def _on_voice_error(self, target: str, message: str) -> None:
        if target == TARGET:
            self._run(self.turns.failed(message))

    def _on_message_added(self, message) -> None:
        if self._sending and message.role == "assistant":
            self._taken.append(message.id)

    def _on_reply_grew(self, message_id: int, delta: str) -> None:
        if not self.active or message_id != self.turns.reply_id:
            return
        first = not self._reply_text
        self._reply_text += delta
        if self.turns.speaks and self.speaker is not None:
            self.speaker.feed(message_id, self._reply_text)
        if first:
            self._run(self.turns.reply_streaming(message_id))

    def _on_reply_ended(self, message) -> None:
        error = (message.error or "The reply failed.") if message.status == states.ERROR else ""
        self._run(self.turns.reply_ended(message.id, error))

    def _on_sound(self, _message_id: int) -> None:
        self._run(self.turns.voice_started())

    def _on_spoken(self, message_id: int) -> None:
        self._run(self.turns.voice_finished(message_id))

    def _on_speaker_error(self, message: str) -> None:
        if self.active and self.turns.speaks:
            self._run(self.turns.failed(message))

    # -- actions ------------------------------------------------------------------------------
    def _run(self, actions: list[Action]) -> None:
        before = self.state
        for action in actions:
            self._take(action)
        if self.state != before:
            log.info("voice conversation: %s -> %s", before.value, self.state.value)
        self.state_changed.emit(self.state.value)  # also for the same state: its label may change

    def _take(self, action: Action) -> None:
        kind = action.kind
        if kind == LISTEN:
            if not self.voice.listen(TARGET, continuous=True):
                self._run(self.turns.failed())  # the voice controller said why
        elif kind == STOP_LISTENING:
            if self.voice.listening_target == TARGET:
                self.voice.stop()
        elif kind == SEND:
            self._send(action.text)
        elif kind == SPEAK:
            self._reply_text = ""
            self.speaker.speak_stream(action.message_id)
        elif kind == END_SPEECH:
            self.speaker.end(action.message_id)
        elif kind == STOP_VOICE:
            if self.speaker is not None:
                self.speaker.stop()
        elif kind == STOP_REPLY:
            self.chat.stop()
        elif kind == TELL:
            self.message_raised.emit(action.text)

    def _send(self, text: str) -> None:
        self._sending, self._taken = True, []
        try:
            sent = self.chat.send(text)
        finally:
            self._sending = False
        if not sent or not self._taken:
            self._run(self.turns.failed())  # the chat said why (no model, a reply still being written)
            return
        self._reply_text = ""
        self._run(self.turns.replying(self._taken[-1]))
