"""Every socket connect of a Python process, written down: the privacy test's eyes in the engine processes.

Python imports ``sitecustomize`` at start-up from the first folder on its path that has one, so a
process started with this folder on PYTHONPATH and HEARTH_CONNECT_LOG set (the engine and speech
processes inherit both from the test) installs the audit hook before any of its own code runs.
Nothing in Hearth knows about it; without the variable it does nothing. Each process writes one
"started" line first, so the test can see that the hook really ran there. (An audit hook sees the
connects Python's socket module makes; native code that opens its own sockets is not seen.)
"""
import json
import os
import sys
import threading
import time

_LOG = os.environ.get("HEARTH_CONNECT_LOG")


def _write(record: dict) -> None:
    line = json.dumps({"pid": os.getpid(), "time": time.time(), **record}) + "\n"
    with open(_LOG, "a", encoding="utf-8") as out:  # one short append per line: whole lines from every process
        out.write(line)


def _hook(event: str, args: tuple) -> None:
    if event == "socket.connect":
        sock, address = args
        _write({"event": "connect", "family": int(sock.family), "address": repr(address),
                "thread": threading.current_thread().name})


if _LOG:
    _write({"event": "started", "argv": sys.argv, "orig_argv": getattr(sys, "orig_argv", [])})
    sys.addaudithook(_hook)
