"""One loaded model shared by several requesters: priorities, own listeners, cancel while waiting.

Through the real engine process and the real SmolLM2 (LocalBackend over EngineClient).
"""
from __future__ import annotations

import threading
import time

import pytest

from app.backend.events import Counted, Done, Failed, Loaded, Piece, Started
from app.backend.local import LocalBackend
from app.backend.scheduler import Priority, QueueFull
from app.core.load_options import LoadOptions
from app.engine import protocol

STORY = [{"role": "user", "content": "Write a very long story about a dragon who learns to bake bread."}]
QUESTION = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the capital of France?"}]


class Recorder:
    """A request's own listener: every event it got, and when it ended."""

    def __init__(self, name: str, order: list) -> None:
        self.name, self.order, self.events = name, order, []
        self.ended = threading.Event()

    def __call__(self, event) -> None:
        self.events.append(event)
        if isinstance(event, Started):
            self.order.append(("started", self.name))
        if isinstance(event, (Done, Failed, Counted, Loaded)):
            self.order.append(("ended", self.name))
            self.ended.set()

    @property
    def text(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, Piece))


@pytest.fixture
def backend(smollm_path, tmp_path):
    backend = LocalBackend(max_waiting=2, log_path=tmp_path / "engine.log")
    loaded = Recorder("load", [])
    backend.load(str(smollm_path), LoadOptions(n_ctx=2048, n_threads=2), loaded)
    assert loaded.ended.wait(120) and isinstance(loaded.events[-1], Loaded)
    yield backend
    backend.shutdown()


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_users_turn_goes_before_titles_and_api_requests(backend):
    order: list = []
    api = Recorder("api", order)
    backend.chat(STORY, {"max_tokens": 40, "temperature": 0}, api, Priority.API)
    wait_for(lambda: ("started", "api") in order)
    title = Recorder("title", order)
    backend.count(QUESTION, title, Priority.BACKGROUND)
    second_api = Recorder("api2", order)
    backend.chat(QUESTION, {"max_tokens": 10, "temperature": 0}, second_api, Priority.API)
    user = Recorder("user", order)
    backend.chat(QUESTION, {"max_tokens": 30, "temperature": 0}, user, Priority.USER)
    for recorder in (api, title, second_api, user):
        assert recorder.ended.wait(120), recorder.name
    ends = [name for kind, name in order if kind == "ended"]
    assert ends == ["api", "user", "api2", "title"]  # nothing was cancelled to let the user go first
    assert all(isinstance(r.events[-1], Done) for r in (api, second_api, user))
    assert "Paris" in user.text and api.events[-1].reason == protocol.LENGTH
    assert isinstance(title.events[-1], Counted) and title.events[-1].tokens > 5


def test_cancel_while_waiting_or_in_flight(backend):
    order: list = []
    first = Recorder("first", order)
    ticket = backend.chat(STORY, {"max_tokens": 2000, "ignore_eos": True}, first, Priority.API)
    wait_for(lambda: any(isinstance(e, Piece) for e in first.events))
    waiting = Recorder("waiting", order)
    waiting_ticket = backend.chat(QUESTION, {"max_tokens": 10}, waiting, Priority.API)
    backend.cancel(waiting_ticket)
    assert waiting.ended.wait(5) and waiting.events == [Done(protocol.CANCELLED)]  # never reached the engine
    backend.cancel(ticket)
    assert first.ended.wait(30) and first.events[-1].reason == protocol.CANCELLED
    assert backend.scheduler.current is None


def test_bounded_requests_meet_a_full_queue(backend):
    order: list = []
    long = Recorder("long", order)
    backend.chat(STORY, {"max_tokens": 2000, "ignore_eos": True}, long, Priority.API, bounded=True)
    wait_for(lambda: backend.scheduler.current is not None)
    tickets = [backend.chat(QUESTION, {"max_tokens": 5}, Recorder(f"w{i}", order), Priority.API, bounded=True)
               for i in range(2)]
    with pytest.raises(QueueFull):
        backend.chat(QUESTION, {"max_tokens": 5}, Recorder("refused", order), Priority.API, bounded=True)
    user = Recorder("user", order)
    backend.chat(QUESTION, {"max_tokens": 5}, user, Priority.USER)  # the window is never refused
    for ticket in tickets:
        backend.cancel(ticket)
    backend.cancel(backend.scheduler.current.ticket)
    assert user.ended.wait(60) and isinstance(user.events[-1], Done)


def test_a_crash_fails_the_request_it_took_down_and_the_next_one_restarts(backend, smollm_path):
    import os
    import signal

    crashes: list[str] = []
    backend.on_crash = crashes.append
    order: list = []
    doomed = Recorder("doomed", order)
    backend.chat(STORY, {"max_tokens": 2000, "ignore_eos": True}, doomed, Priority.USER)
    wait_for(lambda: any(isinstance(e, Piece) for e in doomed.events))
    os.kill(backend.pid, signal.SIGKILL)
    assert doomed.ended.wait(30) and isinstance(doomed.events[-1], Failed)
    assert "killed" in doomed.events[-1].message and crashes
    after = Recorder("after", order)
    backend.chat(QUESTION, {"max_tokens": 30, "temperature": 0}, after, Priority.USER)  # restarts, reloads
    assert after.ended.wait(120) and "Paris" in after.text
