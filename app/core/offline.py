"""No network at all, told apart from a Hub that answers badly, and said as such.

A connection that could not even be opened (the name did not resolve, the network is
unreachable, the connection was refused, or it was not accepted in time) means this computer
is offline, or the Hub's address is not reachable from it: the user can do nothing about the
Hub, only about the network. A connection cut in the middle of an answer is something else
("the connection was lost") and keeps its own wording.

Everything but searching and downloading works offline (chat, dictation, transcription, the
library, the history), so each message says so.
"""
from __future__ import annotations

import errno
import socket

STILL_WORKS = "Your downloaded models, chat and voice input still work."
SEARCH_ACTION = "search for models"


def no_network(error: BaseException) -> bool:
    """Whether ``error`` is a connection that could not be opened at all."""
    import httpx2

    from app.core.request_guard import ConnectionLost

    if isinstance(error, ConnectionLost):
        error = error.cause
    if isinstance(error, (httpx2.ConnectError, httpx2.ConnectTimeout)):
        return True
    # Outside httpx2 (a plain socket, urllib): the OS's own words for the same thing.
    return isinstance(error, (socket.gaierror, ConnectionRefusedError)) or (
        isinstance(error, OSError) and error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH))


def offline_message(action: str) -> str:
    """What a failed Hub question says when there is no network (``action``: "search for models", …)."""
    if action == SEARCH_ACTION:
        return f"You're offline: searching Hugging Face needs a network connection. {STILL_WORKS}"
    return f"You're offline: Hearth needs a network connection to {action} on Hugging Face. {STILL_WORKS}"


RECOMMENDED_OFFLINE = ("You're offline: the Recommended list shows estimated sizes until Hugging Face can be "
                       f"reached. {STILL_WORKS}")


def offline_download_message(name: str) -> str:
    return f"You're offline: downloading “{name}” needs a network connection."


def quiet_environment(environ=None) -> None:
    """Settings huggingface_hub reads when it is imported, set before it is: Hearth asks the Hub only when
    the user searches or downloads. Telemetry is off (nothing in Hearth sends it today; a library that
    would is kept quiet too). HF_HUB_OFFLINE is left alone: it would turn search off, and a user who sets
    it gets the Hub's own "offline mode" message. A value the user set wins."""
    import os

    environ = os.environ if environ is None else environ
    environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
