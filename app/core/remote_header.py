"""Reading a GGUF header over HTTP without downloading the model.

The header sits at the start of the file; its size depends mostly on the
vocabulary (a few hundred KB to a few MB). We ask for a first slice with a
Range request and ask for a longer prefix only when the parser runs out.
"""
from __future__ import annotations

from app.core.errors import ModelFileError
from app.core.gguf_info import GGUFInfo, HeaderIncomplete, parse_header_prefix

FIRST_SLICE = 1 << 20
MAX_HEADER = 64 << 20  # no real header comes close; a larger claim is treated as nonsense
TIMEOUT = 20.0


def read(url: str, headers: dict[str, str], size: int, name: str) -> GGUFInfo:
    from huggingface_hub.utils import get_session, hf_raise_for_status

    session = get_session()
    data = b""
    want = min(FIRST_SLICE, size) if size else FIRST_SLICE
    while True:
        if want > len(data):
            response = session.get(url, headers={**headers, "Range": f"bytes={len(data)}-{want - 1}"},
                                   timeout=TIMEOUT, follow_redirects=True)
            hf_raise_for_status(response)
            chunk = response.content
            if response.status_code == 200:  # a server without Range support sent the whole file
                chunk = chunk[len(data):want]
            if not chunk:
                raise ModelFileError(f"The Hub sent no data for the header of “{name}”.", url)
            data += chunk[: want - len(data)]
            if not size:
                size = _total_size(response) or len(data)
        try:
            return parse_header_prefix(data, size, name)
        except HeaderIncomplete as need:
            needed = need.args[0]
            if len(data) >= size or needed > MAX_HEADER:
                raise ModelFileError(f"The header of “{name}” on the Hub is larger than any real model's.",
                                     f"needs {needed} bytes") from None
            want = min(size, max(needed, len(data) * 2))


def _total_size(response) -> int:
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        if total.isdigit():
            return int(total)
    return 0
