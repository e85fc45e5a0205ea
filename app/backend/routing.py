"""Requests sent to one engine process, found again by the engine's ids when its events come back.

Both process backends (the LLM engine, the speech engine) send a scheduled job,
remember which engine request carries it, give each event to that job's own
listener, and tell the scheduler when the job's final event has come.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from app.backend.events import FINAL, from_wire
from app.backend.scheduler import Job, Scheduler
from app.engine import protocol

log = logging.getLogger("hearth.backend")


class Routing:
    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}  # engine request id -> the job it carries

    def send(self, job: Job, send: Callable[[], int]) -> int:
        """Call ``send`` (which writes the request and returns the engine's id) and remember the job, both under
        the lock, so the reader cannot meet an event about the job before it is known."""
        with self._lock:
            engine_id = send()
            if engine_id:
                self._jobs[engine_id] = job
        return engine_id

    def engine_id(self, job: Job) -> int | None:
        with self._lock:
            return next((i for i, j in self._jobs.items() if j is job), None)

    def deliver(self, event: dict) -> bool:
        """Give an engine event to the job it is about; False when it is about none (or is not per request)."""
        if event.get("event") == protocol.CRASHED:
            with self._lock:
                self._jobs.clear()
            self.scheduler.fail_current(event.get("message", ""))
            return False
        with self._lock:
            job = self._jobs.get(event.get("id"))
        typed = from_wire(event)
        if job is None or typed is None:
            return False
        try:
            job.listener(typed)
        except Exception:  # a faulty listener must not stop the queue
            log.exception("a listener failed on %s", event.get("event"))
        if isinstance(typed, FINAL):
            with self._lock:
                self._jobs.pop(event.get("id"), None)
            self.scheduler.ended(job)
        return True
