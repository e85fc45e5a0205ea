"""Hearth's API server against the engine it serves, side by side in one run.

stream:     tokens per second streamed through Hearth's server (the real engine process, the scheduler,
            Starlette and uvicorn, server-sent events) to the `openai` client, over a plain
            ``Llama.generate()`` loop in this process on the same prompt tokens. Decode speed: tokens after
            the first, over the time after the first.
ttft:       the first token through the API (request sent to first text at the client) minus the first token
            of the same request given straight to the engine's backend (submitted to first piece).
concurrent: 8 clients at once, each streaming a reply; failures, and their aggregate tokens per second over
            one client's alone (the engine answers one at a time, so the ideal is 1.0).
remote:     Hearth chatting through llama-cpp-python's own server (``python -m llama_cpp.server``), over a bare
            streaming `openai` client of the same server; needs the `server` extra of llama-cpp-python and
            ``app.backend.remote``, and is left out (null) without them.

Rounds alternate so machine noise hits both sides alike.

    python bench/api_throughput.py [--tokens 256] [--rounds 3] [--threads 2] [--model PATH]

The last line printed is a JSON object: stream_ratio, ttft_overhead_ms, concurrent_failures, concurrent_ratio,
remote_ratio.
"""
from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROMPT = "Once upon a time, in a small village at the edge of a great forest, there lived"


def plain_round(llm, tokens: list[int], n_tokens: int) -> float:
    produced, first = 0, 0.0
    for _ in llm.generate(tokens, temp=0.0, top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.0):
        produced += 1
        if produced == 1:
            first = time.perf_counter()
        if produced >= n_tokens:
            break
    return (produced - 1) / (time.perf_counter() - first)


def api_round(client, model: str, n_tokens: int) -> tuple[float, float, int]:
    """(decode tokens/s, seconds to the first text, tokens) of one streamed completion."""
    sent = time.perf_counter()
    first = last = 0.0
    pieces = 0
    tokens = 0
    stream = client.completions.create(model=model, prompt=PROMPT, max_tokens=n_tokens, temperature=0,
                                       stream=True, stream_options={"include_usage": True},
                                       extra_body={"ignore_eos": True})
    for chunk in stream:
        if chunk.choices and chunk.choices[0].text:
            now = time.perf_counter()
            if not pieces:
                first = now
            last = now
            pieces += 1
        if chunk.usage:
            tokens = chunk.usage.completion_tokens
    # The engine sends the first token alone and the rest in pieces: decode speed is the tokens after
    # the first over the time after the first, as for the plain loop.
    return (tokens - 1) / (last - first), first - sent, tokens


def engine_ttft(backend, n_tokens: int = 8) -> float:
    from app.backend.events import FINAL, Piece
    from app.backend.scheduler import Priority

    done = threading.Event()
    times: list[float] = []

    def listen(event) -> None:
        if isinstance(event, Piece) and not times:
            times.append(time.perf_counter())
        if isinstance(event, FINAL):
            done.set()

    sent = time.perf_counter()
    backend.complete(PROMPT, {"max_tokens": n_tokens, "temperature": 0}, listen, Priority.API)
    done.wait(120)
    return times[0] - sent


