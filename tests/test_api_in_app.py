"""The local API server inside the app: the Server panel starts it, the `openai` client uses it, and the
window and the API share one loaded model without cancelling each other.

The real window, the real engine process with SmolLM2 (and Gemma for a second model), the real server.
"""
from __future__ import annotations

import socket
import threading

import openai

from tests.test_main_window import last_reply, type_and_enter, wait_ready

QUESTION = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the capital of France?"}]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(qtbot, hearth) -> openai.OpenAI:
    hearth.settings.api_port = free_port()
    hearth.window.server_action.trigger()
    panel = hearth.server_panel
    assert panel.isVisible() and panel.toggle.text() == "Start"
    qtbot.mouseClick(panel.toggle, qtbot_button())
    qtbot.waitUntil(lambda: hearth.api.running, timeout=10_000)
    assert panel.toggle.text() == "Stop" and hearth.api.url in panel.status.text()
    return openai.OpenAI(base_url=hearth.api.url, api_key="none", max_retries=0, timeout=300)


def qtbot_button():
    from PySide6.QtCore import Qt

    return Qt.LeftButton


def test_the_panel_serves_the_library_to_an_openai_client(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    client = start_server(qtbot, hearth)
    served = [m.id for m in client.models.list().data]
    assert served and served[0] in hearth.server_panel.status.text()  # the loaded model, named in the panel
    reply = client.chat.completions.create(model=served[0], messages=QUESTION, temperature=0, max_tokens=30)
    assert "Paris" in reply.choices[0].message.content
    log = hearth.server_panel.log
    qtbot.waitUntil(lambda: log.rowCount() >= 2, timeout=10_000)  # GET /v1/models, then the chat
    assert log.item(log.rowCount() - 1, 1).text() == "POST /v1/chat/completions"
    assert log.item(log.rowCount() - 1, 3).text() == "200"
    qtbot.mouseClick(hearth.server_panel.toggle, qtbot_button())
    qtbot.waitUntil(lambda: not hearth.api.running, timeout=10_000)
    assert hearth.server_panel.status.text().startswith("Off")


def test_clients_and_the_window_share_the_model_without_cancelling_each_other(qtbot, make_hearth):
    hearth = make_hearth()
    wait_ready(qtbot, hearth)
    client = start_server(qtbot, hearth)
    model = client.models.list().data[0].id
    answers: list[str] = []
    failures: list[BaseException] = []

    def ask() -> None:
        try:
            reply = client.chat.completions.create(model=model, messages=QUESTION, temperature=0, max_tokens=30)
            answers.append(reply.choices[0].message.content)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    type_and_enter(qtbot, hearth, "What is the capital of France?")
    qtbot.waitUntil(lambda: not hearth.chat.busy and len(answers) + len(failures) == 4, timeout=300_000)
    for thread in threads:
        thread.join(10)
    assert not failures and all("Paris" in a for a in answers)
    assert "Paris" in last_reply(hearth).text


def test_a_client_asking_for_another_library_model_loads_it_and_the_window_follows(qtbot, make_hearth, home,
                                                                                   gemma_path):
    from conftest import copy_model

    copy_model(gemma_path, home.models)
    hearth = make_hearth()
    qtbot.waitUntil(lambda: len(hearth.window.picker.entries) == 2, timeout=20_000)
    hearth.window.picker.select(next(str(e.path) for e in hearth.window.picker.entries if "smol" in e.path.name.lower()
                                     or "SmolLM" in e.display_name))
    wait_ready(qtbot, hearth)
    client = start_server(qtbot, hearth)
    gemma = next(m.id for m in client.models.list().data if m.id.startswith("gemma"))
    answer = client.completions.create(model=gemma, prompt="The capital of France is", temperature=0, max_tokens=5)
    assert answer.choices[0].text
    qtbot.waitUntil(lambda: hearth.models.path.endswith(gemma_path.name), timeout=20_000)
    assert hearth.window.status_model.text() == hearth.models.name
    assert "asked for" in hearth.window.notice.text
