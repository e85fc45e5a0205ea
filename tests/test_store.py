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
    store.purge_deleted()
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


def test_edit_and_regenerate_keep_every_version_as_a_branch(tmp_path):
    store = Store(tmp_path / "c.sqlite3")
    chat = store.create_conversation()
    question = store.add_message(chat.id, "user", "Capital of France?")
    first = store.add_message(chat.id, "assistant", "Paris.")
    again = store.add_message(chat.id, "assistant", "It is Paris.", parent_id=question.id)  # regenerate
    assert [m.content for m in store.messages(chat.id)] == ["Capital of France?", "It is Paris."]
    assert store.siblings(chat.id)[again.id] == [first.id, again.id]

    edited = store.add_message(chat.id, "user", "Capital of Spain?", after_leaf=False)  # edit the first message
    store.add_message(chat.id, "assistant", "Madrid.")
    assert [m.content for m in store.messages(chat.id)] == ["Capital of Spain?", "Madrid."]
    assert store.siblings(chat.id)[edited.id] == [question.id, edited.id]

    store.show_branch(question.id)  # back to the first version: its newest reply comes with it
    assert [m.content for m in store.messages(chat.id)] == ["Capital of France?", "It is Paris."]
    store.show_branch(first.id)
    assert [m.content for m in store.messages(chat.id)] == ["Capital of France?", "Paris."]
    store.close()
    assert [m.content for m in Store(tmp_path / "c.sqlite3").messages(chat.id)] == ["Capital of France?", "Paris."]


def test_deleting_a_message_keeps_what_followed_it(tmp_path):
    store = Store(tmp_path / "c.sqlite3")
    chat = store.create_conversation()
    ids = [store.add_message(chat.id, role, text).id
           for role, text in [("user", "one"), ("assistant", "two"), ("user", "three"), ("assistant", "four")]]
    store.delete_message(ids[1])
    assert [m.content for m in store.messages(chat.id)] == ["one", "three", "four"]
    store.delete_message(ids[3])  # the newest: the branch now ends before it
    assert [m.content for m in store.messages(chat.id)] == ["one", "three"]
    assert [hit.message_id for hit in store.search("four")] == []


def test_pins_undoable_delete_and_settings(tmp_path):
    store = Store(tmp_path / "c.sqlite3")
    old, new = store.create_conversation(), store.create_conversation(settings={"temperature": 0.2})
    store.set_pinned(old.id, True)
    assert [c.id for c in store.conversations()] == [old.id, new.id]
    assert store.conversation(new.id).options == {"temperature": 0.2}
    store.delete_conversation(old.id)
    assert [c.id for c in store.conversations()] == [new.id]
    store.restore_conversation(old.id)
    assert [c.id for c in store.conversations()] == [old.id, new.id]
    store.delete_conversation(old.id)
    assert store.purge_deleted() == 1
    assert [c.id for c in store.conversations()] == [new.id]


def test_search_finds_words_anywhere_and_survives_odd_typing(tmp_path):
    store = Store(tmp_path / "c.sqlite3")
    chat = store.create_conversation()
    store.add_message(chat.id, "user", "How do I configure the firewall?")
    target = store.add_message(chat.id, "assistant", "Open the settings and choose Firewall rules.")
    other = store.create_conversation()
    store.add_message(other.id, "user", "Café recipes")
    hits = store.search("firewall rul")  # every word, the last one still being typed
    assert [(h.message_id, h.conversation_id) for h in hits] == [(target.id, chat.id)]
    assert "[Firewall]" in hits[0].snippet and hits[0].title == "How do I configure the firewall?"
    assert [h.conversation_id for h in store.search("cafe")] == [other.id]  # accents do not matter
    for typed in ['"', "AND", "NEAR(", "a:b", "*", "-x"]:
        store.search(typed)  # FTS5 syntax typed by accident is searched for, never an error
    store.update_message(target.id, content="Nothing here now")
    assert store.search("firewall rules") == []
    store.delete_conversation(chat.id)
    assert store.search("configure") == []


def test_a_version_1_file_upgrades_in_place(tmp_path):
    path = tmp_path / "c.sqlite3"
    db = sqlite3.connect(path)
    from app.core.store import _SCHEMA

    db.executescript(_SCHEMA[0] + "; PRAGMA user_version = 1;")
    db.execute("INSERT INTO conversations (title, created_at, updated_at) VALUES ('Old', 1, 1)")
    db.execute("INSERT INTO messages (conversation_id, parent_id, role, content, status, created_at, updated_at) "
               "VALUES (1, NULL, 'user', 'hello world', 'done', 1, 1)")
    db.execute("INSERT INTO messages (conversation_id, parent_id, role, content, status, created_at, updated_at) "
               "VALUES (1, 1, 'assistant', 'hi there', 'done', 1, 1)")
    db.commit()
    db.close()
    store = Store(path)
    assert [m.content for m in store.messages(1)] == ["hello world", "hi there"]
    assert [h.message_id for h in store.search("there")] == [2]  # the old messages are indexed


def test_only_conversations_nobody_wrote_in_give_way_to_a_new_one(tmp_path):
    store = Store(tmp_path / "c.sqlite3")
    talked = store.create_conversation()
    store.add_message(talked.id, "user", "Hello")
    empty, also_empty = store.create_conversation(), store.create_conversation()
    named, pinned = store.create_conversation(), store.create_conversation()
    store.rename_conversation(named.id, "Ideas for later")
    store.set_pinned(pinned.id, True)
    assert store.drop_empty_conversations() == 2
    assert {c.id for c in store.conversations()} == {talked.id, named.id, pinned.id}
    store.restore_conversation(empty.id)  # deleted like any other: undoable until purged
    assert empty.id in {c.id for c in store.conversations()} and also_empty.id not in {
        c.id for c in store.conversations()}


def test_a_write_that_will_be_tried_again_does_not_wait_for_a_locked_file(tmp_path):
    import time

    import pytest

    from app.core.errors import StoreError

    path = tmp_path / "c.sqlite3"
    store = Store(path)
    conversation = store.create_conversation()
    reply = store.add_message(conversation.id, "assistant", "", status=states.STREAMING)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the file
    started = time.monotonic()
    with pytest.raises(StoreError, match="Another program is using the conversation file") as raised:
        store.update_message(reply.id, content="Some words", durable=False, wait=False)
    assert time.monotonic() - started < states.BUSY_SECONDS / 2
    assert states.cause(raised.value.detail) == states.LOCKED
    assert store.message(reply.id).content == ""  # readers still read while the file is held
    other.execute("COMMIT")
    store.update_message(reply.id, content="Some words", wait=False)  # and a patient write waits again after
    assert store.message(reply.id).content == "Some words"
    assert store._db.execute("PRAGMA busy_timeout").fetchone()[0] == states.BUSY_SECONDS * 1000
