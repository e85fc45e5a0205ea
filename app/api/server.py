"""Hearth's OpenAI-compatible HTTP API: Starlette routes served by uvicorn on a thread of its own.

Starlette and uvicorn rather than a hand-written server: HTTP/1.1 parsing, keep-alive,
client disconnects and streaming are theirs, well kept and widely used
(llama-cpp-python's own server stands on the same two). What is Hearth's: the
OpenAI shapes, the limits, the key, and the bridge from a backend's listener
(called on the engine's reader thread) into the request's event loop.

Limits: bodies are capped (``ServerLimits``) and must arrive within a deadline; a
client that disconnects, mid-stream or while its request waits, is cancelled at
once so the engine is free for the next.
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app import __version__
from app.api import DEFAULT_PORT
from app.api import errors
from app.api.chat_request import parse_chat, parse_completion, parse_embeddings
from app.api import transcription
from app.api.errors import ApiError
from app.api.transcription import transcript_response
from app.api.host import ModelHost
from app.backend.events import Done, Embedded, Event, Failed, Piece, Segment, Started
from app.core.net_limits import ServerLimits
from app.core.subtitles import Line
from app.engine import protocol

log = logging.getLogger("hearth.api")

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ServerSettings:
    host: str = LOOPBACK
    port: int = DEFAULT_PORT
    api_key: str = ""
    cors_origins: tuple[str, ...] = ()
    limits: ServerLimits = field(default_factory=ServerLimits)


class ServerError(Exception):
    """The server cannot start as asked (a LAN bind without a key, a port in use); the message says why."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


RequestLog = Callable[[dict], None]  # {time, endpoint, client, status, tokens, tokens_per_second, seconds}


