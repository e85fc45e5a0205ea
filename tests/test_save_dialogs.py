"""Chat ▸ Export through the real save dialog: a name typed without an extension gets its type's, and a
reply that stopped inside a code block ends it in the Markdown file."""
from __future__ import annotations

import json

from markdown_it import MarkdownIt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tests.dialogs import answer_next, click, save_as

STOPPED = "Here is the start:\n\n```python\ndef area(radius):\n    return 3.14 * radius"  # Stop, mid-block


def open_chat(qtbot, make_hearth, tmp_path):
    chat = tmp_path / "stopped.json"
    chat.write_text(json.dumps([{"role": "user", "content": "Write area()"},
                                {"role": "assistant", "content": STOPPED},
                                {"role": "user", "content": "Thanks"}]))
    hearth = make_hearth(include_starter=False)
    assert hearth.chat.import_conversation(str(chat))
    return hearth


def export(qtbot, hearth, act) -> list:
    answered = answer_next(QFileDialog, act)
    hearth.window.export_action.trigger()
    assert answered, "no save dialog"
    return answered


def test_export_names_the_file_for_its_type_and_closes_a_stopped_code_block(qtbot, make_hearth, tmp_path):
    hearth = open_chat(qtbot, make_hearth, tmp_path)
    folder = tmp_path / "exports"
    folder.mkdir()
    export(qtbot, hearth, save_as(qtbot, str(folder / "chat")))  # Markdown is the type shown first
    export(qtbot, hearth, save_as(qtbot, str(folder / "backup"), "Hearth JSON"))
    export(qtbot, hearth, save_as(qtbot, str(folder / "Meeting 3.5")))  # a dot is not an extension
    assert sorted(path.name for path in folder.iterdir()) == ["Meeting 3.5.md", "backup.json", "chat.md"]
    assert json.loads((folder / "backup.json").read_text())["format"] == "hearth.conversation"

    # The reply's code block ends where the reply stopped: what follows is Markdown again, not code.
    markdown = (folder / "chat.md").read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").parse(markdown)
    code = [token for token in tokens if token.type == "fence"]
    assert [token.content for token in code] == ["def area(radius):\n    return 3.14 * radius\n"]
    headings = [tokens[index + 1].content for index, token in enumerate(tokens) if token.type == "heading_open"]
    assert headings[-2:] == ["Assistant", "You"]
    assert markdown.endswith("## You\n\nThanks\n")


def test_the_dialog_asks_before_replacing_the_file_named_for_its_type(qtbot, make_hearth, tmp_path):
    hearth = open_chat(qtbot, make_hearth, tmp_path)
    kept = tmp_path / "Meeting 3.5.md"
    kept.write_text("my notes", encoding="utf-8")
    asked = []

    def answer_no(box):  # "… already exists. Do you want to replace it?"
        asked.append(box.text())
        click(qtbot, "No")(box)

    def type_the_name(dialog):
        answer_next(QMessageBox, answer_no)
        save_as(qtbot, str(tmp_path / "Meeting 3.5"))(dialog)  # Enter: the question comes, and is answered
        qtbot.waitUntil(lambda: bool(asked), timeout=10_000)
        assert dialog.isVisible()  # still asking where to save
        dialog.reject()  # the user thinks again

    export(qtbot, hearth, type_the_name)
    assert "Meeting 3.5.md" in asked[0]
    assert kept.read_text(encoding="utf-8") == "my notes"
