"""``hearth --selftest [speech.wav]``: does this installation answer, hear and speak? One JSON line says.

It goes the app's own way: the starter chat model loads in an engine process started as the
window starts it (``python -m app.engine.worker`` from source, ``hearth --engine-worker`` in a
bundle) and answers one question; given a recording, the speech engine process transcribes it
with the starter Whisper model; the speech-out engine process says one sentence in the default voice. No window, no settings and no conversation database: it reads
and writes nothing of the user's (the engines' logs go to a temporary folder, and their last
lines into the JSON when a step fails). Exit status 0 only when every step asked for worked.
"""
from __future__ import annotations

import argparse
import json
import queue
import shutil
import sys
import tempfile
import time
from pathlib import Path

from app import __version__

QUESTION = "What is the capital of France? Answer in one word."
REPLY_TOKENS = 16  # a one-word answer, with room for a full stop and a polite sentence
LOG_TAIL = 1500  # characters of an engine's log kept in the JSON when a step fails


class _Events:
    """An engine's events, as they come from its reader thread."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()

    def __call__(self, event: dict) -> None:
        self.queue.put(event)

    def until(self, request_id: int, endings: tuple[str, ...], deadline: float, on_event=None) -> dict:
        """Events of ``request_id`` (and crashes) until one of ``endings``; the ending event, or a timeout."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return {"event": "timeout"}
            try:
                event = self.queue.get(timeout=left)
            except queue.Empty:
                return {"event": "timeout"}
            kind = event.get("event")
            if kind == "crashed":
                return event
            if event.get("id") != request_id:
                continue
            if kind in endings or kind == "error":
                return event
            if on_event is not None:
                on_event(event)


def _failure(event: dict, what: str, seconds: float) -> str:
    kind = event.get("event")
    if kind == "timeout":
        return f"The engine did not {what} within {seconds:g} s."
    return event.get("message") or f"The engine could not {what}."


def _tail(log: Path) -> str:
    try:
        return log.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL:]
    except OSError:
        return ""


def check_chat(folder: Path, seconds: float) -> dict:
    from app.core.library import find_starter_model
    from app.core.load_options import LoadOptions
    from app.engine.client import EngineClient

    model = find_starter_model()
    if model is None:
        return {"ok": False, "error": "No starter chat model is installed."}
    result = {"ok": False, "model": model.name}
    events, log = _Events(), folder / "engine.log"
    client = EngineClient(events, log_path=log)
    try:
        started = time.monotonic()
        loaded = events.until(client.load(str(model), LoadOptions(n_ctx=2048)), ("loaded",), started + seconds)
        if loaded.get("event") != "loaded":
            return {**result, "error": _failure(loaded, "load the model", seconds), "log": _tail(log)}
        result["load_s"] = round(time.monotonic() - started, 3)
        result["backend"] = client.backend
        pieces: list[str] = []
        asked = time.monotonic()
        request = client.chat([{"role": "user", "content": QUESTION}], {"temperature": 0.0, "max_tokens": REPLY_TOKENS})
        done = events.until(request, ("done",), asked + seconds, lambda e: pieces.append(e.get("text", "")))
        result["reply"] = "".join(pieces).strip()
        if done.get("event") != "done":
            return {**result, "error": _failure(done, "answer", seconds), "log": _tail(log)}
        result["reply_s"] = round(time.monotonic() - asked, 3)
        result["ok"] = bool(result["reply"])
        if not result["ok"]:
            result["error"] = "The model answered with nothing."
        return result
    finally:
        client.shutdown()


def check_speech(recording: str, folder: Path, seconds: float) -> dict:
    from app.engine.speech import find_starter_speech_model
    from app.engine.speech_client import SpeechClient

    path = Path(recording).expanduser().resolve()
    if not path.is_file():
        return {"ok": False, "file": str(path), "error": f"There is no file {path}."}
    model = find_starter_speech_model()
    if model is None:
        return {"ok": False, "file": str(path), "error": "No starter speech model is installed."}
    result = {"ok": False, "file": str(path), "model": str(model)}
    events, log = _Events(), folder / "speech.log"
    client = SpeechClient(events, log_path=log)
    try:
        started = time.monotonic()
        loaded = events.until(client.load(str(model)), ("loaded",), started + seconds)
        if loaded.get("event") != "loaded":
            return {**result, "error": _failure(loaded, "load the speech model", seconds), "log": _tail(log)}
        result["load_s"] = round(time.monotonic() - started, 3)
        heard: list[str] = []
        asked = time.monotonic()
        done = events.until(client.transcribe_file(str(path), language="en"), ("done",), asked + seconds,
                            lambda e: e.get("event") == "segment" and heard.append(e.get("text", "")))
        result["text"] = " ".join(t for t in heard if t).strip()
        if done.get("event") != "done":
            return {**result, "error": _failure(done, "transcribe the file", seconds), "log": _tail(log)}
        result["transcribe_s"] = round(time.monotonic() - asked, 3)
        result["ok"] = bool(result["text"])
        if not result["ok"]:
            result["error"] = "The recording was transcribed to nothing (silence, or not speech)."
        return result
    finally:
        client.shutdown()


SPOKEN = "Hearth can speak."


def check_voice(folder: Path, seconds: float) -> dict:
    """The default Piper voice, in the speech-out engine process, says one sentence."""
    import base64

    from app.core.voice_library import default_voice_file
    from app.engine.tts_client import TtsClient

    voice = default_voice_file()
    if voice is None:
        return {"ok": False, "error": "No voice for reading aloud is installed."}
    result = {"ok": False, "voice": voice.stem}
    events, log = _Events(), folder / "voice.log"
    client = TtsClient(events, log_path=log)
    try:
        started = time.monotonic()
        loaded = events.until(client.load(str(voice)), ("loaded",), started + seconds)
        if loaded.get("event") != "loaded":
            return {**result, "error": _failure(loaded, "load the voice", seconds), "log": _tail(log)}
        result["load_s"] = round(time.monotonic() - started, 3)
        samples = [0, 1]  # int16 samples, and their rate

        def on_audio(event: dict) -> None:
            if event.get("event") == "audio":
                samples[0] += len(base64.b64decode(event["pcm"])) // 2
                samples[1] = int(event.get("rate") or 1)

        asked = time.monotonic()
        done = events.until(client.speak(SPOKEN), ("done",), asked + seconds, on_audio)
        if done.get("event") != "done":
            return {**result, "error": _failure(done, "speak", seconds), "log": _tail(log)}
        result["speak_s"] = round(time.monotonic() - asked, 3)
        result["audio_s"] = round(samples[0] / samples[1], 3)
        result["ok"] = result["audio_s"] > 0.3
        if not result["ok"]:
            result["error"] = "The voice made no sound."
        return result
    finally:
        client.shutdown()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hearth --selftest",
                                     description="Load the starter models, ask a question, transcribe a recording, "
                                                 "print one JSON line; exit status 0 only when all of it worked.")
    parser.add_argument("speech", nargs="?", help="a recording to transcribe (WAV, or any file ffmpeg reads)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds each step may take (default 300)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="hearth-selftest-"))
    started = time.monotonic()
    try:
        report: dict = {"ok": False, "version": __version__, "chat": check_chat(folder, args.timeout)}
        if args.speech is not None:
            report["speech"] = check_speech(args.speech, folder, args.timeout)
        report["voice"] = check_voice(folder, args.timeout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report["ok"] = all(report[part]["ok"] for part in ("chat", "speech", "voice") if part in report)
    report["total_s"] = round(time.monotonic() - started, 3)
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
