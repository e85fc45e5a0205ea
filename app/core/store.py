"""Conversations on disk: one SQLite file in WAL mode, owned by this class alone.

Durability is the point (promise 1): every write is its own committed
transaction with ``synchronous=FULL``, so a message is on disk the moment a
method returns, and a ``kill -9`` loses only what was never handed to us.
The one exception is the growing reply's periodic save (``durable=False``):
it commits with ``synchronous=NORMAL``, which in WAL mode survives a killed
app (the commit is in the OS's hands) and skips the fsync that could stall
the GUI thread on a slow disk; the reply's final save is FULL again.
"""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import StoreError

DEFAULT_TITLE = "New chat"
TITLE_LENGTH = 48

# Message states. "streaming" left behind by a crash becomes "interrupted" at the next start.
DONE, STREAMING, STOPPED, ERROR, INTERRUPTED = "done", "streaming", "stopped", "error", "interrupted"

_SCHEMA = [
    # version 1
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        system_prompt TEXT NOT NULL DEFAULT '',
        model_path TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content TEXT NOT NULL,
        status TEXT NOT NULL,
        error TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        n_tokens INTEGER NOT NULL DEFAULT 0,
        tokens_per_second REAL NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    """,
]


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    system_prompt: str
    model_path: str
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    role: str
    content: str
    status: str
    error: str = ""
    model: str = ""
    n_tokens: int = 0
    tokens_per_second: float = 0.0
    created_at: float = 0.0


def _reason(error: sqlite3.Error) -> str:
    text = str(error).lower()
    if "full" in text:
        return " The disk is full: free some space and try again."
    if "readonly" in text or "read-only" in text:
        return " The data folder is read-only."
    if "locked" in text or "busy" in text:
        return " Another program is using the conversation file."
    return ""


def title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise StoreError(
                f"Hearth could not open its conversation file {self.path}. It may be damaged or in use.",
                str(error),
            ) from error

    def close(self) -> None:
        self._db.close()

    # -- schema ---------------------------------------------------------------------
    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(_SCHEMA[version:], start=version + 1):
            try:
                self._db.executescript(f"BEGIN IMMEDIATE;{script};PRAGMA user_version = {number};COMMIT;")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _write(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except sqlite3.Error as error:
            raise StoreError("Hearth could not save to its conversation file." + _reason(error), str(error)) from error

    # -- conversations ----------------------------------------------------------------
    def create_conversation(self, title: str = DEFAULT_TITLE, system_prompt: str = "", model_path: str = "") -> Conversation:
        now = time.time()
        cursor = self._write(
            "INSERT INTO conversations (title, system_prompt, model_path, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            (title, system_prompt, model_path, now, now),
        )
        return self.conversation(cursor.lastrowid)

    def conversation(self, conversation_id: int) -> Conversation:
        row = self._db.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise StoreError("That conversation no longer exists.", f"id {conversation_id}")
        return Conversation(**dict(row))

    def conversations(self) -> list[Conversation]:
        rows = self._db.execute("SELECT * FROM conversations ORDER BY updated_at DESC, id DESC").fetchall()
        return [Conversation(**dict(row)) for row in rows]

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        title = title.strip() or DEFAULT_TITLE
        self._write("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id))

    def set_system_prompt(self, conversation_id: int, system_prompt: str) -> None:
        self._write("UPDATE conversations SET system_prompt = ? WHERE id = ?", (system_prompt, conversation_id))

    def set_model(self, conversation_id: int, model_path: str) -> None:
        self._write("UPDATE conversations SET model_path = ? WHERE id = ?", (model_path, conversation_id))

    def delete_conversation(self, conversation_id: int) -> None:
        self._write("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def _touch(self, conversation_id: int, now: float) -> None:
        self._write("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))

    # -- messages ---------------------------------------------------------------------
    def messages(self, conversation_id: int) -> list[Message]:
        rows = self._db.execute(
            "SELECT id, conversation_id, role, content, status, error, model, n_tokens, tokens_per_second, created_at "
            "FROM messages WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        ).fetchall()
        return [Message(**dict(row)) for row in rows]

    def message(self, message_id: int) -> Message:
        row = self._db.execute(
            "SELECT id, conversation_id, role, content, status, error, model, n_tokens, tokens_per_second, created_at "
            "FROM messages WHERE id = ?",
            (message_id,),
        ).fetchone()
        if row is None:
            raise StoreError("That message no longer exists.", f"id {message_id}")
        return Message(**dict(row))

    def add_message(self, conversation_id: int, role: str, content: str, status: str = DONE, model: str = "") -> Message:
        now = time.time()
        try:
            parent = self._db.execute(
                "SELECT MAX(id) FROM messages WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()[0]
            self._db.execute("BEGIN IMMEDIATE")
            cursor = self._db.execute(
                "INSERT INTO messages (conversation_id, parent_id, role, content, status, model, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, parent, role, content, status, model, now, now),
            )
            self._db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            if role == "user":
                self._db.execute(
                    "UPDATE conversations SET title = ? WHERE id = ? AND title = ?",
                    (title_from(content), conversation_id, DEFAULT_TITLE),
                )
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise StoreError("Hearth could not save your message." + _reason(error), str(error)) from error
        return self.message(cursor.lastrowid)

    def update_message(
        self,
        message_id: int,
        *,
        content: str | None = None,
        status: str | None = None,
        error: str | None = None,
        n_tokens: int | None = None,
        tokens_per_second: float | None = None,
        durable: bool = True,
    ) -> None:
        fields = {"content": content, "status": status, "error": error, "n_tokens": n_tokens,
                  "tokens_per_second": tokens_per_second}
        changes = {name: value for name, value in fields.items() if value is not None}
        if not changes:
            return
        assignments = ", ".join(f"{name} = ?" for name in changes)
        if not durable:
            self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            self._write(
                f"UPDATE messages SET {assignments}, updated_at = ? WHERE id = ?",
                (*changes.values(), time.time(), message_id),
            )
        finally:
            if not durable:
                self._db.execute("PRAGMA synchronous=FULL")

    def recover_interrupted(self) -> int:
        """Mark replies that were streaming when the app last died. Returns how many."""
        cursor = self._write(
            "UPDATE messages SET status = ?, error = ? WHERE status = ?",
            (INTERRUPTED, "Hearth closed before this reply finished.", STREAMING),
        )
        return cursor.rowcount