def concurrent(client, model: str, n_clients: int, n_tokens: int) -> tuple[int, float]:
    failures: list[BaseException] = []
    tokens: list[int] = []

    def one() -> None:
        try:
            _rate, _ttft, count = api_round(client, model, n_tokens)
            tokens.append(count)
        except BaseException as error:  # noqa: BLE001 - counted below
            failures.append(error)

    started = time.perf_counter()
    threads = [threading.Thread(target=one) for _ in range(n_clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    wall = time.perf_counter() - started
    return len(failures) + (n_clients - len(tokens) - len(failures)), sum(tokens) / wall


def single_rate(client, model: str, n_tokens: int) -> float:
    started = time.perf_counter()
    _rate, _ttft, count = api_round(client, model, n_tokens)
    return count / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def remote(model_path: str, args, rounds: int) -> float | None:
    """Hearth's RemoteBackend through llama_cpp.server over a bare openai client of it; None when unavailable."""
    try:
        import llama_cpp.server  # noqa: F401 - only to know the extra is installed
        from app.backend import remote as remote_backend
    except ImportError as error:
        print(f"remote: skipped ({error})")
        return None
    import openai

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", model_path, "--port", str(port),
                               "--n_ctx", "2048", "--n_threads", str(args.threads)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        client = openai.OpenAI(base_url=url, api_key="none", max_retries=0, timeout=300)
        deadline = time.monotonic() + 120
        while True:
            try:
                model = client.models.list().data[0].id
                break
            except openai.APIConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        bare, hearth = [], []
        backend = remote_backend.RemoteBackend(url, "")
        try:
            for _ in range(rounds):
                bare.append(_bare_chat(client, model, args.tokens))
                hearth.append(_hearth_chat(backend, model, args.tokens))
        finally:
            backend.shutdown()
        print(f"remote: bare {statistics.median(bare):.1f} tok/s, hearth {statistics.median(hearth):.1f} tok/s")
        return statistics.median(hearth) / statistics.median(bare)
    finally:
        server.terminate()
        server.wait(30)


def _hearth_chat(backend, model: str, n_tokens: int) -> float:
    """Decode speed of one reply streamed through Hearth's RemoteBackend, as the window would receive it."""
    from app.backend.events import FINAL, Piece

    done = threading.Event()
    times: list[float] = []

    def listen(event) -> None:
        if isinstance(event, Piece) and event.text:
            times.append(time.perf_counter())
        if isinstance(event, FINAL):
            done.set()

    backend.load(model, None, lambda _event: None)
    backend.chat([{"role": "user", "content": PROMPT}], {"max_tokens": n_tokens, "temperature": 0}, listen)
    done.wait(600)
    return (len(times) - 1) / (times[-1] - times[0])


def _bare_chat(client, model: str, n_tokens: int) -> float:
    first = last = 0.0
    count = 0
    for chunk in client.chat.completions.create(model=model, max_tokens=n_tokens, temperature=0, stream=True,
                                                messages=[{"role": "user", "content": PROMPT}]):
        if chunk.choices and chunk.choices[0].delta.content:
            now = time.perf_counter()
            first = first or now
            last = now
            count += 1
    return (count - 1) / (last - first)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--model", default="")
    args = parser.parse_args()

    import openai
    from llama_cpp import Llama

    from app.api.host import LibraryHost, model_id
    from app.api.server import ApiServer, ServerSettings
    from app.backend.events import Failed, Loaded
    from app.backend.local import LocalBackend
    from app.core.library import find_starter_model
    from app.core.load_options import LoadOptions

    path = args.model or str(find_starter_model())
    llm = Llama(model_path=path, n_ctx=2048, n_threads=args.threads, n_threads_batch=args.threads,
                flash_attn=True, verbose=False)
    prompt_tokens = llm.tokenize(PROMPT.encode("utf-8"), add_bos=True, special=False)

    backend = LocalBackend(max_waiting=64)
    host = LibraryHost(backend, [path], lambda _path: LoadOptions(n_ctx=2048, n_threads=args.threads))
    loaded = threading.Event()
    host.load(model_id(path), lambda e: isinstance(e, (Loaded, Failed)) and loaded.set())
    loaded.wait(120)
    server = ApiServer(host, ServerSettings(port=0))
    server.start()
    client = openai.OpenAI(base_url=server.url, api_key="none", max_retries=0, timeout=600)
    model = model_id(path)
    try:
        api_round(client, model, 16)  # warm both sides up
        plain_round(llm, prompt_tokens, 16)
        plain, api, api_ttfts, engine_ttfts = [], [], [], []
        for round_number in range(args.rounds):
            plain.append(plain_round(llm, prompt_tokens, args.tokens))
            rate, ttft, _tokens = api_round(client, model, args.tokens)
            api.append(rate)
            api_ttfts.append(ttft)
            engine_ttfts.append(engine_ttft(backend))
            print(f"round {round_number + 1}: plain {plain[-1]:.1f} tok/s, api {rate:.1f} tok/s, "
                  f"first token api {ttft * 1000:.0f} ms, engine {engine_ttfts[-1] * 1000:.0f} ms")
        stream_ratio = statistics.median(api) / statistics.median(plain)
        ttft_overhead = (statistics.median(api_ttfts) - statistics.median(engine_ttfts)) * 1000
        llm.close()  # the plain loop's threads must not compete with the engine below
        one = statistics.median(single_rate(client, model, args.tokens // 4) for _ in range(2))
        failures, aggregate = concurrent(client, model, args.clients, args.tokens // 4)
        print(f"concurrent: {args.clients} clients, {failures} failed, {aggregate:.1f} tok/s together, "
              f"{one:.1f} tok/s alone")
        concurrent_ratio = aggregate / one
    finally:
        server.stop()
        backend.shutdown()
    remote_ratio = remote(path, args, args.rounds)
    print(json.dumps({"stream_ratio": round(stream_ratio, 3), "ttft_overhead_ms": round(ttft_overhead, 1),
                      "concurrent_failures": failures, "concurrent_ratio": round(concurrent_ratio, 3),
                      "remote_ratio": None if remote_ratio is None else round(remote_ratio, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
