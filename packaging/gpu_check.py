"""The GPU side of ``packaging/gpu-check.sh``, run in its CUDA build of llama-cpp-python.

Each load runs in a child process, so that the GPU memory nvidia-smi reports for it is the
load's own: the child loads the model, fills the whole context with prompt, decodes, prints its
figures and waits; meanwhile this process reads the GPU's memory, then lets it go.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOLERANCE = 0.15  # the fit estimate's error allowed, as in bench/runtime_options.py
OFFLOADED = re.compile(r"offloaded (\d+)/(\d+) layers to GPU")

CHILD = r"""
import json, sys, time, psutil
import llama_cpp
path, n_ctx, layers, decode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
llm = llama_cpp.Llama(path, n_ctx=n_ctx, n_batch=512, n_ubatch=512, n_gpu_layers=layers, flash_attn=True,
                      verbose=True)
sentence = llm.tokenize(b"The quick brown fox jumps over the lazy dog. ", add_bos=False)
tokens = (sentence * (n_ctx // len(sentence) + 1))[: n_ctx - decode - 8]
llm.eval(tokens)
started = time.perf_counter()
for token in (sentence * (decode // len(sentence) + 1))[:decode]:
    llm.eval([token])
seconds = time.perf_counter() - started
print(json.dumps({"pid": psutil.Process().pid, "rss": psutil.Process().memory_info().rss,
                  "decode_tok_s": decode / seconds}), flush=True)
sys.stdin.readline()  # held until the parent has read the GPU's memory
"""


def offloaded(log: str) -> tuple[int, int] | None:
    """(layers on the GPU, layers in all) from llama.cpp's "offloaded 31/31 layers to GPU"."""
    found = OFFLOADED.findall(log)
    return (int(found[-1][0]), int(found[-1][1])) if found else None


def process_gpu_memory(output: str, pid: int) -> int | None:
    """A process's GPU memory from ``nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits``."""
    for line in output.strip().splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) == 2 and parts[0] == str(pid) and parts[1].isdigit():
            return int(parts[1]) << 20
    return None


def gpu_used() -> int:
    result = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"],
                            capture_output=True, text=True, check=True)
    return int(result.stdout.split()[0]) << 20


def run_load(model: Path, n_ctx: int, layers: int, decode: int) -> dict:
    before = gpu_used()
    # llama.cpp's log goes to a file: through a pipe, its length would block the child before it answers.
    log_file = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed once the child has gone)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(model), str(n_ctx), str(layers), str(decode)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file, text=True)
    line = child.stdout.readline()
    if not line:
        child.wait()
        log_file.seek(0)
        raise SystemExit(f"gpu-check: the load with {layers} GPU layers failed:\n{log_file.read()[-3000:]}")
    figures = json.loads(line)
    time.sleep(0.5)  # nvidia-smi's figures lag allocations a little
    apps = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
                          capture_output=True, text=True, check=False).stdout
    own = process_gpu_memory(apps, figures["pid"])
    # In a container nvidia-smi may not see the process's pid: the GPU's growth is the load's then.
    figures["gpu_memory"] = own if own is not None else gpu_used() - before
    figures["gpu_memory_source"] = "process" if own is not None else "device growth"
    child.stdin.write("\n")
    child.stdin.flush()
    child.communicate(timeout=120)
    log_file.seek(0)
    figures["offloaded"] = offloaded(log_file.read())
    log_file.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--context", type=int, default=4096)
    parser.add_argument("--decode", type=int, default=128)
    args = parser.parse_args()
    import llama_cpp

    from app.core import fit, offload
    from app.core.gguf_info import format_bytes, read_gguf_info
    from app.core.gpu import nvidia_gpus
    from app.core.load_options import GPU_AUTO, LoadOptions

    print(llama_cpp.llama_print_system_info().decode())
    gpus = nvidia_gpus()
    if not gpus:
        print("gpu-check: nvidia-smi reports no GPU", file=sys.stderr)
        return 2
    gpu = gpus[0]
    info = read_gguf_info(args.model)
    options = LoadOptions(n_ctx=args.context, n_gpu_layers=GPU_AUTO, flash_attn="on")
    layers = fit.auto_gpu_layers(info, options, gpu)
    split = offload.place(info, options, layers)
    print(f"{info.name}: Auto offload puts {layers}/{fit.layer_count(info)} layers on {gpu.name} "
          f"({format_bytes(gpu.free)} of {format_bytes(gpu.total)} free); estimate "
          f"{format_bytes(split.gpu)} of GPU memory, {format_bytes(split.ram)} of RAM")
    on_gpu = run_load(args.model, args.context, layers, args.decode)
    on_cpu = run_load(args.model, args.context, 0, args.decode)
    placed = on_gpu["offloaded"]
    measured = on_gpu["gpu_memory"]
    error = (split.gpu - measured) / measured if measured > 0 else None
    print(f"llama.cpp offloaded {placed[0]}/{placed[1]} layers" if placed else "llama.cpp did not say what it offloaded")
    print(f"GPU memory: estimated {format_bytes(split.gpu)}, used {format_bytes(max(0, measured))} "
          f"({on_gpu['gpu_memory_source']})" + (f", error {error:+.1%}" if error is not None else ", not measured"))
    print(f"decode: CPU {on_cpu['decode_tok_s']:.1f} tok/s, GPU {on_gpu['decode_tok_s']:.1f} tok/s, "
          f"{on_gpu['decode_tok_s'] / on_cpu['decode_tok_s']:.1f}x")
    problems = []
    if placed is None or placed[0] != layers:
        problems.append(f"llama.cpp placed {placed} layers where Auto asked for {layers}")
    if error is None:
        problems.append("nvidia-smi showed no GPU memory used by the load")
    elif abs(error) > TOLERANCE:
        problems.append(f"the GPU memory estimate is off by {error:+.1%} (allowed: {TOLERANCE:.0%})")
    for problem in problems:
        print(f"gpu-check: FAILED: {problem}")
    print(json.dumps({"gpu": gpu.name, "gpu_total": gpu.total, "auto_layers": layers, "layer_count":
                      fit.layer_count(info), "placed": placed[0] if placed else None,
                      "gpu_estimate": split.gpu, "gpu_measured": on_gpu["gpu_memory"], "gpu_error": None if error is None else round(error, 4),
                      "cpu_tok_s": round(on_cpu["decode_tok_s"], 1), "gpu_tok_s": round(on_gpu["decode_tok_s"], 1),
                      "ok": not problems}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
