"""What each cache and attention option costs and saves, side by side in one run.

For SmolLM2 and Gemma 3 at an 8k context, for each of four ways to load them:

    f16     f16 K and V cache, flash attention off (llama.cpp's plain attention)
    flash   f16 K and V cache, flash attention on
    q8_0    q8_0 K and V cache, flash attention on (a quantized V cache needs it)
    q4_0    q4_0 K and V cache, flash attention on

a fresh process imports llama.cpp, notes its resident memory, loads the model the way
Hearth's engine does, fills the whole context with prompt (every KV cell and the largest
compute buffers really used), then decodes a few tokens against that full context and
notes its resident memory again. Printed for each: the measured memory of the full-context
load, the KV cache's bytes as llama.cpp itself reports them (its "KV buffer size" lines),
prompt and decode tokens per second, and Hearth's fit estimate with its relative error.
The decode is timed ``--repeats`` times from the same full context, and with ``--rounds``
above 1 configurations alternate round by round so that machine noise hits them alike; a
configuration's speed is its best timing (the least disturbed one).

    python bench/runtime_options.py [--context 8192] [--rounds 1] [--repeats 3] [--threads 2] [--decode 32]

Last line, one JSON object: kv_q8_0_bytes_ratio (q8_0 cache bytes over f16, target at most
0.55), fa_tok_s_ratio (flash attention's decode speed over plain attention's, target at
least 0.95; the worse of the two models), fa_auto_tok_s_ratio (the same for what flash attention
"Auto" picks on this CPU, app/core/flash_policy.py: plain attention for narrow heads), fit_max_error (over every option and model,
target at most 0.15), and the cases.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fit_accuracy import models  # noqa: E402 - the same models, found the same way

CONFIGS = {  # name: (flash attention, K and V cache type)
    "f16": ("off", "f16"),
    "flash": ("on", "f16"),
    "q8_0": ("on", "q8_0"),
    "q4_0": ("on", "q4_0"),
}

CHILD = r"""
import json, sys, time, psutil
import llama_cpp
path, n_ctx, flash, cache, threads, decode, repeats = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "on", int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
process = psutil.Process()
before = process.memory_info().rss
llm = llama_cpp.Llama(path, n_ctx=n_ctx, n_batch=512, n_ubatch=512, n_threads=threads, n_threads_batch=threads,
                      flash_attn=flash, type_k=cache, type_v=cache, verbose=True)
