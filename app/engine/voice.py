"""Piper voices in the speech-out engine: load an ``.onnx`` voice, turn a sentence into int16 PCM.

Only the speech-out engine process imports this (piper-tts, onnxruntime and espeak-ng are native).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from app.core.errors import HearthError

log = logging.getLogger("hearth.voice")


def describe_runtime() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("piper-tts", "onnxruntime"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = ""
    return found


class VoiceSession:
    def __init__(self) -> None:
        self.voice = None
        self.path = ""

    def load(self, path: str) -> dict:
        model = Path(path)
        config = Path(f"{path}.json")
        if not model.is_file():
            raise HearthError("This voice file is missing.", detail=str(model))
        if not config.is_file():
            raise HearthError("This voice has no settings file (its .onnx.json) beside it.", detail=str(config))
        from piper import PiperVoice

        try:
            self.voice = PiperVoice.load(model, config_path=config)
        except Exception as error:  # onnxruntime's and json's errors name no file: say which
            raise HearthError("This file is not a Piper voice.", detail=f"{model}: {error!r}") from error
        self.path = str(model)
        log.info("voice %s loaded, %d Hz", model.name, self.sample_rate)
        return {"path": self.path, "name": model.stem, "sample_rate": self.sample_rate}

    @property
    def sample_rate(self) -> int:
        return int(self.voice.config.sample_rate) if self.voice else 0

    def synthesize(self, text: str, speed: float, cancelled: Callable[[], bool]) -> Iterator[bytes]:
        """int16 mono PCM at the voice's rate, one piece per phrase piper makes; stops when ``cancelled``."""
        if self.voice is None:
            raise HearthError("No voice is loaded.")
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=1.0 / max(0.25, min(4.0, speed)))
        for chunk in self.voice.synthesize(text, syn_config=config):
            if cancelled():
                return
            yield chunk.audio_int16_bytes
