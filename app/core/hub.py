"""Talking to the Hugging Face Hub: search, file lists, remote GGUF headers, and the user's token.

huggingface_hub does the talking (routes, auth headers, pagination); this
module asks it questions a model manager needs and turns its exceptions into
messages a person can act on. Every question runs under a request guard (a
deadline for the whole answer, a size cap, the caller's stop event), and a
429/5xx answer is asked again at most ``hub_retries`` times, waiting as long
as the Hub asks up to ``retry_after_cap`` (see ``net_limits``). The endpoint
and the limits are passed in, so tests point the real client at a local
server with short deadlines.
"""
from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.core import remote_header
from app.core.errors import HearthError
from app.core.gguf_info import GGUFInfo
from app.core.hub_files import HubFile, check_relative_path, check_repo_id, is_speech_model_file
from app.core.net_limits import DEFAULT_LIMITS, NetLimits, format_wait
from app.core.offline import no_network, offline_message
from app.core.request_guard import ConnectionLost, DeadlinePassed, HubBusy, RequestAborted, Stopped, guarded

log = logging.getLogger("hearth.hub")

SORTS = {"downloads": "downloads", "likes": "likes", "recent": "last_modified"}
# What a search looks for: GGUF chat models, faster-whisper (CTranslate2) speech models, or Piper voices
# (one repo's catalogue, not a search: see ``list_voices``).
CHAT, SPEECH, VOICE = "chat", "speech", "voice"
KIND_TAGS = {CHAT: "gguf", SPEECH: "ctranslate2"}
SEARCH_LIMIT = 50
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_GIT_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
REACHABLE_FOR = 60.0
# Told when a question waits before asking again: (seconds, the sentence to show).
OnWait = Callable[[float, str], None]


class HubError(HearthError):
    """The Hub could not answer; ``kind`` says why, for the window to choose its wording."""

    def __init__(self, message: str, detail: str = "", kind: str = "error", link: str = "") -> None:
        super().__init__(message, detail)
        self.kind = kind  # "offline", "timeout", "rate limited", "access", "not found", "stopped", "error"
        self.link = link


@dataclass(frozen=True)
class RepoSummary:
    repo_id: str
    author: str
    downloads: int
    likes: int
    last_modified: datetime | None
    gated: bool
    url: str


@dataclass(frozen=True)
class RepoListing:
    repo_id: str
    revision: str  # the commit the file list belongs to; downloads use it so parts never mix
    gated: bool
    files: list[HubFile]
    url: str


