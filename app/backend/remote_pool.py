"""The window's remote backends: one ``RemoteBackend`` per server, made when a request first names it.

A backend is kept while it is used (its HTTP connection and its chosen model
carry over from one request to the next) and shut down when Hearth closes.
When the user edits the servers (a new key, an address removed), every backend
is replaced: the next request gets a new one (with the new key), an idle old
one is shut down at once and a busy one once its requests have ended, so a
reply under way is never cut by a key being saved.

Which model each backend was asked to choose is kept here too, so that a
request naming another model of the same server chooses it first (in the
backend's own queue, ahead of the request). Plain Python with a lock: the
bridge asks from the GUI thread, listeners answer on the backends' threads.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from app.backend.remote import RemoteBackend

log = logging.getLogger("hearth.remote")

Factory = Callable[[str], RemoteBackend]  # base URL -> a backend for it, with its kept key


class RemotePool:
    def __init__(self, factory: Factory | None = None) -> None:
        self.factory = factory or (lambda url: RemoteBackend(url))
        self._lock = threading.Lock()
        self._backends: dict[str, RemoteBackend] = {}
        self._chosen: dict[str, str] = {}  # base URL -> the model id last asked of its backend
        self._retiring: list[RemoteBackend] = []  # replaced while busy: shut down once idle

    def get(self, url: str) -> RemoteBackend:
        with self._lock:
            self._reap()
            backend = self._backends.get(url)
            if backend is None:
                backend = self._backends[url] = self.factory(url)
            return backend

    def backends(self) -> list[RemoteBackend]:
        """Every backend that may still have a request (for cancel), the retiring ones too."""
        with self._lock:
            return list(self._backends.values()) + self._retiring

    def needs_choice(self, url: str, model_id: str) -> bool:
        """Whether ``url``'s backend must choose ``model_id`` before a request for it; if so, it is noted as
        chosen (the caller queues the choice at once)."""
        with self._lock:
            if self._chosen.get(url) == model_id:
                return False
            self._chosen[url] = model_id
            return True

    def choice_failed(self, url: str, model_id: str) -> None:
        """The server refused the choice: the next request for the model asks again."""
        with self._lock:
            if self._chosen.get(url) == model_id:
                del self._chosen[url]

    def servers_changed(self) -> None:
        with self._lock:
            self._retiring.extend(self._backends.values())
            self._backends.clear()
            self._chosen.clear()
            self._reap()

    def shutdown(self) -> None:
        with self._lock:
            backends = list(self._backends.values()) + self._retiring
            self._backends.clear()
            self._chosen.clear()
            self._retiring = []
        for backend in backends:
            _close(backend)

    def _reap(self) -> None:
        idle = [b for b in self._retiring if b.idle]
        self._retiring = [b for b in self._retiring if not b.idle]
        for backend in idle:
            _close(backend)


def _close(backend: RemoteBackend) -> None:
    try:
        backend.shutdown()
    except Exception:  # closing one server's connection must not stop the others closing
        log.exception("closing %r", backend)
