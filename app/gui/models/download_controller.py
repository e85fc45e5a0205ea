"""The download queue seen from the window: its worker thread's news as queued signals."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core.download_queue import Download, DownloadQueue
from app.core.net_limits import DEFAULT_LIMITS
from app.core.hub import RepoListing
from app.core.hub_files import QuantChoice


class DownloadController(QObject):
    download_changed = Signal(object)  # Download (a snapshot)
    download_removed = Signal(str)  # download id
    download_finished = Signal(object, str)  # Download, path of the model's first file in the models folder

    def __init__(self, client, models_dir: Path, work_dir: Path, stall_seconds: float | None = None,
                 retry_base: float | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queue = DownloadQueue(client, models_dir, work_dir, on_change=self.download_changed.emit,
                                   on_removed=self.download_removed.emit,
                                   on_finished=lambda download, path: self.download_finished.emit(download, str(path)),
                                   stall_seconds=stall_seconds, retry_base=retry_base,
                                   limits=getattr(client, "limits", DEFAULT_LIMITS))

    def set_models_dir(self, folder: str) -> None:
        """Finished downloads go to the new models folder (the move waits until none is running)."""
        self.queue.models_dir = Path(folder)

    def set_stall_seconds(self, seconds: float) -> None:
        """How long a download may crawl below the minimum pace before it reconnects, from its next try."""
        self.queue.limits = replace(self.queue.limits, stall_seconds=float(seconds))

    def downloads(self) -> list[Download]:
        return self.queue.downloads()

    def start(self) -> None:
        self.queue.start()

    def close(self) -> None:
        self.queue.close()

    def download(self, listing: RepoListing, choice: QuantChoice) -> Download:
        return self.queue.add(listing.repo_id, listing.revision, choice.label, list(choice.files), folder=choice.folder)

    def pause(self, download_id: str) -> None:
        self.queue.pause(download_id)

    def resume(self, download_id: str) -> None:
        self.queue.resume(download_id)

    def cancel(self, download_id: str) -> None:
        self.queue.cancel(download_id)

    def clear_finished(self) -> None:
        self.queue.clear_finished()
