"""``hearth serve``: the API server without a window, for a machine in a closet or a GPU box.

The first model named is loaded before the server listens, so a client never
meets a server that cannot answer; the log goes to standard output; SIGTERM
and Ctrl+C stop it cleanly (requests in flight end, the engine exits).
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from app.backend.events import Failed, Loaded

log = logging.getLogger("hearth.serve")

KEY_VARIABLE = "HEARTH_API_KEY"  # a key in the environment stays out of `ps` and shell history


def _layers(text: str) -> int:
    from app.core.load_options import GPU_ALL, GPU_AUTO

    named = {"auto": GPU_AUTO, "all": GPU_ALL}
    if text.lower() in named:
        return named[text.lower()]
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("use a number of layers, auto or all")
    return value


def parser() -> argparse.ArgumentParser:
    from app.api.server import DEFAULT_PORT, LOOPBACK

    p = argparse.ArgumentParser(prog="hearth serve",
                                description="Serve GGUF models over an OpenAI-compatible API, without a window.")
    p.add_argument("--model", action="append", default=[], metavar="GGUF",
                   help="a model file to serve (repeat for more; the first is loaded at start). "
                        "Default: the starter model")
    p.add_argument("--host", default=LOOPBACK, help=f"the address to listen on (default {LOOPBACK}, this computer "
                                                    "only; any other needs an API key)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    p.add_argument("--api-key", default=os.environ.get(KEY_VARIABLE, ""),
                   help=f"the key clients must send as a Bearer token (or set {KEY_VARIABLE})")
    p.add_argument("--cors", action="append", default=[], metavar="ORIGIN",
                   help="a web page origin allowed to call the API (repeat for more; default: none)")
    p.add_argument("--ctx", type=int, default=4096, help="context length (default 4096)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: one per physical core)")
    p.add_argument("--gpu-layers", type=_layers, default="auto", help="layers on the GPU: a number, auto or all")
    p.add_argument("--speech-model", default="", metavar="FOLDER",
                   help="a faster-whisper model folder for /v1/audio/transcriptions (default: the starter tiny.en)")
    p.add_argument("--queue", type=int, default=64, help="requests that may wait before clients get 503")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from app.api.host import LibraryHost
    from app.api.server import ApiServer, ServerError, ServerSettings
    from app.backend.local import LocalBackend
    from app.core.errors import HearthError
    from app.core.gguf_info import read_gguf_info
    from app.core.library import find_starter_model
    from app.core.load_options import LoadOptions

    paths = [str(Path(m).expanduser().resolve()) for m in args.model]
    if not paths:
        starter = find_starter_model()
        if starter is None:
            print("hearth serve: name a model with --model FILE.gguf (no starter model is installed).", file=sys.stderr)
            return 2
        paths = [str(starter)]
    for path in paths:
        try:
            read_gguf_info(path)
        except (HearthError, OSError) as error:
            print(f"hearth serve: {getattr(error, 'message', None) or error}", file=sys.stderr)
            return 2
    options = LoadOptions(n_ctx=args.ctx, n_threads=args.threads, n_gpu_layers=args.gpu_layers)
    backend = LocalBackend(max_waiting=args.queue)
    from app.backend.speech import SpeechBackend
    from app.engine.speech import find_starter_speech_model

    speech_model = args.speech_model or str(find_starter_speech_model() or "")
    speech = SpeechBackend(lambda: speech_model)  # starts with the first transcription
    host = LibraryHost(backend, paths, lambda _path: options, speech=speech)
    settings = ServerSettings(host=args.host, port=args.port, api_key=args.api_key, cors_origins=tuple(args.cors))
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())

    loaded = threading.Event()
    outcome: list = []

    def on_load(event) -> None:
        if isinstance(event, (Loaded, Failed)):
            outcome.append(event)
            loaded.set()

    first = host.models()[0]
    log.info("loading %s", first.path)
    host.load(first.id, on_load)
    while not loaded.wait(0.2):
        if stop.is_set():
            backend.shutdown()
            return 130
    if isinstance(outcome[0], Failed):
        print(f"hearth serve: {outcome[0].message}", file=sys.stderr)
        backend.shutdown()
        return 1
    report = outcome[0].model
    log.info("loaded %s: context %s, %s", first.id, report.get("n_ctx"), report.get("backend"))
    server = ApiServer(host, settings, on_request=_log_request)
    try:
        server.start()
    except ServerError as error:
        print(f"hearth serve: {error}", file=sys.stderr)
        backend.shutdown()
        return 1
    print(f"Serving {', '.join(m.id for m in host.models())} at {server.url}", flush=True)
    stop.wait()
    log.info("stopping")
    server.stop()
    backend.shutdown()
    speech.shutdown()
    return 0


def _log_request(entry: dict) -> None:
    rate = f" {entry['tokens']} tokens {entry['tokens_per_second']} tok/s" if entry["tokens"] else ""
    log.info("%s %s %s %.2fs%s", entry["client"], entry["endpoint"], entry["status"], entry["seconds"], rate)
