"""Speech out, side by side in one run: Hearth reading real SmolLM2 replies aloud, and piper-tts itself.

- first_audio_s: from the moment the reply's first sentence is complete in the stream to its first
  sound reaching the sound output (a PulseAudio null sink of the bench's own, its monitor read live by
  parec and timestamped as it arrives), median over the replies; target at most 0.4.
- rtf_ratio: Hearth's synthesis time per second of audio (a sentence sent to the voice engine process
  until its last PCM is back) over piper-tts called directly, in this process, on the same sentences;
  target at most 1.2.
- wer: the recorded voice transcribed by Whisper tiny.en against the replies' speakable text; target
  at most 0.2.
- round_trip_s: a voice conversation (Voice ▸ Talk) with the starter model: espeak-ng speech played into
  the virtual microphone; from the end of the user's speech (the last loud audio through the virtual
  microphone's sink, read live the same way) to the reply's first sound at the output; median of three
  turns; target at most 1.5. It holds Hearth's own wait for the end of speech (half a second of silence).
- stall_speaking_ms: the longest the GUI event loop was held up (a 5 ms timer's worst gap beyond 5 ms)
  while a long reply streamed and was read aloud, against stall_silent_ms for the same reply not read
  aloud; the chat's target for stalls is at most 50 ms.
Last line: one JSON object.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
PROMPTS = ("Tell me about Paris in three short sentences.", "What is the capital of France?",
           "Give me two tips for sleeping well.", "Why is the sky blue? Answer in two sentences.",
           "Describe a cat in two sentences.")
RATE = 16_000
LOUD = 0.02


class LiveMonitor:
    """parec on the sink's monitor, read as it comes: when sound first arrives, and all of it."""

    def __init__(self, sink: str) -> None:
        self.process = subprocess.Popen(["parec", "-d", f"{sink}.monitor", f"--rate={RATE}", "--channels=1",
                                         "--format=s16le", "--latency-msec=10", "--raw"], stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.chunks: list[bytes] = []
        self.sound_at: list[float] = []  # times loud audio arrived, after each arm()
        self.last_sound = 0.0  # when loud audio last arrived
        self._armed = False
        threading.Thread(target=self._read, daemon=True).start()

    def arm(self) -> None:
        self._armed = True

    def _read(self) -> None:
        while True:
            chunk = os.read(self.process.stdout.fileno(), 640)
            if not chunk:
                return
            now = time.monotonic()
            self.chunks.append(chunk)
            if np.abs(np.frombuffer(chunk, dtype="<i2")).max(initial=0) > LOUD * 32768:
                self.last_sound = now
                if self._armed:
                    self._armed = False
                    self.sound_at.append(now)

    def audio(self) -> np.ndarray:
        return np.frombuffer(b"".join(self.chunks), dtype="<i2").astype(np.float32) / 32768

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(5)


def wait(app, condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.002)
    return condition()


def stalls(app, hearth) -> tuple[float, float]:
    """The GUI's worst stall while one long reply streams, read aloud, and while it streams again unread."""
    from PySide6.QtCore import QTimer

    worst = [0.0]
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        worst[0] = max(worst[0], (now - last[0]) * 1000 - 5)
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    measured = []
    for reading in (True, False):
        hearth.settings.read_aloud = reading
        hearth.chat.new_conversation()
        hearth.chat.set_conversation_settings({"max_tokens": 200})
        wait(app, lambda: False, 0.3)
        worst[0], last[0] = 0.0, time.perf_counter()
        hearth.chat.send("Tell me a short story about a lighthouse keeper.")
        wait(app, lambda: not hearth.chat.busy and not hearth.speaker.speaking and not hearth.chat.titling, 240)
        measured.append(worst[0])
    timer.stop()
    hearth.settings.read_aloud = True
    return measured[0], measured[1]


def round_trips(app, hearth, output: LiveMonitor) -> list[float]:
    """Voice conversation turns: end of the user's speech to the first sound of the reply."""
    from app.core.talk_turns import State
    from tests.voice_helpers import SINK, connect_microphone, play, speak

    connect_microphone()
    heard = LiveMonitor(SINK)  # the virtual microphone's sink: what Hearth's microphone hears, as it hears it
    talk = hearth.window.talk
    folder = Path(tempfile.mkdtemp(prefix="hearth-bench-talk-"))
    hearth.chat.new_conversation()
    hearth.chat.set_conversation_settings({"max_tokens": 40})
    times = []
    try:
        talk.start()
        for number, question in enumerate(("What is the capital of France?", "Name a red fruit.",
                                           "What colour is the sky?")):
            if not wait(app, lambda: talk.state == State.LISTENING, 60):
                raise SystemExit("the voice conversation did not listen")
            wait(app, lambda: False, 0.8)  # the microphone settles after Hearth stops speaking
            speech = speak(question, folder / f"q{number}.wav")
            output.arm()
            player = play(speech)
            wait(app, lambda: player.poll() is not None, 30)
            wait(app, lambda: False, 0.1)
            end_of_speech = heard.last_sound
            if not wait(app, lambda: output.sound_at and output.sound_at[-1] > end_of_speech, 60):
                print(f"  turn {number + 1}: no reply was heard")
                continue
            times.append(output.sound_at[-1] - end_of_speech)
            wait(app, lambda: talk.state == State.LISTENING and not hearth.speaker.speaking, 120)
    finally:
        talk.end()
        heard.close()
    return times


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from app.core.speakable import Speakable
    from app.core.voice_library import default_voice_file as default_voice
    from app.main import Hearth
    from app.paths import Paths
    from tests.speaker_helpers import OutputSink, transcribe
    from tests.voice_helpers import word_error_rate

    os.environ["HEARTH_HOME"] = tempfile.mkdtemp(prefix="hearth-bench-speech-out-")
    app = QApplication.instance() or QApplication([])
    sink = OutputSink(f"hearth_bench_out_{os.getpid()}")
    monitor = LiveMonitor(sink.name)
    hearth = Hearth(Paths.from_environment().ensure())
    try:
        settings = hearth.settings
        settings.temperature, settings.max_tokens, settings.read_aloud = 0.0, 60, True
        settings.speech_output = sink.name
        settings.set_default_load_options(replace(settings.default_load_options, n_threads=2))
        hearth.start()
        wait(app, lambda: hearth.models.state == "ready", 120)
        speaker = hearth.speaker
        # Warm up: the voice is loaded and the sink opened once, as after the first reply of a session.
        speaker.speak_stream(-1)
        speaker.feed(-1, "Ready.")
        speaker.end(-1)
        wait(app, lambda: not speaker.speaking, 60)
        time.sleep(0.5)
        first_audio, expected, sentences = [], [], []
        for prompt in PROMPTS:
            monitor.chunks.clear() if not expected else None
            monitor.arm()
            hearth.chat.send(prompt)
            wait(app, lambda: not hearth.chat.busy and not speaker.speaking and not hearth.chat.titling, 180)
            reply = hearth.window.view.message_widgets()[-1].text
            speakable = Speakable()
            said = speakable.feed(reply) + speakable.finish()
            expected.append(" ".join(said))
            sentences += said
            if speaker.sentence_times and monitor.sound_at:
                delay = monitor.sound_at[-1] - speaker.sentence_times[0][1]
                first_audio.append(delay)
                print(f"{prompt!r}: first sound {delay:.3f} s after its first sentence; {len(said)} sentences")
            time.sleep(0.6)
        heard = transcribe(monitor.audio())
        wer = word_error_rate(" ".join(expected), heard)
        print("said:", " ".join(expected))
        print("heard:", heard)

        # Synthesis speed: the voice engine process against piper-tts in this process, same sentences.
        from app.engine import protocol

        done = threading.Event()
        samples = [0]
        client = speaker.engine.client

        def on_event(event: dict) -> None:
            if event.get("event") == protocol.AUDIO:
                samples[0] += len(event["pcm"]) * 3 // 8  # base64 → bytes → int16 samples
            elif event.get("event") == protocol.DONE:
                done.set()

        speaker_events = client.process._on_event
        client.process._on_event = on_event
        from piper import PiperVoice, SynthesisConfig

        direct_voice = PiperVoice.load(str(default_voice()))
        rate = direct_voice.config.sample_rate
        hearth_time = hearth_audio = direct_time = direct_audio = 0.0
        for _round in range(2):
            for sentence in sentences:
                done.clear()
                samples[0] = 0
                began = time.monotonic()
                client.speak(sentence, 1.0)
                done.wait(60)
                hearth_time += time.monotonic() - began
                hearth_audio += samples[0] / rate
                began = time.monotonic()
                count = sum(len(chunk.audio_int16_bytes) // 2
                            for chunk in direct_voice.synthesize(sentence, SynthesisConfig(length_scale=1.0)))
                direct_time += time.monotonic() - began
                direct_audio += count / rate
        hearth_rtf, direct_rtf = hearth_time / hearth_audio, direct_time / direct_audio
        print(f"synthesis: Hearth {hearth_rtf:.3f} s per second of audio, piper-tts directly {direct_rtf:.3f}")
        client.process._on_event = speaker_events  # the speaker hears its engine again
        speaker.speak_stream(-1)
        speaker.feed(-1, "Ready.")
        speaker.end(-1)
        wait(app, lambda: not speaker.speaking, 60)

        stall_speaking, stall_silent = stalls(app, hearth)
        print(f"GUI stall while a reply streams and is read aloud: {stall_speaking:.1f} ms; "
              f"the same reply not read aloud: {stall_silent:.1f} ms (target at most 50 ms)")
        round_trip = round_trips(app, hearth, monitor)
        print(f"voice conversation, end of speech to the reply's first sound: "
              f"{', '.join(f'{x:.3f}' for x in round_trip)} s")
        result = {"first_audio_s": round(statistics.median(first_audio), 3) if first_audio else None,
                  "rtf_ratio": round(hearth_rtf / direct_rtf, 3),
                  "round_trip_s": round(statistics.median(round_trip), 3) if round_trip else None,
                  "wer": round(wer, 3), "stall_speaking_ms": round(stall_speaking, 1),
                  "stall_silent_ms": round(stall_silent, 1), "round_trip_each_s": [round(x, 3) for x in round_trip],
                  "hearth_rtf": round(hearth_rtf, 4), "piper_rtf": round(direct_rtf, 4),
                  "first_audio_each_s": [round(x, 3) for x in first_audio], "replies": len(PROMPTS)}
    finally:
        hearth.close()
        monitor.close()
        sink.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
