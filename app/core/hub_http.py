"""The HTTP client huggingface_hub talks through: httpx2, with every read under a ``Guard``.

huggingface_hub makes its requests through one shared ``httpx2.Client``
(``get_session``) and lets an application supply it (``set_client_factory``).
Ours differs from its default in three places, all below the calls HfApi makes:

* the network backend reads in short slices and, between them, looks at the
  current guard: its deadline, its stop event (Pause, Cancel) and, for a
  download body, its minimum pace. httpx cannot do this itself: its timeouts
  restart with every byte. (The backend is set on the transport's connection
  pool, the one place httpx2 lets it be chosen; a test fails if that moves.)
* the transport checks each answer's headers before a body is read: every status
  huggingface_hub's retry loop retries (408, 429, 5xx) raises ``HubBusy``, and a
  failed connection raises the guard's own error (so that loop, which sleeps on
  Retry-After without a bound and closes the shared client after a connect error,
  never sees them), an HTML page where JSON was
  asked raises ``NotData``, a declared length over the cap raises ``TooLarge``;
* an error or redirect answer's body is capped at ``max_error_bytes`` (1 MB) whatever the request's
  own cap: huggingface_hub and httpx2's redirect loop read those whole;
* bodies are decompressed here, in pieces of at most 1 MiB, and counted against
  the guard's cap as they are decoded, so a gzip bomb stops at the cap. (httpx2
  decodes above the transport, out of reach of any cap; Content-Encoding is
  removed from the answer it sees.)

Requests outside a guard (huggingface_hub's helpers, a test filling the HF cache)
go through unchanged. Importing this module loads httpx2: callers import it where
the first request is made, off the GUI thread.
"""
from __future__ import annotations

import email.utils
import logging
import threading
import time
import zlib
from datetime import datetime, timezone

import httpcore2
import httpx2

from app.core import request_guard
from app.core.net_limits import DECODE_PIECE_BYTES as DECODE_PIECE
from app.core.net_limits import DEFAULT_LIMITS
from app.core.request_guard import UNGUARDED, ConnectionLost, HubBusy, NotData, TooLarge

log = logging.getLogger("hearth.hub")

_installed = False
# The statuses huggingface_hub's ``http_backoff`` retries (sleeping, deaf to Stop): under a guard they
# raise ``HubBusy`` before it sees them. Its own list is read where it exists, so a new entry is caught too.
try:
    from huggingface_hub.utils._http import _DEFAULT_RETRY_ON_STATUS_CODES as _HF_RETRIED
except ImportError:  # pragma: no cover - a huggingface_hub that moved it
    _HF_RETRIED = ()
BUSY_STATUSES = frozenset((408, 429, 500, 502, 503, 504, *_HF_RETRIED))
_own_clients: dict[str, httpx2.Client] = {}
_own_lock = threading.Lock()


def install() -> None:
    """Make huggingface_hub use the guarded client (once per process: its session is shared by design)."""
    global _installed
    if _installed:
        return
    from huggingface_hub import set_client_factory

    set_client_factory(make_client)
    _installed = True


def session() -> httpx2.Client:
    """huggingface_hub's shared client, guarded."""
    from huggingface_hub.utils import get_session

    install()
    return get_session()


def own_client(name: str) -> httpx2.Client:
    """A guarded client of its own (the download queue's), apart from huggingface_hub's shared session:
    huggingface_hub closes that session after a connect error, which would cut a download in mid-stream."""
    with _own_lock:
        client = _own_clients.get(name)
        if client is None or client.is_closed:
            client = _own_clients[name] = make_client()
        return client


def make_client() -> httpx2.Client:
    # The request hook is huggingface_hub's own: offline mode (HF_HUB_OFFLINE) and request ids.
    from huggingface_hub.utils._http import hf_request_event_hook

    return _GuardedClient(event_hooks={"request": [hf_request_event_hook]}, follow_redirects=True,
                          max_redirects=DEFAULT_LIMITS.max_redirects, timeout=None)


def server_client() -> httpx2.Client:
    """A guarded client for a server that is not a Hub (a remote OpenAI-compatible server): the same bounds on
    every read, none of huggingface_hub's hooks (its offline mode is about the Hub), no redirects followed."""
    return _GuardedClient(follow_redirects=False, timeout=None)


class _GuardedClient(httpx2.Client):
    """httpx2's own transports (proxies from the environment included), each with the guarded backend."""

    def _init_transport(self, *args, **kwargs):
        return _guard_transport(super()._init_transport(*args, **kwargs))

    def _init_proxy_transport(self, *args, **kwargs):
        return _guard_transport(super()._init_proxy_transport(*args, **kwargs))


def _guard_transport(transport):
    pool = getattr(transport, "_pool", None)
    if pool is None or not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpx2 changed: its transport no longer takes a network backend")
    pool._network_backend = _GuardedBackend(pool._network_backend)
    return _GuardedTransport(transport)


