"""Hearth's remote backend against real peers (llama_cpp.server, a second Hearth's `hearth serve`) and against
a server that misbehaves on purpose. Every wait is for an event, never for a model's speed."""
from __future__ import annotations

import logging
import socket
import threading

import pytest

from app.backend.events import FINAL, Counted, Done, Embedded, Failed, Loaded, Piece, Started
from app.backend.remote import RemoteBackend
from app.backend.scheduler import Priority
from app.core.net_limits import RemoteLimits
from app.engine import protocol
from tests import remote_peers
from tests.remote_peers import RoughServer, hearth_peer, llama_server  # noqa: F401 - fixtures (shared)

QUESTION = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the capital of France?"}]
STORY = [{"role": "user", "content": "Write a very long story about a dragon who learns to bake bread."}]
GREEDY = {"temperature": 0, "max_tokens": 30}
KEY = "hearth-test-key-7f3a"
QUICK = RemoteLimits(connect_seconds=2, answer_seconds=2, idle_seconds=2, request_seconds=2)


class Heard:
    """One request's events, as its listener got them."""

    def __init__(self) -> None:
        self.events: list = []
        self.ended = threading.Event()
        self.first_piece = threading.Event()

    def __call__(self, event) -> None:
        self.events.append(event)
        if isinstance(event, Piece):
            self.first_piece.set()
        if isinstance(event, FINAL):
            self.ended.set()

    def wait(self, seconds: float = 240):
        assert self.ended.wait(seconds), f"no final event in {seconds} s: {self.events}"
        return self.events[-1]

    @property
    def text(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, Piece))


def loaded(backend: RemoteBackend, model: str) -> dict:
    heard = Heard()
    backend.load(model, None, heard)
    final = heard.wait()
    assert isinstance(final, Loaded), final
    return final.model


@pytest.fixture
def remote():
    made = []

    def make(url: str, key: str = "", limits: RemoteLimits | None = None) -> RemoteBackend:
        backend = RemoteBackend(url, key, limits=limits or RemoteLimits())
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.shutdown()


@pytest.fixture
def rough():
    made = []

    def make(mode: str) -> RoughServer:
        server = RoughServer(mode)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def test_a_streamed_reply_through_llama_cpp_server(llama_server, remote, smollm_path):
    backend = remote(llama_server.removesuffix("/v1"))  # the address without /v1 is found too
    ids = [m["id"] for m in backend.models()]
    assert str(smollm_path) in ids
    report = loaded(backend, ids[0])
    assert report["backend"] == "remote" and report["id"] == ids[0] and report["server"].startswith("127.0.0.1:")
    heard = Heard()
    backend.chat(QUESTION, GREEDY, heard)
    done = heard.wait()
    assert isinstance(done, Done) and done.reason == protocol.STOP, done
    assert isinstance(heard.events[0], Started)
    assert "Paris" in heard.text
    stats = done.stats
    assert stats["tokens"] >= 2 and stats["first_token_seconds"] > 0 and stats["generation_seconds"] > 0
    assert stats["tokens_per_second"] > 0


def test_stop_mid_reply_frees_the_server(llama_server, remote):
    """The peer runs one reply at a time and never interrupts one: if Stop left the first reply running (400
    tokens), the second request would wait for it to end."""
    backend = remote(llama_server)
    loaded(backend, backend.models()[0]["id"])
    story = Heard()
    ticket = backend.chat(STORY, {"temperature": 0, "max_tokens": 400}, story)
    assert story.first_piece.wait(240), story.events
    backend.cancel(ticket)
    done = story.wait(30)
    assert isinstance(done, Done) and done.reason == protocol.CANCELLED, done
    assert story.text  # what came stays with the listener
    after = Heard()
    backend.chat(QUESTION, {"temperature": 0, "max_tokens": 12}, after)
    assert isinstance(after.wait(120), Done) and "Paris" in after.text


def test_the_context_gauge_counts_with_the_servers_tokenizer(llama_server, remote, smollm_path):
    import llama_cpp

    # Words whose token count is far from "four characters a token", so an estimate could not pass for it.
    messages = [{"role": "user", "content": "東京タワーの高さは? 1234567890 " * 8}]
    backend = remote(llama_server)
    loaded(backend, backend.models()[0]["id"])
    heard = Heard()
    backend.count(messages, heard)
    counted = heard.wait()
    assert isinstance(counted, Counted) and not counted.estimated, counted
    vocab = llama_cpp.Llama(str(smollm_path), vocab_only=True, verbose=False)
    exact = len(vocab.tokenize(messages[0]["content"].encode("utf-8"), add_bos=False, special=False))
    assert abs(counted.tokens - exact) <= 8, (counted.tokens, exact)
    rough_guess = len(messages[0]["content"]) // 4
    assert abs(rough_guess - exact) > 8  # the test could tell an estimate from a count


def test_an_unknown_model_is_named(llama_server, remote):
    backend = remote(llama_server)
    heard = Heard()
    backend.load("no-such-model", None, heard)
    failed = heard.wait()
    assert isinstance(failed, Failed) and "no model called “no-such-model”" in failed.message, failed


