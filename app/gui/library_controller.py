"""Keeps the list of known GGUF models current without blocking the window.

Header reads, imports and deletes run on worker threads; results come back as
queued signals. Settings change only on the GUI thread.
"""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core import library, library_files, voice_library
from app.core.errors import HearthError, ModelFileError
from app.core.gguf_info import read_gguf_info
from app.settings import Settings


class LibraryController(QObject):
    models_changed = Signal(list)  # [LibraryEntry]
    voices_changed = Signal(list)  # [InstalledVoice]: the Piper voices, the default one first
    file_added = Signal(str)  # path of a GGUF file the user opened, now in the library
    file_rejected = Signal(str)  # a message naming the problem
    operation_failed = Signal(str)  # an import or delete that did not happen, with why
    imported = Signal(str, str)  # the file the user imported, its path in the models folder (now listed)
    _accepted = Signal(str)  # worker thread to GUI thread: settings change only on the GUI thread

    def __init__(self, models_dir: Path, settings: Settings, include_starter: bool = True,
                 hf_cache: Path | None = None, lm_studio: tuple[Path, ...] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.models_dir = models_dir
        self.settings = settings
        self.include_starter = include_starter
        self.hf_cache = hf_cache
        self.lm_studio = library.lm_studio_folders() if lm_studio is None else lm_studio
        self.entries: list[library.LibraryEntry] = []
        self.voices: list[voice_library.InstalledVoice] = []
        self._accepted.connect(self._on_accepted)
        self._scan_lock = threading.Lock()
        self._generation_lock = threading.Lock()
        self._generation = 0  # refreshes asked for; only the newest one's listing is told
        self._select = ""  # a file to select once the newest listing is told

    def sources(self) -> library.Sources:
        settings = self.settings
        return library.Sources(
            models_dir=self.models_dir, added=tuple(settings.added_models), folders=tuple(settings.model_folders),
            hf_cache=self.hf_cache, hf_cache_enabled=settings.list_hf_cache,
            lm_studio=self.lm_studio if settings.list_lm_studio else (), include_starter=self.include_starter)

    def refresh(self, select: str = "") -> None:
        generation = self._next_scan(select)
        sources = self.sources()
        threading.Thread(target=self._scan, args=(sources, generation), daemon=True, name="library-scan").start()

    def _next_scan(self, select: str = "") -> int:
        """Number a scan about to start (and the file to select after it); only the newest one is told."""
        with self._generation_lock:  # never the scan's lock: the GUI thread must not wait for a scan
            self._generation += 1
            if select:
                self._select = select
            return self._generation

    def _scan(self, sources: library.Sources, generation: int) -> None:
        """List the library; only the newest scan is told. Scans started close together (a folder removed
        just after a switch was turned off) may finish in any order, and an older one must not bring back
        what a newer one dropped."""
        with self._scan_lock:
            if generation != self._generation:
                return  # a newer scan is waiting for the lock and will tell
            entries = library.scan(sources)
            voices = voice_library.find_voices(sources.models_dir, include_default=sources.include_starter)
            with self._generation_lock:
                if generation != self._generation:
                    return
                select, self._select = self._select, ""
            # Known before it is told: a window built after the signal left (and so not told) still reads it.
            self.entries, self.voices = entries, voices
            self.models_changed.emit(entries)
            self.voices_changed.emit(voices)
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

    def add_folder(self, folder: str) -> None:
        if folder not in self.settings.model_folders:
            self.settings.model_folders.append(folder)
        self.refresh()

    def remove_folder(self, folder: str) -> None:
        """Stop listing a folder's models in place (its files stay)."""
        if folder in self.settings.model_folders:
            self.settings.model_folders.remove(folder)
        self.refresh()

    def set_other_apps(self, hf_cache: bool, lm_studio: bool) -> None:
        """Whether the Hugging Face cache's and LM Studio's models are listed."""
        self.settings.list_hf_cache, self.settings.list_lm_studio = hf_cache, lm_studio
        self.refresh()

    def set_models_dir(self, folder: str) -> None:
        """The models folder moved (Preferences): list, import into and delete from the new one."""
        self.models_dir = Path(folder)
        self.refresh()

    def import_file(self, path: str, mode: str) -> None:
        """Copy, move or link a GGUF file into the models folder (off the GUI thread: copies take a while)."""
        def work() -> None:
            try:
                read_gguf_info(path)
                target = library_files.import_model(Path(path), self.models_dir, mode)
            except HearthError as error:
                self.operation_failed.emit(error.message)
                return
            self._scan(self.sources(), self._next_scan(str(target)))
            self.imported.emit(path, str(target))
        threading.Thread(target=work, daemon=True, name="library-import").start()

    def plan_delete(self, entry: library.LibraryEntry) -> library_files.DeletePlan:
        return library_files.plan_delete(entry, self.models_dir)

    def delete(self, plan: library_files.DeletePlan) -> None:
        path = str(plan.entry.path)
        if path in self.settings.added_models:
            self.settings.added_models.remove(path)
        try:
            library_files.delete(plan, self.models_dir)
        except HearthError as error:
            self.operation_failed.emit(error.message)
        self.refresh()

    def delete_voice(self, voice: voice_library.InstalledVoice) -> None:
        """Remove a downloaded voice (both its files); a choice of it in the settings goes back to the default."""
        try:
            voice_library.delete_voice(voice, self.models_dir)
        except HearthError as error:
            self.operation_failed.emit(error.message)
        if self.settings.speech_voice == str(voice.model):
            self.settings.speech_voice = ""
        self.refresh()

    def forget(self, entry: library.LibraryEntry) -> None:
        """Take an opened file off the list without touching it."""
        path = str(entry.path)
        if path in self.settings.added_models:
            self.settings.added_models.remove(path)
        self.refresh()
