"""A real microphone for tests: PulseAudio's null sink, remapped as the default input.

What is played into ``vmic_sink`` is what Qt's QAudioSource records from ``vmic``.
Speech is made with espeak-ng at test time; noise with sox.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import wave
from pathlib import Path

SINK, SOURCE = "vmic_sink", "vmic"
FORMAT = ("rate=16000", "channels=1", "format=float32le")
RATE = 16_000  # the virtual microphone's rate: clips are made at it
LOUD = 0.02  # a sample above this is sound (espeak-ng's and sox's silence is digital zero)


def _pactl(*args: str, check: bool = True) -> str:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, check=check).stdout


def ensure_virtual_microphone() -> None:
    if shutil.which("pulseaudio") is None:
        raise RuntimeError("PulseAudio is not installed (packaging/setup-debian.sh test installs it)")
    if subprocess.run(["pulseaudio", "--check"], capture_output=True, check=False).returncode != 0:
        subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1"], capture_output=True, check=False)
        for _ in range(50):
            if subprocess.run(["pulseaudio", "--check"], capture_output=True, check=False).returncode == 0:
                break
            time.sleep(0.1)
    connect_microphone()


def connect_microphone() -> None:
    sinks = _pactl("list", "short", "sinks")
    # 16 kHz mono float all the way, like a USB headset set up for speech: PulseAudio resamples
    # the played file once, with its default resampler, and Qt receives the format it asks for.
    if SINK not in sinks:
        _pactl("load-module", "module-null-sink", f"sink_name={SINK}", *FORMAT)
    if not re.search(rf"\b{SOURCE}\b", _pactl("list", "short", "sources")):
        _pactl("load-module", "module-remap-source", f"master={SINK}.monitor", f"source_name={SOURCE}", *FORMAT)
    _pactl("set-default-source", SOURCE)


def private_pulseaudio(folder: Path) -> subprocess.Popen:
    """A PulseAudio server of this process's own, holding only the virtual microphone, made the one this
    process and its children (pactl, paplay, Qt) talk to. On the shared server, another program's test
    played its words into the clips, and PulseAudio moved this recording to a microphone that another
    test plugged in; neither can reach a server no one else knows. Stop it with ``.terminate()``."""
    folder.mkdir(parents=True, exist_ok=True)
    runtime = {"PULSE_RUNTIME_PATH": str(folder), "PULSE_STATE_PATH": str(folder / "state")}
    server = subprocess.Popen(["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
                               "--load=module-native-protocol-unix"],
                              env={**os.environ, **runtime}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if (folder / "native").exists() or server.poll() is not None:
            break
        time.sleep(0.05)
    if server.poll() is not None:
        raise RuntimeError("a private PulseAudio server did not start")
    os.environ["PULSE_SERVER"] = f"unix:{folder / 'native'}"
    connect_microphone()
    return server


def disconnect_microphone() -> None:
    """Unplug the virtual microphone: Qt then sees no input device at all."""
    for line in _pactl("list", "short", "modules").splitlines():
        if "module-remap-source" in line and f"source_name={SOURCE}" in line:
            _pactl("unload-module", line.split()[0], check=False)


def play(path: Path) -> subprocess.Popen:
    return subprocess.Popen(["paplay", "-d", SINK, str(path)])


def speak(text: str, path: Path, speed: int = 160, voice: str = "") -> Path:
    """espeak-ng speech at the microphone's 16 kHz: PulseAudio then plays it without resampling, so
    the microphone hears the very samples a direct transcription of the file reads. ``voice`` is an
    espeak-ng voice, with a variant after a "+" (``en-gb-scotland``, ``en-us+f3``); empty: its default."""
    raw = path.with_suffix(".espeak.wav")
    chosen = ["-v", voice] if voice else []
    subprocess.run(["espeak-ng", *chosen, "-s", str(speed), "-w", str(raw), text], check=True, capture_output=True)
    subprocess.run(["sox", "-D", str(raw), "-r", str(RATE), str(path), "rate", "-v"],  # -D: no dither: same bytes each run
                   check=True, capture_output=True)
    raw.unlink()
    return path


def silence(seconds: float, path: Path) -> Path:
    subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(path), "trim", "0", str(seconds)],
                   check=True, capture_output=True)
    return path


def noise(seconds: float, path: Path, volume: float = 0.3) -> Path:
    subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(path), "synth", str(seconds),
                    "whitenoise", "vol", str(volume)], check=True, capture_output=True)
    return path


def join(parts: list[Path], path: Path) -> Path:
    subprocess.run(["sox", *map(str, parts), str(path)], check=True, capture_output=True)
    return path


def samples(path: Path):
    """A 16 kHz clip's samples as float32, as the microphone delivers them."""
    import numpy as np

    with wave.open(str(path)) as clip:
        assert clip.getframerate() == RATE and clip.getnchannels() == 1 and clip.getsampwidth() == 2
        return np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2").astype(np.float32) / 32768


def samples_from_first_sound(path: Path) -> int:
    """How many samples a clip holds from its first loud one to its end."""
    import numpy as np

    audio = samples(path)
    loud = np.flatnonzero(np.abs(audio) > LOUD)
    return len(audio) - int(loud[0]) if len(loud) else 0


def duration(path: Path) -> float:
    with wave.open(str(path)) as clip:
        return clip.getnframes() / clip.getframerate()


def word_error_rate(expected: str, heard: str) -> float:
    """Word-level edit distance over the expected length, ignoring case and punctuation."""
    def words(text: str) -> list[str]:
        return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()

    ref, hyp = words(expected), words(heard)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[len(hyp)] / max(1, len(ref))