sentence = llm.tokenize(b"The quick brown fox jumps over the lazy dog. ", add_bos=False)
tokens = (sentence * (n_ctx // len(sentence) + 1))[: n_ctx - decode - 8]
started = time.perf_counter()
llm.eval(tokens)
prompt_seconds = time.perf_counter() - started
speeds = []
for _ in range(repeats):
    llm.n_tokens = len(tokens)  # back to the filled context: eval() drops the cells past it
    started = time.perf_counter()
    for token in (sentence * (decode // len(sentence) + 1))[:decode]:
        llm.eval([token])  # one token at a time against the full context: the speed of a long chat's reply
    speeds.append(decode / (time.perf_counter() - started))
after = process.memory_info().rss
print(json.dumps({"before": before, "after": after, "prompt_tok_s": len(tokens) / prompt_seconds,
                  "decode_tok_s": max(speeds), "decode_all": speeds,
                  "state_bytes": llama_cpp.llama_state_get_size(llm.ctx)}))
"""

KV_LINE = re.compile(r"KV buffer size\s*=\s*([\d.]+)\s*MiB")


def measure(path: Path, n_ctx: int, flash: str, cache: str, threads: int, decode: int, repeats: int) -> dict:
    from app.core.load_options import GGML_TYPES

    # As Hearth's engine runs llama.cpp (app/engine/process.py): OpenMP threads spin briefly at barriers,
    # so a busy machine slows every configuration alike instead of collapsing the ones with more barriers.
    env = dict(os.environ)
    if "OMP_WAIT_POLICY" not in env:
        env.setdefault("GOMP_SPINCOUNT", "3000")
    result = subprocess.run([sys.executable, "-c", CHILD, str(path), str(n_ctx), flash, str(GGML_TYPES[cache]),
                             str(threads), str(decode), str(repeats)], capture_output=True, text=True, check=False,
                            env=env)
    if result.returncode != 0:
        raise SystemExit(f"measuring {path.name} ({flash}, {cache}) failed:\n{result.stderr[-2000:]}")
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    # llama.cpp's own account of the cache: one line per cache (Gemma has one for its sliding-window layers).
    numbers["kv_bytes"] = int(sum(float(size) for size in KV_LINE.findall(result.stderr)) * (1 << 20))
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context", type=int, default=8192)
    parser.add_argument("--rounds", type=int, default=1, help="fresh loads of each configuration, alternating")
    parser.add_argument("--repeats", type=int, default=3, help="timed decodes per load (the best counts)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--decode", type=int, default=32, help="tokens decoded against the full context")
    args = parser.parse_args()
    from app.core import fit
    from app.core.flash_policy import uses_flash_attention
    from app.core.gguf_info import format_bytes, read_gguf_info
    from app.core.load_options import LoadOptions

    found = models()
    runs: dict[tuple[str, str], list[dict]] = {}
    for round_number in range(args.rounds):
        for label, path in found:
            for name, (flash, cache) in CONFIGS.items():
                done = measure(path, args.context, flash, cache, args.threads, args.decode, args.repeats)
                runs.setdefault((label, name), []).append(done)
                print(f"round {round_number + 1}/{args.rounds}: {label}, {name}: grew {done['after'] - done['before']:,} "
                      f"bytes, KV {done['kv_bytes']:,} bytes, prompt {done['prompt_tok_s']:.0f} tok/s, decode "
                      f"{', '.join(f'{speed:.1f}' for speed in done['decode_all'])} tok/s", flush=True)

    cases = []
    print()
    print(f"{'model':<21}{'cache':<7}{'measured':>10}{'KV bytes':>10}{'prompt':>9}{'decode':>9}"
          f"{'estimate':>10}{'error':>8}")
    for label, path in found:
        info = read_gguf_info(path)
        for name, (flash, cache) in CONFIGS.items():
            rounds = runs[(label, name)]
            last = rounds[-1]
            measured = last["after"] - last["before"]
            options = LoadOptions(n_ctx=args.context, n_batch=512, flash_attn=flash, type_k=cache, type_v=cache)
            estimate = fit.estimate_for(info, options)
            predicted = estimate.total - estimate.runtime  # the baseline already holds the runtime
            error = (predicted - measured) / measured
            case = {"model": label, "cache": name, "flash_attn": flash, "n_ctx": args.context,
                    "measured": measured, "kv_bytes": last["kv_bytes"], "kv_estimate": estimate.kv_cache,
                    "prompt_tok_s": round(max(r["prompt_tok_s"] for r in rounds), 1),
                    "decode_tok_s": round(max(r["decode_tok_s"] for r in rounds), 1),
                    "estimate": predicted, "error": round(error, 4)}
            cases.append(case)
            print(f"{label:<21}{name:<7}{format_bytes(measured):>10}{format_bytes(case['kv_bytes']):>10}"
                  f"{case['prompt_tok_s']:>9.0f}{case['decode_tok_s']:>9.1f}{format_bytes(predicted):>10}"
                  f"{error:>+8.1%}")

    def by(label: str, name: str) -> dict:
        return next(c for c in cases if c["model"] == label and c["cache"] == name)

    labels = [label for label, _ in found]
    kv_ratio = max(by(label, "q8_0")["kv_bytes"] / by(label, "f16")["kv_bytes"] for label in labels)
    fa_ratio = min(by(label, "flash")["decode_tok_s"] / by(label, "f16")["decode_tok_s"] for label in labels)
    # What flash attention Auto picks on this CPU (app/core/flash_policy.py), at its measured speed.
    auto = {label: "flash" if uses_flash_attention(LoadOptions(n_ctx=args.context), read_gguf_info(path), False)
            else "f16" for label, path in found}
    auto_ratio = min(by(label, auto[label])["decode_tok_s"] / by(label, "f16")["decode_tok_s"] for label in labels)
    fit_max_error = max(abs(c["error"]) for c in cases)
    print()
    print(f"q8_0 cache bytes over f16: {kv_ratio:.3f} (target: at most 0.55)")
    print(f"flash attention decode speed over plain: {fa_ratio:.3f} (target: at least 0.95)")
    print(f"flash attention Auto ({', '.join(f'{label}: {name}' for label, name in auto.items())}) "
          f"decode speed over plain: {auto_ratio:.3f}")
    print(f"largest fit estimate error: {fit_max_error:.1%} (target: at most 15%)")
    print(json.dumps({"kv_q8_0_bytes_ratio": round(kv_ratio, 4), "fa_tok_s_ratio": round(fa_ratio, 4),
                      "fa_auto_tok_s_ratio": round(auto_ratio, 4),
                      "fit_max_error": round(fit_max_error, 4), "cases": cases}))


if __name__ == "__main__":
    main()
