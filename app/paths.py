"""Every location Hearth uses on disk, in one place.

Locations come from platformdirs so each OS gets its conventional folders.
``HEARTH_HOME`` moves all of them under one folder: tests and portable
installs use it so nothing touches the user's real folders.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

from app import APP_NAME

HOME_ENV = "HEARTH_HOME"


@dataclass(frozen=True)
class Paths:
    data: Path
    config: Path
    cache: Path
    logs: Path
    # Where other apps keep models (LM Studio's ~/.lmstudio). Under HEARTH_HOME it is that folder, so
    # tests and portable installs never list, or delete from, the real user's files.
    user_home: Path = Path.home()
    models_folder: Path | None = None  # chosen in Preferences; None: ``data/models``

    @classmethod
    def from_environment(cls, environ: os._Environ | dict | None = None) -> "Paths":
        environ = os.environ if environ is None else environ
        home = environ.get(HOME_ENV)
        if home:
            root = Path(home).expanduser().resolve()
            return cls(root / "data", root / "config", root / "cache", root / "logs", user_home=root)
        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        return cls(
            Path(dirs.user_data_dir),
            Path(dirs.user_config_dir),
            Path(dirs.user_cache_dir),
            Path(dirs.user_log_dir),
        )

    @property
    def models(self) -> Path:
        return self.models_folder or self.data / "models"

    def with_models(self, folder: str | Path | None) -> "Paths":
        """These locations with the models folder the user chose (empty: the default one)."""
        return replace(self, models_folder=Path(folder).expanduser() if folder else None)

    @property
    def downloads(self) -> Path:
        """The download queue's own folder: its list and its partial files, never the models folder."""
        return self.data / "downloads"

    @property
    def database(self) -> Path:
        return self.data / "conversations.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def log_file(self) -> Path:
        return self.logs / "hearth.log"

    def ensure(self) -> "Paths":
        for folder in (self.data, self.config, self.cache, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        try:
            # A chosen folder on a disk that is not plugged in must not be made anew on the system disk.
            self.models.mkdir(parents=self.models_folder is None, exist_ok=True)
        except OSError:
            pass  # the library lists nothing from it until it is back
        return self


def resource(name: str) -> Path:
    """A file from ``resources/``: installed as the ``app.resources`` package, or beside ``app/`` in a checkout."""
    checkout = Path(__file__).resolve().parent.parent / "resources" / name
    if checkout.exists():
        return checkout
    from importlib.resources import files

    return Path(str(files("app.resources").joinpath(name)))
