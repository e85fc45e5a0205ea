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

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import StoreError

DEFAULT_TITLE = "New chat"
TITLE_LENGTH = 48
BUSY_SECONDS = 5.0  # how long a write waits for another connection to let go of the file
QUICK_BUSY_MS = 50  # the same, for a write that will be tried again (a growing reply's saves)

# Message states. "streaming" left behind by a crash becomes "interrupted" at the next start.
DONE, STREAMING, STOPPED, ERROR, INTERRUPTED = "done", "streaming", "stopped", "error", "interrupted"

# Who said a message, as the user reads it (the window, search results, exported Markdown).
ROLE_NAMES = {"user": "You", "assistant": "Assistant", "system": "System"}

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
    # version 2: branches (edit, regenerate), pins, undoable deletes, per-conversation settings,
    # per-reply statistics, and full-text search
    """
    ALTER TABLE conversations ADD COLUMN leaf_id INTEGER;
    ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE conversations ADD COLUMN deleted_at REAL;
    ALTER TABLE conversations ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE messages ADD COLUMN finish TEXT NOT NULL DEFAULT '';
    ALTER TABLE messages ADD COLUMN first_token_seconds REAL NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN settings TEXT NOT NULL DEFAULT '';
    CREATE INDEX messages_by_parent ON messages(parent_id);
    CREATE VIRTUAL TABLE message_text USING fts5(content, content='messages', content_rowid='id',
                                                 tokenize='unicode61 remove_diacritics 2');
    CREATE TRIGGER message_text_insert AFTER INSERT ON messages BEGIN
        INSERT INTO message_text(rowid, content) VALUES (new.id, new.content);
    END;
    CREATE TRIGGER message_text_delete AFTER DELETE ON messages BEGIN
        INSERT INTO message_text(message_text, rowid, content) VALUES ('delete', old.id, old.content);
    END;
    CREATE TRIGGER message_text_update AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO message_text(message_text, rowid, content) VALUES ('delete', old.id, old.content);
        INSERT INTO message_text(rowid, content) VALUES (new.id, new.content);
    END;
    INSERT INTO message_text(message_text) VALUES ('rebuild');
    """,
]


