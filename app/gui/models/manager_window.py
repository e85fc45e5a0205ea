"""The Model manager window: Discover on the Hub, Downloads, and the Library on this computer."""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QMainWindow, QMessageBox,
                               QPushButton, QTabWidget, QVBoxLayout, QWidget)

from app import APP_NAME
from app.core import fit, library_files
from app.core.download_queue import DONE, DOWNLOADING, PAUSED, QUEUED, Download
from app.core.gguf_info import format_bytes
from app.core.voice_library import InstalledVoice
from app.gui.library_controller import LibraryController
from app.gui.models.discover_page import DiscoverPage
from app.gui.models.download_controller import DownloadController
from app.gui.models.downloads_page import DownloadsPage
from app.gui.models.hub_controller import HubController
from app.gui.models.library_page import LibraryPage


def ask_with_dialog(parent, title: str, text: str, choices: tuple[str, ...], dismiss: str = "") -> str:
    """A modal question; returns the chosen button's text, or "" when dismissed (Cancel, or ``dismiss``)."""
    box = QMessageBox(QMessageBox.Question, title, text, parent=parent)
    buttons = {box.addButton(choice, QMessageBox.AcceptRole): choice for choice in choices}
    if dismiss:
        box.setEscapeButton(box.addButton(dismiss, QMessageBox.RejectRole))
    else:
        box.addButton(QMessageBox.Cancel)
    box.exec()
    return buttons.get(box.clickedButton(), "")


