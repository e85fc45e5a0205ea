"""The Piper voices on the Hub (``rhasspy/piper-voices``), as choices a person can download.

The repo keeps each voice as ``<lang>/<lang_REGION>/<name>/<quality>/<lang_REGION>-<name>-<quality>.onnx``
beside its ``.onnx.json`` (and a MODEL_CARD), and lists them all in a top-level ``voices.json``:
``{"en_US-joe-medium": {"language": {...}, "quality": "medium", "num_speakers": 1,
"files": {path: {"size_bytes": ..., "md5_digest": ...}}}}``. That index says what each voice is; the Hub's
own file listing says how to verify it (the LFS sha256 of the ``.onnx``, the git blob id of the small
``.onnx.json``), so a download is checked against the Hub, not against the index. An entry that is not
the shape above, or names files the listing does not have, is left out (and logged), never trusted.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from app.core.errors import HearthError
from app.core.hub_files import HubFile, QuantChoice, check_relative_path

log = logging.getLogger("hearth.hub")

PIPER_REPO = "rhasspy/piper-voices"
VOICES_INDEX = "voices.json"
VOICES_FOLDER = "voices"  # under the models folder: voices/<key>/<key>.onnx and .onnx.json
QUALITIES = ("x_low", "low", "medium", "high")  # Piper's own names, smallest first
# A voice key is also a folder name on disk: letters, digits, "_" and "-" only.
VOICE_KEY = re.compile(r"^[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+){2}$")


class CatalogueError(HearthError):
    """The Hub's voices.json could not be read."""


@dataclass(frozen=True)
class VoiceOffer:
    key: str  # "en_US-joe-medium"
    name: str  # "joe"
    language_code: str  # "en_US"
    language: str  # "English (United States)"
    quality: str  # "medium"
    speakers: int
    model: HubFile  # the .onnx
    config: HubFile  # its .onnx.json

    @property
    def size(self) -> int:
        return self.model.size + self.config.size

    @property
    def choice(self) -> QuantChoice:
        """What the download queue fetches: the pair, side by side in ``voices/<key>/``."""
        return QuantChoice(self.key, (self.model, self.config), folder=voice_folder(self.key))

    def matches(self, text: str) -> bool:
        """Whether a search for ``text`` finds it (by key, name, language or quality)."""
        words = text.lower().split()
        haystack = f"{self.key} {self.name} {self.language} {self.language_code} {self.quality}".lower()
        return all(word in haystack for word in words)


def voice_folder(key: str) -> str:
    if not VOICE_KEY.fullmatch(key):
        raise ValueError(f"voice key {key!r}")
    return f"{VOICES_FOLDER}/{key}"


def language_label(language: dict, code: str) -> str:
    """ "English (United States)" from the index's language block; the code when it says nothing usable."""
    name = language.get("name_english") if isinstance(language, dict) else None
    country = language.get("country_english") if isinstance(language, dict) else None
    if not isinstance(name, str) or not name.strip():
        return code
    return f"{name.strip()} ({country.strip()})" if isinstance(country, str) and country.strip() else name.strip()


def parse(index: bytes | str, listed: list[HubFile]) -> list[VoiceOffer]:
    """Every voice of the index whose ``.onnx`` and ``.onnx.json`` the listing has, by language, name, quality."""
    try:
        data = json.loads(index)
    except (ValueError, UnicodeDecodeError) as error:
        raise CatalogueError("The Hub's list of Piper voices is not readable, so no voices can be shown.",
                             f"{VOICES_INDEX}: {error}") from None
    if not isinstance(data, dict):
        raise CatalogueError("The Hub's list of Piper voices is not readable, so no voices can be shown.",
                             f"{VOICES_INDEX} is a {type(data).__name__}")
    by_name = {hub_file.name: hub_file for hub_file in listed}
    offers = []
    for key, entry in data.items():
        try:
            offers.append(_offer(key, entry, by_name))
        except (ValueError, TypeError, KeyError, HearthError) as error:
            log.info("voice %r left out: %s", key, error)
    return sorted(offers, key=lambda o: (o.language, o.name, _quality_rank(o.quality), o.key))


def _offer(key, entry, by_name: dict[str, HubFile]) -> VoiceOffer:
    if not isinstance(key, str) or not VOICE_KEY.fullmatch(key) or not isinstance(entry, dict):
        raise ValueError("not a voice entry")
    files = entry.get("files")
    if not isinstance(files, dict):
        raise ValueError("no files")
    model = config = None
    for path in files:
        if not isinstance(path, str):
            raise TypeError(f"file name {path!r}")
        check_relative_path(path)
        base = PurePosixPath(path).name
        if base == f"{key}.onnx":
            model = by_name.get(path)
        elif base == f"{key}.onnx.json":
            config = by_name.get(path)
    if model is None or config is None:
        raise ValueError("its .onnx or .onnx.json is not in the repo's file list")
    language = entry.get("language") if isinstance(entry.get("language"), dict) else {}
    code = language.get("code") if isinstance(language.get("code"), str) else key.split("-")[0]
    quality = entry.get("quality") if isinstance(entry.get("quality"), str) else key.rsplit("-", 1)[-1]
    speakers = entry.get("num_speakers", 1)
    if isinstance(speakers, bool) or not isinstance(speakers, int) or speakers < 1:
        speakers = 1
    name = entry.get("name") if isinstance(entry.get("name"), str) else key.split("-")[1]
    return VoiceOffer(key, name, code, language_label(language, code), quality, speakers, model, config)


def _quality_rank(quality: str) -> int:
    return QUALITIES.index(quality) if quality in QUALITIES else len(QUALITIES)
