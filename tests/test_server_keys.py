"""Remote servers' API keys: kept apart from settings.json, in the keyring or a file only the user can read."""
from __future__ import annotations

import json
import stat

import pytest

from app.core.server_keys import FILE_NAME, ServerKeys, keyring_backend
from app.settings import Settings

URL = "http://192.168.1.20:8137/v1"
KEY = "sk-hearth-4b9e1d"


def mode_of(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_round_trip_in_a_file_only_the_user_can_read(tmp_path):
    keys = ServerKeys(tmp_path, backend=None)
    assert keys.get(URL) == ""
    keys.set(URL, KEY)
    keys.set("http://other:1/v1", "second")
    assert keys.file == tmp_path / FILE_NAME and mode_of(keys.file) == 0o600
    again = ServerKeys(tmp_path, backend=None)
    assert again.get(URL) == KEY and again.get("http://other:1/v1") == "second"
    keys.set(URL, "changed")
    assert mode_of(keys.file) == 0o600 and ServerKeys(tmp_path, backend=None).get(URL) == "changed"
    keys.delete(URL)
    assert ServerKeys(tmp_path, backend=None).get(URL) == "" and keys.get("http://other:1/v1") == "second"
    keys.set("http://other:1/v1", "")  # an empty key forgets the old one
    assert json.loads(keys.file.read_text()) == {}


def test_a_machine_without_a_keyring_uses_the_file(tmp_path):
    """This test machine has no Secret Service: keyring's own choice is its "fail" backend, which Hearth
    recognises instead of losing keys into it."""
    import keyring

    if keyring_backend() is not None:
        pytest.skip(f"this machine has a keyring ({keyring.get_keyring()!r})")
    keys = ServerKeys(tmp_path)
    assert keys.where == str(tmp_path / FILE_NAME)
    keys.set(URL, KEY)
    assert ServerKeys(tmp_path).get(URL) == KEY


def test_an_unreadable_keys_file_is_no_key(tmp_path):
    (tmp_path / FILE_NAME).write_text("{not json")
    assert ServerKeys(tmp_path, backend=None).get(URL) == ""


def test_servers_in_settings_carry_no_key(tmp_path):
    settings = Settings()
    settings.set_server("GPU box", URL)
    settings.set_server("again", URL)  # one entry per address
    settings.remote_servers.append({"base_url": 7})  # hand-edited nonsense is dropped
    path = tmp_path / "settings.json"
    settings.save(path)
    loaded = Settings.load(path)
    assert loaded.servers == [{"name": "again", "base_url": URL}]
    loaded.remove_server(URL)
    assert loaded.servers == []
