"""How fast Hearth starts: the installed bundle against ``python -m app`` from the virtual environment.

Each start is cold for the app: a new process with a data folder of its own that has never been used
(no conversations, no settings), so the starter model is chosen and loaded as on a first run. The two
ways of starting alternate, so that machine noise hits them alike. Timed from the moment the process
is spawned to the moments the app itself notes (app/gui/startup_trace.py): the window's first paint,
and the starter model ready to answer. With ``--drop-caches`` (root only), the kernel's page cache is
dropped before every start too, so the files come from the disk as after a reboot.

    python bench/startup.py [--runs 5] [--bundle /usr/bin/hearth] [--drop-caches]

Runs on the display in $DISPLAY (e.g. under xvfb-run), or Qt's offscreen platform without one.
Last line, one JSON object: window_s (the bundle's median time to the first painted window, target at
most 1.0), ready_s (the bundle's median time to the starter model ready, target at most 3.0),
bundle_over_venv (the bundle's median window time over the venv's, target at most 1.2), and the runs.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from app.gui.startup_trace import MODEL_READY, TRACE_ENV, WINDOW_PAINTED  # noqa: E402

DEADLINE = 120.0


def default_bundle() -> str:
    for candidate in ("/usr/bin/hearth", str(ROOT / "build" / "dist" / "Hearth" / "hearth")):
        if Path(candidate).exists():
            return candidate
    raise SystemExit("no bundle found: build one with packaging/build-deb.sh (and install it), or pass --bundle")


def drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def start_once(command: list[str], cwd: Path, cold_disk: bool) -> dict:
    home = Path(tempfile.mkdtemp(prefix="hearth-startup-"))
    trace = home / "trace.jsonl"
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update({"HEARTH_HOME": str(home), TRACE_ENV: str(trace)})
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    if cold_disk:
        drop_caches()
    started = time.time()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    moments: dict[str, float] = {}
    try:
        while len(moments) < 2:
            if time.time() - started > DEADLINE:
                raise SystemExit(f"{command[0]} did not get ready in {DEADLINE:.0f} s")
            if process.poll() is not None:
                raise SystemExit(f"{command[0]} exited early:\n{process.stderr.read().decode()[-2000:]}")
            if trace.exists():
                for line in trace.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        moment = json.loads(line)
                        moments[moment["event"]] = moment["time"] - started
            time.sleep(0.01)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(home, ignore_errors=True)
    return {"window_s": round(moments[WINDOW_PAINTED], 3), "ready_s": round(moments[MODEL_READY], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="starts of each kind (median counts)")
    parser.add_argument("--bundle", default=None, help="the bundle's executable (default: the installed one)")
    parser.add_argument("--venv-python", default=str(ROOT / ".venv" / "bin" / "python"))
    parser.add_argument("--drop-caches", action="store_true", help="drop the page cache before each start (root)")
    args = parser.parse_args()
    kinds = {"bundle": ([args.bundle or default_bundle()], Path(tempfile.gettempdir())),
             "venv": ([args.venv_python, "-m", "app"], ROOT)}
    for command, cwd in kinds.values():  # one start each first: what a first start costs is not measured
        start_once(command, cwd, cold_disk=False)
    runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for number in range(args.runs):
        for kind, (command, cwd) in kinds.items():
            result = start_once(command, cwd, args.drop_caches)
            runs[kind].append(result)
            print(f"run {number + 1}/{args.runs} {kind:<6} window {result['window_s']:.3f} s, "
                  f"starter model ready {result['ready_s']:.3f} s", flush=True)

    def median(kind: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[kind])

    print()
    for kind in kinds:
        print(f"{kind:<7} median window {median(kind, 'window_s'):.3f} s, ready {median(kind, 'ready_s'):.3f} s")
    window_s, ready_s = median("bundle", "window_s"), median("bundle", "ready_s")
    ratio = window_s / median("venv", "window_s")
    print(f"bundle window {window_s:.3f} s (target at most 1.0), ready {ready_s:.3f} s (target at most 3.0), "
          f"bundle over venv {ratio:.3f} (target at most 1.2)"
          + (", page cache dropped before each start" if args.drop_caches else ""))
    print(json.dumps({"window_s": window_s, "ready_s": ready_s, "bundle_over_venv": round(ratio, 3),
                      "drop_caches": args.drop_caches, "runs": runs}))


if __name__ == "__main__":
    main()
