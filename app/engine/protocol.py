"""The wire between the GUI process and an engine process.

One JSON object per line, each way. Requests carry an ``id`` chosen by the
client; every event about a request repeats it. JSON lines are plenty at a few
hundred tokens a second (encoding one piece costs microseconds) and keep the
protocol readable in logs and easy to put behind another backend later.

Requests (client to engine):
  {"op": "load", "id", "path", "options": {LoadOptions}, "gpu_layers"}
  {"op": "chat", "id", "messages": [{"role", "content"}], "params": {...}, "piece_seconds"}
  {"op": "complete", "id", "prompt", "params", "piece_seconds"}   plain text on, no chat template
  {"op": "embed", "id", "texts"}      a vector for each text
  {"op": "count", "id", "messages"}   how many tokens the prompt for these messages takes
  {"op": "unload", "id"}            lets go of the model (and of its file)
  {"op": "cancel", "id"}            ends the request with that id early (a load too: llama.cpp aborts it)
  {"op": "shutdown"}

Events (engine to client):
  {"event": "ready", "pid", "backend", "system_info", "build": {...}}   the process is up; build:
                                                         app/engine/llama_build.py
  {"event": "progress", "id", "progress"}                a load's share done, 0..1 (a few a second)
  {"event": "loaded", "id", "model": {...}}               a load finished
  {"event": "started", "id", "prompt_tokens", "notice"}  a chat's prompt is ready
  {"event": "piece", "id", "text", "n"}                  ``n`` tokens' worth of text
  {"event": "done", "id", "reason", "stats": {...}}      reason: stop | length | cancelled
  {"event": "done", "id", "reason": "cancelled", "op": "load", "path"}   a load cancelled: nothing loaded
  {"event": "counted", "id", "tokens", "n_ctx"}          the answer to "count"
  {"event": "embedded", "id", "vectors", "tokens"}       the answer to "embed"
  {"event": "unloaded", "id"}                             the answer to "unload"
  {"event": "error", "id", "op", "path", "message", "detail"}   op and path: the failed request's

The speech engine (``python -m app.engine.speech_worker``) speaks the same way:
  {"op": "load", "id", "path", "device", "threads"}        a faster-whisper model folder
  {"op": "configure", "language", "initial_prompt"}       for what follows
  {"op": "listen", "id", "continuous"}                     a microphone stream starts
  {"op": "audio", "id", "pcm"}                             base64 of 16 kHz mono float32 samples
  {"op": "end", "id"}                                      the stream ends: final text, then "done"
  {"op": "file", "id", "path"}                             transcribe an audio or video file
  events: "ready" {"pid", "backend", "speech": {...}} (versions, CUDA devices, the device "auto" picks),
          "loaded", "partial" {"id", "text"}, "final" {"id", "text", "start", "end"},
          "segment" {"id", "text", "start", "end", "progress"}, "done" {"id", "reason"}, "error"

The speech-out engine (``python -m app.engine.tts_worker``) too:
  {"op": "load", "id", "path"}                             a Piper voice (.onnx, its .onnx.json beside it)
  {"op": "speak", "id", "text", "speed"}                   one sentence; speed 1.0 is the voice's own pace
  {"op": "cancel", "id"}                                   stop making that sentence's sound
  events: "ready" {"pid", "backend", "tts": {...}}, "loaded" {"id", "model": {"path", "name", "sample_rate"}},
          "audio" {"id", "rate", "pcm"} (base64 of int16 mono samples), "done" {"id", "reason"}, "error"
"""
from __future__ import annotations

import json

LOAD, CHAT, COUNT, CANCEL, SHUTDOWN, UNLOAD = "load", "chat", "count", "cancel", "shutdown", "unload"
COMPLETE, EMBED = "complete", "embed"
COUNTED, UNLOADED, EMBEDDED = "counted", "unloaded", "embedded"
READY, LOADED, STARTED, PIECE, DONE, ERROR = "ready", "loaded", "started", "piece", "done", "error"
PROGRESS = "progress"
# Made by the client, never sent on the wire: the process ended unasked.
CRASHED = "crashed"

STOP, LENGTH, CANCELLED = "stop", "length", "cancelled"

CONFIGURE, LISTEN, AUDIO, END, FILE = "configure", "listen", "audio", "end", "file"
PARTIAL, FINAL, SEGMENT = "partial", "final", "segment"
SPEAK = "speak"
# AUDIO (above) is also the speech-out engine's event: a piece of a sentence's sound.

# How long the engine gathers tokens into one piece; app/engine/client.py says why 80 ms.
PIECE_SECONDS = 0.08


def encode(message: dict) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def decode(line: bytes) -> dict:
    return json.loads(line)
