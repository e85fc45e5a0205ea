"""Reading a GGUF header over HTTP without downloading the model.

The header sits at the start of the file; its size depends mostly on the
vocabulary (a few hundred KB to a few MB). We ask for a first slice with a
Range request and ask for a longer prefix only when the parser runs out.
Each answer is streamed and read only as far as the slice: a server that
ignores Range and sends the whole file, or a compressed body that inflates
without end, costs no more memory than the slice (the request guard around
the read bounds its time).
"""
from __future__ import annotations

from app.core.errors import ModelFileError
from app.core.gguf_info import GGUFInfo, HeaderIncomplete, parse_header_prefix
from app.core.net_limits import DEFAULT_LIMITS

FIRST_SLICE = 1 << 20


def read(url: str, headers: dict[str, str], size: int, name: str,
         max_header: int = DEFAULT_LIMITS.max_header_bytes) -> GGUFInfo:
    from app.core import hub_http

    session = hub_http.session()
    data = bytearray()
    want = min(FIRST_SLICE, size) if size else FIRST_SLICE
    while True:
        if want > len(data):
            before = len(data)
            total = _fetch(session, url, headers, data, want, name)
            if len(data) == before:
                raise ModelFileError(f"The Hub sent no data for the header of “{name}”.", url)
            if not size:
                size = total or len(data)
        try:
            return parse_header_prefix(bytes(data), size, name)
        except HeaderIncomplete as need:
            needed = need.args[0]
            if len(data) >= size or needed > max_header:
                raise ModelFileError(f"The header of “{name}” on the Hub is larger than any real model's.",
                                     f"needs {needed} bytes") from None
            want = min(size, max(needed, len(data) * 2), max_header)


def _fetch(session, url: str, headers: dict[str, str], data: bytearray, want: int, name: str) -> int:
    """Append bytes [len(data), want) of the file to ``data``; the file's total size when the answer says it."""
    from huggingface_hub.utils import hf_raise_for_status

    have = len(data)
    ask = {**headers, "Range": f"bytes={have}-{want - 1}", "Accept-Encoding": "identity"}
    with session.stream("GET", url, headers=ask, follow_redirects=True) as response:
        if response.status_code >= 400:
            response.read()  # small, and capped by the guard: huggingface_hub reads its error from it
            hf_raise_for_status(response)
        skip = have if response.status_code == 200 else 0  # no Range support: the body starts at byte 0
        if response.status_code == 206 and _range_start(response) != have:
            raise ModelFileError(f"The Hub sent the wrong part of “{name}”.", response.headers.get("Content-Range", ""))
        for chunk in response.iter_bytes():
            if skip:
                dropped = min(skip, len(chunk))
                chunk, skip = chunk[dropped:], skip - dropped
            data += chunk[: want - len(data)]
            if len(data) >= want:
                break  # the rest of the answer is never read; closing the stream drops the connection
        return _total_size(response)


def _range_start(response) -> int:
    try:
        return int(response.headers.get("Content-Range", "").split()[1].split("-")[0])
    except (IndexError, ValueError):
        return -1


def _total_size(response) -> int:
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        if total.isdigit():
            return int(total)
    return 0
