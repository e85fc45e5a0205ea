"""API keys for remote servers, kept out of settings.json and out of the logs.

The platform's keyring (macOS Keychain, Windows Credential Locker, the Secret
Service on Linux) through the ``keyring`` package where it has a working
backend; otherwise a JSON file in Hearth's config folder that only the user can
read (0600, created so, never widened by a later write). Keys are found by the
server's base URL.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger("hearth.keys")

SERVICE = "Hearth remote servers"
FILE_NAME = "server-keys.json"


def keyring_backend():
    """The keyring backend to use, or None when there is no real one (keyring's "fail" or "null" backends,
    a headless Linux without a Secret Service)."""
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
    except Exception as error:  # no keyring package, or a backend that breaks on import
        log.info("no keyring: %s", error)
        return None
    if isinstance(backend, (fail.Keyring, null.Keyring)) or getattr(backend, "priority", 0) <= 0:
        return None
    return backend


class ServerKeys:
    def __init__(self, config_folder: Path, backend="auto") -> None:
        self.file = Path(config_folder) / FILE_NAME
        self._backend = keyring_backend() if backend == "auto" else backend  # None: the file

    @property
    def where(self) -> str:
        """Where keys are kept, for the dialog: "the system keyring" or the file."""
        return "the system keyring" if self._backend is not None else str(self.file)

    def get(self, base_url: str) -> str:
        if self._backend is not None:
            try:
                return self._backend.get_password(SERVICE, base_url) or ""
            except Exception as error:
                log.warning("keyring could not read a key (%s); trying the file", type(error).__name__)
        return self._read().get(base_url, "")

    def set(self, base_url: str, key: str) -> None:
        if not key:
            self.delete(base_url)
            return
        if self._backend is not None:
            try:
                self._backend.set_password(SERVICE, base_url, key)
                return
            except Exception as error:
                log.warning("keyring could not keep a key (%s); using the file", type(error).__name__)
        keys = self._read()
        keys[base_url] = key
        self._write(keys)

    def delete(self, base_url: str) -> None:
        if self._backend is not None:
            try:
                self._backend.delete_password(SERVICE, base_url)
            except Exception:  # not there, or the keyring is locked: the file may still hold one
                pass
        keys = self._read()
        if keys.pop(base_url, None) is not None:
            self._write(keys)

    def _read(self) -> dict[str, str]:
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("the server keys file is unreadable (%s)", type(error).__name__)
            return {}
        return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)} \
            if isinstance(raw, dict) else {}

    def _write(self, keys: dict[str, str]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file 0600 before a byte is written; the rename keeps that mode.
        handle, temporary = tempfile.mkstemp(prefix=".server-keys-", dir=self.file.parent)
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(keys, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.file)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
