"""What went wrong with a remote server, in sentences for the person at the window.

Each failure names the server the way the user named it, says what happened
and, mid-reply, that the text so far is kept. The server's own words (its
``{"error": {"message"}}``) are quoted when it gave some, cut short; what the
log needs goes to ``detail``, never the key.
"""
from __future__ import annotations

import json

from app.core.errors import HearthError
from app.core.gguf_info import format_bytes

KEPT = " The text so far is kept."
QUOTE_CHARS = 300


class RemoteError(HearthError):
    """A remote server could not answer as asked; ``invalid_request`` when the request was the problem."""

    def __init__(self, message: str, detail: str = "", invalid_request: bool = False, status: int = 0) -> None:
        super().__init__(message, detail)
        self.invalid_request = invalid_request
        self.status = status  # the HTTP status that said so, when one did


def server_words(body: bytes) -> str:
    """The message in an OpenAI-shaped error body (or the body itself when it is short plain text)."""
    text = body.decode("utf-8", "replace").strip()
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        error = decoded.get("error", decoded.get("detail", decoded))
        if isinstance(error, dict):
            text = str(error.get("message") or error.get("msg") or "")
        elif isinstance(error, str):
            text = error
        elif isinstance(error, list) and error and isinstance(error[0], dict):  # FastAPI's validation errors
            text = str(error[0].get("msg", ""))
    elif text.lstrip().startswith("<"):  # a proxy's or a router's web page
        return "(a web page instead of an answer)"
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS - 1] + "…"


def for_status(status: int, body: bytes, server: str, model: str = "") -> RemoteError:
    error = _for_status(status, body, server, model)
    error.status = status
    return error


def _for_status(status: int, body: bytes, server: str, model: str) -> RemoteError:
    words = server_words(body)
    said = f" It said: “{words}”" if words else ""
    detail = f"HTTP {status}: {words}"
    if status in (401, 403):
        return RemoteError(f"{server} refused the API key ({status}). Check the key in Models ▸ Connect to a "
                           "server…", detail)
    if status == 404:
        if model and "model" in words.lower():
            return RemoteError(f"{server} has no model called “{model}”.{said}", detail)
        return RemoteError(f"{server} does not answer OpenAI requests at this address (404). Check that the "
                           "address is the server's base URL, usually ending in /v1.", detail)
    if status in (408, 504):
        return RemoteError(f"{server} took too long to answer ({status}). Try again in a moment.", detail)
    if status in (429, 503):
        return RemoteError(f"{server} is busy ({status}). Try again in a moment.{said}", detail)
    if status == 413:
        return RemoteError(f"{server} refused the request as too large.{said}", detail, invalid_request=True)
    if 400 <= status < 500:
        return RemoteError(f"{server} refused the request ({status}).{said}", detail, invalid_request=True)
    return RemoteError(f"{server} had a problem ({status}).{said}", detail)


def unreachable(server: str, url: str, cause: object) -> RemoteError:
    return RemoteError(f"Hearth could not reach {server} at {url}. Check the address and that the server is "
                       "running.", f"{type(cause).__name__}: {cause}")


def no_answer(server: str, seconds: float) -> RemoteError:
    return RemoteError(f"{server} did not answer within {seconds:g} seconds.", f"no answer in {seconds:g} s")


def went_quiet(server: str, seconds: float) -> RemoteError:
    return RemoteError(f"{server} stopped sending the reply: nothing came for {seconds:g} seconds.{KEPT}",
                       f"idle {seconds:g} s mid-stream")


def cut_off(server: str, cause: object = "") -> RemoteError:
    return RemoteError(f"The connection to {server} was lost in the middle of the reply.{KEPT}",
                       f"stream ended early: {cause}")


def garbled(server: str, what: str) -> RemoteError:
    return RemoteError(f"{server} sent a reply Hearth could not read (not an OpenAI event stream).{KEPT}",
                       f"malformed stream: {what[:200]!r}")


def not_data(server: str, what: str) -> RemoteError:
    return RemoteError(f"{server} answered with something other than OpenAI-style data. Check the address.",
                       f"not data: {what[:200]!r}")


def too_large(server: str, cap: int, what: str) -> RemoteError:
    return RemoteError(f"{server} sent {what} larger than {format_bytes(cap)}, more than any real answer, so "
                       "Hearth stopped reading it.", f"over {cap} bytes: {what}")


def mid_reply(server: str, words: str) -> RemoteError:
    return RemoteError(f"{server} stopped the reply with an error: “{words}”.{KEPT}", f"error event: {words}")
