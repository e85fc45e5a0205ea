"""A sound output of the test's own: a PulseAudio null sink Hearth plays into, and a recording of it.

The sink is the test's alone (not ``vmic_sink``, the virtual microphone's); Hearth is pointed at it
through its own output setting, so the system default is never changed. ``parec`` records the sink's
monitor: what Hearth played, as it reached the audio server.
"""
from __future__ import annotations

import os
import subprocess
import time
import wave
from pathlib import Path

import numpy as np

from tests.voice_helpers import LOUD, ensure_virtual_microphone

RATE = 16_000  # recorded at Whisper's rate: PulseAudio resamples


def _pactl(*args: str) -> str:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, check=True).stdout


class OutputSink:
    def __init__(self, name: str | None = None) -> None:
        ensure_virtual_microphone()  # PulseAudio running
        self.name = name or f"hearth_out_{os.getpid()}"
        self.module = _pactl("load-module", "module-null-sink", f"sink_name={self.name}",
                             f"sink_properties=device.description=Hearth-test-{os.getpid()}").strip()
        self._recorder: subprocess.Popen | None = None
        self._path: Path | None = None
        self.started = 0.0

    def record(self, path: Path) -> None:
        self._path = path.with_suffix(".raw")
        self._recorder = subprocess.Popen(
            ["parec", "-d", f"{self.name}.monitor", f"--rate={RATE}", "--channels=1", "--format=s16le",
             "--latency-msec=20", str(self._path)], stderr=subprocess.DEVNULL)
        time.sleep(0.3)  # the stream is connected before anything plays into the sink
        self.started = time.monotonic()

    def peek(self) -> np.ndarray:
        """The recording so far, while it goes on."""
        data = self._path.read_bytes() if self._path is not None and self._path.exists() else b""
        return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float32) / 32768

    def stop_recording(self) -> np.ndarray:
        """The recording so far, float32 at 16 kHz."""
        self._recorder.terminate()
        self._recorder.wait(5)
        self._recorder = None
        return np.frombuffer(self._path.read_bytes(), dtype="<i2").astype(np.float32) / 32768

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.kill()
            self._recorder.wait()
        subprocess.run(["pactl", "unload-module", self.module], capture_output=True, check=False)


def loud_seconds(audio: np.ndarray) -> float:
    """How many seconds of the recording hold sound, counted in 20 ms frames."""
    frames = audio[: len(audio) // 320 * 320].reshape(-1, 320)
    return float((np.abs(frames).max(axis=1) > LOUD).sum()) * 0.02


def last_sound(audio: np.ndarray) -> float:
    """Seconds from the recording's start to its last loud sample (0: silent)."""
    loud = np.flatnonzero(np.abs(audio) > LOUD)
    return float(loud[-1]) / RATE if len(loud) else 0.0


def transcribe(audio: np.ndarray) -> str:
    """The real Whisper (faster-whisper, the starter tiny.en) on a recording."""
    from faster_whisper import WhisperModel

    from app.engine.speech import find_starter_speech_model

    model = WhisperModel(str(find_starter_speech_model()), device="cpu", compute_type="int8", cpu_threads=2)
    segments, _info = model.transcribe(audio, language="en", beam_size=5, vad_filter=False)
    return " ".join(segment.text.strip() for segment in segments)


def save_wav(audio: np.ndarray, path: Path) -> Path:
    with wave.open(str(path), "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(RATE)
        clip.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


QUIET = "hearth_tests_quiet"


def quiet_output() -> str:
    """A null sink every test's Hearth reads aloud into unless the test records its own: the default sink
    here is the virtual microphone's, and Hearth must never speak into its own microphone. Made on the
    server in use (the shared one, or a test run's private one) when it is not there yet; "" without
    PulseAudio."""
    try:
        if QUIET not in _pactl("list", "short", "sinks"):
            _pactl("load-module", "module-null-sink", f"sink_name={QUIET}",
                   "sink_properties=device.description=Hearth-tests-quiet")
    except (OSError, subprocess.CalledProcessError):
        return ""
    return QUIET


def voice_end_after(audio: np.ndarray, moment: float, silence: float = 0.5) -> float:
    """Seconds from the recording's start to the end of the sound going on at ``moment``: the last loud
    20 ms frame before the first ``silence`` seconds with none."""
    frames = audio[: len(audio) // 320 * 320].reshape(-1, 320)
    loud = np.abs(frames).max(axis=1) > LOUD
    first = int(moment / 0.02)
    last_loud = first
    for index in range(first, len(loud)):
        if loud[index]:
            last_loud = index
        elif (index - last_loud) * 0.02 >= silence:
            break
    return (last_loud + 1) * 0.02
