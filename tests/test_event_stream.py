"""The event-stream reader: line ends split across reads, comments, multi-line data, a bound on a line."""
from __future__ import annotations

import pytest

from app.backend.event_stream import LineTooLong, ServerEvent, events


def chunked(text: bytes, size: int):
    return [text[i:i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_events_whatever_the_reads(size):
    stream = (b": ping\r\n\r\ndata: {\"a\": 1}\r\n\r\nevent: error\ndata: x\ndata: y\n\n"
              b"data: cr only\r\rdata: [DONE]\n\n")
    heard = []
    got = list(events(chunked(stream, size), 100, lambda: heard.append(1)))
    assert got == [ServerEvent('{"a": 1}'), ServerEvent("x\ny", "error"), ServerEvent("cr only"),
                   ServerEvent("[DONE]")]
    assert len(heard) == 12  # every line, the keep-alive comment included


def test_a_stream_cut_after_its_data_still_gives_it():
    assert list(events([b"data: last"], 100)) == [ServerEvent("last")]


def test_a_line_without_end_is_bounded():
    with pytest.raises(LineTooLong):
        list(events(chunked(b"data: " + b"x" * 5000, 64), 1000))
