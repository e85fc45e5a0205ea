"""Find GGUF repos on the Hub, see every quantization with its size and fit, start a download.

With the search box empty, the Recommended list stands in for search results: well-known
models ranked by what fits this computer; choosing one lists its repo with that quant chosen.
Quants already in the library are marked, and the button offers to chat with them instead.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QSplitter,
                               QStackedWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.core import fit
from app.core.gguf_info import format_bytes
from app.core.hub import RepoListing, RepoSummary
from app.core.hub_files import QuantChoice
from app.core.library_match import find_in_library
from app.gui.models.recommended_view import RecommendedView
from app.gui.models.voice_catalogue_view import VoiceCatalogueView

SORTS = (("Most downloaded", "downloads"), ("Most liked", "likes"), ("Recently updated", "recent"))
DEBOUNCE_MS = 350
FIT_COLOURS = {fit.FITS: "#2e7d32", fit.TIGHT: "#b26a00", fit.WONT_FIT: "#c62828"}


IN_LIBRARY = "in your library"


def counted(number: int, noun: str) -> str:
    """ "1 quantization", "3 quantizations"."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _count(number: int) -> str:
    for limit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if number >= limit:
            return f"{number / limit:.1f}{suffix}".replace(".0", "")
    return str(number)


class DiscoverPage(QWidget):
    search_requested = Signal(str, str, str)  # query, sort key, kind ("chat", "speech" or "voice")
    recommended_requested = Signal()  # the search box is empty: rank the Recommended list
    repo_chosen = Signal(str, str)  # repo id, kind
    download_requested = Signal(object, object)  # RepoListing, QuantChoice
    chat_requested = Signal(str)  # path of the library file that is this quant

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.listing: RepoListing | None = None
        self._advice: dict[tuple, object] = {}
        self._note = ""
        self._header_note = ""
        self._library: list = []
        self._wanted: tuple[str, str] | None = None  # (repo id, quant) chosen from the Recommended list
        self._voices: dict = {}  # key -> InstalledVoice: the downloaded voices, marked and not offered again
        self._voice_listing: RepoListing | None = None
        self.query = QLineEdit()
        self.query.setObjectName("hubSearch")
        self.query.setPlaceholderText("Search GGUF models on Hugging Face (for example: qwen, llama 8b, gemma)")
        self.query.setClearButtonEnabled(True)
        self.kind = QComboBox()
        self.kind.setObjectName("hubKind")
        self.kind.addItem("Chat models (GGUF)", "chat")
        self.kind.addItem("Speech models (Whisper)", "speech")
        self.kind.addItem("Voices (Piper)", "voice")
        self.sort = QComboBox()
        self.sort.setObjectName("hubSort")
        for label, key in SORTS:
            self.sort.addItem(label, key)
        self.status = QLabel("")
        self.status.setObjectName("hubStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.PlainText)  # messages carry Hub-supplied names: never read as markup
        self.results = QTreeWidget()
        self.results.setObjectName("hubResults")
        self.results.setHeaderLabels(["Repo", "Author", "Downloads", "Likes", "Updated"])
        self.results.setRootIsDecorated(False)
        self.results.setUniformRowHeights(True)
        self.results.header().setSectionResizeMode(0, QHeaderView.Stretch)
        self.results.header().setStretchLastSection(False)
        self.recommended = RecommendedView()
        self.left = QStackedWidget()
        self.left.addWidget(self.results)
        self.left.addWidget(self.recommended)
        self.voices = VoiceCatalogueView()
        self.left.addWidget(self.voices)

        self.repo_title = QLabel("Choose a repo to see its files")
        self.repo_title.setObjectName("repoTitle")
        self.repo_title.setOpenExternalLinks(True)
        self.repo_title.setTextFormat(Qt.RichText)
        self.repo_title.setWordWrap(True)
        self.repo_note = QLabel("")
        self.repo_note.setObjectName("repoNote")
        self.repo_note.setWordWrap(True)
        self.repo_note.setOpenExternalLinks(True)
        self.repo_note.setTextFormat(Qt.RichText)  # every text is escaped by _set_note; only its link is markup
        self.files = QTreeWidget()
        self.files.setObjectName("hubFiles")
        self.files.setHeaderLabels(["Quantization", "Size", "Fit"])
        self.files.setRootIsDecorated(False)
        self.files.header().setSectionResizeMode(0, QHeaderView.Stretch)
        self.fit_line = QLabel("")
        self.fit_line.setObjectName("fitLine")
        self.fit_line.setWordWrap(True)
        self.fit_line.setTextFormat(Qt.PlainText)
        self.download_button = QPushButton("Download")
        self.download_button.setObjectName("downloadButton")
        self.download_button.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(self.kind)
        top.addWidget(self.query, 1)
        top.addWidget(self.sort)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(8, 0, 0, 0)
        for widget in (self.repo_title, self.repo_note):
            column.addWidget(widget)
        column.addWidget(self.files, 1)
        column.addWidget(self.fit_line)
        column.addWidget(self.download_button, 0, Qt.AlignRight)
        self.splitter = splitter = QSplitter()
        splitter.addWidget(self.left)
        splitter.addWidget(right)
        splitter.setSizes([520, 480])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.search_now)
        self.query.textEdited.connect(lambda _text: self._debounce.start())
        self.query.returnPressed.connect(self.search_now)
        self.sort.currentIndexChanged.connect(lambda _index: self.search_now())
        self.kind.currentIndexChanged.connect(lambda _index: self._show_kind())
        self.results.currentItemChanged.connect(self._on_result)
        self.recommended.chosen.connect(self._on_pick)
        self.voices.chosen.connect(self._on_voice)
        self.files.currentItemChanged.connect(lambda *_: self._on_file())
        self.download_button.clicked.connect(self._download)

    # -- search ---------------------------------------------------------------------------
    def _show_kind(self) -> None:
        voice = self.kind.currentData() == "voice"
        self.query.setPlaceholderText("Filter the Piper voices (for example: english, de_DE, medium)" if voice else
                                      "Search GGUF models on Hugging Face (for example: qwen, llama 8b, gemma)")
        self.files.setHeaderLabels(["Files" if voice else "Quantization", "Size", "Fit"])
        self.search_now()

    def search_now(self) -> None:
        self._debounce.stop()
        if self.showing_recommended():
            self._show_left(self.recommended)
            self.sort.setEnabled(False)  # the list is ranked by fit, not by the Hub's sort
            self.status.setText("")
            self.status.setProperty("problem", False)
            self.status.style().polish(self.status)
            self.recommended_requested.emit()
            return
        if self.kind.currentData() == "voice":  # the Piper catalogue, filtered by the words typed
            self._show_left(self.voices)
            self.sort.setEnabled(False)
            self.status.setText("Listing the Piper voices on Hugging Face…")
            self.status.setProperty("problem", False)
            self.search_requested.emit(self.query.text(), "", "voice")
            return
        self._show_left(self.results)
        self.sort.setEnabled(True)
        self.status.setText("Searching the Hugging Face Hub…")
        self.status.setProperty("problem", False)
        self.search_requested.emit(self.query.text(), self.sort.currentData(), self.kind.currentData())

    def _show_left(self, widget: QWidget) -> None:
        """Results or the Recommended list; the list's wider rows get more of the width when it comes."""
        if self.left.currentWidget() is not widget:
            self.left.setCurrentWidget(widget)
            total = sum(self.splitter.sizes()) or 1000
            share = 0.64 if widget is self.recommended else 0.52
            self.splitter.setSizes([int(total * share), total - int(total * share)])

    def showing_recommended(self) -> bool:
        """An empty search box for chat models shows the Recommended list."""
        return not self.query.text().strip() and self.kind.currentData() == "chat"

    def show_recommended(self) -> None:
        """Empty the search box and show the Recommended list (for chat models)."""
        self.query.clear()
        if self.kind.currentData() != "chat":
            self.kind.setCurrentIndex(self.kind.findData("chat"))  # searches again, so shows the list
        else:
            self.search_now()

    def show_recommendations(self, picks: list, problem: str, final: bool) -> None:
        self.recommended.show_picks(picks, final)
        if problem and self.showing_recommended():
            self.status.setText(problem)
            self.status.setProperty("problem", True)
            self.status.style().polish(self.status)

    def _on_pick(self, pick) -> None:
        """A Recommended model chosen: its repo's files, with the recommended quant chosen."""
        if self.listing is not None and self.listing.repo_id == pick.model.repo_id and \
                self._wanted == (pick.model.repo_id, pick.choice.label):
            return  # already on show
        self._wanted = (pick.model.repo_id, pick.choice.label)
        self._open(pick.model.repo_id)

    def show_results(self, results: list[RepoSummary]) -> None:
        self.results.clear()
        for summary in results:
            updated = summary.last_modified.strftime("%Y-%m-%d") if summary.last_modified else ""
            item = QTreeWidgetItem([summary.repo_id + ("  (gated)" if summary.gated else ""), summary.author,
                                    _count(summary.downloads), _count(summary.likes), updated])
            item.setData(0, Qt.UserRole, summary.repo_id)
            item.setToolTip(0, summary.url + ("\nGated: needs a token and an accepted license" if summary.gated else ""))
            for column in (2, 3):
                item.setTextAlignment(column, Qt.AlignRight | Qt.AlignVCenter)
            self.results.addTopLevelItem(item)
        for column in range(1, 5):
            self.results.resizeColumnToContents(column)
        what = "GGUF" if self.kind.currentData() == "chat" else "speech model"
        self.status.setText(counted(len(results), f"{what} repo") if results else f"No {what} repos match this search.")
        self.status.setProperty("problem", False)
        self.status.style().polish(self.status)

    def show_search_waiting(self, message: str) -> None:
        self.status.setText(message)
        self.status.setProperty("problem", False)
        self.status.style().polish(self.status)

    def show_search_error(self, message: str, _kind: str) -> None:
        self.status.setText(message)
        self.status.setProperty("problem", True)
        self.status.style().polish(self.status)

    def result_ids(self) -> list[str]:
        return [self.results.topLevelItem(i).data(0, Qt.UserRole) for i in range(self.results.topLevelItemCount())]

    def choose_repo(self, repo_id: str) -> None:
        for index in range(self.results.topLevelItemCount()):
            item = self.results.topLevelItem(index)
            if item.data(0, Qt.UserRole) == repo_id:
                self.results.setCurrentItem(item)
                return

    def _on_result(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        self._wanted = None
        self._open(item.data(0, Qt.UserRole))

    def _open(self, repo_id: str) -> None:
        self.listing = None
        self.files.clear()
        self.download_button.setEnabled(False)
        self.repo_title.setText(f"<b>{html.escape(repo_id)}</b>")
        self._set_note("Listing files…")
        self.fit_line.setText("")
        self.repo_chosen.emit(repo_id, self.kind.currentData())

    # -- Piper voices ---------------------------------------------------------------------------
    def show_voices(self, listing: RepoListing, voices: list) -> None:
        if self.kind.currentData() != "voice":
            return  # the kind changed while the catalogue was asked for
        self._voice_listing = listing
        self.voices.show_voices(voices)
        self.status.setText(counted(len(voices), "Piper voice") if voices else "No Piper voices match this search.")
        self.status.setProperty("problem", False)
        self.status.style().polish(self.status)

    def set_voices(self, installed: list) -> None:
        """The voices on this computer: downloaded ones are marked, and not offered again."""
        from app.core.voice_library import MODELS_FOLDER

        self._voices = {v.key: v for v in installed if v.source == MODELS_FOLDER and v.usable}
        self.voices.set_installed(set(self._voices))
        self._mark_library()
        self._on_file()

    def _on_voice(self, offer) -> None:
        if self._voice_listing is None:
            return
        self._wanted = None
        self.show_files(self._voice_listing, [offer.choice])
        self.repo_title.setText(f"<b>{html.escape(offer.key)}</b> · {html.escape(offer.language)} · "
                                f"<a href=\"{html.escape(self._voice_listing.url)}\">rhasspy/piper-voices</a>")

    # -- one repo ---------------------------------------------------------------------------
    def show_files(self, listing: RepoListing, found: list[QuantChoice]) -> None:
        self.listing = listing
        self._advice = {}
        self.repo_title.setText(f"<b>{html.escape(listing.repo_id)}</b> · "
                                f"<a href=\"{html.escape(listing.url)}\">model card</a>")
        gated = "Gated: downloading needs a Hugging Face token and the license accepted on the model card. " \
            if listing.gated else ""
        chat = [c for c in found if c.downloadable]
        speech = self.kind.currentData() == "speech"
        voice = self.kind.currentData() == "voice"
        self._note = gated + ("A faster-whisper model for voice input: its whole folder is downloaded." if speech
                              else "A Piper voice for reading replies aloud: its .onnx and its .onnx.json are "
                                   "downloaded together and verified." if voice
                              else f"{counted(len(chat), 'quantization')} to choose from.")
        speech = speech or voice  # neither has a fit to check: both are small next to RAM
        self._set_note(self._note + (" Checking what fits this computer…" if chat and not speech else ""))
        self.files.clear()
        for choice in found:
            label = choice.title
            fit_text = "…"
            if choice.projector:
                label, fit_text = f"{label} · vision projector", "not a chat model"
            elif not choice.complete:
                fit_text = "parts missing"
            elif voice:
                label, fit_text = f"{choice.label} (.onnx + .onnx.json)", "voice"
            elif speech:
                label, fit_text = f"{choice.label} ({len(choice.files)} files)", "for Voice"
            item = QTreeWidgetItem([label, format_bytes(choice.size), fit_text])
            item.setData(0, Qt.UserRole, choice)
            item.setData(0, Qt.UserRole + 1, label)
            item.setToolTip(0, _plain_tip("\n".join(f.name for f in choice.files)))
            item.setTextAlignment(1, Qt.AlignRight | Qt.AlignVCenter)
            if not choice.downloadable:
                item.setFlags(item.flags() & ~Qt.ItemIsSelectable)
                item.setForeground(0, self.palette().placeholderText())
            self.files.addTopLevelItem(item)
        self._mark_library()
        self.files.resizeColumnToContents(1)
        if speech and found:
            self.files.setCurrentItem(self.files.topLevelItem(0))
        wanted = self._wanted_item()
        if wanted is not None:  # from the Recommended list: Download is one click, before the header is read
            self.files.setCurrentItem(wanted)
        if not found:
            self._set_note("This repo has no faster-whisper model." if speech else "This repo has no GGUF files.")

    def set_library(self, entries: list) -> None:
        """What the library holds now: its quants are marked, and offered to chat with."""
        self._library = list(entries)
        self._mark_library()
        self._on_file()

    def library_entry(self, choice: QuantChoice | None):
        if choice is None or not choice.downloadable:
            return None
        if choice.folder:  # a voice: in the library when its key is
            return self._voices.get(choice.label)
        return find_in_library(choice, self._library)

    def fit_for(self, choice: QuantChoice) -> fit.Fit | None:
        verdict = self._advice.get(choice.files)
        return verdict.fit if verdict is not None else None

    def _mark_library(self) -> None:
        for index in range(self.files.topLevelItemCount()):
            item = self.files.topLevelItem(index)
            label = item.data(0, Qt.UserRole + 1)
            owned = self.library_entry(item.data(0, Qt.UserRole)) is not None
            item.setText(0, f"{label} · {IN_LIBRARY}" if owned else label)

    def _set_note(self, text: str, link: str = "") -> None:
        """The note under the repo's name: plain text (it carries Hub-supplied names), with at most one link."""
        suffix = f' <a href="{html.escape(link)}">Open the model card</a>' if link else ""
        self.repo_note.setText(html.escape(text, quote=False) + suffix)

    def show_listing_waiting(self, repo_id: str, message: str) -> None:
        self._set_note(message)

    def show_listing_error(self, message: str, _kind: str, link: str) -> None:
        self._set_note(message, link)

    def show_advice(self, repo_id: str, advice: list, best: QuantChoice | None, header) -> None:
        if self.listing is None or self.listing.repo_id != repo_id:
            return
        self._advice = {a.choice.files: a for a in advice}
        for index in range(self.files.topLevelItemCount()):
            item = self.files.topLevelItem(index)
            choice: QuantChoice = item.data(0, Qt.UserRole)
            verdict = self._advice.get(choice.files)
            if verdict is None or verdict.fit is None:
                continue
            recommended = best is not None and choice.files == best.files
            item.setText(2, verdict.fit.verdict + ("  ★ recommended" if recommended else ""))
            item.setToolTip(2, _plain_tip(verdict.fit.message))
            item.setForeground(2, _colour(verdict.fit.verdict))
            if recommended and self._wanted_item() is None:
                self.files.setCurrentItem(item)
        self._set_note(self._note)
        self._header_note = f"Estimated from the real header of {header.path.name} ({header.architecture})."
        self._on_file()

    def _wanted_item(self) -> QTreeWidgetItem | None:
        """The row of the quant the Recommended list chose for the repo on show, if it is listed."""
        if self.listing is None or self._wanted is None or self._wanted[0] != self.listing.repo_id:
            return None
        for index in range(self.files.topLevelItemCount()):
            item = self.files.topLevelItem(index)
            choice: QuantChoice = item.data(0, Qt.UserRole)
            if choice.downloadable and choice.label == self._wanted[1]:
                return item
        return None

    def show_advice_error(self, repo_id: str, message: str) -> None:
        if self.listing is not None and self.listing.repo_id == repo_id:
            self.fit_line.setText(f"Cannot estimate memory: {message}")

    def current_choice(self) -> QuantChoice | None:
        item = self.files.currentItem()
        return item.data(0, Qt.UserRole) if item is not None else None

    def choose_file(self, title: str) -> None:
        for index in range(self.files.topLevelItemCount()):
            item = self.files.topLevelItem(index)
            if item.data(0, Qt.UserRole).title == title:
                self.files.setCurrentItem(item)
                return

    def file_rows(self) -> list[tuple[str, str, str]]:
        return [tuple(self.files.topLevelItem(i).text(c) for c in range(3))
                for i in range(self.files.topLevelItemCount())]

    def _on_file(self) -> None:
        choice = self.current_choice()
        if choice is None or not choice.downloadable:
            self.download_button.setEnabled(False)
            self.download_button.setText("Download")
            return
        self.download_button.setEnabled(True)
        if choice.folder and self.library_entry(choice) is not None:
            self.download_button.setEnabled(False)
            self.download_button.setText(f"{choice.label} is {IN_LIBRARY}")
        elif self.library_entry(choice) is not None:
            self.download_button.setText(f"Chat with {choice.label} ({IN_LIBRARY})")
        else:
            self.download_button.setText(f"Download {choice.label} ({format_bytes(choice.size)})")
        verdict = self._advice.get(choice.files)
        if verdict is not None and verdict.fit is not None:
            self.fit_line.setText(f"{verdict.fit.message} {self._header_note}")

    def _download(self) -> None:
        choice = self.current_choice()
        if self.listing is None or choice is None or not choice.downloadable:
            return
        owned = self.library_entry(choice)
        if owned is not None and choice.folder:
            return  # a voice already downloaded: chosen in Voice ▸ Reading voice, not chatted with
        if owned is not None:
            self.chat_requested.emit(str(owned.path))
        else:
            self.download_requested.emit(self.listing, choice)


def _colour(verdict: str):
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(FIT_COLOURS.get(verdict, "#444444")))


def _plain_tip(text: str) -> str:
    """A tooltip that shows ``text`` as it is: Qt reads a tooltip that looks like markup as markup."""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"
