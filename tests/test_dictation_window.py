"""The dictation window keeps what was dictated: "Transcribe a file…" asks before it replaces the text,
and "Save as…" names the file for the type chosen. Real microphone (PulseAudio's virtual one), real
tiny.en, and Qt's real file dialogs and message box, driven as a user drives them."""
from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from test_voice import SENTENCES, clips, listening_on, play_and_wait, virtual_microphone  # noqa: F401
from tests import voice_helpers as mic
from tests.dialogs import answer_next, click, save_as


def choose_file(qtbot, window, clip, answer: str | None) -> list[str]:
    """Click "Transcribe a file…", pick ``clip`` in the file dialog, and answer the question it asks with
    ``answer`` (Cancel if none was expected): the questions asked."""
    asked = []

    def answer_it(box):
        asked.append(box.text())
        click(qtbot, answer or "Cancel")(box)

    def pick(dialog):
        answer_next(QMessageBox, answer_it)
        save_as(qtbot, str(clip))(dialog)

    picked = answer_next(QFileDialog, pick)
    qtbot.mouseClick(window.file_button, Qt.LeftButton)
    assert picked, "no file dialog"
    return asked


def transcribed(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.status.text().startswith("Transcribed"), timeout=60_000)


def test_transcribing_a_file_asks_before_it_replaces_dictated_lines(qtbot, make_hearth, virtual_microphone,
                                                                    clips, tmp_path):
    hearth = make_hearth(include_starter=False)
    hearth.open_dictation()
    window = hearth.dictation
    qtbot.addWidget(window)
    window.record_button.click()
    listening_on(qtbot, hearth, "dictation")
    play_and_wait(qtbot, hearth, clips["fox"])
    qtbot.waitUntil(lambda: len(window.lines) >= 1, timeout=20_000)
    window.record_button.click()
    qtbot.waitUntil(lambda: hearth.voice.listening_target == "", timeout=10_000)
    # (How well it heard is test_voice's business: here, what was dictated must not be lost.)
    dictated = list(window.lines)
    before = window.text.toPlainText()
    assert dictated and dictated[0].text and before
    window.text.appendPlainText("My own note.")  # typed by hand: text the lines do not hold

    # Cancel: nothing changes and nothing is transcribed.
    asked = choose_file(qtbot, window, clips["three"], "Cancel")
    assert asked and "three.wav" in asked[0]
    assert window.lines == dictated and window.file_button.isEnabled() and "Transcribing" not in window.status.text()
    assert window.text.toPlainText() == before + "\nMy own note."

    # Append: the dictated line and the note stay first; the file's lines follow, timed after them.
    choose_file(qtbot, window, clips["three"], "Append")
    transcribed(qtbot, window)
    count = len(dictated)
    assert window.lines[:count] == dictated and len(window.lines) >= count + 2
    assert all(line.start >= dictated[-1].end for line in window.lines[count:])
    assert window.text.toPlainText().startswith(before + "\nMy own note.\n")
    heard = " ".join(line.text for line in window.lines[count:])
    assert mic.word_error_rate(" ".join(SENTENCES), heard) <= 0.25, heard

    # Save as… SubRip, typed without an extension: notes.srt, every line a cue in order.
    folder = tmp_path / "saved"
    folder.mkdir()
    saved = answer_next(QFileDialog, save_as(qtbot, str(folder / "notes"), "SubRip"))
    qtbot.mouseClick(window.save_button, Qt.LeftButton)
    assert saved and [path.name for path in folder.iterdir()] == ["notes.srt"]
    srt = (folder / "notes.srt").read_text(encoding="utf-8")
    assert srt == window.export("srt") and len(re.findall(r"^\d+$", srt, re.M)) == len(window.lines)

    # Replace: only the file's lines are left, timed from the file's start.
    appended = window.lines[count:]
    choose_file(qtbot, window, clips["three"], "Replace")
    transcribed(qtbot, window)
    assert before not in window.text.toPlainText() and "My own note." not in window.text.toPlainText()
    assert [line.text for line in window.lines] == [line.text for line in appended]  # the same file again
    assert window.lines[0].start < appended[0].start and window.lines[0].start < 2.0

    # An empty window has nothing to lose: no question.
    window.clear_button.click()
    assert choose_file(qtbot, window, clips["fox"], None) == []
    transcribed(qtbot, window)
    assert window.lines
