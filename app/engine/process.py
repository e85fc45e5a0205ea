"""An engine process, as the GUI process sees it: start it, write requests, read events, notice when it dies.

Plain Python with one reader thread; ``on_event`` is called on that thread, so a Qt
bridge turns the calls into queued signals. The process transport is this one piece,
which the LLM engine's client and the speech engine's client each compose: spawning
(the module from source, or the frozen app in a bundle), the rotating stderr log,
request ids, restarting a dead engine with its last load replayed, and crash messages
in words. The reader merges pieces of one request that arrive in the same read (see
``app/engine/client.py`` for why pieces come every 80 ms).
"""
from __future__ import annotations

import itertools
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from app.engine import protocol

log = logging.getLogger("hearth.engine.process")

LOG_LIMIT = 2_000_000  # bytes of engine log kept before it is rotated to engine.log.1
EventHandler = Callable[[dict], None]


AMX_HINT = (" This llama.cpp build uses AMX kernels, which crash on some CPUs: reinstall llama-cpp-python "
            "without them (see the README, “Building llama.cpp”).")


def describe_exit(returncode: int | None, system_info: str = "", what: str = "engine",
                  native: str = "llama.cpp") -> str:
    """Say in words why an engine process ended."""
    if returncode is None:
        return f"The {what} stopped answering."
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        if -returncode == signal.SIGKILL:
            return f"The {what} was killed ({name}); the system may have run out of memory."
        hint = AMX_HINT if "AMX_INT8 = 1" in system_info and -returncode == signal.SIGSEGV else ""
        return f"The {what} crashed inside {native} ({name}).{hint}"
    return f"The {what} exited unexpectedly (code {returncode})."


def engine_command(module: str = "app.engine.worker", flag: str = "--engine-worker") -> list[str]:
    """How to start an engine process: the module from source, or the frozen app in a bundle."""
    if getattr(sys, "frozen", False):  # PyInstaller: sys.executable is Hearth itself
        return [sys.executable, flag]
    return [sys.executable, "-m", module]


