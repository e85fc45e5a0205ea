"""What both engine processes share: the private event stream, request decoding, start-up.

Each engine writes events on its own copy of stdout, with fd 1 pointed at stderr, so anything
native code prints can never corrupt the event stream. Requests arrive as JSON lines on stdin,
read by a thread; when stdin closes the app is gone, and the process ends at once without
native teardown (which can hang or crash for nothing).
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator

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
