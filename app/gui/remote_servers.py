"""The remote servers the user connected: kept, listed, tested, each one's backend made on demand.

Names and base URLs live in the settings; keys in ``ServerKeys`` (the platform
keyring, or a file only the user can read). Listing a server's models runs on a
worker thread (a slow server must not freeze the window); its answer comes back
as a queued signal. The model picker and the chat listen to ``servers_changed``
and ``models_listed``; ``backend_for`` gives the backend to chat through.
"""
from __future__ import annotations

import threading
from typing import Callable

from PySide6.QtCore import QObject, Signal

from app.backend.remote import RemoteBackend, api_root, display_name
from app.backend.remote_failures import RemoteError
from app.core.net_limits import DEFAULT_REMOTE_LIMITS, RemoteLimits
from app.core.server_keys import ServerKeys
from app.settings import Settings


class RemoteServers(QObject):
    servers_changed = Signal()
    models_listed = Signal(str, list)  # base URL, [model id]
    failed = Signal(str, str)  # base URL, a message for the user

    def __init__(self, settings: Settings, keys: ServerKeys, save_settings: Callable[[], None],
                 limits: RemoteLimits = DEFAULT_REMOTE_LIMITS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.keys = keys
        self.save_settings = save_settings
        self.limits = limits
        self._threads: list[threading.Thread] = []

    def servers(self) -> list[dict]:
        """[{"name", "base_url"}], each with a name to show (the host when the user gave none)."""
        return [{"name": s["name"] or display_name(s["base_url"]), "base_url": s["base_url"]}
                for s in self.settings.servers]

    def name_of(self, base_url: str) -> str:
        return next((s["name"] for s in self.servers() if s["base_url"] == base_url), display_name(base_url))

    @staticmethod
    def normalized(base_url: str) -> str:
        """The base URL as kept (ending in /v1); raises ValueError with a sentence for the user."""
        return api_root(base_url)

    def add(self, name: str, base_url: str, key: str = "") -> str:
        """Keep a server (replacing one at the same address) and its key; returns the base URL as kept."""
        url = api_root(base_url)
        self.keys.set(url, key.strip())
        self.settings.set_server(name.strip(), url)
        self.save_settings()
        self.servers_changed.emit()
        return url

    def remove(self, base_url: str) -> None:
        self.keys.delete(base_url)
        self.settings.remove_server(base_url)
        self.save_settings()
        self.servers_changed.emit()

    def backend_for(self, base_url: str, key: str | None = None) -> RemoteBackend:
        return RemoteBackend(base_url, self.keys.get(base_url) if key is None else key, name=self.name_of(base_url),
                             limits=self.limits)

    def list_models(self, base_url: str, key: str | None = None) -> None:
        """Ask the server for its models off the GUI thread; ``models_listed`` or ``failed`` answers, with
        ``base_url`` as typed (so a dialog testing an unsaved address knows the answer is its own). ``key``
        None: the kept key."""
        def ask() -> None:
            try:
                backend = RemoteBackend(base_url, self.keys.get(api_root(base_url)) if key is None else key,
                                        name=self.name_of(api_root(base_url)), limits=self.limits)
                try:
                    ids = [str(m.get("id") or m.get("name")) for m in backend.models()]
                finally:
                    backend.shutdown()
            except ValueError as error:  # the address itself
                self.failed.emit(base_url, str(error))
            except RemoteError as error:
                self.failed.emit(base_url, error.message)
            except Exception as error:  # never leave the dialog waiting
                self.failed.emit(base_url, f"Hearth could not ask the server for its models ({type(error).__name__}).")
            else:
                self.models_listed.emit(base_url, ids)

        thread = threading.Thread(target=ask, daemon=True, name="remote-models")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    @property
    def busy(self) -> bool:
        return any(t.is_alive() for t in self._threads)
