"""What both engine processes share: the private event stream, request decoding, start-up.

Each engine writes events on its own copy of stdout, with fd 1 pointed at stderr, so anything
native code prints can never corrupt the event stream. Requests arrive as JSON lines on stdin,
read by a thread; when stdin closes the app is gone, and the process ends at once without
native teardown (which can hang or crash for nothing).
"""
from __future__ import annotations

import logging
import os
import queue
import sys
import threading
import traceback
from collections.abc import Callable, Iterator

from app.core.errors import HearthError
from app.engine import protocol

log = logging.getLogger("hearth.engine")


class EventStream:
    def __init__(self, out) -> None:
        self._out = out
        self._lock = threading.Lock()

    def send(self, message: dict) -> None:
        data = protocol.encode(message)
        with self._lock:
            try:
                self._out.write(data)
            except BrokenPipeError:
                os._exit(0)  # nobody is listening any more


def requests(stream) -> Iterator[dict]:
    """Decoded requests from ``stream``; when it ends (the app is gone) the process exits."""
    for line in stream:
        try:
            yield protocol.decode(line)
        except ValueError:
            log.warning("ignoring a malformed request: %r", line[:200])
    os._exit(0)


class QueueWorker:
    """An engine's request loop, shared by the speech engines: a reader thread queues the requests and
    notes cancels as they come (so a long job can look between its steps); the main thread, where the
    native code runs, serves them in order. Subclasses say what READY carries, handle each op, and may
    tidy up after a failed request."""

    QUEUE_CANCELS = False  # a cancel is also served in order (after it was noted)
    label = "engine"

    def __init__(self, events: EventStream) -> None:
        self.send = events.send
        self._requests: queue.Queue[dict] = queue.Queue()
        self._cancelled: set[int] = set()
        self._lock = threading.Lock()

    def read_requests(self, stream) -> None:
        for request in requests(stream):
            if request.get("op") == protocol.CANCEL:
                with self._lock:
                    self._cancelled.add(request.get("id"))
                if not self.QUEUE_CANCELS:
                    continue  # noticed here; the request it names ends where it is
            self._requests.put(request)

    def is_cancelled(self, request_id: int) -> bool:
        with self._lock:
            return request_id in self._cancelled

    def ready(self) -> dict:
        return {"event": protocol.READY, "pid": os.getpid()}

    def handle(self, op: str, request_id: int, request: dict) -> None:
        raise NotImplementedError

    def failure_message(self, error: Exception) -> str:
        """What an unexpected error in a request says to the user."""
        return f"The {self.label} failed: {error}"

    def after_failure(self, request_id: int) -> None:
        """A request failed: forget what it left behind."""

    def serve(self) -> None:
        self.send(self.ready())
        while True:
            request = self._requests.get()
            op, request_id = request.get("op"), request.get("id")
            if op == protocol.SHUTDOWN:
                return
            try:
                self.handle(op, request_id, request)
            except HearthError as error:
                self.send({"event": protocol.ERROR, "id": request_id, "op": op, "path": request.get("path", ""),
                           "message": error.message, "detail": error.detail})
                self.after_failure(request_id)
            except Exception as error:  # noqa: BLE001 - report, keep serving
                log.error("%s failed:\n%s", op, traceback.format_exc())
                self.send({"event": protocol.ERROR, "id": request_id, "op": op, "path": request.get("path", ""),
                           "message": self.failure_message(error), "detail": repr(error)})
                self.after_failure(request_id)


def run(make_worker: Callable[[EventStream], object], label: str) -> int:
    """Start an engine process: ``make_worker`` gets the event stream and must offer
    ``read_requests(stdin)`` (run on a thread) and ``serve()`` (run here, on the main thread)."""
    events = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=f"%(asctime)s {label} %(levelname)s %(message)s")
    worker = make_worker(EventStream(events))
    threading.Thread(target=worker.read_requests, args=(sys.stdin.buffer,), daemon=True, name="requests").start()
    worker.serve()
    return 0
