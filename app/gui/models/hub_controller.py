"""Hub questions off the GUI thread: searches, file lists, remote headers, the token.

Each request runs on its own worker thread and answers through a queued
signal. A newer search makes older answers stale: they are dropped, so a
slow reply never overwrites what the user typed last, and the older request
is stopped (also while it waits for the Hub, or waits out a Retry-After).
"""
from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from app.core import fit, quant_advice
from app.core.errors import HearthError
from app.core.hub import CHAT, SPEECH, VOICE, HubClient, RepoListing
from app.core.hub_files import choices, speech_choices
from app.core.gguf_info import GGUFInfo
from app.core.offline import RECOMMENDED_OFFLINE

log = logging.getLogger("hearth.hub")


class HubController(QObject):
    search_finished = Signal(list)  # [RepoSummary]
    search_failed = Signal(str, str)  # message, kind ("offline", "rate limited", …)
    search_waiting = Signal(str)  # the Hub asked to wait: what the search is doing meanwhile
    voices_found = Signal(object, list)  # RepoListing of rhasspy/piper-voices, [VoiceOffer] matching the search
    files_listed = Signal(object, list)  # RepoListing, [QuantChoice]
    listing_failed = Signal(str, str, str)  # message, kind, link
    listing_waiting = Signal(str, str)  # repo id, what the listing is doing meanwhile
    advice_ready = Signal(str, list, object, object)  # repo id, [Advice], recommended QuantChoice, GGUFInfo
    advice_failed = Signal(str, str)  # repo id, message
    # [recommended_fit.Pick] ranked, the Hub's problem ("" when none), whether the Hub has had its say
    recommendations_ready = Signal(list, str, bool)
    account_changed = Signal(str)  # the token's owner, "" when signed out
    token_failed = Signal(str)

    def __init__(self, client: HubClient, judge: Callable[[GGUFInfo], fit.Fit],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.judge = judge  # the chat's own fit check, so the manager and the load guard always agree
        self._searches = itertools.count(1)
        self._latest_search = 0
        self._latest_repo = ""
        self._search_stop = threading.Event()
        self._repo_stop = threading.Event()
        self._recommended_listed: dict | None = None  # the catalogue's repos as the Hub listed them
        self._recommending = threading.Lock()

    def _spawn(self, name: str, target, *args) -> None:
        threading.Thread(target=target, args=args, daemon=True, name=name).start()

    # -- search -------------------------------------------------------------------------
    def search(self, query: str, sort: str, kind: str = CHAT) -> None:
        number = next(self._searches)
        self._latest_search = number
        self._search_stop.set()  # the older search is stale: stop it wherever it waits
        self._search_stop = stop = threading.Event()
        self._spawn("hub-search", self._search, number, query, sort, kind, stop)

    def _search(self, number: int, query: str, sort: str, kind: str, stop: threading.Event) -> None:
        def waiting(_seconds: float, message: str) -> None:
            if number == self._latest_search:
                self.search_waiting.emit(message)

        try:
            if kind == VOICE:  # one repo's catalogue, searched here: the Hub has no search inside a repo
                listing, voices = self.client.list_voices(stop=stop, on_wait=waiting)
                if number == self._latest_search:
                    self.voices_found.emit(listing, [v for v in voices if v.matches(query)])
                return
            results = self.client.search(query, sort, kind=kind, stop=stop, on_wait=waiting)
        except HearthError as error:
            log.info("search failed: %s", error.detail)
            if number == self._latest_search:
                self.search_failed.emit(error.message, getattr(error, "kind", "error"))
            return
        if number == self._latest_search:
            self.search_finished.emit(results)

    # -- one repo -----------------------------------------------------------------------
    def open_repo(self, repo_id: str, kind: str = CHAT) -> None:
        self._latest_repo = repo_id
        self._repo_stop.set()
        self._repo_stop = stop = threading.Event()
        self._spawn("hub-files", self._list, repo_id, kind, stop)

    def _list(self, repo_id: str, kind: str, stop: threading.Event) -> None:
        def waiting(_seconds: float, message: str) -> None:
            if repo_id == self._latest_repo:
                self.listing_waiting.emit(repo_id, message)

        try:
            listing = self.client.list_files(repo_id, kind, stop=stop, on_wait=waiting)
        except HearthError as error:
            log.info("listing %s failed: %s", repo_id, error.detail)
            if repo_id == self._latest_repo:
                self.listing_failed.emit(error.message, getattr(error, "kind", "error"), getattr(error, "link", ""))
            return
        if repo_id != self._latest_repo:
            return
        if kind == SPEECH:  # one folder to download; Whisper models are small next to RAM
            self.files_listed.emit(listing, speech_choices(listing.files))
            return
        found = choices(listing.files)
        self.files_listed.emit(listing, found)
        self._advise(listing, found, stop)

    def _advise(self, listing: RepoListing, found: list, stop: threading.Event) -> None:
        chat_models = [c for c in found if c.downloadable]
        if not chat_models:
            return
        # Any quant's header will do; try the smallest few, in case one file is broken.
        problem = None
        for candidate in sorted(chat_models, key=lambda c: c.size)[:3]:
            try:
                header = self.client.read_header(listing.repo_id, candidate.first, listing.revision, stop=stop)
                break
            except HearthError as error:
                log.info("header of %s failed: %s", candidate.first.name, error.detail)
                if getattr(error, "kind", "") == "stopped":
                    return
                problem = problem or error
        else:
            self.advice_failed.emit(listing.repo_id, problem.message)
            return
        advice = quant_advice.advise(found, header, self.judge)
        self.advice_ready.emit(listing.repo_id, advice, quant_advice.recommended(advice), header)

    # -- the Recommended list -------------------------------------------------------------
    def recommend(self) -> None:
        """Rank the catalogue for this computer: at once from what is known, then with the Hub's real sizes
        (asked once; again on a later call when the Hub could not answer)."""
        self._spawn("hub-recommended", self._recommend)

    def _recommend(self) -> None:
        from app.core import recommended_fit

        listed = self._recommended_listed
        if listed is not None:
            self.recommendations_ready.emit(recommended_fit.recommend(self.judge, listed), "", True)
            return
        self.recommendations_ready.emit(recommended_fit.recommend(self.judge), "", False)
        if not self._recommending.acquire(blocking=False):
            return  # the Hub is being asked already: that answer will come
        try:
            found, problem = recommended_fit.list_catalogue(self.client)
            if problem is None:
                self._recommended_listed = found
            self.recommendations_ready.emit(recommended_fit.recommend(self.judge, found), _recommended_problem(problem),
                                            True)
        finally:
            self._recommending.release()

    # -- the token ----------------------------------------------------------------------
    def check_account(self) -> None:
        self._spawn("hub-account", lambda: self.account_changed.emit(self.client.token_owner()))

    def save_token(self, token: str) -> None:
        def work() -> None:
            try:
                owner = self.client.save_token(token)
            except HearthError as error:
                self.token_failed.emit("The Hub did not accept this token. " + error.message
                                       if getattr(error, "kind", "") == "access" else error.message)
                return
            self.account_changed.emit(owner)
        self._spawn("hub-token", work)

    def forget_token(self) -> None:
        def work() -> None:
            self.client.forget_token()
            self.account_changed.emit("")
        self._spawn("hub-token", work)


def _recommended_problem(problem) -> str:
    """What the Recommended list says when the Hub could not list its models (nothing when it could)."""
    if problem is None:
        return ""
    if getattr(problem, "kind", "") == "offline":  # not "the files of <the first repo asked>": the list's own words
        return RECOMMENDED_OFFLINE
    return f"{problem.message} Sizes are estimates until the Hub can be reached."
