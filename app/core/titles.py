"""Conversation titles written by the model from the first exchange.

A conversation is first named after the user's opening words (``store.title_from``).
Once the first reply is in, the loaded model is asked for a short title; what it
says is cleaned here, and anything that does not look like a title (empty, a
whole sentence, a refusal, a copy of the question) is dropped, so the opening
words stay. Small models ramble, so the rules are strict.
"""
from __future__ import annotations

import re

MAX_WORDS = 8
MAX_CHARS = 60
INSTRUCTION = ("Give this conversation a short title, two to six words, like a headline. "
               "Answer with the title only.")
PREFILL = "Title:"  # the reply is started for the model: small models then write a title, not an answer
PARAMS = {"max_tokens": 24, "temperature": 0.0, "seed": 0, "repeat_penalty": 1.0, "continue": True,
          "stop": ["\n"]}

_LABEL = re.compile(r"^\s*(?:title|conversation title|topic)\s*[:\-–—]\s*", re.IGNORECASE)
_DECORATION = "\"'“”‘’`*#_[]()<>.:;,!-–— \t"
_REFUSAL = re.compile(r"\b(?:I can(?:no|')t|I'm sorry|as an AI|I am unable)\b", re.IGNORECASE)


def request_messages(history: list[dict]) -> list[dict]:
    """The chat the model is asked to answer with a title: the conversation exactly as it was sent
    for its reply, then the request. Sharing that prefix, the engine keeps the conversation in its
    KV cache, so the title reads only the request, and the user's next turn reads none of it again."""
    return [*history, {"role": "user", "content": INSTRUCTION}, {"role": "assistant", "content": PREFILL}]


def clean(answer: str, user_text: str = "") -> str | None:
    """The model's answer as a title, or None when it is not one."""
    lines = [line for line in answer.strip().splitlines() if line.strip()]
    if not lines:
        return None
    title = _LABEL.sub("", lines[0]).strip(_DECORATION)
    title = " ".join(title.split())
    if not title or not any(c.isalpha() for c in title) or _REFUSAL.search(title):
        return None
    if len(title.split()) > MAX_WORDS or len(title) > MAX_CHARS:
        return None
    if title.casefold() == " ".join(user_text.split()).strip(_DECORATION).casefold():
        return None  # the question repeated: the name it already has says as much
    return title[0].upper() + title[1:]
