"""The window chatting through remote servers: the real window driven with qtbot, against llama-cpp-python's
own server with SmolLM2, a second Hearth's `hearth serve`, and a server that cuts its replies short.

Every wait is for what the window shows or the store holds, never for a model's speed."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.backend.model_ref import ModelRef
from app.core import store as states
from tests import remote_peers
from tests.remote_peers import RoughServer, hearth_peer, llama_server  # noqa: F401 - fixtures (shared)
from tests.test_main_window import last_reply, type_and_enter, wait_ready

KEY = "hearth-window-key-41c2"
STORY = "Write a very long story about a dragon who learns to bake bread."


@pytest.fixture
def rough():
    made = []

    def make(mode: str) -> RoughServer:
        server = RoughServer(mode)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def listed(qtbot, hearth, count: int = 1) -> list[tuple[str, str]]:
    """Wait for the picker to list ``count`` remote models; [(label, key)]."""
    qtbot.waitUntil(lambda: len(hearth.window.picker.remote_models()) >= count, timeout=60_000)
    return hearth.window.picker.remote_models()


def pick(qtbot, hearth, key: str) -> None:
    """Choose a model in the picker as a user does: the combo's item."""
    combo = hearth.window.picker.combo
    index = combo.findData(key)
    assert index >= 0, [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentIndex(index)


def settled(qtbot, hearth, timeout: int = 240_000) -> None:
    """The reply and the title the model then gives a new conversation have both ended."""
    qtbot.waitUntil(lambda: not hearth.chat.busy and not hearth.chat.titling, timeout=timeout)


def replies(hearth):
    return [m for m in hearth.store.messages(hearth.chat.conversation.id) if m.role == "assistant"]


def test_chat_stop_and_the_gauge_through_llama_cpp_server(qtbot, make_hearth, llama_server, smollm_path):
    hearth = make_hearth(include_starter=False)
    hearth.settings.max_tokens = 30
    hearth.remote_servers.add("Closet box", llama_server)
    (label, key), = listed(qtbot, hearth)
    assert label == f"Closet box ▸ {smollm_path}"
    pick(qtbot, hearth, key)
    wait_ready(qtbot, hearth, timeout=60_000)
    window = hearth.window
    assert window.status_model.text() == label and hearth.models.remote and hearth.models.info is None
    assert "Runs on Closet box" in window.picker.details.text()

    window.load_settings_action.trigger()  # the server chooses how it runs: nothing to set here
    assert "runs on its server" in window.notice.text and window.load_settings_dialog is None
    window.template_action.trigger()
    assert "chat template" in window.notice.text

    type_and_enter(qtbot, hearth, "What is the capital of France?")
    settled(qtbot, hearth)
    reply = replies(hearth)[-1]
    assert reply.status == states.DONE and "Paris" in reply.content, reply
    assert reply.model == label and reply.first_token_seconds > 0 and reply.n_tokens >= 2
    assert "Paris" in last_reply(hearth).text
    assert window.status_speed.text().endswith("tok/s")

    # The gauge: llama_cpp.server counts with the model's tokenizer, so no "≈"; it does not say its window.
    gauge = window.context_gauge

    def counted() -> int:  # "Context 57 tokens": an empty chat's count (a few tokens) may come first
        words = gauge.format().split()
        return int(words[1].replace(",", "")) if len(words) == 3 and words[2] == "tokens" else 0

    qtbot.waitUntil(lambda: counted() > 10, timeout=60_000)  # the question and its answer, counted after it
    assert "≈" not in gauge.format()
    assert "server's tokenizer" in gauge.toolTip()

    # Stop mid-reply: the text so far is kept, and the server (one reply at a time, never interrupted) is free
    # for the next message at once.
    hearth.settings.max_tokens = 400
    type_and_enter(qtbot, hearth, STORY)
    qtbot.waitUntil(lambda: len(last_reply(hearth).text) > 10, timeout=240_000)
    qtbot.mouseClick(window.stop_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=10_000)
    stopped = replies(hearth)[-1]
    assert stopped.status == states.STOPPED and len(stopped.content) > 10
    hearth.settings.max_tokens = 30
    type_and_enter(qtbot, hearth, "What is the capital of France?")
    settled(qtbot, hearth)
    assert replies(hearth)[-1].status == states.DONE and "Paris" in replies(hearth)[-1].content


def test_a_second_hearth_its_estimate_the_next_start_and_a_wrong_key(qtbot, make_hearth, hearth_peer, home):
    hearth = make_hearth(include_starter=False)
    hearth.settings.max_tokens = 30
    hearth.remote_servers.add("GPU box", hearth_peer, KEY)
    (label, key), = listed(qtbot, hearth)
    pick(qtbot, hearth, key)
    wait_ready(qtbot, hearth, timeout=60_000)
    type_and_enter(qtbot, hearth, "What is the capital of France?")
    settled(qtbot, hearth)
    assert "Paris" in replies(hearth)[-1].content and replies(hearth)[-1].status == states.DONE
    gauge = hearth.window.context_gauge
    qtbot.waitUntil(lambda: "≈" in gauge.format(), timeout=60_000)  # Hearth's API has no tokenizer route
    assert "estimate" in gauge.toolTip()
    hearth.close()

    again = make_hearth(include_starter=False, paths=home)  # the next start reopens the server's model
    assert again.models.path == key
    wait_ready(qtbot, again, timeout=60_000)
    assert again.window.status_model.text() == label
    listed(qtbot, again)
    assert again.window.picker.combo.currentData() == key

    again.remote_servers.add("GPU box", hearth_peer, "not-the-key")  # a key typed wrong
    type_and_enter(qtbot, again, "And of Italy?")
    qtbot.waitUntil(lambda: not again.chat.busy, timeout=60_000)
    words = "GPU box refused the API key (401). Check the key in Models ▸ Connect to a server…"
    assert again.window.notice.text == words
    assert replies(again)[-1].status == states.ERROR
    combo = again.window.picker.combo  # and the picker says the same of the server, on one disabled line
    qtbot.waitUntil(lambda: combo.findText("GPU box: GPU box refused the API key (401).") >= 0, timeout=60_000)
    row = combo.findText("GPU box: GPU box refused the API key (401).")
    assert not combo.model().item(row).isEnabled()


def test_a_disconnect_mid_reply_keeps_the_text_and_a_local_model_then_answers_locally(qtbot, make_hearth, rough,
                                                                                     smollm_path):
    hearth = make_hearth()  # the starter model loads in the local engine
    wait_ready(qtbot, hearth)
    local = hearth.models.path
    server = rough(remote_peers.CUT)
    dead = remote_peers.free_port()
    hearth.remote_servers.add("Flaky", server.url)
    hearth.remote_servers.add("Gone", f"http://127.0.0.1:{dead}/v1")
    (label, key), = listed(qtbot, hearth)
    combo = hearth.window.picker.combo
    qtbot.waitUntil(lambda: any(combo.itemText(i).startswith("Gone: Hearth could not reach")
                                for i in range(combo.count())), timeout=60_000)
    row = next(i for i in range(combo.count()) if combo.itemText(i).startswith("Gone: "))
    assert not combo.model().item(row).isEnabled()  # one disabled line, never a hang

    pick(qtbot, hearth, key)
    wait_ready(qtbot, hearth, timeout=30_000)
    type_and_enter(qtbot, hearth, "Say hello.")
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    cut = replies(hearth)[-1]
    assert cut.status == states.ERROR and cut.content == "Hello", cut  # the partial reply is kept
    words = "The connection to Flaky was lost in the middle of the reply. The text so far is kept."
    assert hearth.window.notice.text == words and cut.error == words
    assert last_reply(hearth).text == "Hello" and last_reply(hearth).retry_button.isVisibleTo(last_reply(hearth))

    type_and_enter(qtbot, hearth, "Again, please.")  # the next message tries again
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=60_000)
    assert len(replies(hearth)) == 2 and replies(hearth)[-1].content == "Hello"

    pick(qtbot, hearth, local)  # back to the file: the local engine answers
    wait_ready(qtbot, hearth)
    hearth.settings.max_tokens = 30
    hearth.window.new_action.trigger()  # a fresh chat: the cut replies are not SmolLM2's to carry on
    type_and_enter(qtbot, hearth, "What is the capital of France?")
    settled(qtbot, hearth, timeout=60_000)
    answer = replies(hearth)[-1]
    assert answer.status == states.DONE and "Paris" in answer.content and answer.model == hearth.models.name


def test_a_remote_model_that_is_gone_says_so_at_start(qtbot, make_hearth, rough, home):
    from app.settings import Settings

    server = rough(remote_peers.CUT)
    settings = Settings.load(home.settings_file)
    settings.set_server("Flaky", server.url)
    settings.last_model = ModelRef(server=server.url, model_id="gone-model").key
    settings.save(home.settings_file)
    hearth = make_hearth(include_starter=False)
    qtbot.waitUntil(lambda: hearth.models.state == "failed", timeout=30_000)
    assert hearth.window.notice.text == "Flaky has no model called “gone-model”. It offers: rough-model."