class EngineProcess:
    def __init__(self, on_event: EventHandler, command: list[str], *, log_path: Path | None = None,
                 env: dict | None = None, describes: tuple[str, str] = ("engine", "llama.cpp")) -> None:
        self._on_event = on_event
        self._command = command
        self._log_path = log_path
        self._env = env
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self._closing = False
        self._pending: set[int] = set()  # requests sent and not yet answered
        self.last_load: dict | None = None  # replayed after a restart
        self.system_info = ""  # the native build's features, from the engine's "ready"
        self.backend = "CPU"  # "CUDA", "Metal", …: the engine's llama.cpp build, from "ready"
        self.ready_info: dict = {}  # the whole "ready" event: versions, backends, devices
        self.describes = describes  # how crash messages name this process and its native code

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process and process.poll() is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    def start(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return
            self._closing = False
            env = dict(os.environ if self._env is None else self._env)
            env.setdefault("PYTHONUNBUFFERED", "1")
            # llama.cpp's CPU backend (and CTranslate2) run on OpenMP (GCC's libgomp in these builds), whose
            # threads spin at each of the many barriers of a token before they sleep. How long they spin
            # decides a lot (SmolLM2, 2 threads, 2 cores, tokens/s). Alone: libgomp's default spin 95, 5,000
            # turns 85, 3,000 turns 83, 1,000 turns 77, no spin (OMP_WAIT_POLICY=PASSIVE) 33. With two busy
            # programs and a second llama.cpp beside it: the default 5.9, 5,000 turns 17, 3,000 turns 23,
            # passive 65. 3,000 turns keeps most of an idle machine's speed and a busy one usable
            # (bench/api_throughput.py shows what it costs against a plain loop). A user's own settings win.
            if "OMP_WAIT_POLICY" not in env:
                env.setdefault("GOMP_SPINCOUNT", "3000")
            stderr = self._open_log() if self._log_path else subprocess.DEVNULL
            try:
                self._process = subprocess.Popen(
                    self._command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    env=env,
                    bufsize=0,
                    cwd=str(Path(__file__).resolve().parents[2]),
                )
            finally:
                if stderr is not subprocess.DEVNULL:
                    stderr.close()
            process = self._process
            self._reader = threading.Thread(target=self._read, args=(process,), daemon=True, name="engine-reader")
            self._reader.start()
            log.info("engine started, pid %s", process.pid)

    def _open_log(self):
        path = self._log_path
        try:
            if path.stat().st_size > LOG_LIMIT:
                path.replace(path.with_name(path.name + ".1"))
        except FileNotFoundError:
            pass
        return open(path, "ab")

    def send(self, message: dict) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            raise BrokenPipeError("engine not running")
        process.stdin.write(protocol.encode(message))

    def request(self, message: dict) -> int:
        """Send a request, starting (and re-loading) the engine first if it is not running."""
        request_id = next(self._ids)
        message = {**message, "id": request_id}
        if not self.running:
            self.start()
            if self.last_load is not None and message["op"] != protocol.LOAD:
                reload_id = next(self._ids)
                self._pending.add(reload_id)
                self.send({**self.last_load, "id": reload_id})
        self._pending.add(request_id)
        try:
            self.send(message)
        except (BrokenPipeError, OSError):
            # It died between the check and the write; the reader reports the crash.
            pass
        return request_id

    def cancel(self, request_id: int) -> None:
        try:
            self.send({"op": protocol.CANCEL, "id": request_id})
        except (BrokenPipeError, OSError):
            pass

    def shutdown(self, timeout: float = 2.0) -> None:
        with self._lock:
            process, self._process = self._process, None
            self._closing = True
        if process is None:
            return
        try:
            process.stdin.close()  # the worker exits when its stdin closes
        except OSError:
            pass
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self._reader is not None:
            self._reader.join(timeout)

    # -- the reader thread ------------------------------------------------------------
    def _read(self, process: subprocess.Popen) -> None:
        fd = process.stdout.fileno()
        buffer = b""
        pending: dict[int, list] = {}  # request id -> [text, n_tokens], within one read

        def flush() -> None:
            for request_id, (text, count) in pending.items():
                self._deliver({"event": protocol.PIECE, "id": request_id, "text": text, "n": count})
            pending.clear()

        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if not line:
                    continue
                try:
                    event = protocol.decode(line)
                except ValueError:
                    log.warning("unreadable engine event: %r", line[:200])
                    continue
                if event.get("event") == protocol.PIECE:
                    slot = pending.setdefault(event["id"], ["", 0])
                    slot[0] += event["text"]
                    slot[1] += event.get("n", 1)
                    continue
                flush()
                if event.get("event") in (protocol.DONE, protocol.ERROR, protocol.LOADED, protocol.COUNTED,
                                          protocol.UNLOADED, protocol.EMBEDDED):
                    self._pending.discard(event.get("id"))
                elif event.get("event") == protocol.READY:
                    self.system_info = event.get("system_info", "")
                    self.backend = event.get("backend", "CPU")
                    self.ready_info = dict(event)
                self._deliver(event)
            flush()
        flush()
        returncode = process.wait()
        if self._closing or process is not self._process and self._process is not None:
            return  # asked to stop, or replaced by a newer process
        orphaned = sorted(self._pending)
        self._pending.clear()
        message = describe_exit(returncode, self.system_info, *self.describes)
        log.warning("engine %s ended: %s", process.pid, message)
        self._deliver({"event": protocol.CRASHED, "message": message,
                       "returncode": returncode, "requests": orphaned})

    def _deliver(self, event: dict) -> None:
        try:
            self._on_event(event)
        except Exception:  # a faulty handler must not kill the reader
            log.exception("engine event handler failed for %s", event.get("event"))


class ProcessClient:
    """What every engine's client says about its process: the LLM and speech clients add their requests."""

    process: EngineProcess

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.running

    @property
    def ready_info(self) -> dict:
        return self.process.ready_info

    def start(self) -> None:
        self.process.start()

    def cancel(self, request_id: int) -> None:
        self.process.cancel(request_id)

    def shutdown(self, timeout: float = 2.0) -> None:
        self.process.shutdown(timeout)
