"""What a backend says about one request, as typed values instead of wire dicts.

Every backend (the local engine process, a remote OpenAI-compatible server) ends
each request with exactly one final event: ``Done``, ``Failed``, ``Counted``,
``Embedded`` or ``Loaded``. ``from_wire`` reads the engine process's JSON events (see
``app/engine/protocol.py``) into these.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from app.engine import protocol


@dataclass(frozen=True)
class Loaded:
    model: dict  # what the backend loaded or selected, as it reports it


@dataclass(frozen=True)
class Progress:
    fraction: float  # the share of a load done, 0..1


@dataclass(frozen=True)
class Started:
    prompt_tokens: int
    notice: str = ""  # something the user should know about the prompt (turns left out, a fallback template)


@dataclass(frozen=True)
class Piece:
    text: str
    tokens: int  # how many tokens this text is worth (0 for a tail the stop-string buffer let go)


@dataclass(frozen=True)
class Done:
    reason: str  # protocol.STOP, LENGTH or CANCELLED
    stats: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Counted:
    tokens: int
    n_ctx: int  # 0 when the backend does not know it
    estimated: bool = False  # not the model's own tokenizer's count (a remote server without a route): show "≈"


@dataclass(frozen=True)
class Segment:
    """A stretch of a transcribed file."""
    text: str
    start: float  # seconds
    end: float
    progress: float  # the share of the file done


@dataclass(frozen=True)
class Embedded:
    vectors: list
    tokens: int


@dataclass(frozen=True)
class Failed:
    message: str  # for the user
    detail: str = ""  # for the log
    invalid_request: bool = False  # the request itself was wrong (a bad JSON schema), not the backend
    crashed: bool = False  # the backend's process died under the request (its crash is reported apart too)


Event = Loaded | Progress | Started | Piece | Segment | Done | Counted | Embedded | Failed
FINAL = (Loaded, Done, Counted, Embedded, Failed)


def from_wire(event: dict) -> Event | None:
    """The typed event for one decoded engine event about a request; None for the others."""
    kind = event.get("event")
    if kind == protocol.PROGRESS:
        return Progress(float(event.get("progress", 0.0)))
    if kind == protocol.PIECE:
        return Piece(event.get("text", ""), int(event.get("n", 0)))
    if kind == protocol.STARTED:
        return Started(int(event.get("prompt_tokens", 0)), event.get("notice", ""))
    if kind == protocol.DONE:
        return Done(event.get("reason", protocol.STOP), dict(event.get("stats") or {}))
    if kind == protocol.COUNTED:
        return Counted(int(event.get("tokens", 0)), int(event.get("n_ctx", 0)))
    if kind == protocol.SEGMENT:
        return Segment(event.get("text", ""), float(event.get("start", 0)), float(event.get("end", 0)),
                       float(event.get("progress", 0)))
    if kind == protocol.EMBEDDED:
        return Embedded(list(event.get("vectors") or []), int(event.get("tokens", 0)))
    if kind == protocol.LOADED:
        return Loaded(dict(event.get("model") or {}))
    if kind == protocol.UNLOADED:
        return Done(protocol.STOP)
    if kind == protocol.ERROR:
        return Failed(event.get("message", ""), event.get("detail", ""), bool(event.get("invalid_request")))
    return None