def create_app(host: ModelHost, settings: ServerSettings, on_request: RequestLog | None = None) -> Starlette:
    limits = settings.limits
    key = settings.api_key.encode("utf-8")

    def record(request: Request, status: int, started: float, tokens: int = 0, rate: float = 0.0) -> None:
        if on_request is not None:
            client = request.client
            on_request({"time": time.time(), "endpoint": f"{request.method} {request.url.path}",
                        "client": f"{client.host}:{client.port}" if client else "", "status": status,
                        "tokens": tokens, "tokens_per_second": round(rate, 2),
                        "seconds": round(time.monotonic() - started, 3)})

    def hung_up(request: Request, started: float, cancel) -> Response:
        """The client went away while its request waited: the engine is freed at once."""
        cancel()
        record(request, 499, started)
        return Response(status_code=499)

    def error_response(request: Request, error: ApiError, started: float) -> JSONResponse:
        record(request, error.status, started)
        return JSONResponse(error.body(), status_code=error.status, headers=error.headers)

    def authorized(request: Request) -> bool:
        if not key:
            return True
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode("utf-8"), key)

    async def read_json(request: Request) -> object:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limits.json_bytes:
            raise errors.too_large(limits.json_bytes)
        body = bytearray()

        async def gather() -> None:
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > limits.json_bytes:
                    raise errors.too_large(limits.json_bytes)

        try:
            await asyncio.wait_for(gather(), limits.body_seconds)
        except asyncio.TimeoutError:
            raise ApiError(408, f"The request body did not arrive within {limits.body_seconds:g} seconds.",
                           code="request_timeout") from None
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise errors.invalid("The request body is not valid JSON.") from None

    async def read_upload(request: Request) -> "transcription.Upload":
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            raise ApiError(411, "Send the file with a Content-Length.", code="length_required")
        if int(length) > limits.audio_bytes:
            raise errors.too_large(limits.audio_bytes)
        try:
            form = await asyncio.wait_for(request.form(max_files=1, max_fields=16, max_part_size=64 * 1024),
                                          limits.body_seconds * 10)
        except asyncio.TimeoutError:
            raise ApiError(408, "The file did not arrive in time.", code="request_timeout") from None
        except Exception as error:  # Starlette raises its own for a malformed multipart body
            raise errors.invalid(f"The form could not be read: {error}") from None
        return await transcription.upload_from(form)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__,
                             "models": [m.id for m in host.models() if m.loaded]})

    async def list_models(request: Request) -> Response:
        started = time.monotonic()
        if not authorized(request):
            return error_response(request, errors.unauthorized(), started)
        # max_model_len as vLLM names it: clients (Hearth's own remote backend among them) read the window there.
        data = [{"id": m.id, "object": "model", "created": 0, "owned_by": "hearth", "loaded": m.loaded,
                 **({"max_model_len": m.n_ctx} if m.n_ctx else {})} for m in host.models()]
        record(request, 200, started)
        return JSONResponse({"object": "list", "data": data})

    async def queue(request: Request, model: str, op: str, payload: dict) -> tuple[int, asyncio.Queue]:
        """Hand the request to the host; its events arrive on the returned queue (in this event loop)."""
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[Event] = asyncio.Queue()
        ticket = host.request(model, op, payload, lambda event: loop.call_soon_threadsafe(events.put_nowait, event))
        return ticket, events

    async def generate(request: Request, parse, chat: bool) -> Response:
        started = time.monotonic()
        if not authorized(request):
            return error_response(request, errors.unauthorized(), started)
        try:
            asked = parse(await read_json(request))
            payload = ({"messages": asked.messages} if chat else {"prompt": asked.prompt}) | {"params": asked.params}
            ticket, events = await queue(request, asked.model, protocol.CHAT if chat else protocol.COMPLETE, payload)
        except ApiError as error:
            return error_response(request, error, started)
        reply = _Reply(asked.model, asked.include_usage, chat)
        try:
            first = await _next_event(events, request, limits)
        except _ClientGone:
            return hung_up(request, started, lambda: host.cancel(ticket))
        if isinstance(first, Failed):
            return error_response(request, _failure(first), started)
        reply.take(first)
        if not asked.stream:
            try:
                while not reply.finished:
                    reply.take(await _next_event(events, request, limits))
            except _ClientGone:
                return hung_up(request, started, lambda: host.cancel(ticket))
            if reply.failure is not None:
                return error_response(request, _failure(reply.failure), started)
            record(request, 200, started, reply.completion_tokens, reply.rate)
            return JSONResponse(reply.whole())

        async def stream():
            try:
                if chat:
                    yield _sse(reply.chunk({"role": "assistant", "content": ""}))
                for piece in reply.drain():
                    yield _sse(reply.chunk(piece))
                while not reply.finished:
                    reply.take(await events.get())
                    for piece in reply.drain():
                        yield _sse(reply.chunk(piece))
                if reply.failure is not None:
                    yield _sse(_failure(reply.failure).body())
                else:
                    yield _sse(reply.chunk(None, reply.finish_reason))
                    if reply.include_usage:
                        yield _sse({**reply.chunk(None), "choices": [], "usage": reply.usage()})
                yield "data: [DONE]\n\n"
                record(request, 200, started, reply.completion_tokens, reply.rate)
            finally:
                if not reply.finished:  # the client went away: the engine is freed at once
                    host.cancel(ticket)
                    record(request, 499, started, reply.completion_tokens)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def chat_completions(request: Request) -> Response:
        return await generate(request, parse_chat, chat=True)

    async def completions(request: Request) -> Response:
        return await generate(request, parse_completion, chat=False)

    async def embeddings(request: Request) -> Response:
        started = time.monotonic()
        if not authorized(request):
            return error_response(request, errors.unauthorized(), started)
        try:
            asked = parse_embeddings(await read_json(request))
            ticket, events = await queue(request, asked.model, protocol.EMBED, {"texts": asked.texts})
        except ApiError as error:
            return error_response(request, error, started)
        try:
            answer = await _next_event(events, request, limits)
        except _ClientGone:
            return hung_up(request, started, lambda: host.cancel(ticket))
        if isinstance(answer, Failed):
            return error_response(request, _failure(answer), started)
        if not isinstance(answer, Embedded):
            return error_response(request, errors.engine_failed("The engine gave no embeddings."), started)
        data = [{"object": "embedding", "index": i, "embedding": _encoded(v, asked.base64)}
                for i, v in enumerate(answer.vectors)]
        record(request, 200, started, answer.tokens)
        return JSONResponse({"object": "list", "data": data, "model": asked.model,
                             "usage": {"prompt_tokens": answer.tokens, "total_tokens": answer.tokens}})

    async def transcriptions(request: Request) -> Response:
        started = time.monotonic()
        if not authorized(request):
            return error_response(request, errors.unauthorized(), started)
        try:
            upload = await read_upload(request)
        except ApiError as error:
            return error_response(request, error, started)
        try:
            events: asyncio.Queue[Event] = asyncio.Queue()
            loop = asyncio.get_running_loop()
            try:
                ticket = host.transcribe(upload.path, upload.language, upload.prompt,
                                         lambda event: loop.call_soon_threadsafe(events.put_nowait, event))
            except ApiError as error:
                return error_response(request, error, started)
            lines: list[Line] = []
            while True:
                try:
                    event = await _next_event(events, request, limits)
                except _ClientGone:
                    return hung_up(request, started, lambda: host.cancel_transcription(ticket))
                if isinstance(event, Segment):
                    lines.append(Line(event.text, event.start, event.end))
                    duration = event.end / event.progress if event.progress else event.end
                elif isinstance(event, Failed):
                    return error_response(request, _failure(event), started)
                elif isinstance(event, Done):
                    break
        finally:
            await run_in_threadpool(upload.remove)
        record(request, 200, started)
        return transcript_response(lines, upload, duration if lines else 0.0)

    async def not_found(request: Request, _exc) -> Response:
        return JSONResponse(errors.not_found(f"There is no {request.method} {request.url.path} here.").body(),
                            status_code=404)

    async def wrong_method(request: Request, _exc) -> Response:
        return JSONResponse(ApiError(405, f"{request.method} is not allowed on {request.url.path}.").body(),
                            status_code=405)

    middleware = []
    if settings.cors_origins:  # off unless the user lists the web pages allowed to call it
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                                     allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"]))
    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/v1/audio/transcriptions", transcriptions, methods=["POST"]),
    ]
    return Starlette(routes=routes, middleware=middleware, exception_handlers={404: not_found, 405: wrong_method})


