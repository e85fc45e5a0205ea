"""Hearth's OpenAI-compatible server, spoken to by the real `openai` client, answered by the real llama.cpp.

The server runs as it does under ``hearth serve``: one engine process (LocalBackend) and the models named
to it (LibraryHost). Tests wait for events and answers, never for a model's speed.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import httpx2 as httpx
import openai
import pytest

from app.api.host import LibraryHost, model_id
from app.api.server import ApiServer, ServerError, ServerSettings
from app.core.net_limits import ServerLimits
from app.backend.events import Failed, Loaded
from app.backend.local import LocalBackend
from app.core.load_options import LoadOptions

QUESTION = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the capital of France?"}]
STORY = [{"role": "user", "content": "Write a very long story about a dragon who learns to bake bread."}]


class Served:
    def __init__(self, backend, host, server, log) -> None:
        self.backend, self.host, self.server, self.log = backend, host, server, log
        self.model = host.models()[0].id

    def client(self, key: str = "", **options) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.server.url, api_key=key or "none", max_retries=0, timeout=120, **options)


def load_first(host: LibraryHost) -> None:
    done = threading.Event()
    outcome = []
    host.load(host.models()[0].id, lambda e: isinstance(e, (Loaded, Failed)) and (outcome.append(e), done.set()))
    assert done.wait(120) and isinstance(outcome[0], Loaded), outcome


@pytest.fixture
def serve(smollm_path, tmp_path):
    made = []

    def make(api_key: str = "", max_waiting: int = 64, limits: ServerLimits | None = None,
             speech: bool = False) -> Served:
        backend = LocalBackend(max_waiting=max_waiting, log_path=tmp_path / "engine.log")
        voice = None
        if speech:
            from app.backend.speech import SpeechBackend
            from app.engine.speech import find_starter_speech_model

            voice = SpeechBackend(lambda: str(find_starter_speech_model()), log_path=tmp_path / "speech.log")
        host = LibraryHost(backend, [str(smollm_path)], lambda _path: LoadOptions(n_ctx=2048, n_threads=2), speech=voice)
        load_first(host)
        log: list[dict] = []
        server = ApiServer(host, ServerSettings(port=0, api_key=api_key, limits=limits or ServerLimits()),
                           on_request=log.append)
        server.start()
        made.append((server, backend))
        return Served(backend, host, server, log)

    yield make
    for server, backend in made:
        server.stop()
        backend.shutdown()
        if server.host.speech is not None:
            server.host.speech.shutdown()


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_models_and_a_greedy_answer(serve, smollm_path):
    served = serve()
    client = served.client()
    models = client.models.list()
    assert [m.id for m in models.data] == [model_id(smollm_path)]
    assert models.data[0].max_model_len == 2048  # the loaded model's context window
    reply = client.chat.completions.create(model=served.model, messages=QUESTION, temperature=0, max_tokens=40)
    assert "Paris" in reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop" and reply.object == "chat.completion"
    assert reply.usage.prompt_tokens > 10 and 0 < reply.usage.completion_tokens <= 40
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    assert served.log[-1]["endpoint"] == "POST /v1/chat/completions" and served.log[-1]["status"] == 200


def test_a_streamed_answer_ends_with_usage(serve):
    served = serve()
    stream = served.client().chat.completions.create(model=served.model, messages=QUESTION, temperature=0,
                                                     max_tokens=40, stream=True,
                                                     stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Paris" in text
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0


def test_stop_and_max_tokens(serve):
    served = serve()
    client = served.client()
    reply = client.chat.completions.create(model=served.model, messages=STORY, temperature=0, max_tokens=8)
    assert reply.choices[0].finish_reason == "length" and reply.usage.completion_tokens == 8
    reply = client.chat.completions.create(model=served.model, messages=QUESTION, temperature=0, max_tokens=40,
                                           stop=["Paris"])
    assert "Paris" not in reply.choices[0].message.content


def test_json_schema_output_parses(serve):
    served = serve()
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
              "required": ["city", "country"], "additionalProperties": False}
    reply = served.client().chat.completions.create(
        model=served.model, temperature=0, max_tokens=80,
        messages=[{"role": "user", "content": "Name the capital of France and its country, as JSON."}],
        response_format={"type": "json_schema", "json_schema": {"name": "capital", "schema": schema}})
    answer = json.loads(reply.choices[0].message.content)
    assert set(answer) == {"city", "country"} and all(isinstance(v, str) for v in answer.values())
    reply = served.client().chat.completions.create(model=served.model, messages=QUESTION, temperature=0,
                                                    max_tokens=300, response_format={"type": "json_object"})
    # (a token limit can cut any JSON short: room enough that the grammar's object closes)
    assert reply.choices[0].finish_reason == "stop", reply.choices[0].message.content
    assert isinstance(json.loads(reply.choices[0].message.content), dict)


def test_bad_requests_get_openai_errors(serve):
    served = serve()
    client = served.client()
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model=served.model, messages=QUESTION, n=2)
    assert error.value.body["param"] == "n"
    with pytest.raises(openai.BadRequestError) as error:  # never silently ignored
        client.chat.completions.create(model=served.model, messages=QUESTION, response_format={
            "type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "bogus"}}})
    assert "JSON schema cannot be used" in error.value.message
    with pytest.raises(openai.NotFoundError) as error:
        client.chat.completions.create(model="../../etc/passwd", messages=QUESTION)
    assert error.value.body["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=served.model, messages=[{"role": "wizard", "content": "hi"}])
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=served.model, messages=QUESTION, temperature=7)
    raw = httpx.post(f"{served.server.url}/chat/completions", content=b"{not json", timeout=10)
    assert raw.status_code == 400 and raw.json()["error"]["type"] == "invalid_request_error"
    assert httpx.get(f"{served.server.url}/nothing", timeout=10).status_code == 404
    # The engine is still there for the next good request.
    reply = client.chat.completions.create(model=served.model, messages=QUESTION, temperature=0, max_tokens=30)
    assert "Paris" in reply.choices[0].message.content


def test_a_body_too_large_is_refused(serve):
    served = serve(limits=ServerLimits(json_bytes=10_000))
    big = {"model": served.model, "messages": [{"role": "user", "content": "x" * 20_000}]}
    raw = httpx.post(f"{served.server.url}/chat/completions", json=big, timeout=10)
    assert raw.status_code == 413 and raw.json()["error"]["code"] == "request_too_large"


def test_the_key_is_required_when_set(serve):
    served = serve(api_key="s3cret-key")
    with pytest.raises(openai.AuthenticationError):
        served.client("wrong").models.list()
    with pytest.raises(openai.AuthenticationError):
        served.client("wrong").chat.completions.create(model=served.model, messages=QUESTION)
    assert served.client("s3cret-key").models.list().data[0].id == served.model
    assert httpx.get(served.server.url.replace("/v1", "/health"), timeout=10).json()["status"] == "ok"


def test_the_network_needs_a_key(smollm_path, tmp_path):
    backend = LocalBackend(log_path=tmp_path / "engine.log")
    host = LibraryHost(backend, [str(smollm_path)], lambda _path: LoadOptions(n_threads=2))
    with pytest.raises(ServerError, match="needs an API key"):
        ApiServer(host, ServerSettings(host="0.0.0.0", port=0)).start()
    backend.shutdown()


def test_four_clients_at_once_all_get_whole_answers(serve):
    served = serve()
    answers: list[str] = []
    failures: list[BaseException] = []

    def ask() -> None:
        try:
            reply = served.client().chat.completions.create(model=served.model, messages=QUESTION, temperature=0,
                                                            max_tokens=40)
            answers.append(reply.choices[0].message.content)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not failures and len(answers) == 4
    assert all("Paris" in a for a in answers) and len(set(answers)) == 1  # greedy: the same whole answer


def test_a_client_that_hangs_up_frees_the_engine(serve):
    served = serve()
    stream = served.client().chat.completions.create(model=served.model, messages=STORY, max_tokens=2000,
                                                     stream=True, extra_body={"ignore_eos": True})
    received = 0
    for chunk in stream:
        received += bool(chunk.choices and chunk.choices[0].delta.content)
        if received >= 3:
            break
    stream.close()  # hang up mid-reply
    wait_until(lambda: served.backend.scheduler.current is None, 30)
    assert any(entry["status"] == 499 for entry in served.log)
    reply = served.client().chat.completions.create(model=served.model, messages=QUESTION, temperature=0,
                                                    max_tokens=30)
    assert "Paris" in reply.choices[0].message.content


def test_a_full_queue_answers_503_with_retry_after(serve):
    served = serve(max_waiting=1)
    long_ones = [httpx.Client(timeout=120) for _ in range(2)]
    body = {"model": served.model, "messages": STORY, "max_tokens": 2000, "stream": True, "ignore_eos": True}
    # The stream's context manager is kept: once it is garbage, it closes the stream, the server sees a
    # client that hung up and frees the engine, and nothing is left to wait behind (it failed that way).
    opened = long_ones[0].stream("POST", f"{served.server.url}/chat/completions", json=body)
    streams = []
    try:
        streams.append(opened.__enter__())
        # The reply is streaming (its first words are here): it is the job in flight
        next(line for line in streams[0].iter_lines() if line.startswith("data:"))
        assert served.backend.scheduler.current is not None

        def wait_in_line() -> None:
            try:
                long_ones[1].post(f"{served.server.url}/chat/completions", json=body)
            except httpx.HTTPError:
                pass  # hung up below, on purpose

        threading.Thread(target=wait_in_line, daemon=True).start()
        wait_until(lambda: served.backend.scheduler.waiting == 1)
        with pytest.raises(openai.APIStatusError) as error:
            served.client().chat.completions.create(model=served.model, messages=QUESTION)
        assert error.value.status_code == 503 and error.value.response.headers["retry-after"].isdigit()
    finally:
        if streams:
            opened.__exit__(None, None, None)
        for client in long_ones:
            client.close()
    wait_until(lambda: served.backend.scheduler.current is None and served.backend.scheduler.waiting == 0, 60)


def test_hearth_serve_runs_headless_and_stops_on_sigterm(smollm_path, home):
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--model", str(smollm_path), "--port", "0",
                                "--threads", "2", "--ctx", "1024"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = ""
        for line in process.stdout:
            if line.startswith("Serving "):
                url = line.rsplit(" at ", 1)[1].strip()
                break
        assert url.startswith("http://127.0.0.1:")
        client = openai.OpenAI(base_url=url, api_key="none", max_retries=0, timeout=120)
        reply = client.chat.completions.create(model=model_id(smollm_path), messages=QUESTION, temperature=0,
                                               max_tokens=30)
        assert "Paris" in reply.choices[0].message.content
        process.terminate()
        assert process.wait(30) == 0
        rest = process.stdout.read()
        assert "POST /v1/chat/completions 200" in rest or "stopping" in rest
    finally:
        if process.poll() is None:
            process.kill()


def test_plain_completions_streamed_and_whole(serve):
    served = serve()
    client = served.client()
    whole = client.completions.create(model=served.model, prompt="The capital of France is", temperature=0,
                                      max_tokens=8)
    assert whole.object == "text_completion" and whole.choices[0].finish_reason == "length"
    assert whole.usage.completion_tokens == 8 and whole.choices[0].text.strip()
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model=served.model, prompt="The capital of France is", temperature=0, max_tokens=8, stream=True)
        if c.choices)
    assert streamed == whole.choices[0].text  # greedy: the same words either way
    with pytest.raises(openai.BadRequestError):
        client.completions.create(model=served.model, prompt=["one", "two"])


def test_embeddings_as_floats_and_base64(serve):
    served = serve()
    client = served.client()
    answer = client.embeddings.create(model=served.model, input=["a cat", "a cat", "the stock market"])
    vectors = [d.embedding for d in answer.data]  # the client asked for base64 and decoded it
    assert len(vectors) == 3 and len(vectors[0]) == 576  # SmolLM2-135M's embedding size
    assert vectors[0] == pytest.approx(vectors[1])
    assert sum(x * x for x in vectors[0]) == pytest.approx(1.0, abs=1e-3)  # normalised
    raw = httpx.post(f"{served.server.url}/embeddings", json={"model": served.model, "input": "a cat",
                                                               "encoding_format": "float"}, timeout=60).json()
    assert raw["data"][0]["embedding"] == pytest.approx(vectors[0], abs=1e-5)
    assert raw["usage"]["prompt_tokens"] > 0
    # The chat model still answers after its embedding context was made.
    reply = client.chat.completions.create(model=served.model, messages=QUESTION, temperature=0, max_tokens=30)
    assert "Paris" in reply.choices[0].message.content


def test_a_transcription_of_spoken_words(serve, tmp_path):
    from tests.voice_helpers import speak, word_error_rate

    served = serve(speech=True)
    spoken = "Open the window and let the fresh air in."
    clip = speak(spoken, tmp_path / "window.wav")
    client = served.client()
    with clip.open("rb") as audio:
        answer = client.audio.transcriptions.create(model="whisper-1", file=audio)
    assert word_error_rate(spoken, answer.text) <= 0.25, answer.text
    with clip.open("rb") as audio:
        srt = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="srt")
    assert srt.startswith("1\n00:00:0") and " --> " in srt and "window" in srt.lower()
    with clip.open("rb") as audio:
        verbose = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="verbose_json",
                                                     language="en", prompt="Windows and fresh air.")
    assert verbose.segments and verbose.duration > 1 and "window" in verbose.text.lower()
    with clip.open("rb") as audio:
        with pytest.raises(openai.BadRequestError):
            client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="mp3")
    refused = httpx.post(f"{served.server.url}/audio/transcriptions", files={"file": ("x.txt", b"not audio")},
                         data={"model": "whisper-1"}, timeout=60)
    assert refused.status_code == 500 and "could not be read as audio" in refused.json()["error"]["message"]


def test_each_request_is_answered_by_the_model_it_names(smollm_path, gemma_path, tmp_path):
    backend = LocalBackend(log_path=tmp_path / "engine.log")
    host = LibraryHost(backend, [str(smollm_path), str(gemma_path)], lambda _path: LoadOptions(n_ctx=1024, n_threads=2))
    load_first(host)
    server = ApiServer(host, ServerSettings(port=0))
    server.start()
    try:
        client = openai.OpenAI(base_url=server.url, api_key="none", max_retries=0, timeout=120)
        assert [m.id for m in client.models.list().data] == [model_id(smollm_path), model_id(gemma_path)]
        gemma = client.completions.create(model=model_id(gemma_path), prompt="The capital of France is",
                                          temperature=0, max_tokens=6)
        assert backend.loaded.path == str(gemma_path) and gemma.choices[0].text
        assert [m.loaded for m in host.models()] == [False, True]
        reply = client.chat.completions.create(model=model_id(smollm_path), messages=QUESTION, temperature=0,
                                               max_tokens=30)
        assert "Paris" in reply.choices[0].message.content and backend.loaded.path == str(smollm_path)
    finally:
        server.stop()
        backend.shutdown()