# -- the socket level: deadlines, stop, pace -------------------------------------------------------------
class _GuardedBackend(httpcore2.NetworkBackend):
    def __init__(self, inner) -> None:
        self._inner = inner

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        guard = request_guard.current()
        guard.check()
        if guard is not UNGUARDED:
            timeout = guard.connect_timeout(timeout)
        return _GuardedStream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _GuardedStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _GuardedStream(httpcore2.NetworkStream):
    def __init__(self, inner) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        guard = request_guard.current()
        if guard is UNGUARDED:
            return self._inner.read(max_bytes, timeout)
        give_up = None if timeout is None else time.monotonic() + timeout  # the caller's own per-read timeout
        while True:
            guard.check()
            began = time.monotonic()
            try:
                data = self._inner.read(max_bytes, guard.wait_slice(give_up))
            except httpcore2.ReadTimeout:
                guard.count(0, time.monotonic() - began)
                if give_up is not None and time.monotonic() >= give_up:
                    raise
                continue  # a slice ended: look at the bounds, then wait on
            guard.count(len(data), time.monotonic() - began)
            return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        guard = request_guard.current()
        guard.check()
        if guard is not UNGUARDED:
            timeout = guard.connect_timeout(timeout)  # requests are small: one bounded wait is enough
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        guard = request_guard.current()
        guard.check()
        if guard is not UNGUARDED:
            timeout = guard.connect_timeout(timeout)
        return _GuardedStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


# -- the answer level: status, type, size ---------------------------------------------------------------------
class _GuardedTransport(httpx2.BaseTransport):
    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        guard = request_guard.current()
        guard.check()
        if guard is UNGUARDED:
            return self._inner.handle_request(request)
        try:
            response = self._inner.handle_request(request)
        except httpx2.TransportError as error:
            raise _lost(guard, error) from error
        try:
            return _checked(request, response, guard)
        except BaseException:
            response.close()
            raise

    def close(self) -> None:
        self._inner.close()


def _checked(request: httpx2.Request, response: httpx2.Response, guard) -> httpx2.Response:
    status = response.status_code
    if guard.busy_raises and status in BUSY_STATUSES:
        raise HubBusy(status, retry_after(response.headers), guard.what)
    headers = response.headers
    if guard.refuse_html and 200 <= status < 300 and "html" in headers.get("content-type", "").lower():
        raise NotData(guard.what, f"content-type {headers.get('content-type')!r} for {request.url}")
    codings = [c.strip().lower() for c in headers.get("content-encoding", "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
        raise NotData(guard.what, f"content-encoding {headers.get('content-encoding')!r}")
    cap = guard.max_body
    if not 200 <= status < 300:
        # An error page or a redirect is read whole (by huggingface_hub for its message, by httpx2's
        # redirect loop): it gets a small cap of its own, not the download's size nor "no cap".
        cap = guard.limits.max_error_bytes if cap is None else min(cap, guard.limits.max_error_bytes)
    declared = headers.get("content-length", "") if request.method != "HEAD" else ""
    if not codings and cap is not None and declared.isdigit() and int(declared) > cap:
        raise TooLarge(guard.what, cap)
    # Always wrapped under a guard, even uncapped: a connection cut mid-body then raises the guard's error.
    kept = [(k, v) for k, v in headers.multi_items() if k.lower() not in ("content-encoding", "content-length")] \
        if codings else headers.multi_items()
    return httpx2.Response(status, headers=kept, stream=_Body(response.stream, codings[0] if codings else "", guard, cap),
                           extensions=response.extensions)


class _Body(httpx2.SyncByteStream):
    """The answer's bytes, decoded in bounded pieces and counted against the guard's cap."""

    def __init__(self, inner, coding: str, guard, cap: int | None) -> None:
        self._inner = inner
        self._guard = guard
        self._cap = cap
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 32) if coding else None  # gzip or zlib header
        self._raw_deflate = coding == "deflate"
        self._total = 0

    def __iter__(self):
        try:
            for raw in self._inner:
                yield from self._counted(self._decode(raw))
        except httpx2.TransportError as error:
            raise _lost(self._guard, error) from error
        if self._inflate is not None:
            yield from self._counted([self._inflate.flush()])

    def _decode(self, raw: bytes):
        if self._inflate is None:
            yield raw
            return
        try:
            piece = self._inflate.decompress(raw, DECODE_PIECE)
        except zlib.error:
            if not self._raw_deflate or self._total:
                raise NotData(self._guard.what, "a compressed answer that does not decompress") from None
            self._inflate, self._raw_deflate = zlib.decompressobj(-zlib.MAX_WBITS), False  # deflate without header
            piece = self._inflate.decompress(raw, DECODE_PIECE)
        while piece:
            yield piece
            piece = self._inflate.decompress(self._inflate.unconsumed_tail, DECODE_PIECE)

    def _counted(self, pieces):
        cap = self._cap
        for piece in pieces:
            if not piece:
                continue
            self._total += len(piece)
            if cap is not None and self._total > cap:
                raise TooLarge(self._guard.what, cap)
            yield piece

    def close(self) -> None:
        self._inner.close()


def _lost(guard, error: Exception) -> Exception:
    """The guard's own error for a failed connection: its bound when one passed (Stop, deadline), else
    ``ConnectionLost``; never httpx2's, which huggingface_hub would sleep on and retry."""
    try:
        guard.check()
    except request_guard.RequestAborted as bound:
        return bound
    return ConnectionLost(guard.what, error)


def retry_after(headers) -> float | None:
    """Seconds the Hub asks to wait: Retry-After (seconds or an HTTP date) or the Hub's RateLimit header."""
    from huggingface_hub.utils import parse_ratelimit_headers

    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    limit = parse_ratelimit_headers(headers)
    if limit is not None and limit.remaining == 0:
        return float(limit.reset_in_seconds)
    return None
