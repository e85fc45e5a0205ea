"""What the API server needs from whoever holds the model: the models it may serve, and a way to chat.

The server knows nothing of windows or engines. In the app, the host is the
window's model (shared with the chat, whose turn goes first); under
``hearth serve``, it is ``HeadlessHost``: one engine process and the models
named on the command line. A model id is never a path: a request can only name
a model the host lists.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from app.api.errors import ApiError, busy, not_found
from app.backend.events import Done, Event, Loaded
from app.backend.local import LocalBackend
from app.backend.model_ref import ModelRef
from app.backend.scheduler import Priority, QueueFull
from app.backend.speech import SpeechBackend
from app.core.load_options import LoadOptions


@dataclass(frozen=True)
class ServedModel:
    id: str
    path: str
    loaded: bool = False


class ModelHost(Protocol):
    def models(self) -> list[ServedModel]: ...

    def request(self, model_id: str, op: str, payload: dict, listener: Callable[[Event], None]) -> int:
        """Queue ``{"op": op, **payload}`` (chat, complete or embed) for ``model_id``; returns a ticket.
        Raises ApiError: 404 for a model not served, 503 when too many requests wait."""
        ...

    def cancel(self, ticket: int) -> None: ...

    def transcribe(self, path: str, language: str | None, prompt: str | None,
                   listener: Callable[[Event], None]) -> int:
        """Queue a file's transcription; raises ApiError (404 without a speech model, 503 when busy)."""
        ...

    def cancel_transcription(self, ticket: int) -> None: ...


def model_id(path: str | Path) -> str:
    """A model's id for API clients: its file name without ``.gguf`` (and without a split's part suffix)."""
    name = Path(path).name
    name = re.sub(r"-00001-of-\d{5}\.gguf$", "", name)
    return name[:-5] if name.lower().endswith(".gguf") else name


class HeadlessHost:
    """The models named to ``hearth serve``: the first is loaded at start; a request for another is answered by
    it, loaded first (one engine, one model at a time)."""

    def __init__(self, backend: LocalBackend, paths: list[str], options: LoadOptions,
                 retry_after: int = 2, speech: SpeechBackend | None = None) -> None:
        self.backend = backend
        self.speech = speech
        self.options = options
        self.retry_after = retry_after
        self._models = {model_id(p): str(p) for p in paths}

    def models(self) -> list[ServedModel]:
        loaded = self.backend.loaded.path if self.backend.loaded else ""
        return [ServedModel(i, p, p == loaded) for i, p in self._models.items()]

    def load(self, model: str, listener: Callable[[Event], None]) -> int:
        return self.backend.load(self._models[model], self.options, listener)

    def request(self, model: str, op: str, payload: dict, listener: Callable[[Event], None]) -> int:
        if model not in self._models:
            raise not_found(f"The model “{model}” is not served here; GET /v1/models lists those that are.",
                            code="model_not_found")
        ref = ModelRef(self._models[model], self.options)
        try:
            return self.backend.submit(op, payload, listener, Priority.API, model=ref, bounded=True)
        except QueueFull:
            raise busy(self.backend.scheduler.waiting, self.retry_after) from None

    def cancel(self, ticket: int) -> None:
        self.backend.cancel(ticket)

    def transcribe(self, path: str, language: str | None, prompt: str | None,
                   listener: Callable[[Event], None]) -> int:
        if self.speech is None:
            raise not_found("This server has no speech model.", code="model_not_found")
        try:
            return self.speech.transcribe(path, language, prompt, listener)
        except FileNotFoundError as error:
            raise not_found(str(error), code="model_not_found") from None
        except QueueFull:
            raise busy(self.speech.scheduler.waiting, self.retry_after) from None

    def cancel_transcription(self, ticket: int) -> None:
        if self.speech is not None:
            self.speech.cancel(ticket)


__all__ = ["ApiError", "Done", "HeadlessHost", "Loaded", "ModelHost", "ServedModel", "model_id"]