class HubClient:
    def __init__(self, endpoint: str | None = None, token: str | None = None,
                 limits: NetLimits = DEFAULT_LIMITS) -> None:
        from huggingface_hub import constants  # light; the HTTP stack loads with the first request

        # token=None lets huggingface_hub find HF_TOKEN or the token saved by ``hf auth login``.
        self.endpoint = (endpoint or constants.ENDPOINT).rstrip("/")
        self.limits = limits
        self._token = token
        self._reached_at = -REACHABLE_FOR

    @functools.cached_property
    def _api(self):
        # Built on first use, on a worker thread: importing HfApi (httpx2 and friends) takes about
        # 0.2 s, which the window's start-up should not pay.
        from huggingface_hub import HfApi

        from app.core import hub_http

        hub_http.install()
        return HfApi(endpoint=self.endpoint, token=self._token)

    def _check_reachable(self, stop: threading.Event | None) -> None:
        """Fail fast when the Hub cannot be reached at all.

        huggingface_hub retries a refused connection with backoff for about 25 s, which is right
        for a flaky network but leaves someone who is offline staring at "Searching…". One quick
        request tells the two apart; a success is trusted for a minute.
        """
        from app.core import hub_http

        if time.monotonic() - self._reached_at < REACHABLE_FOR:
            return
        with guarded("reach the Hub", self.limits.probe_seconds, stop, max_body=self.limits.max_json_bytes,
                     busy_raises=False, limits=self.limits):
            hub_http.session().head(self.endpoint)  # any answer at all means "online"
        self._reached_at = time.monotonic()

    def _ask(self, action: str, work: Callable, stop: threading.Event | None = None,
             on_wait: OnWait | None = None, repo_id: str = "", seconds: float | None = None,
             max_body: int | None = -1, refuse_html: bool = True, probe: bool = True):
        """``work()`` under a request guard, asked again after a 429/5xx as the limits allow.

        Every failure leaves as a HubError (or another HearthError with a message for people).
        """
        link = self.repo_url(repo_id) if repo_id else ""
        self._api  # noqa: B018 - built (imports and all) before any deadline starts counting
        attempt = 0
        while True:
            try:
                if probe:
                    self._check_reachable(stop)
                with guarded(action, self.limits.request_seconds if seconds is None else seconds, stop,
                             self.limits.max_json_bytes if max_body == -1 else max_body, refuse_html,
                             limits=self.limits):
                    return work()
            except HubBusy as busy:
                attempt += 1
                wait = busy.retry_after
                if wait is None:
                    wait = min(self.limits.max_backoff, self.limits.retry_base * 2 ** (attempt - 1))
                if attempt > self.limits.hub_retries or wait > self.limits.retry_after_cap:
                    raise translate(busy, action, link) from None
                if on_wait is not None:
                    on_wait(wait, _waiting_message(busy, wait, action))
                log.info("hub busy (%s); asking again in %.1f s", busy.detail, wait)
                if (stop or threading.Event()).wait(wait):  # a newer search, or the window closing, ends the wait
                    raise translate(Stopped(), action, link) from None
            except HearthError as error:
                if isinstance(error, RequestAborted):
                    raise translate(error, action, link) from None
                raise
            except Exception as error:  # noqa: BLE001 - every failure reaches the user as a HubError
                raise translate(error, action, link) from error

    def repo_url(self, repo_id: str) -> str:
        return f"{self.endpoint}/{repo_id}"

    def search(self, query: str, sort: str = "downloads", limit: int = SEARCH_LIMIT, kind: str = CHAT,
               stop: threading.Event | None = None, on_wait: OnWait | None = None) -> list[RepoSummary]:
        """GGUF (or faster-whisper) repos matching ``query``, most downloaded (or liked, or recent) first."""
        text = query.strip() or ("whisper" if kind == SPEECH else "")

        def work() -> list[RepoSummary]:
            found = self._api.list_models(
                filter=KIND_TAGS.get(kind, "gguf"), search=text or None, sort=SORTS.get(sort, "downloads"), limit=limit,
                expand=["author", "downloads", "likes", "lastModified", "gated"],
            )
            results = []
            for model in found:
                results.append(RepoSummary(
                    repo_id=model.id, author=model.author or model.id.split("/")[0],
                    downloads=model.downloads or 0, likes=model.likes or 0,
                    last_modified=model.last_modified, gated=bool(model.gated), url=self.repo_url(model.id)))
            return results

        return self._ask("search for models", work, stop, on_wait)

    def list_files(self, repo_id: str, kind: str = CHAT, stop: threading.Event | None = None,
                   on_wait: OnWait | None = None) -> RepoListing:
        """The repo's GGUF files (or, for a speech model, every file it needs) with sizes and LFS
        sha256, at the repo's current commit."""
        check_repo_id(repo_id)

        def work() -> RepoListing:
            # Read inside the guard's translation: a listing that is JSON but not the Hub's shape
            # (a number for a name, text for a size) ends as a sentence, not in a dead worker thread.
            info = self._api.model_info(repo_id, files_metadata=True)
            files = []
            for sibling in info.siblings or []:
                name = sibling.rfilename
                if not isinstance(name, str):
                    raise TypeError(f"file name {name!r}")
                wanted = (name.lower().endswith(".gguf") if kind == CHAT else
                          name.endswith((".onnx", ".onnx.json")) if kind == VOICE else is_speech_model_file(name))
                if not wanted:
                    continue
                check_relative_path(name)  # a hostile name makes the whole listing untrustworthy
                files.append(HubFile(name, *_size_and_sha256(sibling), _git_sha1(sibling)))
            revision = info.sha or "main"
            if not isinstance(revision, str):
                raise TypeError(f"revision {revision!r}")
            return RepoListing(repo_id, revision, bool(info.gated), files, self.repo_url(repo_id))

        return self._ask(f"list the files of {repo_id}", work, stop, on_wait, repo_id)

    def list_voices(self, stop: threading.Event | None = None,
                    on_wait: OnWait | None = None) -> tuple[RepoListing, list]:
        """The Piper voices of ``rhasspy/piper-voices``: its file list (sizes, sha256, blob ids) joined with
        its ``voices.json`` (languages, qualities, speakers), at one commit."""
        from app.core import piper_catalogue

        listing = self.list_files(piper_catalogue.PIPER_REPO, VOICE, stop, on_wait)
        url = self.file_url(listing.repo_id, piper_catalogue.VOICES_INDEX, listing.revision)

        def work() -> bytes:
            from huggingface_hub.utils import hf_raise_for_status

            from app.core import hub_http

            response = hub_http.session().get(url, headers=self.auth_headers(), follow_redirects=True)
            hf_raise_for_status(response)
            return response.content

        index = self._ask("list the Piper voices", work, stop, on_wait, listing.repo_id, refuse_html=True)
        return listing, piper_catalogue.parse(index, listing.files)

    def file_url(self, repo_id: str, name: str, revision: str) -> str:
        from huggingface_hub import hf_hub_url

        check_relative_path(name)
        return hf_hub_url(repo_id, name, revision=revision, endpoint=self.endpoint)

    def auth_headers(self) -> dict[str, str]:
        from huggingface_hub.utils import build_hf_headers

        from app import APP_NAME, __version__

        return build_hf_headers(token=self._token, library_name=APP_NAME, library_version=__version__)

    def read_header(self, repo_id: str, hub_file: HubFile, revision: str,
                    stop: threading.Event | None = None) -> GGUFInfo:
        """The GGUF header of a file on the Hub, read with HTTP range requests (a few MB at most)."""
        url = self.file_url(repo_id, hub_file.name, revision)
        # No size cap on the answer: the reader stops at its own byte budget, whatever the server sends.
        return self._ask(f"read the header of {hub_file.name}",
                         lambda: remote_header.read(url, self.auth_headers(), hub_file.size, hub_file.name,
                                                    self.limits.max_header_bytes),
                         stop, repo_id=repo_id, seconds=self.limits.header_seconds, max_body=None,
                         probe=False)

    # -- the user's token, kept by huggingface_hub, never by Hearth ------------------
    def token_owner(self) -> str:
        """Who the saved token belongs to ("" when there is none or it is refused)."""
        from huggingface_hub import get_token

        token = self._token or get_token()
        if not token:
            return ""
        try:
            return str(self._ask("check the token", lambda: self._api.whoami(token=token), probe=False)
                       .get("name", ""))
        except HearthError as error:  # any failure means "not signed in" here
            log.info("token check failed: %s", error.detail)
            return ""

    def save_token(self, token: str) -> str:
        """Check a pasted token with the Hub and store it through huggingface_hub (as ``hf auth login`` does)."""
        from huggingface_hub import login

        token = token.strip()

        def work() -> str:
            login(token=token, add_to_git_credential=False, skip_if_logged_in=False)
            return str(self._api.whoami(token=token).get("name", ""))

        return self._ask("check the token", work, probe=False)

    def forget_token(self) -> None:
        from huggingface_hub import logout

        logout()


