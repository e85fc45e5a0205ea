"""Conversations in a real SQLite file."""
import sqlite3

from app.core import store as states
from app.core.store import Store


def test_wal_and_persistence(tmp_path):
    path = tmp_path / "c.sqlite3"
    store = Store(path)
    conversation = store.create_conversation(system_prompt="Be kind.")
    store.add_message(conversation.id, "user", "Hello there, how are you today?")
    reply = store.add_message(conversation.id, "assistant", "", status=states.STREAMING)
    store.update_message(reply.id, content="Fine, thanks")
    store.close()

    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    again = Store(path)
    assert again.recover_interrupted() == 1
    [saved] = again.conversations()
    assert saved.title == "Hello there, how are you today?"
    assert saved.system_prompt == "Be kind."
    messages = again.messages(saved.id)
    assert [(m.role, m.content, m.status) for m in messages] == [
        ("user", "Hello there, how are you today?", states.DONE),
        ("assistant", "Fine, thanks", states.INTERRUPTED),
    ]


def test_rename_delete_and_order(tmp_path):
    store = Store(tmp_path / "c.sqlite3")
    first = store.create_conversation()
    second = store.create_conversation()
    store.add_message(first.id, "user", "x" * 80)
    assert [c.id for c in store.conversations()] == [first.id, second.id]  # most recently active first
    assert store.conversation(first.id).title.endswith("…")
    store.rename_conversation(second.id, "  Plans  ")
    assert store.conversation(second.id).title == "Plans"
    store.delete_conversation(first.id)
    assert [c.id for c in store.conversations()] == [second.id]
    assert store.messages(first.id) == []


def test_damaged_file_is_refused_and_left_untouched(tmp_path):
    import pytest

    from app.core.errors import StoreError

    path = tmp_path / "c.sqlite3"
    damaged = b"SQLite format 3\x00" + b"\xff" * 5000
    path.write_bytes(damaged)
    with pytest.raises(StoreError, match="could not open its conversation file"):
        Store(path)
    assert path.read_bytes() == damaged
