"""A conversation as the engine is sent it: the system prompt, then the branch on screen.

Turns that carry nothing for the model are left out: a reply that failed, an empty one, and the
reply being written now (unless it is being continued, when its words so far are the model's
own start). The title request and the context gauge send exactly this, so the engine's KV cache
of it serves the next turn too.
"""
from __future__ import annotations

from app.core import store as states
from app.core.store import Store


def engine_turns(store: Store, conversation_id: int, keep_last_reply: bool = False) -> list[dict]:
    turns = []
    system_prompt = store.conversation(conversation_id).system_prompt.strip()
    if system_prompt:
        turns.append({"role": "system", "content": system_prompt})
    branch = store.messages(conversation_id)
    for message in branch:
        if message.status == states.ERROR or not message.content.strip():
            continue
        if message.status == states.STREAMING and not (keep_last_reply and message is branch[-1]):
            continue
        turns.append({"role": message.role, "content": message.content})
    return turns