def test_chatting_through_a_second_hearth(hearth_peer, remote):
    backend = remote(hearth_peer, KEY)
    model = backend.models()[0]["id"]
    assert loaded(backend, model)["id"] == model
    heard = Heard()
    backend.chat(QUESTION, GREEDY, heard)
    done = heard.wait()
    assert isinstance(done, Done) and "Paris" in heard.text, heard.events
    assert done.stats["tokens"] > 0 and done.stats["prompt_tokens"] > 10  # its usage came with the stream
    count = Heard()
    backend.count(QUESTION, count)  # Hearth's server has no tokenizer route: an estimate, marked so
    counted = count.wait()
    assert isinstance(counted, Counted) and counted.estimated and counted.tokens > 5


def test_plain_completions_and_embeddings_through_a_second_hearth(hearth_peer, remote):
    backend = remote(hearth_peer, KEY)
    loaded(backend, backend.models()[0]["id"])
    heard = Heard()
    backend.complete("The capital of France is", {"temperature": 0, "max_tokens": 6}, heard)
    done = heard.wait()
    assert isinstance(done, Done) and done.reason == protocol.LENGTH and "Paris" in heard.text, heard.events
    vectors = Heard()
    backend.embed(["a cat", "a dog"], vectors)
    embedded = vectors.wait()
    assert isinstance(embedded, Embedded) and len(embedded.vectors) == 2, embedded
    assert len(embedded.vectors[0]) > 100 and embedded.vectors[0] != embedded.vectors[1]


def test_a_wrong_key_is_a_clear_failure_and_no_key_is_logged(hearth_peer, remote, caplog):
    caplog.set_level(logging.DEBUG)
    backend = remote(hearth_peer, "not-the-key")
    heard = Heard()
    backend.load("anything", None, heard)
    failed = heard.wait()
    assert isinstance(failed, Failed) and "refused the API key (401)" in failed.message, failed
    assert "not-the-key" not in failed.message + failed.detail + repr(backend)
    good = remote(hearth_peer, KEY)
    loaded(good, good.models()[0]["id"])
    assert caplog.records and not any(key in caplog.text for key in (KEY, "not-the-key"))


def test_an_unreachable_port(remote):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once it is closed
    backend = remote(f"http://127.0.0.1:{port}/v1", limits=QUICK)
    heard = Heard()
    backend.load("x", None, heard)
    failed = heard.wait(30)
    assert isinstance(failed, Failed) and "could not reach" in failed.message, failed


def test_a_server_that_never_answers(remote, rough):
    server = rough(remote_peers.SILENT)
    backend = remote(server.url, limits=QUICK)
    heard = Heard()
    backend.load(remote_peers.MODEL, None, heard)
    failed = heard.wait(30)
    assert isinstance(failed, Failed) and "did not answer within 2 seconds" in failed.message, failed


def test_a_stream_that_stops_after_its_headers(remote, rough):
    server = rough(remote_peers.HEADERS_ONLY)
    backend = remote(server.url, limits=QUICK)
    loaded(backend, remote_peers.MODEL)
    heard = Heard()
    backend.chat(QUESTION, GREEDY, heard)
    failed = heard.wait(30)
    assert isinstance(failed, Failed) and "did not answer within 2 seconds" in failed.message, failed


@pytest.mark.parametrize("mode, words", [
    (remote_peers.GARBLED, "could not read"),
    (remote_peers.CUT, "connection to 127.0.0.1"),
    (remote_peers.ENDLESS_LINE, "larger than"),
    (remote_peers.ERROR_EVENT, "stopped the reply with an error: “The model ran out of memory.”"),
])
def test_a_broken_stream_keeps_the_text_so_far(remote, rough, mode, words):
    server = rough(mode)
    backend = remote(server.url, limits=RemoteLimits(connect_seconds=2, answer_seconds=2, idle_seconds=10,
                                                     request_seconds=2, max_line_bytes=10_000))
    loaded(backend, remote_peers.MODEL)
    heard = Heard()
    backend.chat(QUESTION, GREEDY, heard)
    failed = heard.wait(30)
    assert isinstance(failed, Failed) and words in failed.message, failed
    assert heard.text == "Hello"
    assert mode == remote_peers.ENDLESS_LINE or "The text so far is kept." in failed.message


def test_the_window_goes_first_and_stop_ends_a_waiting_request(remote, rough):
    server = rough(remote_peers.HEADERS_ONLY)  # every chat holds the line until its deadline
    backend = remote(server.url, limits=QUICK)
    loaded(backend, remote_peers.MODEL)
    order: list[str] = []
    first, title, turn, gone = Heard(), Heard(), Heard(), Heard()
    backend.chat(QUESTION, GREEDY, first)
    backend.chat(QUESTION, GREEDY, lambda e: (title(e), isinstance(e, Started) and order.append("title")),
                 Priority.BACKGROUND)
    waiting = backend.chat(QUESTION, GREEDY, gone, Priority.API)
    backend.chat(QUESTION, GREEDY, lambda e: (turn(e), isinstance(e, Started) and order.append("turn")))
    backend.cancel(waiting)
    assert isinstance(gone.wait(5), Done) and gone.events[-1].reason == protocol.CANCELLED
    for heard in (first, turn, title):
        heard.wait(30)
    assert order == ["turn", "title"]
