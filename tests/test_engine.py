"""The engine process with the real llama.cpp: answers, stop strings, cancel, crash and restart."""
import os
import queue
import signal
import time

import pytest

from app.core.load_options import LoadOptions
from app.engine import protocol
from app.engine.client import EngineClient

QUESTION = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the capital of France?"}]
STORY = [{"role": "system", "content": "You are a helpful assistant."},
         {"role": "user", "content": "Write a very long story about a dragon who learns to bake bread."}]
GREEDY = {"temperature": 0}


class Events:
    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()

    def __call__(self, event: dict) -> None:
        self.queue.put(event)

    def until(self, kinds: set[str], request_id=None, timeout: float = 60) -> tuple[dict, str]:
        """Collect pieces until an event of ``kinds`` (for ``request_id``) arrives."""
        text = ""
        deadline = time.monotonic() + timeout
        while True:
            event = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            if event["event"] == protocol.PIECE and (request_id is None or event["id"] == request_id):
                text += event["text"]
            elif event["event"] in kinds and (request_id is None or event.get("id") in (request_id, None)):
                return event, text


@pytest.fixture
def engine(tmp_path):
    events = Events()
    client = EngineClient(events, log_path=tmp_path / "engine.log")
    yield client, events
    client.shutdown()


def test_answers_paris_with_stats(engine, smollm_path):
    client, events = engine
    client.load(str(smollm_path), LoadOptions(n_threads=2))
    loaded, _ = events.until({protocol.LOADED})
    assert loaded["model"]["has_chat_template"] and loaded["model"]["backend"] == "CPU"
    request = client.chat(QUESTION, GREEDY)
    done, text = events.until({protocol.DONE}, request)
    assert "Paris" in text
    assert done["reason"] == protocol.STOP
    assert done["stats"]["tokens"] > 0 and done["stats"]["tokens_per_second"] > 0


def test_stop_strings_end_the_reply_before_them(engine, smollm_path):
    client, events = engine
    client.load(str(smollm_path), LoadOptions(n_threads=2))
    request = client.chat(QUESTION, {**GREEDY, "stop": ["Paris"]})
    done, text = events.until({protocol.DONE}, request)
    assert done["reason"] == protocol.STOP
    assert "Paris" not in text and text.startswith("The capital of France is")


def test_cancel_ends_a_reply_quickly(engine, smollm_path):
    client, events = engine
    client.load(str(smollm_path), LoadOptions(n_threads=2))
    request = client.chat(STORY, {**GREEDY, "max_tokens": 4000})
    events.until({protocol.STARTED}, request)
    time.sleep(0.5)
    started = time.monotonic()
    client.cancel(request)
    done, _ = events.until({protocol.DONE}, request, timeout=5)
    assert done["reason"] == protocol.CANCELLED
    assert time.monotonic() - started < 0.5
    assert 0 < done["stats"]["tokens"] < 4000


def test_bad_file_is_refused_and_engine_stays_up(engine, smollm_path, tmp_path):
    client, events = engine
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(smollm_path.read_bytes()[:2_000_000])
    client.load(str(bad))
    error, _ = events.until({protocol.ERROR})
    assert "is truncated" in error["message"]
    pid = client.pid
    client.load(str(smollm_path), LoadOptions(n_threads=2))
    events.until({protocol.LOADED})
    assert client.pid == pid


def test_killed_engine_is_reported_and_restarts_with_the_model(engine, smollm_path):
    client, events = engine
    client.load(str(smollm_path), LoadOptions(n_threads=2))
    events.until({protocol.LOADED})
    request = client.chat(STORY, {**GREEDY, "max_tokens": 4000})
    events.until({protocol.STARTED}, request)
    os.kill(client.pid, signal.SIGKILL)
    crashed, _ = events.until({protocol.CRASHED})
    assert "killed (SIGKILL)" in crashed["message"]
    assert request in crashed["requests"]
    # The next request restarts the process and reloads the model first.
    request = client.chat(QUESTION, GREEDY)
    done, text = events.until({protocol.DONE}, request)
    assert "Paris" in text


def test_second_architecture_with_its_own_template(engine, gemma_path):
    client, events = engine
    client.load(str(gemma_path), LoadOptions(n_threads=2, n_ctx=1024))
    loaded, _ = events.until({protocol.LOADED})
    request = client.chat([{"role": "user", "content": "Name a colour."}], {**GREEDY, "max_tokens": 24})
    started, _ = events.until({protocol.STARTED}, request)
    done, text = events.until({protocol.DONE}, request)
    assert done["stats"]["tokens"] > 0
    assert "<start_of_turn>" not in text and "<end_of_turn>" not in text
    if loaded["model"]["has_chat_template"]:
        assert started["notice"] == ""
    else:
        assert "no chat template" in started["notice"]


