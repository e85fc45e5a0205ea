"""Dictation policy: when a stream of microphone audio becomes partial text and when final text.

Audio arrives in small pieces (16 kHz mono float32). Voice activity detection
(Silero VAD, passed in) finds speech; while someone speaks, the utterance so
far is transcribed about once a second as *partial* text; when speech is
followed by enough silence (continuous dictation) or the stream ends (push to
talk), the utterance is transcribed once more as *final* text. An utterance that
begins soon after the last one ended is transcribed as its sequel (see
``Context``). Silence, breath and noise never reach the recogniser, and what it
returns for audio it thinks holds no speech is dropped: Whisper invents words on
silence otherwise.

The recogniser and the VAD are functions passed in, so this policy runs in the
speech engine process and is tested there with the real ones.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

RATE = 16_000


@dataclass(frozen=True)
class Piece:
    """Recognised text for a span of the stream (seconds from its start)."""

    text: str
    start: float
    end: float
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0


# A segment Whisper itself thinks is not speech and is unsure of: the classic invented "Thank you."
NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0

@dataclass(frozen=True)
class Context:
    """The utterance just before this one, as it was cut and as its final text read."""

    audio: np.ndarray
    text: str


# (audio, final, context) -> pieces, times within the audio. With a context, the recogniser hears the
# context's audio in front of this one and takes its text as the start of the answer: a sentence after
# a short pause is then heard as the rest of what was said, as a transcription of the whole recording
# hears it, not as a fragment without a beginning.
Transcribe = Callable[[np.ndarray, bool, Context | None], list[Piece]]
Vad = Callable[[np.ndarray], list[tuple[int, int]]]  # audio -> speech spans in samples


def keep(piece: Piece) -> bool:
    if not any(c.isalnum() for c in piece.text):  # nothing, or a lone "." Whisper gives for a breath
        return False
    return not (piece.no_speech_prob > NO_SPEECH_PROB and piece.avg_logprob < LOW_LOGPROB)


@dataclass
class Settings:
    continuous: bool = True  # dictation: utterances end on silence; push to talk: when the stream ends
    partial_every: float = 1.0  # seconds of speech between partial results
    end_silence: float = 0.5  # seconds of silence that end an utterance (continuous)
    draft_silence: float = 0.2  # after this much silence (the pad), transcribe the utterance ahead of time
    pad: float = 0.2  # seconds of audio kept around speech, so first and last sounds are not cut
    analyse_every: float = 0.1  # seconds of new audio between VAD passes
    max_utterance: float = 28.0  # Whisper reads 30 s windows: cut a long monologue before that
    context_gap: float = 2.0  # an utterance that starts within this many seconds of the last one is its sequel
    context_max: float = 20.0  # seconds of audio at most, the last utterance and this one together


class Dictation:
    def __init__(self, transcribe: Transcribe, vad: Vad, on_partial: Callable[[str], None],
                 on_final: Callable[[Piece], None], settings: Settings | None = None) -> None:
        self.transcribe = transcribe
        self.vad = vad
        self.on_partial = on_partial
        self.on_final = on_final
        self.settings = settings or Settings()
        self._buffer = np.zeros(0, dtype=np.float32)
        self._offset = 0  # stream sample index of _buffer[0]
        self._unanalysed = 0
        self._last_partial_at = 0  # buffer length at the last partial
        self._partial_end = 0  # stream sample index where the speech the last partial read ended
        self._speech_start: int | None = None
        self._draft: tuple[int, int, list[Piece]] | None = None  # (start, end, pieces) made during the pause
        self._context: tuple[Context, int] | None = None  # the last final utterance, where its audio ended

    @property
    def seconds(self) -> float:
        return (self._offset + len(self._buffer)) / RATE

    def feed(self, samples: np.ndarray) -> None:
        self._buffer = np.concatenate([self._buffer, samples.astype(np.float32, copy=False)])
        self._unanalysed += len(samples)
        if self._unanalysed >= self.settings.analyse_every * RATE:
            self._unanalysed = 0
            self._analyse()

    def finish(self) -> None:
        """The stream ended: whatever speech is left becomes final text."""
        spans = self.vad(self._buffer) if len(self._buffer) else []
        if spans:
            self._commit(spans[0][0], spans[-1][1])
        self._buffer = np.zeros(0, dtype=np.float32)
        self._speech_start = None

    # -- inside ---------------------------------------------------------------------------
    def _analyse(self) -> None:
        s = self.settings
        spans = self.vad(self._buffer)
        if not spans:
            self._speech_start = None
            keep_samples = int(s.pad * RATE)
            if len(self._buffer) > keep_samples:  # only silence so far: drop all but a little pre-roll
                self._drop(len(self._buffer) - keep_samples)
            return
        start, end = spans[0][0], spans[-1][1]
        self._speech_start = start
        silence = len(self._buffer) - end
        too_long = end - start >= s.max_utterance * RATE
        if s.continuous and (silence >= s.end_silence * RATE or too_long):
            self._commit(start, end)
            return
        if s.continuous and silence >= s.draft_silence * RATE:
            # Probably the end of a sentence: do the final transcription now, while the pause that
            # confirms it is still being recorded. It is used if the pause lasts; dropped if speech resumes.
            if not self._draft_matches(start, end):
                self._draft = (start, end, self._transcribe_final(start, end))
            return
        if len(self._buffer) - self._last_partial_at < s.partial_every * RATE:
            return
        # Still speaking (or between two words): VAD ends a span on its 32 ms windows, so "no silence
        # at all" is too strict a test and would starve the partial text on some clips.
        speaking = silence < s.draft_silence * RATE
        # Push to talk makes no drafts in a pause, so the words before it would show only on release; and
        # an engine that fell behind gets the speech and the pause after it in one piece of audio.
        unshown = not s.continuous and self._offset + end > self._partial_end
        if speaking or unshown:
            self._last_partial_at = len(self._buffer)
            self._partial_end = self._offset + end
            audio = self._buffer[max(0, start - int(s.pad * RATE)):]
            text = " ".join(p.text.strip() for p in self.transcribe(audio, False, None) if keep(p)).strip()
            if text:
                self.on_partial(text)

    def _draft_matches(self, start: int, end: int) -> bool:
        tolerance = int(0.08 * RATE)  # VAD edges wobble by a window or two between passes
        return self._draft is not None and abs(self._draft[0] - start) <= tolerance \
            and abs(self._draft[1] - end) <= tolerance

    def _utterance(self, start: int, end: int) -> np.ndarray:
        pad = int(self.settings.pad * RATE)
        return self._buffer[max(0, start - pad):min(len(self._buffer), end + pad)]

    def _transcribe_final(self, start: int, end: int) -> list[Piece]:
        audio = self._utterance(start, end)
        context = None
        if self._context is not None:
            before, ended = self._context
            begins = self._offset + max(0, start - int(self.settings.pad * RATE))
            if begins - ended <= self.settings.context_gap * RATE \
                    and len(before.audio) + len(audio) <= self.settings.context_max * RATE:
                context = before
        return self.transcribe(audio, True, context)

    def _commit(self, start: int, end: int) -> None:
        found = self._draft[2] if self._draft_matches(start, end) else self._transcribe_final(start, end)
        self._draft = None
        pieces = [p for p in found if keep(p)]
        self._context = None
        if pieces:  # times from the VAD: closer to the speech than Whisper's timestamps, and there without them
            text = " ".join(p.text.strip() for p in pieces).strip()
            self.on_final(Piece(text, (self._offset + start) / RATE, (self._offset + end) / RATE,
                                max(p.no_speech_prob for p in pieces), min(p.avg_logprob for p in pieces)))
            ends = min(len(self._buffer), end + int(self.settings.pad * RATE))
            self._context = (Context(self._utterance(start, end), text), self._offset + ends)
        # The pad after the speech went into this utterance. Dropping only up to the speech's end let
        # the VAD, whose edges wobble between passes, find a sliver of the last word in the pad and
        # transcribe it again as an utterance of its own (a repeated word or sentence).
        self._drop(min(len(self._buffer), end + int(self.settings.pad * RATE)))
        self._speech_start = None

    def _drop(self, count: int) -> None:
        if self._draft is not None:
            self._draft = None
        self._buffer = self._buffer[count:]
        self._offset += count
        self._last_partial_at = 0
