"""Servers for the remote backend to talk to: two real peers and one that misbehaves on purpose.

* llama-cpp-python's own OpenAI-compatible server (``llama_cpp.server``, its ``server`` extra) with SmolLM2;
* a second Hearth, ``hearth serve``, in a process of its own;
* ``RoughServer``: a socket server that answers the models list properly and then, for a chat, does one wrong
  thing the way a broken server or network would: never answers, sends headers and then nothing, garbles the
  stream, cuts it, or sends a line without end.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time

import httpx2
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_models(url: str, process: subprocess.Popen, seconds: float, headers: dict | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx2.get(url + "/models", headers=headers or {}, timeout=2).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not come up")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@contextlib.contextmanager
def llama_cpp_server(model, log_path):
    """llama_cpp.server on 127.0.0.1, one reply at a time and never interrupting one for the next (so a reply
    left running would hold up the next request); yields its base URL (…/v1)."""
    port = free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host",
                                    "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2",
                                    "--interrupt_requests", "False"], stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/v1"
            _wait_for_models(url, process, 180)
            yield url
        finally:
            _stop(process)


@contextlib.contextmanager
def hearth_serve(model, home, api_key: str = ""):
    """A second Hearth serving ``model`` over its API; yields its base URL (…/v1)."""
    env = dict(os.environ, HEARTH_HOME=str(home))
    if api_key:
        env["HEARTH_API_KEY"] = api_key
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--model", str(model), "--port", "0",
                                "--threads", "2", "--ctx", "1024"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        url = ""
        for line in process.stdout:
            if line.startswith("Serving "):
                url = line.rsplit(" at ", 1)[1].strip()
                break
        if not url:
            raise RuntimeError("hearth serve did not start")
        threading.Thread(target=process.stdout.read, daemon=True).start()  # keep its pipe from filling
        yield url
    finally:
        _stop(process)


MODEL = "rough-model"
SILENT, HEADERS_ONLY, GARBLED, CUT, ENDLESS_LINE = "silent", "headers-only", "garbled", "cut", "endless-line"
ERROR_EVENT = "error-event"  # what Hearth's own server and llama-server send when a reply fails mid-way


class RoughServer:
    """One misbehaviour for every chat request (``mode``); GET /v1/models answers properly unless SILENT."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.held: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        self.sock.close()
        for conn in self.held:
            with contextlib.suppress(OSError):
                conn.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        self.held.append(conn)
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(65536)
            if not chunk:
                return
            request += chunk
        head, _, body = request.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += conn.recv(65536)
        if self.mode == SILENT:
            return  # holds the connection open and never says a word
        if head.startswith(b"GET /v1/models"):
            payload = json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model"}]}).encode()
            # One request a connection, and it says so: a client must not send the next on this one.
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s" % (len(payload), payload))
            conn.close()
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
        if self.mode == HEADERS_ONLY:
            return
        for text in ("Hel", "lo"):
            chunk = {"id": "x", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text},
                                                                                "finish_reason": None}]}
            conn.sendall(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        if self.mode == GARBLED:
            conn.sendall(b"data: {this is not json\n\n")
            time.sleep(5)  # the client must end it, not the server
        elif self.mode == ENDLESS_LINE:
            conn.sendall(b"data: " + b"x" * 200_000)
            time.sleep(5)
        elif self.mode == CUT:
            conn.close()
        elif self.mode == ERROR_EVENT:
            error = {"error": {"message": "The model ran out of memory.", "type": "server_error", "code": None}}
            conn.sendall(b"data: " + json.dumps(error).encode() + b"\n\ndata: [DONE]\n\n")
            conn.close()


@pytest.fixture(scope="module")
def llama_server(smollm_path, tmp_path_factory):
    """llama-cpp-python's own server with SmolLM2, for a test module."""
    with llama_cpp_server(smollm_path, tmp_path_factory.mktemp("peer") / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def hearth_peer(smollm_path, tmp_path_factory, request):
    """A second Hearth's ``hearth serve`` with SmolLM2, asking for the test module's KEY."""
    with hearth_serve(smollm_path, tmp_path_factory.mktemp("peer-home"), api_key=request.module.KEY) as url:
        yield url
