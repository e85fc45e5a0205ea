"""A local server that speaks the Hugging Face Hub's routes, for the real huggingface_hub client.

It serves real files (the test GGUF models, or any bytes), answers Range
requests, counts every byte it sends, and can misbehave on request: drop the
connection, answer 500 or 429 with Retry-After, stall, trickle headers or body,
send wrong or too few bytes, ignore Range, send a gzip bomb, a huge JSON answer,
an HTML page, a redirect loop, or a file whose size disagrees with the listing.
Used by the tests and by ``bench/download_throughput.py``.
"""
from __future__ import annotations

import functools
import hashlib
import json
import socket
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

TOKEN = "hf_hearth_test_token"
SEND_CHUNK = 1 << 20


@dataclass
class ServedFile:
    source: Path | bytes
    size: int = 0
    sha256: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.source, bytes):
            self.size = len(self.source)
            self.sha256 = self.sha256 or hashlib.sha256(self.source).hexdigest()
        else:
            self.size = self.source.stat().st_size
            if not self.sha256:
                digest = hashlib.sha256()
                with open(self.source, "rb") as handle:
                    while chunk := handle.read(8 << 20):
                        digest.update(chunk)
                self.sha256 = digest.hexdigest()

    @functools.cached_property
    def git_sha1(self) -> str:
        """The git blob id the Hub lists (as ``blobId``) for a file kept in git, not LFS."""
        digest = hashlib.sha1(b"blob %d\0" % self.size)
        for chunk in self.read(0, self.size):
            digest.update(chunk)
        return digest.hexdigest()

    def read(self, start: int, end: int):
        """Yield the bytes [start, end) in chunks."""
        if isinstance(self.source, bytes):
            for offset in range(start, end, SEND_CHUNK):
                yield self.source[offset:min(end, offset + SEND_CHUNK)]
            return
        with open(self.source, "rb") as handle:
            handle.seek(start)
            left = end - start
            while left > 0:
                chunk = handle.read(min(SEND_CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk


@dataclass
class Repo:
    repo_id: str
    files: dict[str, ServedFile]
    downloads: int = 0
    likes: int = 0
    last_modified: str = "2026-01-01T00:00:00.000Z"
    gated: bool = False
    private: bool = False
    sha: str = "0123456789abcdef0123456789abcdef01234567"
    listed: dict[str, int] = field(default_factory=dict)  # sizes the listing claims, where they differ
    siblings: list | None = None  # sent as the listing's "siblings" instead of the real files (malformed ones)
    plain: frozenset = frozenset()  # files kept in git, not LFS (small JSON files): no "lfs", a git blob id


# Keys for ``fail_next`` that name an API route rather than a file.
SEARCH, INFO, ROOT, WHOAMI = "@search", "@info", "@root", "@whoami"


@dataclass
class Fault:
    """What the next request of a file (or of a route: SEARCH, INFO, ROOT, WHOAMI) does wrong.

    ``after`` counts bytes of that response's body. Kinds, for files and routes alike:
    "status" (answer ``status``, with ``headers`` such as Retry-After: 408 + "Retry-After: 3600" is the
    one huggingface_hub's retry loop would sleep on), "hangup" (close the connection without an answer), "slow_headers" (send the
    headers one byte every ``interval`` s), "html" (a web page), "redirect_loop", "gzip_bomb" (a
    gzip body that inflates to ``size`` zero bytes), "huge" (a JSON array of ``size`` bytes, chunked,
    no length), "huge_error" (the same with status ``status`` and ``headers``: a 404, a 302 with Location). For files only: "drop", "stall" (send ``after`` bytes, wait ``seconds``, close), "wrong",
    "short" (declare and send only ``after`` bytes), "trickle" (after ``after`` bytes, ``size`` bytes every
    ``interval`` s), "ignore_range" (answer 200 with the whole file), "unknown_total" (Content-Range
    ``bytes a-b/*``).
    """

    kind: str
    after: int = 0
    status: int = 500
    seconds: float = 0.0
    interval: float = 0.0
    size: int = 0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    path: str
    start: int
    sent: int = 0


@dataclass
class HubState:
    repos: dict[str, Repo] = field(default_factory=dict)
    faults: dict[str, deque] = field(default_factory=dict)  # file name -> deque[Fault]
    requests: list[Request] = field(default_factory=list)  # file GETs that got a body
    file_gets: list[str] = field(default_factory=list)  # the name of every file GET, whatever its answer
    routes: list[str] = field(default_factory=list)  # SEARCH, INFO, ROOT, WHOAMI: every request, whatever its answer
    searches: list[dict] = field(default_factory=list)  # the query parameters of every search
    search_status: int = 0  # answer searches with this status (429, 500) when set
    bytes_per_second: float = 0.0  # throttle file bodies when set
    flowing: threading.Event = field(default_factory=threading.Event)  # cleared: file bodies wait before each chunk
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sent(self, name: str) -> int:
        return sum(r.sent for r in self.requests if r.path.endswith("/" + name))

    def asked(self, name: str) -> int:
        """How many GETs of this file reached the server, whatever they were answered."""
        with self.lock:
            return self.file_gets.count(name)

    def next_fault(self, key: str) -> "Fault | None":
        with self.lock:
            queue = self.faults.get(key)
            return queue.popleft() if queue else None


class HubServer:
    def __init__(self, sock: socket.socket | None = None) -> None:
        self.state = HubState()
        self.state.flowing.set()
        state = self.state

        class Handler(_Handler):
            hub = state

        self._server = _Server(("127.0.0.1", 0), Handler, bind_and_activate=sock is None)
        if sock is not None:
            self._server.socket.close()
            self._server.socket = sock
            self._server.server_address = sock.getsockname()
            self._server.server_activate()
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_repo(self, repo_id: str, files: dict[str, Path | bytes], **fields) -> Repo:
        repo = Repo(repo_id, {name: ServedFile(source) for name, source in files.items()}, **fields)
        with self.state.lock:
            self.state.repos[repo_id] = repo
        return repo

    def fail_next(self, name: str, *faults: Fault) -> None:
        """The next requests of file ``name`` (or of route SEARCH, INFO, ROOT, WHOAMI) go wrong, in order."""
        with self.state.lock:
            self.state.faults.setdefault(name, deque()).extend(faults)

    def reset(self) -> None:
        with self.state.lock:
            self.state.repos.clear()
            self.state.faults.clear()
            self.state.requests.clear()
            self.state.file_gets.clear()
            self.state.routes.clear()
            self.state.searches.clear()
            self.state.search_status = 0
            self.state.bytes_per_second = 0.0
            self.state.flowing.set()

    def start(self) -> "HubServer":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="hub-server")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):  # a client that hung up is normal here
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    hub: HubState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    # -- routing -----------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self._route(head=True)

    def do_GET(self) -> None:
        self._route(head=False)

    def _route(self, head: bool) -> None:
        url = urlparse(self.path)
        path = unquote(url.path)
        query = parse_qs(url.query)
        try:
            route = {"/api/models": SEARCH, "/api/whoami-v2": WHOAMI, "/": ROOT}.get(path)
            if route is None and path.startswith("/api/models/"):
                route = INFO
            if route is not None:
                with self.hub.lock:
                    self.hub.routes.append(route)
                fault = self.hub.next_fault(route)
                if fault is not None and self._misbehave(fault):
                    return
            if path == "/api/models":
                return self._search(query)
            if path == "/api/whoami-v2":
                return self._whoami()
            if path.startswith("/api/models/"):
                rest = path[len("/api/models/"):]
                repo_id = "/".join(rest.split("/")[:2])
                return self._model_info(repo_id)
            parts = path.lstrip("/").split("/")
            if len(parts) >= 5 and parts[2] == "resolve":
                repo_id = f"{parts[0]}/{parts[1]}"
                name = "/".join(parts[4:])
                return self._resolve(repo_id, name, head)
            self._json(404, {"error": "Not found"})
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- misbehaviour shared by routes and files ---------------------------------------------
    def _misbehave(self, fault: Fault) -> bool:
        """Answer the way ``fault`` says, if it is one of the shared kinds; False leaves the answer to the caller."""
        if fault.kind == "status":
            self._json(fault.status, {"error": "injected"}, fault.headers)
        elif fault.kind == "slow_headers":
            self._trickle(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                          + b"X-Padding: " + b"a" * 4000 + b"\r\n\r\n[]", fault.interval)
        elif fault.kind == "hangup":  # read the request, then close without a word
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif fault.kind == "html":
            page = b"<!doctype html><html><body><h1>Sign in to the Wi-Fi</h1></body></html>"
            self._raw(200, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(page))}, page)
        elif fault.kind == "garbage":
            junk = b"{this is not json"
            self._raw(200, {"Content-Type": "application/json", "Content-Length": str(len(junk))}, junk)
        elif fault.kind == "redirect_loop":
            self._raw(302, {"Location": self.path, "Content-Length": "0"}, b"")
        elif fault.kind == "gzip_bomb":
            bomb = gzip_zeros(fault.size)
            self._raw(200, {"Content-Type": "application/json", "Content-Encoding": "gzip",
                            "Content-Length": str(len(bomb))}, bomb)
        elif fault.kind == "huge":
            self._huge_json(fault.size)
        elif fault.kind == "huge_error":  # a JSON body of ``size`` bytes with status ``status`` (404, 302...)
            self._huge_json(fault.size, fault.status, fault.headers)
        else:
            return False
        return True

    def _raw(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _trickle(self, data: bytes, interval: float) -> None:
        """Send ``data`` one byte at a time, ``interval`` s apart, until it is sent or the client leaves."""
        self.close_connection = True
        for byte in data:
            self.wfile.write(bytes([byte]))
            time.sleep(interval)

    def _huge_json(self, size: int, status: int = 200, headers: dict[str, str] | None = None) -> None:
        """A JSON array of about ``size`` bytes, made as it is sent (chunked, no length given)."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        item = json.dumps({"id": "spam/" + "x" * 200, "downloads": 1}).encode() + b","
        piece = b"[" + item * ((1 << 20) // len(item))
        sent = 0
        while sent < size:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
            piece = piece.lstrip(b"[")
        self.wfile.write(b"1\r\n]\r\n0\r\n\r\n")

    def _authorized(self) -> bool:
        return self.headers.get("Authorization", "") == f"Bearer {TOKEN}"

    def _json(self, status: int, body, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    # -- API routes ----------------------------------------------------------------------
    def _search(self, query: dict) -> None:
        self.hub.searches.append(query)
        if self.hub.search_status:
            return self._json(self.hub.search_status, {"error": "slow down"}, {"Retry-After": "0"})
        text = (query.get("search") or [""])[0].lower()
        sort = (query.get("sort") or ["downloads"])[0]
        limit = int((query.get("limit") or ["1000"])[0])
        with self.hub.lock:
            repos = [r for r in self.hub.repos.values() if text in r.repo_id.lower() and not r.private]
        key = {"likes": lambda r: r.likes, "lastModified": lambda r: r.last_modified}.get(sort, lambda r: r.downloads)
        repos.sort(key=key, reverse=True)
        self._json(200, [{
            "_id": r.repo_id, "id": r.repo_id, "author": r.repo_id.split("/")[0], "downloads": r.downloads,
            "likes": r.likes, "lastModified": r.last_modified, "gated": "manual" if r.gated else False,
            "tags": ["gguf"], "private": False,
        } for r in repos[:limit]])

    def _whoami(self) -> None:
        if not self._authorized():
            return self._json(401, {"error": "Invalid credentials in Authorization header"})
        self._json(200, {"type": "user", "name": "hearth-tester",
                         "auth": {"type": "access_token", "accessToken": {"displayName": "hearth", "role": "read"}}})

    def _repo(self, repo_id: str) -> Repo | None:
        with self.hub.lock:
            return self.hub.repos.get(repo_id)

    def _model_info(self, repo_id: str) -> None:
        repo = self._repo(repo_id)
        if repo is None or (repo.private and not self._authorized()):
            return self._json(401 if repo is None or repo.private else 404,
                              {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
        siblings = [{"rfilename": name, "size": repo.listed.get(name, f.size), "blobId": f.git_sha1}
                    if name in repo.plain else
                    {"rfilename": name, "size": repo.listed.get(name, f.size), "blobId": f.sha256[:40],
                     "lfs": {"sha256": f.sha256, "size": repo.listed.get(name, f.size), "pointerSize": 134}}
                    for name, f in repo.files.items()]
        if repo.siblings is not None:
            siblings = repo.siblings
        self._json(200, {"_id": repo.repo_id, "id": repo.repo_id, "modelId": repo.repo_id, "sha": repo.sha,
                         "author": repo.repo_id.split("/")[0], "private": repo.private,
                         "gated": "manual" if repo.gated else False, "downloads": repo.downloads,
                         "likes": repo.likes, "lastModified": repo.last_modified, "tags": ["gguf"],
                         "siblings": siblings})

    # -- files ----------------------------------------------------------------------------
    def _resolve(self, repo_id: str, name: str, head: bool) -> None:
        repo = self._repo(repo_id)
        served = repo.files.get(name) if repo else None
        if repo is not None and (repo.gated or repo.private) and not self._authorized():
            return self._json(401, {"error": "Access to this repo is restricted."},
                              {"X-Error-Code": "GatedRepo" if repo.gated else "RepoNotFound"})
        if served is None:
            return self._json(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
        if not head:
            with self.hub.lock:
                self.hub.file_gets.append(name)
        fault = self.hub.next_fault(name) if not head else None
        if fault is not None and self._misbehave(fault):
            return
        start, end = 0, served.size
        ranged = self.headers.get("Range", "")
        if fault is not None and fault.kind == "ignore_range":
            ranged, fault = "", None
        if ranged.startswith("bytes="):
            first, _, last = ranged[len("bytes="):].partition("-")
            start = int(first or 0)
            end = min(served.size, int(last) + 1) if last else served.size
            if start >= served.size:
                return self._json(416, {"error": "Range not satisfiable"},
                                  {"Content-Range": f"bytes */{served.size}"})
        length = end - start
        declared = min(length, fault.after) if fault is not None and fault.kind == "short" else length
        self.send_response(206 if ranged else 200)
        self.send_header("Content-Length", str(declared))
        self.send_header("Accept-Ranges", "bytes")
        if name in repo.plain:  # a git file: its blob id is its ETag, and nothing is linked
            self.send_header("ETag", f'"{served.git_sha1}"')
        else:
            self.send_header("ETag", f'"{served.sha256}"')
            self.send_header("X-Linked-Etag", f'"{served.sha256}"')
            self.send_header("X-Linked-Size", str(served.size))
        self.send_header("X-Repo-Commit", repo.sha)
        if ranged:
            total = "*" if fault is not None and fault.kind == "unknown_total" else served.size
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{total}")
        self.end_headers()
        if head:
            return
        record = Request(self.path, start)
        with self.hub.lock:
            self.hub.requests.append(record)
        self._send_body(served, start, start + declared, fault, record)

    def _send_body(self, served: ServedFile, start: int, end: int, fault: Fault | None, record: Request) -> None:
        began = time.monotonic()
        if fault is not None and fault.kind == "trickle":
            return self._send_trickle(served, start, end, fault, record)
        for chunk in served.read(start, end):
            self.hub.flowing.wait()
            if fault is not None and fault.kind in ("drop", "stall", "wrong") and record.sent + len(chunk) > fault.after:
                keep = fault.after - record.sent
                if fault.kind == "wrong":
                    chunk = chunk[:keep] + bytes(b ^ 0xFF for b in chunk[keep:keep + 16]) + chunk[keep + 16:]
                    fault = None
                else:
                    self.wfile.write(chunk[:keep])
                    self.wfile.flush()
                    record.sent += keep
                    if fault.kind == "stall":
                        time.sleep(fault.seconds)
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
            self.wfile.write(chunk)
            record.sent += len(chunk)
            rate = self.hub.bytes_per_second
            if rate:
                ahead = record.sent / rate - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)

    def _send_trickle(self, served: ServedFile, start: int, end: int, fault: Fault, record: Request) -> None:
        self.close_connection = True
        for chunk in served.read(start, end):
            view = memoryview(chunk)
            while view:
                if record.sent < fault.after:
                    step = min(len(view), fault.after - record.sent)
                else:
                    step = min(len(view), max(1, fault.size))
                    time.sleep(fault.interval)
                self.wfile.write(view[:step])
                record.sent += step
                view = view[step:]


@functools.lru_cache(maxsize=4)
def gzip_zeros(size: int) -> bytes:
    """A gzip stream that inflates to ``size`` zero bytes (about a thousandth of that on the wire)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1 << 20)
    parts = [packer.compress(zeros) for _ in range(size >> 20)]
    parts.append(packer.compress(bytes(size & ((1 << 20) - 1))))
    parts.append(packer.flush())
    return b"".join(parts)
