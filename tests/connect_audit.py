"""Who opens a network connection: Python's audit hook on ``socket.connect``, in this process and in the
engine processes it starts (through ``tests/helpers/connect_audit/sitecustomize.py``).

Only internet sockets count: AF_UNIX sockets (PulseAudio, Qt's QLocalServer that keeps Hearth to one
instance, the name service cache) never leave the computer.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SITE = Path(__file__).resolve().parent / "helpers" / "connect_audit"
NETWORK = {socket.AF_INET, socket.AF_INET6}


@dataclass
class Connect:
    phase: str
    family: int
    address: tuple | str
    where: str  # "test process" or the engine process's module

    @property
    def network(self) -> bool:
        return self.family in NETWORK


@dataclass
class Recorder:
    log: Path  # where the engine processes write theirs
    phase: str = "idle"
    connects: list[Connect] = field(default_factory=list)
    _phases: list[tuple[float, str]] = field(default_factory=list)

    @contextmanager
    def during(self, phase: str):
        previous, self.phase = self.phase, phase
        self._phases.append((time.time(), phase))
        try:
            yield
        finally:
            self.phase = previous
            self._phases.append((time.time(), previous))

    def _phase_at(self, moment: float) -> str:
        phase = "idle"
        for started, name in self._phases:
            if started <= moment:
                phase = name
        return phase

    def processes(self) -> dict[int, list[str]]:
        """The processes whose hook ran: pid -> argv."""
        return {r["pid"]: r["orig_argv"] or r["argv"] for r in self._records() if r["event"] == "started"}

    def _records(self) -> list[dict]:
        try:
            return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line]
        except FileNotFoundError:
            return []

    def all(self) -> list[Connect]:
        """This process's connects and every engine process's, each with the phase it happened in."""
        argv = self.processes()
        children = [Connect(self._phase_at(r["time"]), r["family"], r["address"], " ".join(argv.get(r["pid"], [])))
                    for r in self._records() if r["event"] == "connect"]
        return list(self.connects) + children


_current: list[Recorder] = []  # the recorder listening now; audit hooks cannot be removed, so the hook stays


def _hook(event: str, args: tuple) -> None:
    if event == "socket.connect" and _current:
        sock, address = args
        recorder = _current[0]
        recorder.connects.append(Connect(recorder.phase, int(sock.family), address,
                                         f"test process ({threading.current_thread().name})"))


_installed: list[bool] = []


@contextmanager
def recording(log: Path, monkeypatch):
    """Record connects here, and make every Python process started from now on record its own into ``log``."""
    if not _installed:
        sys.addaudithook(_hook)
        _installed.append(True)
    monkeypatch.setenv("HEARTH_CONNECT_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")])))
    recorder = Recorder(log)
    _current.append(recorder)
    try:
        yield recorder
    finally:
        _current.remove(recorder)
