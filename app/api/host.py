"""What the API server needs from whoever holds the model: the models it may serve, and a way to chat.

The server knows nothing of windows or engines. In the app, the host is the
window's model (shared with the chat, whose turn goes first); under
``hearth serve``, the models named on the command line; both are a
``LibraryHost`` over one engine process. A model id is never a path: a request can only name
a model the host lists.
"""
from __future__ import annotations

import re
import threading
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
    n_ctx: int = 0  # the context window it is loaded with (0: not loaded)


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


class LibraryHost:
    """GGUF files served through one engine: the library's in the app, the ones named to ``hearth serve``.

    A request for a model that is not loaded is answered by it, loaded first (one engine, one model at a
    time), after the requests before it; the window's own turn goes first. ``options_for`` gives each file's
    load options (the window's per-model settings in the app); the list of files can change at any time
    (``set_models``, from any thread)."""

    def __init__(self, backend: LocalBackend, paths: list[str], options_for: Callable[[str], LoadOptions],
                 retry_after: int = 2, speech: SpeechBackend | None = None) -> None:
        self.backend = backend
        self.speech = speech
        self.options_for = options_for
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._models: dict[str, str] = {}
        self.set_models(paths)

    def set_models(self, paths: list[str]) -> None:
        models: dict[str, str] = {}
        for path in paths:
            name, number = model_id(path), 2
            while name in models:  # two files of the same name in different folders
                name, number = f"{model_id(path)}-{number}", number + 1
            models[name] = str(path)
        with self._lock:
            self._models = models

    def models(self) -> list[ServedModel]:
        loaded = self.backend.loaded.path if self.backend.loaded else ""
        report = self.backend.report
        n_ctx = int(report.get("n_ctx") or 0) if report.get("path") == loaded else 0
        with self._lock:
            return [ServedModel(i, p, p == loaded, n_ctx if p == loaded else 0) for i, p in self._models.items()]

    def load(self, model: str, listener: Callable[[Event], None]) -> int:
        path = self._path(model)
        return self.backend.load(path, self.options_for(path), listener)

    def _path(self, model: str) -> str:
        with self._lock:
            path = self._models.get(model)
        if path is None:
            raise not_found(f"The model “{model}” is not served here; GET /v1/models lists those that are.",
                            code="model_not_found")
        return path

    def request(self, model: str, op: str, payload: dict, listener: Callable[[Event], None]) -> int:
        path = self._path(model)
        ref = ModelRef(path, self.options_for(path))
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


__all__ = ["ApiError", "Done", "LibraryHost", "Loaded", "ModelHost", "ServedModel", "model_id"]
