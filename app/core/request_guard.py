"""The bounds one request to a Hub lives under, and the errors that end it.

httpx timeouts count per socket read, so a server that trickles one byte a
second never trips them. A ``Guard`` is an overall bound instead: a deadline
for connect + headers + body (or, for a download's body, a minimum rate over a
window), a stop event that Pause and Cancel set, and a cap on the answer's
size. The code that asks opens one with ``guarded(...)``; the HTTP client in
``hub_http`` finds it in a context variable and enforces it on every socket
read, so no call into huggingface_hub needs to know about it.
"""
from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections import deque

from app.core.errors import HearthError
from app.core.gguf_info import format_bytes
from app.core.net_limits import DEFAULT_LIMITS, NetLimits, format_wait


class RequestAborted(HearthError):
    """A request that a bound ended, not the server."""


class Stopped(RequestAborted):
    def __init__(self) -> None:
        super().__init__("Stopped.")


class DeadlinePassed(RequestAborted):
    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"The Hub took longer than {seconds:g} s to answer, so Hearth stopped trying to {what}. "
                         "Try again in a moment.", f"deadline {seconds:g} s passed: {what}")
        self.seconds = seconds


class Stalled(RequestAborted):
    def __init__(self, window: float, min_rate: float, received: int) -> None:
        pace = "nothing arrived" if received == 0 else f"under {format_bytes(int(min_rate))}/s"
        super().__init__(f"The download stalled ({pace} for {window:g} s).",
                         f"{received} bytes in {window:g} s, below {min_rate:g} B/s")


class TooLarge(RequestAborted):
    def __init__(self, what: str, cap: int) -> None:
        super().__init__(f"The Hub's answer was larger than {format_bytes(cap)}, more than any real answer, "
                         f"so Hearth refused it and did not {what}.", f"over {cap} bytes: {what}")
        self.cap = cap


class NotData(RequestAborted):
    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"The Hub answered with a web page instead of data, so Hearth could not {what}. "
                         "A proxy, a firewall or a Wi-Fi sign-in page may be in the way.", detail)


class HubBusy(RequestAborted):
    """A 408, 429 or 5xx answer; ``retry_after`` is how long the Hub asks to wait (None when it does not say)."""

    def __init__(self, status: int, retry_after: float | None, what: str) -> None:
        if status == 429:
            message = "The Hub is limiting requests from this computer"
        else:
            message = f"The Hub had a problem ({status})"
        wait = f"; it asks to wait {format_wait(retry_after)}" if retry_after else ""
        super().__init__(f"{message}{wait}, so Hearth could not {what}.", f"HTTP {status}, Retry-After {retry_after}")
        self.status = status
        self.retry_after = retry_after


class ConnectionLost(RequestAborted):
    """The connection failed under a guard (refused, reset, cut mid-answer); ``cause`` is httpx2's error.

    Raised in place of httpx2's error so huggingface_hub's retry loop (which sleeps with a plain
    ``time.sleep`` and, on a connect error, closes the shared client) never sees it.
    """

    def __init__(self, what: str, cause: Exception) -> None:
        super().__init__(f"The connection to the Hub was lost, so Hearth could not {what}.",
                         f"{type(cause).__name__}: {cause}")
        self.cause = cause


class Guard:
    """The bounds of one request (or of a few requests that share one deadline)."""

    def __init__(self, what: str, seconds: float | None, stop: threading.Event | None = None,
                 max_body: int | None = None, refuse_html: bool = False, busy_raises: bool = True,
                 limits: NetLimits = DEFAULT_LIMITS) -> None:
        self.what = what
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.stop = stop
        self.max_body = max_body
        self.refuse_html = refuse_html  # a web page (a proxy's, a Wi-Fi sign-in) is never what was asked for
        self.busy_raises = busy_raises  # 429/5xx raise HubBusy, so no retry loop below ours sleeps on them
        self.limits = limits
        self.received = 0  # bytes read from the network, headers included
        self.waited = 0.0  # seconds spent blocked on the network
        self._stall: tuple[float, float] | None = None
        self._marks: deque[tuple[float, int]] = deque()

    # -- what the code that asks does --------------------------------------------------------------
    def body_started(self, window: float, min_rate: float) -> None:
        """From now on the pace counts, not the clock: a download's body may take hours, but not crawl.

        The pace is measured over time spent waiting on the network, so a reader that was slow itself
        (a busy disk, a busy machine) is never taken for a stalled server.
        """
        self.deadline = None
        self._stall = (window, min_rate)
        self._marks = deque([(self.waited, self.received)])

    # -- what the HTTP client does -----------------------------------------------------------------
    def check(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise Stopped()
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise DeadlinePassed(self.what, self.seconds)
        if self._stall is not None:
            self._check_pace()

    def wait_slice(self, give_up: float | None = None) -> float:
        """How long one blocking socket call may wait before the bounds are looked at again."""
        now = time.monotonic()
        wait = self.limits.poll_seconds
        for limit in (self.deadline, give_up):
            if limit is not None:
                wait = min(wait, limit - now)
        return max(wait, 0.001)

    def connect_timeout(self, asked: float | None) -> float:
        timeout = self.limits.connect_seconds if asked is None else min(asked, self.limits.connect_seconds)
        if self.deadline is not None:
            timeout = min(timeout, self.deadline - time.monotonic())
        return max(timeout, 0.001)

    def count(self, received: int, waited: float) -> None:
        self.received += received
        self.waited += waited

    def _check_pace(self) -> None:
        window, min_rate = self._stall
        clock, marks = self.waited, self._marks
        if clock - marks[-1][0] >= window / 8:
            marks.append((clock, self.received))
        while len(marks) > 1 and marks[1][0] <= clock - window:
            marks.popleft()
        since, then = marks[0]
        if clock - since >= window and self.received - then < min_rate * window:
            raise Stalled(window, min_rate, self.received - then)


class _Unguarded(Guard):
    """Requests made outside any ``guarded`` block (huggingface_hub's own helpers): no bounds added."""

    def __init__(self) -> None:
        super().__init__("reach the Hub", None, busy_raises=False)

    def check(self) -> None:
        pass


UNGUARDED = _Unguarded()
_CURRENT: contextvars.ContextVar[Guard] = contextvars.ContextVar("hearth_request_guard", default=UNGUARDED)


def current() -> Guard:
    return _CURRENT.get()


@contextlib.contextmanager
def guarded(what: str, seconds: float | None, stop: threading.Event | None = None, max_body: int | None = None,
            refuse_html: bool = False, busy_raises: bool = True, limits: NetLimits = DEFAULT_LIMITS):
    """Every request made inside this block, on this thread, lives under one ``Guard``."""
    guard = Guard(what, seconds, stop, max_body, refuse_html, busy_raises, limits)
    token = _CURRENT.set(guard)
    try:
        yield guard
    finally:
        _CURRENT.reset(token)