def _size_and_sha256(sibling) -> tuple[int, str]:
    """A listed file's size (a non-negative int) and LFS sha256 (64 hex digits, or "" for a small file)."""
    lfs = sibling.lfs
    size = lfs.size if lfs else sibling.size
    sha256 = (lfs.sha256 if lfs else "") or ""
    if size is None:
        size = 0
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"file size {size!r}")
    if not isinstance(sha256, str) or (sha256 and not _SHA256.fullmatch(sha256)):
        raise ValueError(f"sha256 {sha256!r}")
    return size, sha256.lower()


def _git_sha1(sibling) -> str:
    """A small non-LFS file's git blob id (40 hex digits), or "" (an LFS file is verified by its sha256)."""
    blob = getattr(sibling, "blob_id", None)
    if sibling.lfs or not isinstance(blob, str) or not _GIT_SHA1.fullmatch(blob):
        return ""
    return blob.lower()


def _waiting_message(busy: HubBusy, wait: float, action: str) -> str:
    who = "The Hub asks to wait" if busy.retry_after is not None else (
        "The Hub is limiting requests; waiting" if busy.status == 429 else f"The Hub had a problem ({busy.status}); waiting")
    return f"{who} {format_wait(wait)}, then Hearth will {action} again…"


def translate(error: Exception, action: str, link: str = "") -> HubError:
    import httpx2
    from huggingface_hub.errors import (GatedRepoError, HfHubHTTPError, OfflineModeIsEnabled,
                                        RepositoryNotFoundError)

    if isinstance(error, ConnectionLost) and isinstance(error.cause, (httpx2.ConnectError, httpx2.TimeoutException,
                                                                      httpx2.NetworkError)):
        error = error.cause  # worded below as httpx2's error would be: this computer seems to be offline
    detail = f"{type(error).__name__}: {error}"
    if isinstance(error, HubBusy):
        if error.status == 429:
            wait = (f"It asks to wait {format_wait(error.retry_after)}; try again then." if error.retry_after
                    else "Wait a minute and try again.")
            return HubError(f"The Hub is limiting requests from this computer, so Hearth could not {action}. {wait}",
                            error.detail, kind="rate limited")
        return HubError(f"The Hub had a problem ({error.status}) and could not {action}. Try again in a moment.",
                        error.detail)
    if isinstance(error, Stopped):
        return HubError("Stopped.", error.detail, kind="stopped")
    if isinstance(error, DeadlinePassed):
        return HubError(error.message, error.detail, kind="timeout")
    if isinstance(error, RequestAborted):
        return HubError(error.message, error.detail)
    if isinstance(error, OfflineModeIsEnabled):
        return HubError("Offline mode is on (HF_HUB_OFFLINE), so Hearth cannot reach the Hub. "
                        "Your downloaded models still work.", detail, kind="offline")
    if isinstance(error, httpx2.TooManyRedirects):
        return HubError(f"The Hub sent Hearth round in circles (too many redirects), so it could not {action}.",
                        detail)
    if no_network(error):
        return HubError(offline_message(action), detail, kind="offline")
    if isinstance(error, (httpx2.TimeoutException, httpx2.NetworkError, ConnectionError)):
        return HubError(f"The connection to the Hub was lost, so Hearth could not {action}. Try again in a moment; "
                        "your downloaded models still work.", detail, kind="offline")
    status = getattr(getattr(error, "response", None), "status_code", None)
    if isinstance(error, GatedRepoError) or status in (401, 403):
        return HubError("This repo needs a Hugging Face token, or you must accept its license on its page "
                        "first. Add your token in Settings, then try again.", detail, kind="access", link=link)
    if isinstance(error, RepositoryNotFoundError) or status == 404:
        return HubError("The Hub has no such repo, or it is private (a token may give access).", detail,
                        kind="not found", link=link)
    if status == 429:
        return HubError("The Hub is limiting requests from this computer. Wait a minute and try again.",
                        detail, kind="rate limited")
    if isinstance(error, HfHubHTTPError) and status and status >= 500:
        return HubError(f"The Hub had a problem ({status}) and could not {action}. Try again in a moment.",
                        detail)
    if isinstance(error, HfHubHTTPError) and status:
        return HubError(f"The Hub refused to {action} (it answered {status}).", detail)
    if isinstance(error, (ValueError, KeyError, TypeError, httpx2.DecodingError)):  # JSON that is not the Hub's
        return HubError(f"The Hub's answer was not the data Hearth asked for, so it could not {action}.", detail)
    log.warning("unexpected failure to %s: %s", action, detail)
    return HubError(f"Could not {action} because of an unexpected problem; the details are in Hearth's log.",
                    detail)
