"""The models folder, movable: choose a new place, move the models there off the GUI thread, and
have everything that uses the folder follow.

The library, the downloads, the speech models list and the window's help text follow through
``folder_changed``. The chosen model is unloaded before its file moves (an open file cannot be moved
on every system, and the engine must not read from a path that is going away); the setting that names
it follows the move, so the library's next scan chooses it again from its new place.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core import models_folder
from app.core.download_queue import DOWNLOADING, QUEUED
from app.core.models_folder import MoveError, MovePlan
from app.settings import Settings

log = logging.getLogger("hearth.models_folder")


class ModelsFolderController(QObject):
    folder_changed = Signal(str)  # the models folder now in use
    move_progress = Signal(float, float)  # bytes moved, bytes in all (floats: past 2 GB)
    move_finished = Signal(str)  # a message for the user: where the models are now
    move_failed = Signal(str)  # why, for the user; the models are where they were
    busy_changed = Signal(bool)
    _done = Signal(object, object)  # worker thread to GUI thread: MovePlan, MoveResult or MoveError

    def __init__(self, folder: Path, settings: Settings, chat, library, downloads,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.settings = settings
        self.chat, self.library, self.downloads = chat, library, downloads
        self.busy = False
        self._stop = threading.Event()
        self._reselect = ""  # the chosen model's path before the move
        self._done.connect(self._on_done)

    def why_not(self) -> str:
        """Why the folder cannot change now, or ""."""
        if self.busy:
            return "The models are being moved."
        if self.chat.busy:
            return "A reply is being written. Stop it or let it finish, then change the models folder."
        if any(d.state in (QUEUED, DOWNLOADING) for d in self.downloads.downloads()):
            return "Models are downloading into the models folder. Pause the downloads first."
        return ""

    def plan(self, target: str) -> MovePlan:
        """What moving to ``target`` involves (raises MoveError with why it cannot be done).
        Listing the folder's files is quick: a models folder holds a few dozen at most."""
        why = self.why_not()
        if why:
            raise MoveError(why)
        return models_folder.plan_move(self.folder, Path(target))

    def use(self, target: str) -> None:
        """Use ``target`` from now on and leave the models where they are (no longer listed)."""
        why = self.why_not()
        if why:
            self.move_failed.emit(why)
            return
        self._switch(Path(target).expanduser().resolve())
        self.move_finished.emit(f"New models go to {self.folder}. The models in the old folder stay there.")

    def move(self, plan: MovePlan) -> None:
        why = self.why_not()
        if why:
            self.move_failed.emit(why)
            return
        self._set_busy(True)
        self._stop.clear()
        models = self.chat.models
        self._reselect = ""
        if models.path and Path(models.path).resolve().is_relative_to(plan.source):
            self._reselect = models.path
            self.chat.forget_model()
        threading.Thread(target=self._work, args=(plan,), daemon=True, name="models-move").start()

    def cancel(self) -> None:
        self._stop.set()

    def _work(self, plan: MovePlan) -> None:
        try:
            result = models_folder.move(plan, lambda done, total: self.move_progress.emit(done, total), self._stop)
        except MoveError as error:
            log.warning("moving the models to %s failed: %s %s", plan.target, error.message, error.detail)
            self._done.emit(plan, error)
            return
        self._done.emit(plan, result)

    def _on_done(self, plan: MovePlan, outcome) -> None:
        self._set_busy(False)
        if isinstance(outcome, MoveError):
            if self._reselect:
                self.settings.last_model = self._reselect  # chosen again from where it still is
                self.library.refresh()
            self.move_failed.emit(outcome.message)
            return
        self.settings.rebase_models(plan.source, plan.target)
        if self._reselect:
            self.settings.last_model = models_folder.rebased(self._reselect, plan.source, plan.target)
        self._switch(plan.target)
        text = f"Moved {plan.count} file{'s' * (plan.count != 1)} to {plan.target}."
        if outcome.left_behind:
            text += (f" {len(outcome.left_behind)} could not be removed from the old folder; the copies in the new "
                     "one are complete.")
        self.move_finished.emit(text)

    def _switch(self, folder: Path) -> None:
        self.folder = folder
        self.settings.models_folder = str(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.folder_changed.emit(str(folder))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changed.emit(busy)
