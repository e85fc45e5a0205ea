"""The local API server in the app: started and stopped from the Server panel, sharing the window's engine.

The server lives in the GUI process (its socket survives an engine crash) and asks
the same backend as the window, behind the window's own turn. Models it may serve
are the library's usable files, each with its own load settings; a request for one
that is not loaded loads it, and the window follows (one engine, one model).

Runs on the GUI thread except the request log, which uvicorn's thread reports and
a queued signal brings here.
"""
from __future__ import annotations

import logging
import secrets

from PySide6.QtCore import QObject, Signal

from app.api.host import LibraryHost
from app.api.server import LOOPBACK, ApiServer, ServerError, ServerSettings
from app.backend.local import LocalBackend
from app.settings import Settings

log = logging.getLogger("hearth.api")

ANY_ADDRESS = "0.0.0.0"
KEY_NAME = "hearth-local-api"  # the local server's own key, kept beside the remote servers' keys


class ApiServerController(QObject):
    running_changed = Signal(bool, str)  # running, the URL clients use (empty when stopped)
    request_logged = Signal(dict)  # {time, endpoint, client, status, tokens, tokens_per_second, seconds}
    error_raised = Signal(str)
    key_changed = Signal(str)

    def __init__(self, backend: LocalBackend, settings: Settings, keys, speech=None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.keys = keys  # ServerKeys: the keyring or a 0600 file, never settings.json
        self.host = LibraryHost(backend, [], settings.load_options_for, speech=speech)
        self.server: ApiServer | None = None

    # -- what the panel asks -----------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.server is not None and self.server.running

    @property
    def url(self) -> str:
        return self.server.url if self.running else ""

    @property
    def api_key(self) -> str:
        return self.keys.get(KEY_NAME)

    def new_key(self) -> str:
        """A fresh key (the old one stops working at the next start)."""
        key = secrets.token_urlsafe(24)
        self.keys.set(KEY_NAME, key)
        self.key_changed.emit(key)
        return key

    def set_models(self, paths: list[str]) -> None:
        self.host.set_models(paths)

    def served_model(self) -> str:
        loaded = [m.id for m in self.host.models() if m.loaded]
        return loaded[0] if loaded else ""

    def start(self) -> bool:
        if self.running:
            return True
        settings = self.settings
        key = self.api_key
        if settings.api_lan and not key:
            key = self.new_key()  # the network needs a key: made here, shown in the panel
        host = ANY_ADDRESS if settings.api_lan else LOOPBACK
        server = ApiServer(self.host, ServerSettings(host=host, port=settings.api_port,
                                                     api_key=key if settings.api_lan else "",
                                                     cors_origins=tuple(settings.api_cors)),
                           on_request=self.request_logged.emit)
        try:
            server.start()
        except ServerError as error:
            self.error_raised.emit(str(error))
            return False
        self.server = server
        log.info("API server started at %s", server.url)
        self.running_changed.emit(True, server.url)
        return True

    def stop(self) -> None:
        if self.server is None:
            return
        self.server.stop()
        self.server = None
        self.running_changed.emit(False, "")

    def close(self) -> None:
        self.stop()
