"""Conversations as files: Markdown to read, JSON to keep, and JSON from elsewhere to import.

Hearth's JSON keeps every branch (each message names its parent) and which branch was on
screen, so export then import gives the same conversation. Import also reads the OpenAI
messages format: a list of ``{"role", "content"}``, or an object with such a ``messages`` list.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from app.core import markdown_html
from app.core.errors import HearthError
from app.core.store import ROLE_NAMES, Conversation, Message

FORMAT = "hearth.conversation"
VERSION = 1
ROLES = tuple(ROLE_NAMES)  # system, user, assistant


class ConversationFileError(HearthError):
    """A file that is not a conversation Hearth can read; the message says why."""


@dataclass
class Imported:
    title: str
    system_prompt: str
    settings: dict
    messages: list[dict]  # Store.import_conversation's shape


def to_markdown(conversation: Conversation, branch: list[Message]) -> str:
    lines = [f"# {conversation.title}", ""]
    if conversation.system_prompt.strip():
        lines += ["**System:** " + conversation.system_prompt.strip(), ""]
    for message in branch:
        content = message.content.strip()
        closer = markdown_html.closing_fence(content)  # a reply stopped inside a code block: end it there,
        if closer:  # or the headings after it would be read as its code
            content += "\n" + closer
        lines += [f"## {ROLE_NAMES.get(message.role, message.role)}", "", content, ""]
    return "\n".join(lines).rstrip() + "\n"


def to_json(conversation: Conversation, messages: list[Message], branch: list[Message]) -> str:
    leaf = branch[-1].id if branch else None
    data = {
        "format": FORMAT, "version": VERSION, "title": conversation.title,
        "system_prompt": conversation.system_prompt, "settings": conversation.options,
        "created_at": conversation.created_at,
        "messages": [{
            "id": m.id, "parent": m.parent_id, "role": m.role, "content": m.content, "status": m.status,
            "model": m.model, "n_tokens": m.n_tokens, "tokens_per_second": m.tokens_per_second,
            "first_token_seconds": m.first_token_seconds, "finish": m.finish, "settings": m.options,
            "created_at": m.created_at, **({"on_screen": True} if m.id == leaf else {}),
        } for m in messages],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def parse(text: str, fallback_title: str = "Imported chat") -> Imported:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ConversationFileError(f"This file is not JSON: {error}.") from None
    if isinstance(data, dict) and data.get("format") == FORMAT:
        return _hearth(data, fallback_title)
    items = data.get("messages") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise ConversationFileError("This file holds no conversation: Hearth reads its own export, or a list of "
                           "messages with “role” and “content” (the OpenAI format).")
    system, messages = "", []
    for number, item in enumerate(items):
        role, content = _role_and_content(item, number)
        if role == "system" and not messages and not system:
            system = content
            continue
        messages.append({"key": number, "parent": messages[-1]["key"] if messages else None,
                         "role": role, "content": content})
    if messages:
        messages[-1]["leaf"] = True
    title = str(data.get("title") or "") if isinstance(data, dict) else ""
    first_user = next((m["content"] for m in messages if m["role"] == "user"), "")
    return Imported(title or first_user or fallback_title, system, {}, messages)


def _hearth(data: dict, fallback_title: str) -> Imported:
    if int(data.get("version", 0)) > VERSION:
        raise ConversationFileError("This conversation was exported by a newer Hearth; update Hearth to import it.")
    raw = data.get("messages")
    if not isinstance(raw, list):
        raise ConversationFileError("This Hearth export has no message list.")
    seen: set = set()
    messages = []
    for number, item in enumerate(raw):
        role, content = _role_and_content(item, number)
        key, parent = item.get("id", number), item.get("parent")
        if parent is not None and parent not in seen:
            raise ConversationFileError(f"Message {number + 1} answers a message that is not before it in the file.")
        seen.add(key)
        settings = item.get("settings") if isinstance(item.get("settings"), dict) else {}
        messages.append({
            "key": key, "parent": parent, "role": role, "content": content,
            "status": str(item.get("status") or "done"), "model": str(item.get("model") or ""),
            "n_tokens": _number(item.get("n_tokens")), "tokens_per_second": _number(item.get("tokens_per_second")),
            "first_token_seconds": _number(item.get("first_token_seconds")), "finish": str(item.get("finish") or ""),
            "settings": settings, "created_at": _number(item.get("created_at")) or None,
            "leaf": bool(item.get("on_screen"))})
    if messages and not any(m["leaf"] for m in messages):
        messages[-1]["leaf"] = True
    settings = data.get("settings") if isinstance(data.get("settings"), dict) else {}
    return Imported(str(data.get("title") or fallback_title), str(data.get("system_prompt") or ""), settings,
                    messages)


def _role_and_content(item, number: int) -> tuple[str, str]:
    if not isinstance(item, dict):
        raise ConversationFileError(f"Message {number + 1} is not an object with “role” and “content”.")
    role = item.get("role")
    if role == "developer":  # OpenAI's newer name for the system role
        role = "system"
    if role not in ROLES:
        raise ConversationFileError(f"Message {number + 1} has the role “{role}”; Hearth knows system, user and assistant.")
    content = item.get("content")
    if isinstance(content, list):  # OpenAI content parts: keep the text ones
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    if not isinstance(content, str):
        raise ConversationFileError(f"Message {number + 1} has no text content.")
    return role, content


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
