"""Chat template choice per model, through the real llama.cpp, the real engine process and the real window.

Gemma 3 270M (base) ships no chat template; SmolLM2 gets a template-less copy (its key renamed in
place). Each must be prompted in its own format, picked by Hearth or chosen by the user in
Models ▸ Chat template….
"""
from __future__ import annotations

from conftest import copy_model
from PySide6.QtWidgets import QDialogButtonBox

from app.core import template_catalog as catalog
from app.core.load_options import LoadOptions
from app.engine import protocol
from app.engine.client import EngineClient
from app.engine.llm import LlmSession
from tests.helpers.template_less import without_template
from tests.test_engine import GREEDY, QUESTION, Events

CHATML_JINJA = catalog.CHATML.source


def test_a_template_less_gemma_is_prompted_in_gemma_format(gemma_path):
    """The real tokenizer reads the picked format's turns as Gemma's own control tokens."""
    session = LlmSession()
    report = session.load(str(gemma_path), LoadOptions(n_ctx=512), threads=2)
    try:
        assert report["template_description"] == "Gemma (chosen because the file has none)"
        assert "Gemma format" in report["template_notice"]
        prompt, tokens = session._tokenize_prompt(QUESTION)
        llm = session._llm
        start_of_turn = llm.tokenize(b"<start_of_turn>", add_bos=False, special=True)
        assert len(start_of_turn) == 1  # one control token in Gemma's vocabulary
        assert tokens[0] == llm.token_bos() and tokens[1] == start_of_turn[0]
        assert tokens.count(start_of_turn[0]) == 2  # the user's turn (with the system prompt) and the model's
        assert prompt.text.endswith("What is the capital of France?<end_of_turn>\n<start_of_turn>model\n")
        assert "User:" not in prompt.text
    finally:
        session.unload()


def test_a_template_less_smollm_answers_in_the_picked_format_and_in_a_chosen_one(tmp_path, smollm_path):
    bare = without_template(smollm_path, tmp_path / "smol-no-template.gguf")
    events = Events()
    client = EngineClient(events, log_path=tmp_path / "engine.log")
    try:
        client.load(str(bare), LoadOptions(n_threads=2, n_ctx=1024))
        loaded, _ = events.until({protocol.LOADED})
        assert not loaded["model"]["has_chat_template"]
        assert loaded["model"]["template_description"] == "ChatML (chosen because the file has none)"
        request = client.chat(QUESTION, {**GREEDY, "max_tokens": 40})
        started, _ = events.until({protocol.STARTED}, request)
        done, text = events.until({protocol.DONE}, request)
        assert "Paris" in text and done["reason"] == protocol.STOP
        assert "no chat template" in started["notice"] and "ChatML format" in started["notice"]

        client.load(str(bare), LoadOptions(n_threads=2, n_ctx=1024, chat_template="Alpaca"))
        loaded, _ = events.until({protocol.LOADED})
        assert loaded["model"]["template_description"] == "Alpaca (chosen by you)"
        request = client.chat(QUESTION, {**GREEDY, "max_tokens": 60})
        started, _ = events.until({protocol.STARTED}, request)
        done, text = events.until({protocol.DONE}, request)
        assert started["notice"] == ""
        assert "Paris" in text and "### Instruction" not in text
    finally:
        client.shutdown()


def wait_ready(qtbot, hearth):
    qtbot.waitUntil(lambda: hearth.models.state in ("ready", "failed"), timeout=60_000)
    assert hearth.models.state == "ready", hearth.models.report


def ask(qtbot, hearth, text="What is the capital of France?") -> str:
    hearth.chat.send(text)
    qtbot.waitUntil(lambda: not hearth.chat.busy and not hearth.chat.titling, timeout=60_000)
    return hearth.window.view.message_widgets()[-1].text


def open_dialog(qtbot, hearth):
    hearth.window.template_action.trigger()
    dialog = hearth.window.template_dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and not dialog.rendering, timeout=5_000)
    return dialog


def choose(qtbot, dialog, label: str) -> None:
    rows = [dialog.choices.item(row).text() for row in range(dialog.choices.count())]
    dialog.choices.setCurrentRow(rows.index(label))
    qtbot.waitUntil(lambda: not dialog.rendering, timeout=5_000)


def test_the_dialog_previews_refuses_broken_jinja_and_saves_per_model(qtbot, make_hearth, home, smollm_path):
    path = str(without_template(smollm_path, home.models / "smol-no-template.gguf"))
    copy_model(smollm_path, home.models, "smol-own.gguf")  # another model: its choice stays its own
    hearth = make_hearth(include_starter=False)
    qtbot.waitUntil(lambda: len(hearth.window.picker.entries) == 2, timeout=10_000)
    hearth.window.picker.select(path)
    wait_ready(qtbot, hearth)
    hearth.settings.max_tokens = 40
    dialog = open_dialog(qtbot, hearth)
    assert dialog.in_use.text() == "In use now: ChatML (chosen because the file has none)."
    assert dialog.choices.currentItem().text() == "Automatic"
    assert dialog.preview.toPlainText().startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>")

    choose(qtbot, dialog, "Gemma")
    assert "<start_of_turn>" in dialog.jinja.toPlainText() and dialog.jinja.isReadOnly()
    assert "<start_of_turn>user\nYou are a helpful assistant.\n\nWhat is the capital" in dialog.preview.toPlainText()

    choose(qtbot, dialog, "Custom (paste Jinja)")
    save = dialog.buttons.button(QDialogButtonBox.Save)
    dialog.jinja.setPlainText("{% for m in messages %}{{ m['content'] }")
    qtbot.waitUntil(lambda: "cannot be used" in dialog.error.text(), timeout=5_000)
    assert not save.isEnabled()
    dialog.jinja.setPlainText("{{ cycler.__init__.__globals__.os.popen('id').read() }}")
    qtbot.waitUntil(lambda: not dialog.rendering, timeout=5_000)
    assert "cannot be used" in dialog.error.text() and not save.isEnabled()
    dialog.jinja.setPlainText(CHATML_JINJA)
    qtbot.waitUntil(lambda: save.isEnabled(), timeout=5_000)
    assert dialog.error.text() == ""
    notices = []
    hearth.models.notice_raised.connect(notices.append)
    with qtbot.waitSignal(hearth.models.loaded, timeout=60_000):
        save.click()
    assert not dialog.isVisible()
    assert [n for n in notices if n.startswith("Reloading ")] == [
        f"Reloading {hearth.models.name} with the new chat template."]
    assert hearth.models.report["template_description"] == "Custom (pasted by you)"
    assert hearth.settings.model_load[path]["chat_template"] == CHATML_JINJA
    assert "chat_template" not in hearth.settings.model_load.get(str(home.models / "smol-own.gguf"), {})
    assert "Paris" in ask(qtbot, hearth)

    dialog = open_dialog(qtbot, hearth)
    assert dialog.choices.currentItem().text() == "Custom (paste Jinja)"
    assert dialog.jinja.toPlainText() == CHATML_JINJA
    choose(qtbot, dialog, "ChatML")
    with qtbot.waitSignal(hearth.models.loaded, timeout=60_000):
        dialog.buttons.button(QDialogButtonBox.Save).click()
    assert hearth.models.report["template_description"] == "ChatML (chosen by you)"
    assert hearth.settings.model_load[path]["chat_template"] == "ChatML"
    assert "Paris" in ask(qtbot, hearth, "What is the capital of France? Answer in one sentence.")
