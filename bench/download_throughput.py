"""Hearth's resumable downloader against huggingface_hub's ``hf_hub_download``, same local server.

A ~500 MB file of random bytes is served by the test Hub server (tests/hub_server.py),
running in its own process so it does not compete with the client for the GIL. Each
downloader fetches it once into its own empty folder. Hearth's time includes computing
the sha256 while downloading, checking it against the Hub's, and the rename into the
models folder.

    python bench/download_throughput.py [--megabytes 500]

Last line: {"hearth_mb_s": …, "hf_hub_mb_s": …, "ratio": …}.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REPO_ID, NAME = "hearth-bench/random-GGUF", "random-Q8_0.gguf"

SERVER = r"""
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from tests.hub_server import HubServer
server = HubServer()
server.add_repo(sys.argv[2], {sys.argv[3]: Path(sys.argv[4])})
server.start()
print(server.url, flush=True)
sys.stdin.read()  # until the bench closes our stdin
"""


def make_file(path: Path, megabytes: int) -> None:
    with open(path, "wb") as out:
        for _ in range(megabytes):
            out.write(os.urandom(1 << 20))


def hearth_download(endpoint: str, folder: Path) -> float:
    from app.core.download_queue import DownloadQueue
    from app.core.hub import HubClient

    client = HubClient(endpoint)
    listing = client.list_files(REPO_ID)
    done = threading.Event()
    queue = DownloadQueue(client, folder / "models", folder / "downloads", on_finished=lambda *_: done.set())
    start = time.perf_counter()
    queue.add(REPO_ID, listing.revision, "Q8_0", listing.files)
    queue.start()
    if not done.wait(600):
        raise SystemExit("Hearth's download did not finish")
    elapsed = time.perf_counter() - start
    queue.close()
    return elapsed


def hf_hub(endpoint: str, folder: Path) -> float:
    from huggingface_hub import hf_hub_download

    start = time.perf_counter()
    hf_hub_download(REPO_ID, NAME, cache_dir=folder, endpoint=endpoint)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=500)
    args = parser.parse_args()
    os.environ["HF_HUB_DISABLE_XET"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    work = Path(tempfile.mkdtemp(prefix="hearth-download-bench-"))
    os.environ["HF_HOME"] = str(work / "hf-home")  # never the user's token or cache
    try:
        source = work / NAME
        make_file(source, args.megabytes)
        size = source.stat().st_size
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(ROOT), REPO_ID, NAME, str(source)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        endpoint = server.stdout.readline().strip()
        try:
            socket.create_connection(("127.0.0.1", int(endpoint.rsplit(":", 1)[1])), timeout=5).close()
            hearth_seconds = hearth_download(endpoint, work / "hearth")
            hf_seconds = hf_hub(endpoint, work / "hf")
        finally:
            server.stdin.close()
            server.terminate()
            server.wait()
        hf_rate, hearth_rate = size / hf_seconds / 1e6, size / hearth_seconds / 1e6
        print(f"file: {size / 1e6:.0f} MB of random bytes, local Hub server in its own process")
        print(f"hf_hub_download:          {hf_seconds:6.2f} s  {hf_rate:7.1f} MB/s")
        print(f"Hearth (sha256 verified): {hearth_seconds:6.2f} s  {hearth_rate:7.1f} MB/s")
        ratio = hearth_rate / hf_rate
        print(f"ratio: {ratio:.3f} (target: at least 0.95)")
        print(json.dumps({"hearth_mb_s": round(hearth_rate, 1), "hf_hub_mb_s": round(hf_rate, 1),
                          "ratio": round(ratio, 3)}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
