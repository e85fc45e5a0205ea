"""The remote servers' models in the window's model picker, and the remote model chosen last time.

Each saved server is asked for its models (off the GUI thread, by
``RemoteServers``) when Hearth starts, when the servers change and each time the
picker opens; its answer (or why there is none) goes to the picker under the
server's name. A listing on its way is not asked for again until it answers,
so opening the picker twice does not pile up requests to a slow server.

When the servers change, the bridge's backends are told (a new key is used
from the next request on), and a chosen model whose server was removed is let
go, like a deleted file.
"""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QObject

from app.backend.model_ref import ModelRef
from app.gui.model_picker import ModelPicker, remote_label
from app.gui.remote_servers import RemoteServers

log = logging.getLogger("hearth.remote")


class RemoteListing(QObject):
    def __init__(self, servers: RemoteServers, picker: ModelPicker, chat, notice: Callable[[str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.servers = servers
        self.picker = picker
        self.chat = chat  # ChatController: choose_model, forget_model, models
        self.notice = notice
        self._asking: set[str] = set()
        servers.servers_changed.connect(self._on_servers_changed)
        servers.models_listed.connect(self._on_listed)
        servers.failed.connect(self._on_failed)
        picker.popup_opening.connect(self.refresh)

    def refresh(self) -> None:
        """Ask every saved server for its models again (each answers on its own)."""
        saved = self.servers.servers()
        self.picker.keep_servers([s["base_url"] for s in saved])
        for server in saved:
            url = server["base_url"]
            if url not in self._asking:
                self._asking.add(url)
                self.servers.list_models(url)

    def restore_last(self) -> bool:
        """Choose the remote model used last (the settings' ``last_model``), before the library names a file
        instead; its server says whether it still has it. True when one was chosen."""
        ref = ModelRef.from_key(self.chat.settings.last_model)
        if ref is None:
            return False
        saved = {s["base_url"]: s["name"] for s in self.servers.servers()}
        if ref.server not in saved:
            self.chat.settings.last_model = ""
            self.notice(f"The model used last, {ref.model_id}, was on {ref.server}, which is no longer among "
                        "your servers. Choose a model above, or connect to the server again (Models ▸ Connect to a "
                        "server…).")
            return False
        self.chat.choose_model(ref.key, remote_label(saved[ref.server], ref.model_id))
        return True

    def _on_servers_changed(self) -> None:
        self.chat.engine.remotes.servers_changed()
        models = self.chat.models
        ref = models.ref() if models.remote else None
        if ref is not None and ref.server not in {s["base_url"] for s in self.servers.servers()}:
            self.chat.forget_model()  # its server was removed: nothing answers in its name
            self.picker.show_model("")
        self._asking.clear()  # a changed key or address deserves a fresh answer
        self.refresh()

    def _saved_name(self, url: str) -> str | None:
        return next((s["name"] for s in self.servers.servers() if s["base_url"] == url), None)

    def _on_listed(self, url: str, ids: list) -> None:
        self._asking.discard(url)
        name = self._saved_name(url)
        if name is not None:  # not an address the Connect dialog is only testing
            self.picker.set_remote(url, name, [str(i) for i in ids])

    def _on_failed(self, url: str, message: str) -> None:
        self._asking.discard(url)
        name = self._saved_name(url)
        if name is not None:
            log.info("listing %s failed: %s", url, message)
            self.picker.set_remote(url, name, None, _short(message))


def _short(message: str) -> str:
    """The first sentence: one line in a drop-down list (the tooltip has the whole of it)."""
    first = message.split(". ", 1)[0].rstrip(".")
    return first + "."
