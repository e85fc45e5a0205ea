"""Who goes next on a backend that answers one request at a time.

Several requesters share one loaded model: the window's turn, a title being
written, clients of the local API server. Each request carries a priority and
its own listener; the scheduler keeps at most one request in flight, starts
the most urgent waiting one (first come, first served within a priority) when
it ends, and never cancels one requester's work for another's. A request
cancelled while it waits ends at once with ``Done(cancelled)``; one cancelled in
flight is cancelled in the backend and ends when the backend says so.

Plain Python with a lock: requests arrive from the GUI thread and from the
server's threads, and ends are reported on the backend's reader thread.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import threading
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Callable

from app.backend.events import Done, Event, Failed
from app.engine import protocol

log = logging.getLogger("hearth.backend")

Listener = Callable[[Event], None]


class Priority(IntEnum):
    USER = 0  # the window's turn: what the person at the keyboard waits for
    API = 1  # another program, through the local server
    BACKGROUND = 2  # titles, context counts: useful, never in anyone's way


class QueueFull(Exception):
    """Too many requests are waiting; the caller should come back later."""


@dataclass(order=True)
class Job:
    priority: int
    order: int
    ticket: int = field(compare=False)
    request: dict = field(compare=False)  # a wire request without its id: {"op": "chat", ...}
    listener: Listener = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class Scheduler:
    def __init__(self, dispatch: Callable[[Job], None], cancel: Callable[[Job], None],
                 max_waiting: int = 64) -> None:
        self._dispatch = dispatch  # sends a job to the backend (called with the lock released)
        self._cancel = cancel  # tells the backend to end the job in flight early
        self.max_waiting = max_waiting
        self._lock = threading.RLock()
        self._waiting: list[Job] = []
        self._current: Job | None = None
        self._tickets = itertools.count(1)
        self._order = itertools.count()

    @property
    def waiting(self) -> int:
        with self._lock:
            return sum(1 for job in self._waiting if not job.cancelled)

    @property
    def current(self) -> Job | None:
        return self._current

    def new_ticket(self) -> int:
        """A ticket to give ``submit``, for a listener that must know its ticket before its first event."""
        return next(self._tickets)

    def submit(self, request: dict, listener: Listener, priority: Priority = Priority.USER,
               bounded: bool = False, ticket: int | None = None) -> int:
        """Queue ``request``; returns its ticket. ``bounded`` requests (API clients) raise QueueFull when
        ``max_waiting`` are already waiting; the window's own are never refused."""
        with self._lock:
            if bounded and self.waiting >= self.max_waiting:
                raise QueueFull(f"{self.waiting} requests are waiting")
            job = Job(int(priority), next(self._order), ticket or next(self._tickets), request, listener)
            heapq.heappush(self._waiting, job)
        self._advance()
        return job.ticket

    def cancel(self, ticket: int) -> None:
        """End a request early, waiting or in flight. Nothing happens for one already ended."""
        with self._lock:
            current = self._current
            if current is not None and current.ticket == ticket:
                if current.cancelled:
                    return
                current.cancelled = True
                in_flight = current
            else:
                in_flight = None
                job = next((j for j in self._waiting if j.ticket == ticket and not j.cancelled), None)
                if job is None:
                    return
                job.cancelled = True
        if in_flight is not None:
            self._cancel(in_flight)
        else:
            _tell(job, Done(protocol.CANCELLED))

    def ended(self, job: Job) -> None:
        """The backend sent ``job``'s final event: the next one may start."""
        with self._lock:
            if self._current is job:
                self._current = None
        self._advance()

    def fail_current(self, message: str, detail: str = "") -> Job | None:
        """The backend died under the request in flight: its requester hears why, the queue moves on."""
        with self._lock:
            job, self._current = self._current, None
        if job is not None:
            _tell(job, Failed(message, detail, crashed=True))
        self._advance()
        return job

    def fail_all(self, message: str) -> None:
        """The backend is closing: every request still waiting or in flight ends with ``message``."""
        with self._lock:
            jobs = ([self._current] if self._current else []) + [j for j in self._waiting if not j.cancelled]
            self._waiting.clear()
            self._current = None
        for job in jobs:
            _tell(job, Failed(message))

    def _advance(self) -> None:
        while True:
            with self._lock:
                if self._current is not None:
                    return
                while self._waiting and self._waiting[0].cancelled:
                    heapq.heappop(self._waiting)
                if not self._waiting:
                    return
                job = self._current = heapq.heappop(self._waiting)
            try:
                self._dispatch(job)
                return
            except Exception as error:  # the backend could not take it: this one fails, the next may not
                log.exception("could not send %s", job.request.get("op"))
                with self._lock:
                    self._current = None
                _tell(job, Failed("The engine could not take the request.", repr(error)))


def _tell(job: Job, event: Event) -> None:
    try:
        job.listener(event)
    except Exception:  # a faulty listener must not stop the queue
        log.exception("a listener failed on %s", type(event).__name__)
