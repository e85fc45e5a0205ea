"""Live utterances decoded with a window sized to the audio instead of Whisper's fixed 30 s.

Why by hand: faster-whisper pads every window to 30 s of audio before the
encoder, so each call costs a full 30 s encode (0.3 s with tiny.en on two
cores) even for a two-second utterance, and dictation decodes every utterance
two or three times (partials, then the final text). CTranslate2's encoder takes
a shorter input as it is; this module builds the same prompt, suppressed tokens
and scores faster-whisper uses, on a window just long enough for the audio.

Whisper was trained on 30 s windows only. Below about 10 s it starts to loop
("yes yes yes…") on short clips, so the window never goes under MIN_WINDOW;
a reply that still looks like a loop (faster-whisper's compression-ratio test,
or a sentence written twice, which that test misses) returns None and the
caller decodes the utterance the library's way. Measured on espeak-ng sentences
(`bench/dictation.py` and the numbers in the notes): same word error rate as the
30 s window, four times faster.

A sentence that follows a short pause is decoded after the one before it: both
utterances' audio in one window, the earlier one's final text forced as the
start of the reply (Whisper's prefix), and only what follows kept. Alone, the
second sentence of a pair lost words that Whisper given the whole recording
keeps (a word error rate 1.06 times faster-whisper's on slow two-sentence
clips, against 0.88 with the context); inside the 10 s minimum window the
context costs nothing more.
"""
from __future__ import annotations

import math
import re

import numpy as np

from app.core.dictation import RATE, Piece

MIN_WINDOW = 10.0  # seconds: shorter windows make Whisper repeat itself on short clips
TAIL = 0.5  # seconds of window after the audio
LOOPING = 2.4  # faster-whisper's compression-ratio threshold for a repetitive reply
MAX_FRAMES = 3000  # Whisper's 30 s window: 100 mel frames a second
REPEATED_WORDS = 3  # a run of this many words or more, said twice in a row, is Whisper looping


def window_frames(samples: int) -> int:
    seconds = max(MIN_WINDOW, samples / RATE + TAIL)
    frames = min(MAX_FRAMES, math.ceil(seconds * 100))
    return frames + frames % 2  # the encoder halves the frames with a stride-2 convolution


def decode(model, audio: np.ndarray, final: bool, language: str | None,
           initial_prompt: str | None, prefix: str | None = None) -> list[Piece] | None:
    """One utterance (at most 30 s) as one piece spanning it; None when the reply looks like a loop.
    With ``prefix``, the text of the audio's beginning: the piece holds only what follows it (None if
    the reply does not begin with it)."""
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens

    if len(audio) > MAX_FRAMES * RATE // 100:
        return None
    frames = window_frames(len(audio))
    features = pad_or_trim(model.feature_extractor(audio), frames)
    encoded = model.encode(features)
    multilingual = model.model.is_multilingual
    if multilingual and language is None:
        language = _detect_language(model, encoded)
    tokenizer = Tokenizer(model.hf_tokenizer, multilingual, task="transcribe", language=language or "en")
    previous = tokenizer.encode(" " + initial_prompt.strip()) if initial_prompt else []
    prompt = model.get_prompt(tokenizer, previous, without_timestamps=True, prefix=prefix)
    result = model.model.generate(
        encoded, [prompt], beam_size=5 if final else 1, patience=1.0, length_penalty=1.0,
        max_length=model.max_length, return_scores=True, return_no_speech_prob=True,
        suppress_blank=True, suppress_tokens=get_suppressed_tokens(tokenizer, [-1]))[0]
    tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
    if prefix:  # CTranslate2 answers with the forced beginning too
        forced = prompt[prompt.index(tokenizer.no_timestamps) + 1:]
        if tokens[:len(forced)] != forced:
            return None
        tokens = tokens[len(forced):]
    text = tokenizer.decode(tokens)
    if prefix:  # the beginning's last sentence is already written out, with its full stop
        text = text.lstrip(" .,;:!?")
    if text.strip() and (get_compression_ratio(text) > LOOPING or repeats(f"{prefix or ''} {text}")):
        return None
    avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)  # as faster-whisper scores a segment
    return [Piece(text, 0.0, len(audio) / RATE, result.no_speech_prob, avg_logprob)]


def repeats(text: str) -> bool:
    """The loop the compression ratio misses: a sentence said once and written twice ("Open the window.
    Open the window."), which a window much longer than its audio invites. People rarely say three words
    twice in a row, and when they do, the full window's decode still writes them twice."""
    words = re.findall(r"[\w']+", text.lower())
    for size in range(REPEATED_WORDS, len(words) // 2 + 1):
        for at in range(len(words) - 2 * size + 1):
            if words[at:at + size] == words[at + size:at + 2 * size]:
                return True
    return False


def _detect_language(model, encoded) -> str:
    [ranked] = model.model.detect_language(encoded)
    token, _probability = ranked[0]
    return token[2:-2]  # "<|de|>" -> "de"
