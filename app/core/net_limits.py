"""Every bound on talking to a Hub, in one place: deadlines, stall rule, size caps, retries.

A request to a Hub always ends: within its deadline (connect, headers and body
together), or when the user pauses or cancels, or when its answer grows past
its cap. The values below are the defaults; tests and callers pass a changed
copy (``dataclasses.replace``) through constructors, never by editing these.
README lists them; keep the two in step.
"""
from __future__ import annotations

from dataclasses import dataclass

MB = 1_000_000


@dataclass(frozen=True)
class NetLimits:
    # Deadlines, in seconds, from the first byte of the connection to the last byte of the answer.
    request_seconds: float = 30.0  # a search, a file listing, a token check
    probe_seconds: float = 5.0  # "is the Hub reachable at all?" (one HEAD)
    header_seconds: float = 60.0  # a GGUF header read over Range requests, all its slices together
    download_headers_seconds: float = 30.0  # a download request, until its answer's headers are in
    connect_seconds: float = 15.0  # the TCP (and TLS) connect inside any of the above

    # A download body is not bounded in time, only in pace: below ``min_rate`` bytes per second over
    # ``stall_seconds`` it counts as stalled, and the download reconnects and resumes.
    stall_seconds: float = 30.0
    min_rate: float = 2_000.0

    # Size caps: a larger answer is refused (JSON) or read only as far as it is needed (headers).
    max_json_bytes: int = 16 * MB  # a search or file listing, decompressed
    max_header_bytes: int = 64 * MB  # no real GGUF header comes close; a larger claim is nonsense
    max_error_bytes: int = 1 * MB  # an error or redirect answer's body (4xx, 5xx, 3xx), whatever the cap above
    max_redirects: int = 10

    # Retries.
    max_attempts: int = 8  # tries per download (per start or Resume), whatever progress each makes
    retry_base: float = 1.0  # the first wait between download tries; doubles each time
    max_backoff: float = 60.0
    hub_retries: int = 2  # a search or listing answered 429/5xx is asked again at most this often
    retry_after_cap: float = 60.0  # the longest Retry-After Hearth waits; a longer one becomes a message

    # How often a waiting request looks at Pause/Cancel (and at its deadline).
    poll_seconds: float = 0.1


DEFAULT_LIMITS = NetLimits()
DECODE_PIECE_BYTES = 1 << 20  # a compressed answer is inflated at most this much at a time


def format_wait(seconds: float) -> str:
    """ "40 s", "5 min", "2 h 10 min": how long the Hub asks to wait, for people."""
    seconds = max(1, int(seconds + 0.5))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"


@dataclass(frozen=True)
class RemoteLimits:
    """Every bound on talking to a remote OpenAI-compatible server (app/backend/remote.py)."""
    connect_seconds: float = 10.0  # the TCP (and TLS) connect
    answer_seconds: float = 120.0  # from sending a request to its headers (some servers send a stream's only
    #                                 once the prompt is read, which a long prompt on a CPU makes slow)
    idle_seconds: float = 60.0  # the longest quiet gap in a streamed reply (between its lines, keep-alives count)
    request_seconds: float = 30.0  # a whole short request: the models list, a token count
    max_line_bytes: int = 1 * MB  # one line of an event stream
    max_error_bytes: int = 64_000  # an error answer's body
    max_models_bytes: int = 4 * MB  # the models list
    max_json_bytes: int = 64 * MB  # a whole answer that is not streamed (embeddings)
    poll_seconds: float = 0.1  # how often a waiting read looks at Stop and at its deadline


DEFAULT_REMOTE_LIMITS = RemoteLimits()


@dataclass(frozen=True)
class ServerLimits:
    """What Hearth's own API server accepts (app/api/server.py)."""
    json_bytes: int = 4_000_000  # a chat request's body
    audio_bytes: int = 100_000_000  # an uploaded audio or video file for transcription
    body_seconds: float = 30.0  # the whole body must arrive within this
    disconnect_poll_seconds: float = 0.25  # how often a waiting request checks that its client is still there