class ModelManagerWindow(QMainWindow):
    model_chosen = Signal(str)  # path of a library model to chat with

    def __init__(self, hub: HubController, downloads: DownloadController, library: LibraryController,
                 describe_fit=None, load_settings=None, parent=None) -> None:
        super().__init__(parent)
        self.hub, self.downloads, self.library = hub, downloads, library
        self.ask = lambda title, text, choices, dismiss="": ask_with_dialog(self, title, text, choices, dismiss)
        self.setWindowTitle(f"Model manager — {APP_NAME}")
        self.resize(1000, 680)
        self.discover = DiscoverPage()
        self.downloads_page = DownloadsPage()
        self.library_page = LibraryPage(describe_fit=describe_fit, load_settings=load_settings)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.discover, "Discover")
        self.tabs.addTab(self.downloads_page, "Downloads")
        self.tabs.addTab(self.library_page, "Library")
        self.account = QLabel("")
        self.account.setObjectName("hubAccount")
        self.token_button = QPushButton("Add Hugging Face token…")
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.hide()
        self.notice = QLabel("")
        self.notice.setObjectName("managerNotice")
        self.notice.setWordWrap(True)
        self.notice.setOpenExternalLinks(True)
        top = QHBoxLayout()
        top.addWidget(self.notice, 1)
        top.addWidget(self.account)
        top.addWidget(self.token_button)
        top.addWidget(self.sign_out_button)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        QShortcut(QKeySequence.Find, self, activated=self._focus_search)
        QShortcut(QKeySequence.Close, self, activated=self.close)
        self._notice_about = ""  # the download id or imported file an info notice tells of, while it is true
        self._connect()
        for download in downloads.downloads():
            self.downloads_page.show_download(download)
        self._update_downloads_tab()
        self.library_page.set_entries(library.entries)
        self.discover.set_library(library.entries)
        self.library_page.set_voices(library.voices)
        self.discover.set_voices(library.voices)
        self._searched = False

    def _connect(self) -> None:
        hub, page = self.hub, self.discover
        page.search_requested.connect(hub.search)
        page.recommended_requested.connect(hub.recommend)
        hub.recommendations_ready.connect(page.show_recommendations)
        page.repo_chosen.connect(hub.open_repo)
        page.download_requested.connect(self._download)
        page.chat_requested.connect(self.model_chosen)
        hub.search_finished.connect(page.show_results)
        hub.search_failed.connect(page.show_search_error)
        hub.search_waiting.connect(page.show_search_waiting)
        hub.voices_found.connect(page.show_voices)
        hub.files_listed.connect(page.show_files)
        hub.listing_failed.connect(page.show_listing_error)
        hub.listing_waiting.connect(page.show_listing_waiting)
        hub.advice_ready.connect(page.show_advice)
        hub.advice_failed.connect(page.show_advice_error)
        hub.account_changed.connect(self._on_account)
        hub.token_failed.connect(self._show_problem)
        self.token_button.clicked.connect(self._ask_token)
        self.sign_out_button.clicked.connect(hub.forget_token)

        queue, rows = self.downloads, self.downloads_page
        rows.pause_requested.connect(queue.pause)
        rows.resume_requested.connect(queue.resume)
        rows.cancel_requested.connect(self._cancel)
        rows.clear_requested.connect(queue.clear_finished)
        queue.download_changed.connect(self._on_download)
        queue.download_removed.connect(self._on_download_removed)

        lib = self.library
        lib.models_changed.connect(self.library_page.set_entries)
        lib.models_changed.connect(self.discover.set_library)
        lib.voices_changed.connect(self.library_page.set_voices)
        lib.voices_changed.connect(self.discover.set_voices)
        lib.operation_failed.connect(self._show_problem)
        lib.imported.connect(self._on_imported)
        lib.file_added.connect(self.library_page.select)
        self.library_page.use_requested.connect(lambda entry: self.model_chosen.emit(str(entry.path)))
        self.library_page.delete_requested.connect(self._delete)
        self.library_page.reveal_requested.connect(self._reveal)
        self.library_page.import_requested.connect(self._import)
        self.library_page.add_folder_requested.connect(self._add_folder)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._searched:  # the first look: the Recommended list (the box is empty)
            self._searched = True
            self.discover.search_now()
            self.hub.check_account()

    def show_recommended(self) -> None:
        """Open on Discover with the search box empty: the Recommended list, ranked for this computer."""
        self.tabs.setCurrentWidget(self.discover)
        if self._searched:
            self.discover.show_recommended()
        else:
            self.discover.query.clear()
            self.discover.kind.setCurrentIndex(self.discover.kind.findData("chat"))  # the first look shows it
        self.show()
        self.raise_()
        self.activateWindow()

    def show_voices(self) -> None:
        """Open on Discover listing the Piper voices."""
        self.tabs.setCurrentWidget(self.discover)
        index = self.discover.kind.findData("voice")
        if self.discover.kind.currentIndex() != index:
            self.discover.kind.setCurrentIndex(index)  # lists them (or the first look will)
        elif self._searched:
            self.discover.search_now()
        self.show()
        self.raise_()
        self.activateWindow()

    def _focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.discover)
        self.discover.query.setFocus()
        self.discover.query.selectAll()

    def _show_problem(self, message: str) -> None:
        self._notice_about = ""
        self.notice.setText(html.escape(message))
        self.notice.setProperty("problem", True)
        self.notice.style().polish(self.notice)

    def _show_info(self, message: str, about: str = "") -> None:
        """``about``: what the message tells of while it is under way (a download, an import); the notice
        clears, or says how it ended, once that stops being true."""
        self._notice_about = about
        self.notice.setText(html.escape(message))
        self.notice.setProperty("problem", False)
        self.notice.style().polish(self.notice)

    # -- downloads ------------------------------------------------------------------------
    def _download(self, listing, choice) -> None:
        judged = self.discover.fit_for(choice)
        if judged is not None and judged.verdict == fit.WONT_FIT:
            answer = self.ask("Download a model that won't fit?",
                              f"{listing.repo_id} {choice.label} ({format_bytes(choice.size)}) won't fit this "
                              f"computer: {judged.message}\n\nYou can download it anyway, but it will not load "
                              "here with these settings.", ("Download anyway",))
            if answer != "Download anyway":
                return
        download = self.downloads.download(listing, choice)
        self._show_info(f"Downloading {listing.repo_id} {choice.label} ({format_bytes(choice.size)}): "
                        "follow it on the Downloads tab.", about=download.id)
        self.downloads_page.show_download(download)
        self._update_downloads_tab()

    def _cancel(self, download_id: str) -> None:
        """Ask what to do with the bytes received so far; without any, there is nothing to ask."""
        download = next((d for d in self.downloads.downloads() if d.id == download_id), None)
        if download is None:
            return
        if download.received <= 0:
            self.downloads.cancel(download_id)
            return
        answer = self.ask("Cancel the download?",
                          f"{format_bytes(download.received)} of {download.repo_id} {download.label} "
                          f"({format_bytes(download.total)}) are downloaded.\n\nKeep them for later (the "
                          "download stays on this tab, paused, to resume any time), or discard them?",
                          ("Keep for later", "Discard"), dismiss="Go on downloading")
        if answer == "Discard":
            self.downloads.cancel(download_id)
        elif answer == "Keep for later" and download.state != PAUSED:
            self.downloads.pause(download_id)

    def _on_download(self, download: Download) -> None:
        self.downloads_page.show_download(download)
        self._update_downloads_tab()
        if download.state == DONE:
            self._show_info(f"{download.repo_id} {download.label} is downloaded, verified and in your library.")
        elif download.id == self._notice_about and download.state not in (QUEUED, DOWNLOADING):
            self._show_info("")  # paused or failed: its row on the Downloads tab says so and why

    def _on_download_removed(self, download_id: str) -> None:
        self.downloads_page.remove_download(download_id)
        self._update_downloads_tab()
        if download_id == self._notice_about:  # cancelled: "Downloading…" is no longer true
            self._show_info("")

    def _update_downloads_tab(self) -> None:
        active = self.downloads_page.active_count()
        self.tabs.setTabText(1, f"Downloads ({active})" if active else "Downloads")

    # -- the token ------------------------------------------------------------------------
    def _on_account(self, owner: str) -> None:
        self.account.setText(f"Signed in to Hugging Face as {owner}" if owner else "")
        self.token_button.setVisible(not owner)
        self.sign_out_button.setVisible(bool(owner))
        if owner:
            self._show_info("Your Hugging Face token is saved by huggingface_hub, not in Hearth's files.")

    def _ask_token(self) -> None:
        token, ok = QInputDialog.getText(
            self, "Hugging Face token",
            "Paste a read token from your Hugging Face settings (Access Tokens).\n"
            "It is stored by huggingface_hub, like `hf auth login`, never in Hearth's files.",
            QLineEdit.Password)
        if ok and token.strip():
            self.hub.save_token(token)

    # -- library --------------------------------------------------------------------------
    def _delete(self, entry) -> None:
        if isinstance(entry, InstalledVoice):
            return self._delete_voice(entry)
        plan = self.library.plan_delete(entry)
        listed = "\n".join(f"• {path}" for path in plan.paths)
        where = {"Hugging Face cache": "in the Hugging Face cache, which other apps may use too",
                 "LM Studio": "in LM Studio's folder, and LM Studio may still use it"}.get(
                     entry.source, "in a folder of yours, where other apps may use it")
        warning = f"\n\nIt is outside Hearth's models folder, {where}." if plan.outside else ""
        text = (f"Delete {entry.display_name} from this computer? This frees {format_bytes(plan.size)} "
                f"and cannot be undone.\n\n{'Files' if len(plan.paths) > 1 else 'File'}:\n{listed}{warning}")
        choices = ("Delete",) if entry.source != "added" else ("Delete", "Only remove from the list")
        answer = self.ask("Delete model", text, choices)
        if answer == "Delete":
            self.library.delete(plan)
        elif answer == "Only remove from the list":
            self.library.forget(entry)

    def _delete_voice(self, voice: InstalledVoice) -> None:
        listed = "\n".join(f"• {path}" for path in voice.files)
        answer = self.ask("Delete voice", f"Delete the voice {voice.key} from this computer? This frees "
                          f"{format_bytes(voice.size)} and cannot be undone.\n\nFiles:\n{listed}", ("Delete",))
        if answer == "Delete":
            self.library.delete_voice(voice)

    def _reveal(self, entry) -> None:
        path = entry.model if isinstance(entry, InstalledVoice) else entry.path
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a GGUF model", str(Path.home()),
                                              "GGUF models (*.gguf);;All files (*)")
        if not path:
            return
        answer = self.ask("Import model", f"Bring {Path(path).name} into Hearth's models folder by:",
                          ("Copy", "Move", "Link"))
        if answer:
            self.import_file(path, answer.lower())

    def import_file(self, path: str, mode: str) -> None:
        if mode not in (library_files.COPY, library_files.MOVE, library_files.LINK):
            raise ValueError(mode)
        self._show_info(f"Importing {Path(path).name}…", about=path)
        self.library.import_file(path, mode)

    def _on_imported(self, source: str, target: str) -> None:
        if source == self._notice_about:
            self._show_info(f"Imported {Path(source).name}: it is in your library.")

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of GGUF models", str(Path.home()))
        if folder:
            self.library.add_folder(folder)