def _json_object(text: str) -> dict:
    """A settings column as a dict; empty when it is empty or not a JSON object."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    system_prompt: str
    model_path: str
    created_at: float
    updated_at: float
    leaf_id: int | None = None  # the newest message of the branch on screen; None: the newest message
    pinned: bool = False
    deleted_at: float | None = None  # deleted, still undoable until purged
    settings: str = "{}"  # this conversation's sampling and context choices, JSON

    @property
    def options(self) -> dict:
        return _json_object(self.settings)


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
    parent_id: int | None = None
    finish: str = ""  # "length" when a reply stopped at its token limit (it can be continued)
    first_token_seconds: float = 0.0
    settings: str = ""  # the sampling the reply was written with, JSON

    @property
    def options(self) -> dict:
        return _json_object(self.settings)


@dataclass(frozen=True)
class SearchHit:
    conversation_id: int
    message_id: int
    title: str
    role: str
    snippet: str  # the matching words between [ and ]


_MESSAGE_COLUMNS = ("id, conversation_id, role, content, status, error, model, n_tokens, tokens_per_second, "
                    "created_at, parent_id, finish, first_token_seconds, settings")


def fts_query(text: str) -> str:
    """Words typed in a search box as an FTS5 query: every word must match, the last one as a prefix.

    Quoting each word keeps FTS5's own syntax (AND, NEAR, quotes, colons) from turning typing
    into a syntax error.
    """
    words = [w.replace('"', '""') for w in text.split()]
    if not words:
        return ""
    return " ".join(f'"{w}"' for w in words[:-1]) + (" " if len(words) > 1 else "") + f'"{words[-1]}"*'


# Why a write failed, from SQLite's own words, for the sentences the window shows.
FULL, READ_ONLY, LOCKED = "full", "read-only", "locked"


def cause(error: sqlite3.Error | str) -> str:
    """FULL, READ_ONLY, LOCKED, or "" for a write that failed another way (``error`` or its text)."""
    text = str(error).lower()
    if "full" in text:
        return FULL
    if "readonly" in text or "read-only" in text:
        return READ_ONLY
    if "locked" in text or "busy" in text:
        return LOCKED
    return ""


def _reason(error: sqlite3.Error) -> str:
    return {FULL: " The disk is full: free some space and try again.",
            READ_ONLY: " The data folder is read-only.",
            LOCKED: " Another program is using the conversation file."}.get(cause(error), "")


def title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_SECONDS)
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

    def _transaction(self, message: str):
        return _Transaction(self._db, message)

    # -- conversations ----------------------------------------------------------------
    def create_conversation(self, title: str = DEFAULT_TITLE, system_prompt: str = "", model_path: str = "",
                            settings: dict | None = None) -> Conversation:
        now = time.time()
        cursor = self._write(
            "INSERT INTO conversations (title, system_prompt, model_path, created_at, updated_at, settings) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (title, system_prompt, model_path, now, now, json.dumps(settings or {})),
        )
        return self.conversation(cursor.lastrowid)

    def conversation(self, conversation_id: int) -> Conversation:
        row = self._db.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise StoreError("That conversation no longer exists.", f"id {conversation_id}")
        return Conversation(**dict(row))

    def conversations(self) -> list[Conversation]:
        """Pinned first, then the most recently active; deleted ones (still undoable) are left out."""
        rows = self._db.execute(
            "SELECT * FROM conversations WHERE deleted_at IS NULL "
            "ORDER BY pinned DESC, updated_at DESC, id DESC").fetchall()
        return [Conversation(**dict(row)) for row in rows]

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        title = title.strip() or DEFAULT_TITLE
        self._write("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id))

    def retitle(self, conversation_id: int, title: str, replaces: str) -> bool:
        """Set a title made for the conversation, only if it is still called ``replaces`` (a name the
        user gave it in the meantime stays). True when the title changed."""
        cursor = self._write("UPDATE conversations SET title = ? WHERE id = ? AND title = ?",
                             (title_from(title), conversation_id, replaces))
        return cursor.rowcount > 0

    def set_system_prompt(self, conversation_id: int, system_prompt: str) -> None:
        self._write("UPDATE conversations SET system_prompt = ? WHERE id = ?", (system_prompt, conversation_id))

    def set_model(self, conversation_id: int, model_path: str) -> None:
        self._write("UPDATE conversations SET model_path = ? WHERE id = ?", (model_path, conversation_id))

    def set_settings(self, conversation_id: int, settings: dict) -> None:
        self._write("UPDATE conversations SET settings = ? WHERE id = ?", (json.dumps(settings), conversation_id))

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        self._write("UPDATE conversations SET pinned = ? WHERE id = ?", (int(pinned), conversation_id))

    def delete_conversation(self, conversation_id: int) -> None:
        """Hide a conversation; ``restore_conversation`` brings it back until ``purge_deleted`` runs."""
        self._write("UPDATE conversations SET deleted_at = ? WHERE id = ?", (time.time(), conversation_id))

    def restore_conversation(self, conversation_id: int) -> None:
        self._write("UPDATE conversations SET deleted_at = NULL WHERE id = ?", (conversation_id,))

    def drop_empty_conversations(self) -> int:
        """Delete (undoably) the conversations nobody wrote in: no message, no name of their own,
        not pinned. A new chat takes their place instead of joining a row of empty "New chat"s."""
        return self._write(
            "UPDATE conversations SET deleted_at = ? WHERE deleted_at IS NULL AND pinned = 0 AND title = ? "
            "AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id)",
            (time.time(), DEFAULT_TITLE)).rowcount

    def purge_deleted(self) -> int:
        """Remove for good the conversations deleted earlier (their messages go with them)."""
        return self._write("DELETE FROM conversations WHERE deleted_at IS NOT NULL").rowcount

    # -- the branch on screen -------------------------------------------------------------
    def messages(self, conversation_id: int) -> list[Message]:
        """The branch on screen, oldest first: from the first message to the conversation's leaf."""
        leaf = self._leaf(conversation_id)
        if leaf is None:
            return []
        rows = self._db.execute(
            f"WITH RECURSIVE branch(id) AS (SELECT ? UNION ALL "
            f"SELECT m.parent_id FROM messages m JOIN branch b ON m.id = b.id WHERE m.parent_id IS NOT NULL) "
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id IN (SELECT id FROM branch) ORDER BY id",
            (leaf,)).fetchall()
        return [Message(**dict(row)) for row in rows]

    def all_messages(self, conversation_id: int) -> list[Message]:
        """Every message of every branch, oldest first (for export)."""
        rows = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY id",
            (conversation_id,)).fetchall()
        return [Message(**dict(row)) for row in rows]

    def _leaf(self, conversation_id: int) -> int | None:
        row = self._db.execute(
            "SELECT COALESCE(c.leaf_id, (SELECT MAX(id) FROM messages WHERE conversation_id = c.id)) "
            "FROM conversations c WHERE c.id = ?", (conversation_id,)).fetchone()
        return row[0] if row else None

    def siblings(self, conversation_id: int) -> dict[int, list[int]]:
        """For each message, the ids of the versions at its place (itself included), oldest first."""
        groups: dict[int | None, list[int]] = {}
        for message_id, parent in self._db.execute(
                "SELECT id, parent_id FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)):
            groups.setdefault(parent, []).append(message_id)
        return {message_id: ids for ids in groups.values() for message_id in ids}

    def show_branch(self, message_id: int) -> None:
        """Put ``message_id`` on screen, with the newest conversation below it in its branch."""
        message = self.message(message_id)
        newest = self._db.execute(
            "WITH RECURSIVE below(id) AS (SELECT ? UNION ALL "
            "SELECT m.id FROM messages m JOIN below b ON m.parent_id = b.id) SELECT MAX(id) FROM below",
            (message_id,)).fetchone()[0]
        self._write("UPDATE conversations SET leaf_id = ? WHERE id = ?", (newest, message.conversation_id))

    # -- messages ---------------------------------------------------------------------
    def message(self, message_id: int) -> Message:
        row = self._db.execute(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise StoreError("That message no longer exists.", f"id {message_id}")
        return Message(**dict(row))

    def add_message(self, conversation_id: int, role: str, content: str, status: str = DONE, model: str = "",
                    parent_id: int | None = None, after_leaf: bool = True, settings: dict | None = None) -> Message:
        """Add a message below ``parent_id`` (by default the end of the branch on screen) and show it.

        ``after_leaf=False`` with ``parent_id=None`` starts a new first message: a new version of
        the conversation's opening message.
        """
        now = time.time()
        with self._transaction("Hearth could not save your message."):
            if parent_id is None and after_leaf:
                parent_id = self._leaf(conversation_id)
            cursor = self._db.execute(
                "INSERT INTO messages (conversation_id, parent_id, role, content, status, model, settings, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, parent_id, role, content, status, model,
                 json.dumps(settings) if settings else "", now, now),
            )
            self._db.execute("UPDATE conversations SET updated_at = ?, leaf_id = ? WHERE id = ?",
                             (now, cursor.lastrowid, conversation_id))
            if role == "user":
                self._db.execute(
                    "UPDATE conversations SET title = ? WHERE id = ? AND title = ?",
                    (title_from(content), conversation_id, DEFAULT_TITLE),
                )
        return self.message(cursor.lastrowid)

    def delete_message(self, message_id: int) -> None:
        """Remove one message; what followed it stays, attached to the message before it."""
        message = self.message(message_id)
        with self._transaction("Hearth could not delete the message."):
            self._db.execute("UPDATE messages SET parent_id = ? WHERE parent_id = ?", (message.parent_id, message_id))
            self._db.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            leaf = self._db.execute("SELECT leaf_id FROM conversations WHERE id = ?",
                                    (message.conversation_id,)).fetchone()[0]
            if leaf == message_id:
                self._db.execute("UPDATE conversations SET leaf_id = ? WHERE id = ?",
                                 (message.parent_id, message.conversation_id))

    def update_message(
        self,
        message_id: int,
        *,
        content: str | None = None,
        status: str | None = None,
        error: str | None = None,
        n_tokens: int | None = None,
        tokens_per_second: float | None = None,
        finish: str | None = None,
        first_token_seconds: float | None = None,
        durable: bool = True,
        wait: bool = True,
    ) -> None:
        """Change a message. ``wait=False`` gives up at once (after QUICK_BUSY_MS) when another
        connection holds the file, instead of waiting up to BUSY_SECONDS: for a caller on the
        window's thread that will try again later anyway."""
        fields = {"content": content, "status": status, "error": error, "n_tokens": n_tokens,
                  "tokens_per_second": tokens_per_second, "finish": finish,
                  "first_token_seconds": first_token_seconds}
        changes = {name: value for name, value in fields.items() if value is not None}
        if not changes:
            return
        assignments = ", ".join(f"{name} = ?" for name in changes)
        if not durable:
            self._db.execute("PRAGMA synchronous=NORMAL")
        if not wait:
            self._db.execute(f"PRAGMA busy_timeout={QUICK_BUSY_MS}")
        try:
            self._write(
                f"UPDATE messages SET {assignments}, updated_at = ? WHERE id = ?",
                (*changes.values(), time.time(), message_id),
            )
        finally:
            if not durable:
                self._db.execute("PRAGMA synchronous=FULL")
            if not wait:
                self._db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")

    def recover_interrupted(self) -> int:
        """Mark replies that were streaming when the app last died. Returns how many."""
        cursor = self._write(
            "UPDATE messages SET status = ?, error = ? WHERE status = ?",
            (INTERRUPTED, "Hearth closed before this reply finished.", STREAMING),
        )
        return cursor.rowcount

    # -- search -------------------------------------------------------------------------
    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Messages in every conversation that hold all the words typed (the last one as a prefix)."""
        query = fts_query(text)
        if not query:
            return []
        rows = self._db.execute(
            "SELECT m.conversation_id, m.id, c.title, m.role, "
            "snippet(message_text, 0, '[', ']', '…', 12) AS snippet "
            "FROM message_text JOIN messages m ON m.id = message_text.rowid "
            "JOIN conversations c ON c.id = m.conversation_id "
            "WHERE message_text MATCH ? AND c.deleted_at IS NULL ORDER BY rank LIMIT ?",
            (query, limit)).fetchall()
        return [SearchHit(*row) for row in rows]

    # -- import ---------------------------------------------------------------------------
    def import_conversation(self, title: str, system_prompt: str, settings: dict,
                            messages: list[dict]) -> Conversation:
        """A whole conversation in one transaction. ``messages``: dicts with ``key``, ``parent`` (a key
        or None), role, content and optional status, model, n_tokens, tokens_per_second, finish,
        first_token_seconds, settings and created_at; ``leaf`` marks the message on screen."""
        now = time.time()
        with self._transaction("Hearth could not save the imported conversation."):
            cursor = self._db.execute(
                "INSERT INTO conversations (title, system_prompt, created_at, updated_at, settings) "
                "VALUES (?, ?, ?, ?, ?)", (title_from(title) or DEFAULT_TITLE, system_prompt, now, now,
                                           json.dumps(settings)))
            conversation_id = cursor.lastrowid
            ids: dict = {}
            leaf = None
            for item in messages:
                created = float(item.get("created_at") or now)
                row = self._db.execute(
                    "INSERT INTO messages (conversation_id, parent_id, role, content, status, model, n_tokens, "
                    "tokens_per_second, finish, first_token_seconds, settings, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (conversation_id, ids.get(item.get("parent")), item["role"], item["content"],
                     item.get("status") or DONE, item.get("model", ""), int(item.get("n_tokens") or 0),
                     float(item.get("tokens_per_second") or 0), item.get("finish", ""),
                     float(item.get("first_token_seconds") or 0),
                     json.dumps(item["settings"]) if item.get("settings") else "", created, created))
                ids[item["key"]] = row.lastrowid
                if item.get("leaf"):
                    leaf = row.lastrowid
            self._db.execute("UPDATE conversations SET leaf_id = ? WHERE id = ?", (leaf, conversation_id))
        return self.conversation(conversation_id)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back and reported as a StoreError on any SQLite error."""

    def __init__(self, db: sqlite3.Connection, message: str) -> None:
        self._db = db
        self._message = message

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StoreError(self._message + _reason(error), str(error)) from error

    def __exit__(self, kind, error, _traceback) -> bool:
        if error is None:
            try:
                self._db.execute("COMMIT")
                return False
            except sqlite3.Error as commit_error:
                error = commit_error
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error):
            raise StoreError(self._message + _reason(error), str(error)) from error
        return False
