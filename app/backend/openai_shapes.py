"""What Hearth sends to an OpenAI-compatible server and what it reads back, beside the stream itself.

The engine's sampling parameters in OpenAI's names, a model's context window under
the names servers give it, one reply's figures as it streams (the names the local
engine reports), and the token estimate for a server without a tokenizer route.
"""
from __future__ import annotations

import math
import time

# What an estimate adds per message for the chat template's markers (ChatML's <|im_start|>role\n…<|im_end|>\n).
TEMPLATE_TOKENS = 4


class Tally:
    """One reply's figures as it streams: the same names the local engine reports."""

    def __init__(self) -> None:
        self.sent = time.perf_counter()
        self.first = self.last = 0.0
        self.chunks = 0
        self.usage: dict = {}
        self.finish_reason = ""
        self.ended = False

    @property
    def began(self) -> bool:
        return self.chunks > 0

    def piece(self) -> None:
        self.last = time.perf_counter()
        if not self.chunks:
            self.first = self.last
        self.chunks += 1

    def stats(self) -> dict:
        tokens = int(self.usage.get("completion_tokens") or self.chunks)
        first = (self.first - self.sent) if self.chunks else 0.0
        generation = (self.last - self.first) if self.chunks else 0.0
        rate = (self.chunks - 1) / generation if self.chunks >= 2 and generation > 0 else 0.0
        return {"prompt_tokens": int(self.usage.get("prompt_tokens") or 0), "tokens": tokens,
                "prompt_seconds": round(first, 4), "first_token_seconds": round(first, 4),
                "generation_seconds": round(generation, 4), "tokens_per_second": round(rate, 2),
                "finish_reason": self.finish_reason or ("cancelled" if not self.ended else "stop")}


def sampling(params: dict) -> dict:
    """The engine's parameters in OpenAI's names; what OpenAI has no name for (top_k, min_p) is not sent, since
    strict servers refuse fields they do not know."""
    body = {}
    for name in ("temperature", "top_p", "presence_penalty", "frequency_penalty", "seed"):
        if params.get(name) is not None:
            body[name] = params[name]
    if params.get("max_tokens"):
        body["max_tokens"] = int(params["max_tokens"])
    if params.get("stop"):
        body["stop"] = list(params["stop"])[:4]  # OpenAI's limit
    if params.get("json_schema"):
        body["response_format"] = {"type": "json_schema",
                                   "json_schema": {"name": "reply", "schema": params["json_schema"], "strict": True}}
    elif params.get("json_object"):
        body["response_format"] = {"type": "json_object"}
    return body


def context_of(entry: dict) -> int:
    """The context window a models-list entry gives, under the names servers use for it."""
    meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
    for value in (entry.get("max_model_len"), entry.get("context_length"), entry.get("n_ctx"),
                  meta.get("n_ctx"), meta.get("n_ctx_train")):
        if isinstance(value, int) and value > 0:
            return value
    return 0


def content_text(message: dict) -> str:
    content = message.get("content", "")
    if isinstance(content, list):  # OpenAI's content parts
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


def estimate(messages: list[dict]) -> tuple[int, bool]:
    """About four characters a token in English prose, plus the template's markers: shown with "≈"."""
    chars = sum(len(content_text(m)) for m in messages)
    return math.ceil(chars / 4) + TEMPLATE_TOKENS * len(messages) + 2, True
