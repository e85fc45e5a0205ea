"""Server-sent events read from an HTTP answer, one bounded line at a time.

Written here rather than taken from a library: httpx-sse and sseclient speak to
httpx and requests, not to httpx2 (huggingface_hub's client, which Hearth's
guarded transport wraps), and neither bounds a line: a server that never sends
a newline would grow their buffer without end. The format is small
(https://html.spec.whatwg.org/multipage/server-sent-events.html): ``field: value``
lines, an event ending at a blank line, ``:`` starting a comment (a keep-alive).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator


class LineTooLong(Exception):
    def __init__(self, cap: int) -> None:
        super().__init__(f"an event-stream line over {cap} bytes")
        self.cap = cap


@dataclass(frozen=True)
class ServerEvent:
    data: str
    kind: str = "message"  # the ``event:`` field; llama.cpp's server names an error this way


def lines(chunks: Iterable[bytes], max_line: int) -> Iterator[bytes]:
    """The lines of a byte stream (CR, LF or CRLF ends), each at most ``max_line`` bytes; a last line without
    an end is given too."""
    pending = bytearray()
    for chunk in chunks:
        pending.extend(chunk)
        start = 0
        while True:
            cut = _line_end(pending, start)
            if cut < 0:
                break
            yield bytes(pending[start:cut])
            start = cut + (2 if pending[cut:cut + 2] == b"\r\n" else 1)
        del pending[:start]
        if pending.endswith(b"\r"):  # it may be half of a CRLF: wait for the next chunk
            continue
        if len(pending) > max_line:
            raise LineTooLong(max_line)
    if pending:
        yield bytes(pending.rstrip(b"\r"))


def _line_end(buffer: bytearray, start: int) -> int:
    lf = buffer.find(b"\n", start)
    cr = buffer.find(b"\r", start, lf if lf >= 0 else len(buffer))
    if cr >= 0 and cr + 1 < len(buffer):
        return cr
    return lf


def events(chunks: Iterable[bytes], max_line: int, on_line: Callable[[], None] = lambda: None) -> Iterator[ServerEvent]:
    """The events of a stream; ``on_line`` is called for every line read, keep-alive comments included (the
    caller's idle deadline starts again)."""
    data: list[str] = []
    kind = "message"
    for raw in lines(chunks, max_line):
        on_line()
        line = raw.decode("utf-8", "replace")
        if not line:
            if data:
                yield ServerEvent("\n".join(data), kind)
            data, kind = [], "message"
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            kind = value or "message"
        elif name == "error":  # some llama.cpp builds write "error: {...}" as a line of its own
            yield ServerEvent(value, "error")
    if data:  # a stream cut after its last data line: give what came
        yield ServerEvent("\n".join(data), kind)
