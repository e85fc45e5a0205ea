"""One Hearth per data folder: a second start hands its files to the running window and exits.

Two Hearths on one data folder would share one conversation database, one download queue and its
partial files. So the first start claims the folder and listens on a local socket; a later start
(a second double-click, ``hearth file.gguf`` from a terminal or the file manager) connects, sends
one JSON line, ``{"files": ["/abs/a.gguf", …], "activation_token": "…"}``, waits for ``{"ok": true}`` and exits; the
running app opens the files as File ▸ Open GGUF file does and comes to the front.

Qt's QLocalServer and QLocalSocket do the talking (a Unix socket, a named pipe on Windows), and
QLockFile decides who is first. The lock is what makes it safe, not the socket:

* two starts at the same moment: only one takes the lock; the other keeps knocking until the
  winner listens (it listens right after the lock, before its window is built, and answers once
  its event loop runs, so a start that is still under way is waited for, not doubled);
* a first instance killed with ``kill -9`` leaves its lock file and its socket file behind:
  QLockFile sees that the process named in the lock is gone and takes it over, and the socket
  file is removed before listening again.

The name of the socket is a hash of the user and the data folder, so two users, or two
``HEARTH_HOME`` folders of one user, never meet; the socket lets only its user connect.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger("hearth.instance")

LOCK_NAME = "hearth.lock"
CONNECT_MS = 500  # a listening server accepts at once; longer means there is none
ANSWER_SECONDS = 30.0  # a first instance still building its window answers after that
CLAIM_SECONDS = 30.0  # how long a start knocks at a lock holder that does not listen yet
MAX_MESSAGE = 1 << 20
ACTIVATION_TOKEN = "XDG_ACTIVATION_TOKEN"  # a list of file names; anything longer is not from Hearth


def instance_name(data: Path) -> str:
    """The socket's name for this user and this data folder."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): the uid itself
        user = str(getattr(os, "getuid", lambda: "")())
    key = f"{user}\0{Path(data).expanduser().resolve()}".encode()
    return "hearth-" + hashlib.sha256(key).hexdigest()[:20]


def absolute_files(files: list[str], cwd: str | None = None) -> list[str]:
    """The files as the running app must see them: absolute, resolved against the starting process's cwd."""
    base = Path(cwd or os.getcwd())
    return [str((base / Path(f).expanduser()).resolve()) for f in files]


def hand_over(name: str, files: list[str], answer_seconds: float = ANSWER_SECONDS) -> bool | None:
    """Give ``files`` to the instance listening as ``name``. True: it took them; None: nobody listens;
    False: something listens but did not answer in time."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_MS):
        return None
    # On Wayland the compositor lets a window take the focus only with a token from the launch that asked
    # for it: this start's, handed over with the files (Qt uses XDG_ACTIVATION_TOKEN when it activates).
    message = {"files": files, "activation_token": os.environ.get(ACTIVATION_TOKEN, "")}
    socket.write(json.dumps(message).encode() + b"\n")
    socket.flush()
    deadline = time.monotonic() + answer_seconds
    answer = b""
    while b"\n" not in answer and time.monotonic() < deadline:
        if socket.state() != QLocalSocket.LocalSocketState.ConnectedState and not socket.bytesAvailable():
            break
        if socket.waitForReadyRead(200) or socket.bytesAvailable():
            answer += bytes(socket.readAll())
    socket.abort()
    try:
        return bool(json.loads(answer.split(b"\n", 1)[0]).get("ok"))
    except (ValueError, AttributeError):
        return False


class InstanceServer(QObject):
    """The first instance's side: holds the lock and tells the app about files later starts hand over.

    On macOS, Finder does not start a second process for a file opened with a running app: it sends the
    app a file-open event, which this object turns into the same signal."""

    files_received = Signal(list)  # absolute paths (maybe none: a plain second start only wants the window)

    def __init__(self, name: str, lock: QLockFile, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._lock = lock  # held for as long as this object lives
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}
        application = QCoreApplication.instance()
        if application is not None:
            application.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.FileOpen and event.file():
            self.files_received.emit([event.file()])
            return True
        return False

    def listen(self) -> bool:
        QLocalServer.removeServer(self.name)  # a socket file left by a crash; the lock says it is ours now
        if not self._server.listen(self.name):
            log.warning("could not listen as %s: %s", self.name, self._server.errorString())
            return False
        log.info("the one Hearth for this data folder, listening as %s", self.name)
        return True

    def close(self) -> None:
        application = QCoreApplication.instance()
        if application is not None:
            application.removeEventFilter(self)
        self._server.close()
        self._lock.unlock()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE:
                socket.abort()
            else:
                self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            message = json.loads(line)
            files = [str(f) for f in message["files"] if isinstance(f, str)]
            token = message.get("activation_token") or ""
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("a second start sent something unreadable: %r", line[:200])
            socket.write(b'{"ok": false}\n')
            socket.disconnectFromServer()
            return
        self._buffers[socket] = b""
        socket.write(b'{"ok": true}\n')
        socket.flush()
        socket.disconnectFromServer()
        log.info("a second start handed over %d file(s)", len(files))
        if isinstance(token, str) and token:
            os.environ[ACTIVATION_TOKEN] = token  # read (and cleared) by Qt's next activateWindow
        self.files_received.emit(files)

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()


def claim(data: Path, files: list[str], claim_seconds: float = CLAIM_SECONDS) -> InstanceServer | bool:
    """Become the one instance for ``data``, or hand ``files`` to the one that is.

    Returns the listening InstanceServer when this process is the first, True when a running instance
    took the files (this process should exit), False when one holds the folder but never answered.
    Needs a QCoreApplication (QLocalSocket's waits run without an event loop)."""
    name = instance_name(data)
    lock = QLockFile(str(Path(data) / LOCK_NAME))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however long it has run
    deadline = time.monotonic() + claim_seconds
    while True:
        handed = hand_over(name, files)
        if handed is not None:
            return handed
        if lock.tryLock(100):
            server = InstanceServer(name, lock)
            server.listen()
            return server
        if lock.error() == QLockFile.LockError.PermissionError:
            log.warning("cannot take %s; starting without the one-instance check", lock.fileName())
            return InstanceServer(name, lock)
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)  # its holder is starting and not listening yet
