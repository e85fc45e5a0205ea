"""A remote OpenAI-compatible server as a backend: llama-server, llama_cpp.server, vLLM, Ollama, another Hearth.

It offers what ``LocalBackend`` offers (load, chat, complete, embed, count,
unload, cancel, shutdown) with the same typed events, so the window chats
through either. "Loading" a model here is choosing one of the ids the server's
``/v1/models`` lists; the server owns the weights.

One request in flight, by priority (the same ``Scheduler``): llama_cpp.server
interrupts a running reply when a second request arrives (its default
``interrupt_requests``), Ollama and llama-server run one slot unless told
otherwise, and the window's turn must go before a title or a token count, which
only holding the queue here can promise.

Every request runs on a thread of its own through a guarded httpx2 client
(``app/core/hub_http.py``): its reads come in short slices, so Stop closes the
connection at once (the server sees the disconnect and frees its slot), and a
deadline holds for the connect, for the answer's headers, and for every quiet
gap in a stream. Sizes are capped: a line of the stream, an error body, the
models list, a whole answer (``RemoteLimits``). Pieces a listener already has
stay with it when a reply fails; the failure says the text so far is kept.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import replace
from typing import Callable
from urllib.parse import urlsplit

from app.backend import event_stream, remote_failures as failures
from app.backend.events import Counted, Done, Embedded, Failed, Loaded, Piece, Started
from app.backend.openai_shapes import Tally, context_of, sampling
from app.backend.remote_count import TokenCounter
from app.backend.remote_failures import RemoteError
from app.backend.scheduler import Job, Listener, Priority, Scheduler
from app.core.net_limits import DEFAULT_LIMITS, DEFAULT_REMOTE_LIMITS, RemoteLimits
from app.engine import protocol

log = logging.getLogger("hearth.remote")

CLOSING = "Hearth is closing; the request was not answered."


def api_root(base_url: str) -> str:
    """The base URL the OpenAI routes hang from: what the user typed, without a trailing slash, ending in /v1."""
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("The address must start with http:// or https:// and name a host.")
    return url if parts.path.endswith("/v1") else url + "/v1"


def display_name(base_url: str) -> str:
    return urlsplit(base_url).netloc or base_url


class RemoteBackend:
    def __init__(self, base_url: str, api_key: str = "", name: str = "", limits: RemoteLimits = DEFAULT_REMOTE_LIMITS,
                 max_waiting: int = 64) -> None:
        self.base_url = api_root(base_url)
        self.server_root = self.base_url[:-len("/v1")]  # llama.cpp's own routes (/tokenize, /props) live here
        self.name = name or display_name(self.base_url)
        self.limits = limits
        self._key = api_key
        self.scheduler = Scheduler(self._dispatch, self._cancel_in_flight, max_waiting=max_waiting)
        self.model: str = ""  # the id chosen with load()
        self.n_ctx = 0  # the model's context window, when the server says
        self._counter: TokenCounter | None = None
        self._stops: dict[int, threading.Event] = {}
        self._client = None
        self._closed = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the key
        return f"RemoteBackend({self.base_url!r})"

    # -- requests -----------------------------------------------------------------------------------------
    def models(self) -> list[dict]:
        """The models the server lists (each its ``/v1/models`` entry); raises RemoteError. Blocks: call it off
        the GUI thread."""
        answer = self._json("GET", "/models", None, self.limits.max_models_bytes, "the models list")
        data = answer.get("data") if isinstance(answer, dict) else None
        if isinstance(answer, dict) and data is None and isinstance(answer.get("models"), list):
            data = answer["models"]  # an Ollama without its /v1 prefix answers this way
        if not isinstance(data, list):
            raise failures.not_data(self.name, f"models answer {str(answer)[:200]}")
        return [m for m in data if isinstance(m, dict) and isinstance(m.get("id") or m.get("name"), str)]

    def load(self, model_id: str, options=None, listener: Listener | None = None, gpu_layers: int | None = None,
             priority: Priority = Priority.USER, ticket: int | None = None) -> int:
        """Choose ``model_id`` among the server's models (``options`` and ``gpu_layers`` are the server's own
        business and are not sent). ``ticket``: one given by the caller (the window's bridge numbers the
        requests of every backend with one counter, so a ticket names one request wherever it went)."""
        return self.scheduler.submit({"op": protocol.LOAD, "model": str(model_id)}, listener or _nobody, priority,
                                     ticket=ticket)

    def chat(self, messages: list[dict], params: dict, listener: Listener, priority: Priority = Priority.USER,
             bounded: bool = False, ticket: int | None = None) -> int:
        return self.scheduler.submit({"op": protocol.CHAT, "messages": messages, "params": params}, listener,
                                     priority, bounded, ticket)

    def complete(self, prompt: str, params: dict, listener: Listener, priority: Priority = Priority.API,
                 bounded: bool = False) -> int:
        return self.scheduler.submit({"op": protocol.COMPLETE, "prompt": prompt, "params": params}, listener,
                                     priority, bounded)

    def embed(self, texts: list[str], listener: Listener, priority: Priority = Priority.API,
              bounded: bool = False) -> int:
        return self.scheduler.submit({"op": protocol.EMBED, "texts": texts}, listener, priority, bounded)

    def count(self, messages: list[dict], listener: Listener, priority: Priority = Priority.BACKGROUND,
              ticket: int | None = None) -> int:
        return self.scheduler.submit({"op": protocol.COUNT, "messages": messages}, listener, priority,
                                     ticket=ticket)

    @property
    def idle(self) -> bool:
        """Nothing in flight and nothing waiting."""
        return self.scheduler.current is None and not self.scheduler.waiting

    def unload(self, listener: Listener | None = None) -> int:
        return self.scheduler.submit({"op": protocol.UNLOAD}, listener or _nobody, Priority.USER)

    def cancel(self, ticket: int) -> None:
        self.scheduler.cancel(ticket)

    def start(self) -> None:
        pass  # nothing to spawn: the first request connects

    def shutdown(self) -> None:
        self._closed = True  # the requests in flight heard CLOSING; their threads end quietly
        self.scheduler.fail_all(CLOSING)
        with self._lock:
            for stop in self._stops.values():
                stop.set()
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- the scheduler's side -----------------------------------------------------------------------------
    def _dispatch(self, job: Job) -> None:
        stop = threading.Event()
        with self._lock:
            self._stops[job.ticket] = stop
        threading.Thread(target=self._run, args=(job, stop), daemon=True,
                         name=f"remote-{job.request['op']}-{job.ticket}").start()

    def _cancel_in_flight(self, job: Job) -> None:
        with self._lock:
            stop = self._stops.get(job.ticket)
        if stop is not None:
            stop.set()

    def _run(self, job: Job, stop: threading.Event) -> None:
        request = job.request
        closed = lambda: self._closed  # noqa: E731
        tell = _safe(job.listener, closed)
        op = request["op"]
        try:
            if op == protocol.LOAD:
                final = self._select(request["model"])
            elif op == protocol.CHAT:
                final = self._generate("/chat/completions", self._chat_body(request), tell, stop, chat=True)
            elif op == protocol.COMPLETE:
                final = self._generate("/completions", self._completion_body(request), tell, stop, chat=False)
            elif op == protocol.EMBED:
                final = self._embed(request["texts"])
            elif op == protocol.COUNT:
                final = self._count(request["messages"])
            elif op == protocol.UNLOAD:
                self.model, self.n_ctx = "", 0
                final = Done(protocol.STOP)
            else:
                final = Failed("Hearth asked the server for something it cannot do.", f"unknown op {op!r}")
        except RemoteError as error:
            log.warning("%s %s: %s", self.base_url, op, error.detail or error.message)
            final = Failed(error.message, error.detail, error.invalid_request)
        except Exception as error:  # a bug here must still end the request and free the queue
            log.exception("%s %s failed", self.base_url, op)
            final = Failed(f"Something went wrong talking to {self.name}.", repr(error))
        finally:
            with self._lock:
                self._stops.pop(job.ticket, None)
        if not self._closed:
            tell(final)
            self.scheduler.ended(job)

    # -- what each request does ---------------------------------------------------------------------------
    def _select(self, model_id: str) -> Loaded:
        listed = self.models()
        entry = next((m for m in listed if (m.get("id") or m.get("name")) == model_id), None)
        if entry is None:
            offered = ", ".join(str(m.get("id") or m.get("name")) for m in listed[:8]) or "none"
            raise RemoteError(f"{self.name} has no model called “{model_id}”. It offers: {offered}.",
                              f"model {model_id!r} not listed")
        n_ctx = context_of(entry) or self._props_context()
        self.model, self.n_ctx, self._counter = model_id, n_ctx, None
        return Loaded({"id": model_id, "path": model_id, "name": model_id, "n_ctx": n_ctx, "backend": "remote",
                       "server": self.name, "base_url": self.base_url, "owned_by": entry.get("owned_by", "")})

    def _props_context(self) -> int:
        """llama-server says its context window at /props; other servers answer 404 there, which is fine."""
        try:
            props = self._json("GET", "/props", None, self.limits.max_models_bytes, "its settings", root=True)
        except RemoteError:
            return 0
        settings = props.get("default_generation_settings") if isinstance(props, dict) else None
        value = settings.get("n_ctx") if isinstance(settings, dict) else None
        return value if isinstance(value, int) and value > 0 else 0

    def _chat_body(self, request: dict) -> dict:
        return {"model": self._chosen(), "messages": request["messages"], **sampling(request.get("params") or {}),
                "stream": True, "stream_options": {"include_usage": True}}

    def _completion_body(self, request: dict) -> dict:
        return {"model": self._chosen(), "prompt": request["prompt"], **sampling(request.get("params") or {}),
                "stream": True, "stream_options": {"include_usage": True}}

    def _chosen(self) -> str:
        if not self.model:
            raise RemoteError(f"Choose one of {self.name}'s models first.", "no model selected")
        return self.model

    def _generate(self, route: str, body: dict, tell: Listener, stop: threading.Event, chat: bool) -> Done:
        from app.core.request_guard import ConnectionLost, DeadlinePassed, Stopped

        reply = Tally()
        limits = self.limits
        url = self.base_url + route
        with self._guarded(f"stream {route}", limits.answer_seconds, stop) as guard:
            try:
                with self._http().stream("POST", url, json=body, headers=self._headers(stream=True)) as response:
                    if response.status_code != 200:
                        raise failures.for_status(response.status_code, _capped_read(response), self.name,
                                                  body.get("model", ""))
                    tell(Started(0))
                    guard.seconds = limits.idle_seconds  # from here on, each quiet gap has the deadline

                    def heard() -> None:
                        guard.deadline = time.monotonic() + limits.idle_seconds

                    heard()
                    for event in event_stream.events(response.iter_bytes(), limits.max_line_bytes, heard):
                        if self._take(event, reply, tell, chat):
                            break
            except Stopped:
                return Done(protocol.CANCELLED, reply.stats())
            except DeadlinePassed:
                if reply.began:
                    raise failures.went_quiet(self.name, limits.idle_seconds) from None
                raise failures.no_answer(self.name, guard.seconds) from None
            except event_stream.LineTooLong as error:
                raise failures.too_large(self.name, error.cap, "a line of its reply") from None
            except ConnectionLost as error:
                raise self._lost(error.cause, reply.began) from None
        if not reply.ended:
            raise failures.cut_off(self.name, "no end of reply before the stream closed")
        reason = protocol.LENGTH if reply.finish_reason == "length" else protocol.STOP
        return Done(reason, reply.stats())

    def _take(self, event: event_stream.ServerEvent, reply: Tally, tell: Listener, chat: bool) -> bool:
        """One event of the stream; True at its end."""
        data = event.data.strip()
        if data == "[DONE]":
            reply.ended = True
            return True
        try:
            decoded = json.loads(data)
        except ValueError:
            raise failures.garbled(self.name, data) from None
        if event.kind == "error" or (isinstance(decoded, dict) and "error" in decoded):
            raise failures.mid_reply(self.name, failures.server_words(data.encode("utf-8")))
        if not isinstance(decoded, dict) or not isinstance(decoded.get("choices", []), list) \
                or ("choices" not in decoded and "usage" not in decoded):
            raise failures.garbled(self.name, data)
        usage = decoded.get("usage")
        if isinstance(usage, dict):
            reply.usage = usage
        for choice in decoded.get("choices") or []:
            if not isinstance(choice, dict):
                raise failures.garbled(self.name, data)
            delta = choice.get("delta") if chat else choice
            text = delta.get("content" if chat else "text") if isinstance(delta, dict) else None
            if text:
                if not isinstance(text, str):
                    raise failures.garbled(self.name, data)
                reply.piece()
                tell(Piece(text, 1))  # a streamed chunk is one token on every server Hearth knows
            if choice.get("finish_reason"):
                reply.finish_reason = str(choice["finish_reason"])
                reply.ended = True  # what follows (usage, [DONE]) is welcome, not needed
        return False

    def _embed(self, texts: list[str]) -> Embedded:
        answer = self._json("POST", "/embeddings", {"model": self._chosen(), "input": texts},
                            self.limits.max_json_bytes, "embeddings")
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list) or not all(isinstance(d, dict) and isinstance(d.get("embedding"), list)
                                                 for d in data):
            raise failures.not_data(self.name, f"embeddings answer {str(answer)[:200]}")
        vectors = [d["embedding"] for d in sorted(data, key=lambda d: d.get("index", 0))]
        usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
        return Embedded(vectors, int(usage.get("prompt_tokens", 0) or 0))

    # -- counting tokens ----------------------------------------------------------------------------------
    def _count(self, messages: list[dict]) -> Counted:
        model = self._chosen()
        if self._counter is None:
            self._counter = TokenCounter(self._ask_root, model, self.name)
        tokens, estimated = self._counter.count(messages)
        return Counted(tokens, self.n_ctx, estimated=estimated)

    def _ask_root(self, route: str, body: dict, what: str):
        return self._json("POST", route, body, self.limits.max_json_bytes, what, root=True)

    # -- HTTP ---------------------------------------------------------------------------------------------
    def _http(self):
        with self._lock:
            if self._client is None or self._client.is_closed:
                from app.core.hub_http import server_client

                self._client = server_client()
            return self._client

    def _headers(self, stream: bool = False) -> dict:
        headers = {"Accept": "text/event-stream" if stream else "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    def _guarded(self, what: str, seconds: float, stop: threading.Event | None = None, max_body: int | None = None):
        from app.core.request_guard import guarded

        net = replace(DEFAULT_LIMITS, connect_seconds=self.limits.connect_seconds,
                      poll_seconds=self.limits.poll_seconds, max_error_bytes=self.limits.max_error_bytes)
        return guarded(what, seconds, stop=stop, max_body=max_body, busy_raises=False, limits=net)

    def _json(self, method: str, route: str, body: dict | None, cap: int, what: str, root: bool = False):
        """A short request's whole JSON answer, within ``request_seconds`` and ``cap`` bytes."""
        from app.core.request_guard import ConnectionLost, DeadlinePassed, TooLarge

        url = (self.server_root if root else self.base_url) + route
        with self._guarded(what, self.limits.request_seconds, max_body=cap):
            try:
                response = self._http().request(method, url, json=body, headers=self._headers())
                content = response.read()
            except DeadlinePassed:
                raise failures.no_answer(self.name, self.limits.request_seconds) from None
            except TooLarge as error:
                raise failures.too_large(self.name, error.cap, what) from None
            except ConnectionLost as error:
                raise self._lost(error.cause, False) from None
        if response.status_code != 200:
            raise failures.for_status(response.status_code, content, self.name, (body or {}).get("model", ""))
        try:
            return json.loads(content)
        except ValueError:
            raise failures.not_data(self.name, content[:200].decode("utf-8", "replace")) from None

    def _lost(self, cause: Exception, began: bool) -> RemoteError:
        import httpx2

        if isinstance(cause, (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.UnsupportedProtocol)):
            return failures.unreachable(self.name, self.base_url, cause)
        if began:
            return failures.cut_off(self.name, cause)
        return failures.RemoteError(f"The connection to {self.name} was lost before it answered.",
                                    f"{type(cause).__name__}: {cause}")


def _capped_read(response) -> bytes:
    """An error answer's body: the guarded transport caps it at ``max_error_bytes``; past that, what came."""
    from app.core.request_guard import RequestAborted

    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body.extend(chunk)
    except RequestAborted:
        pass
    return bytes(body)


def _safe(listener: Listener, closed: Callable[[], bool]) -> Listener:
    def tell(event) -> None:
        if closed():
            return
        try:
            listener(event)
        except Exception:  # a faulty listener must not stop the queue
            log.exception("a listener failed on %s", type(event).__name__)
    return tell


def _nobody(_event) -> None:
    pass
