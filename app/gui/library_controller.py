"""Keeps the list of known GGUF models current without blocking the window.

Header reads run on a worker thread; results come back as queued signals.
"""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core import library
from app.core.errors import ModelFileError
from app.core.gguf_info import read_gguf_info
from app.settings import Settings


class LibraryController(QObject):
    models_changed = Signal(list)  # [LibraryEntry]
    file_added = Signal(str)  # path of a GGUF file the user opened, now in the library
    file_rejected = Signal(str)  # a message naming the problem
    _accepted = Signal(str)  # worker thread to GUI thread: settings change only on the GUI thread

    def __init__(self, models_dir: Path, settings: Settings, include_starter: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.models_dir = models_dir
        self.settings = settings
        self.include_starter = include_starter
        self._accepted.connect(self._on_accepted)
        self._scan_lock = threading.Lock()

    def refresh(self, select: str = "") -> None:
        added = list(self.settings.added_models)
        threading.Thread(target=self._scan, args=(added, select), daemon=True, name="library-scan").start()

    def _scan(self, added: list[str], select: str) -> None:
        with self._scan_lock:
            entries = library.scan(self.models_dir, added, self.include_starter)
        self.models_changed.emit(entries)
        if select:
            self.file_added.emit(select)

    def add_file(self, path: str) -> None:
        """Check a file the user opened or dropped; add it to the library if it is a usable GGUF."""
        threading.Thread(target=self._check, args=(path,), daemon=True, name="library-check").start()

    def _check(self, path: str) -> None:
        try:
            read_gguf_info(path)
        except ModelFileError as error:
            self.file_rejected.emit(error.message)
            return
        self._accepted.emit(str(Path(path).resolve()))

    def _on_accepted(self, path: str) -> None:
        if path not in self.settings.added_models:
            self.settings.added_models.append(path)
        self.refresh(select=path)
