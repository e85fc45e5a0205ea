"""What a conversation does when it outgrows the model's context window: the user's choice, per conversation.

The engine applies the choice as it builds the prompt (``engine/llm.py``), and the reply's
notice says what it did. Nothing is ever deleted from the conversation on disk: a policy only
chooses what the model reads for this reply.

- Drop the oldest turns (the default): the system prompt and the newest turns stay.
- Keep the first exchange: the system prompt, the opening question and its answer (often the task
  itself, or the document to work on) and the newest turns stay; the turns after the first go.
- Stop: nothing is sent, and the user is told how to go on.
"""
from __future__ import annotations

KEY = "overflow"
DROP_OLDEST, KEEP_FIRST, STOP = "drop_oldest", "keep_first", "stop"
LABELS = {
    DROP_OLDEST: "Drop the oldest turns",
    KEEP_FIRST: "Keep the first exchange, drop the turns after it",
    STOP: "Stop and tell me",
}
DEFAULT = DROP_OLDEST


def clean(value) -> str | None:
    """A policy Hearth knows, or None."""
    return value if isinstance(value, str) and value in LABELS else None


def _first_exchange_end(history: list[dict]) -> int:
    """How many turns the first exchange is: the first user message and the reply to it."""
    for index, message in enumerate(history):
        if message.get("role") == "assistant":
            return index + 1
    return 0


def droppable(history: list[dict], policy: str) -> int:
    """The most turns ``policy`` may leave out of ``history`` (without its system prompt): the last stays."""
    start = _first_exchange_end(history) if policy == KEEP_FIRST else 0
    return max(0, len(history) - start - 1)


def kept(history: list[dict], drop: int, policy: str) -> list[dict]:
    """``history`` (without its system prompt) with ``drop`` turns left out as ``policy`` says.

    What follows a cut starts with a user's words: a reply whose question went goes too, unless it is
    the last message (a reply being continued)."""
    head_end = _first_exchange_end(history) if policy == KEEP_FIRST else 0
    head, rest = history[:head_end], history[head_end:][drop:]
    while len(rest) > 1 and rest[0].get("role") == "assistant":
        rest = rest[1:]
    return head + rest


def notice(policy: str, dropped: int, n_ctx: int) -> str:
    """What the reply's notice says when ``dropped`` turns were left out for it."""
    messages = f"{dropped} message{'s' if dropped > 1 else ''}"
    them = "them" if dropped > 1 else "it"
    if policy == KEEP_FIRST:
        return (f"{messages} after the first exchange no longer fit in the model's context window "
                f"({n_ctx:,} tokens), so this reply was written without {them}; the first exchange was kept.")
    return (f"The oldest {messages} of this conversation no longer fit in the model's context window "
            f"({n_ctx:,} tokens), so this reply was written without {them}.")


def stopped(n_tokens: int, n_ctx: int) -> str:
    """The error when the policy is to stop and the conversation no longer fits."""
    return (f"This conversation has outgrown the model's context window: it takes {n_tokens:,} tokens, and with "
            f"room for a reply that is more than the window's {n_ctx:,}. Nothing was sent. Start a new chat, choose "
            "a larger context length, or let Hearth drop old turns (Conversation settings, Ctrl+,).")