class _ClientGone(Exception):
    pass


async def _next_event(events: asyncio.Queue, request: Request, limits: ServerLimits) -> Event:
    """The request's next event, noticing meanwhile when its client hangs up."""
    while True:
        try:
            return await asyncio.wait_for(events.get(), limits.disconnect_poll_seconds)
        except asyncio.TimeoutError:
            if await request.is_disconnected():
                raise _ClientGone() from None


def _failure(failed: Failed) -> ApiError:
    if failed.invalid_request:
        code = "context_length_exceeded" if "context" in failed.message else "invalid_request"
        return errors.invalid(failed.message, code=code)
    return errors.engine_failed(failed.message)


def _encoded(vector: list[float], base64: bool):
    """A vector as floats, or as base64 of little-endian float32 (what the `openai` client asks for)."""
    if not base64:
        return vector
    import array
    import base64 as b64
    import sys

    packed = array.array("f", vector)
    if sys.byteorder != "little":
        packed.byteswap()
    return b64.b64encode(packed.tobytes()).decode("ascii")


def _sse(data: dict) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


class _Reply:
    """One completion as its events arrive, in OpenAI's shapes."""

    def __init__(self, model: str, include_usage: bool, chat: bool = True) -> None:
        self.chat = chat
        self.id = f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())
        self.model = model
        self.include_usage = include_usage
        self.text: list[str] = []
        self._undrained: list[str] = []
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.rate = 0.0
        self.finish_reason = "stop"
        self.finished = False
        self.failure: Failed | None = None

    def take(self, event: Event) -> None:
        if self.finished:
            return
        if isinstance(event, Started):
            self.prompt_tokens = event.prompt_tokens
        elif isinstance(event, Piece):
            self.text.append(event.text)
            self._undrained.append(event.text)
        elif isinstance(event, Done):
            self.finished = True
            self.completion_tokens = int(event.stats.get("tokens", 0))
            self.rate = float(event.stats.get("tokens_per_second", 0.0))
            self.finish_reason = "length" if event.reason == protocol.LENGTH else "stop"
        elif isinstance(event, Failed):
            self.finished = True
            self.failure = event

    def drain(self) -> list[str]:
        pieces, self._undrained = [p for p in self._undrained if p], []
        return pieces

    def usage(self) -> dict:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens}

    def chunk(self, piece: str | dict | None, finish_reason: str | None = None) -> dict:
        """One streamed event: a piece of text (a chat's delta may also be its role), or the end."""
        if self.chat:
            delta = piece if isinstance(piece, dict) else ({"content": piece} if piece else {})
            choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
            kind = "chat.completion.chunk"
        else:
            choice = {"index": 0, "text": piece or "", "logprobs": None, "finish_reason": finish_reason}
            kind = "text_completion"
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model, "choices": [choice]}

    def whole(self) -> dict:
        text = "".join(self.text)
        if self.chat:
            choice = {"index": 0, "message": {"role": "assistant", "content": text},
                      "finish_reason": self.finish_reason}
            kind = "chat.completion"
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": self.finish_reason}
            kind = "text_completion"
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model, "choices": [choice],
                "usage": self.usage()}


class ApiServer:
    """The API on a thread of its own; ``start`` binds at once, so a port in use is an error to show."""

    def __init__(self, host: ModelHost, settings: ServerSettings, on_request: RequestLog | None = None) -> None:
        self.host = host
        self.settings = settings
        self.on_request = on_request
        self._server = None
        self._thread: threading.Thread | None = None
        self.port = settings.port

    @property
    def url(self) -> str:
        host = self.settings.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        import uvicorn

        settings = self.settings
        if not is_loopback(settings.host) and not settings.api_key:
            raise ServerError("Serving beyond this computer needs an API key: create one first, and give it to "
                              "the programs that should be let in.")
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((settings.host, settings.port))
        except OSError as error:
            sock.close()
            raise ServerError(f"Could not listen on {settings.host} port {settings.port}: {error.strerror}. "
                              "Choose another port.") from error
        sock.listen(64)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(create_app(self.host, settings, self.on_request), log_config=None,
                                access_log=False, lifespan="off", timeout_keep_alive=5,
                                timeout_graceful_shutdown=2, h11_max_incomplete_event_size=64 * 1024)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name="api-server")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        log.info("API server listening on %s", self.url)

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._server = self._thread = None