def test_exit_descriptions():
    from app.engine.process import describe_exit

    assert "killed (SIGKILL)" in describe_exit(-9)
    assert describe_exit(-6) == "The engine crashed inside llama.cpp (SIGABRT)."
    assert "AMX" in describe_exit(-11, "CPU : AVX2 = 1 | AMX_INT8 = 1 |")
    assert "AMX" not in describe_exit(-11, "CPU : AVX2 = 1 |")
    assert describe_exit(3) == "The engine exited unexpectedly (code 3)."


def test_stop_is_heard_while_a_long_prompt_is_read(engine, smollm_path):
    client, events = engine
    client.load(str(smollm_path), LoadOptions(n_threads=2, n_ctx=8192))
    events.until({protocol.LOADED})
    long_history = [{"role": "user", "content": "Summarise this: " + "the bread rose slowly. " * 300}]
    # How long reading this prompt takes when nobody interrupts it.
    request = client.chat(long_history, {**GREEDY, "max_tokens": 1})
    started = time.monotonic()
    events.until({protocol.DONE}, request)
    full_read = time.monotonic() - started
    assert full_read > 0.8, f"the prompt is too short to interrupt ({full_read:.2f} s)"

    varied = [{"role": "user", "content": "Summarise this: " + "the dough rested warmly. " * 300}]
    request = client.chat(varied, GREEDY)
    events.until({protocol.STARTED}, request)
    time.sleep(0.2)
    cancelled_at = time.monotonic()
    client.cancel(request)
    done, text = events.until({protocol.DONE}, request, timeout=10)
    assert done["reason"] == protocol.CANCELLED and text == "" and done["stats"]["tokens"] == 0
    assert time.monotonic() - cancelled_at < full_read / 2

    # The cache was cut back cleanly: the next question is answered properly.
    request = client.chat(QUESTION, GREEDY)
    _, text = events.until({protocol.DONE}, request)
    assert "Paris" in text


def test_a_long_conversation_keeps_the_system_prompt_and_newest_turns(engine, smollm_path):
    client, events = engine
    client.load(str(smollm_path), LoadOptions(n_threads=2, n_ctx=512))
    events.until({protocol.LOADED})
    filler = "Tell me about rivers, mountains, forests and the sea. " * 6
    history = [{"role": "system", "content": "You are a helpful assistant."}]
    for turn in range(12):  # far more than 512 tokens
        history += [{"role": "user", "content": f"{turn}: {filler}"},
                    {"role": "assistant", "content": f"Here is answer {turn}. {filler}"}]
    history.append({"role": "user", "content": "What is the capital of France?"})
    request = client.chat(history, {**GREEDY, "max_tokens": 32})
    started, _ = events.until({protocol.STARTED}, request)
    assert started["prompt_tokens"] <= 512 - 32
    assert "oldest" in started["notice"] and "context window (512 tokens)" in started["notice"]
    done, text = events.until({protocol.DONE}, request)
    assert "Paris" in text

    too_long = [history[0], {"role": "user", "content": filler * 20}]
    request = client.chat(too_long, GREEDY)
    error, _ = events.until({protocol.ERROR}, request)
    assert "too long for the model's context window" in error["message"]


def test_the_engine_spins_briefly_between_openmp_barriers(engine, smollm_path, monkeypatch):
    """llama.cpp's OpenMP threads spin while they wait: with busy programs and another llama.cpp beside it,
    libgomp's default spin slowed SmolLM2 to 6 tokens a second, and not spinning at all cost an idle machine
    65% of its speed. The engine process spins 3,000 turns (GOMP_SPINCOUNT) unless the user set OpenMP's
    policy, and still answers."""
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    client, events = engine
    client.load(str(smollm_path), LoadOptions(n_threads=2))
    events.until({protocol.LOADED})
    environ = open(f"/proc/{client.pid}/environ", "rb").read().split(b"\0")
    assert b"GOMP_SPINCOUNT=3000" in environ and not any(v.startswith(b"OMP_WAIT_POLICY=") for v in environ)
    request = client.chat(QUESTION, {**GREEDY, "max_tokens": 16})
    _, text = events.until({protocol.DONE}, request)
    assert "Paris" in text
