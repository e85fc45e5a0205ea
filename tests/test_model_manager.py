"""The Model manager window, driven like a user drives it, against the local Hub server."""
from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.core import fit
from tests.helpers.split_model import make_split
from tests.hub_server import TOKEN
from test_main_window import ask, wait_ready

SMOL_REPO = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"
SPLIT_REPO = "hearth-test/SmolLM2-135M-split-GGUF"
GATED_REPO = "google/gemma-3-270m-GGUF"
PLENTY = lambda: (16_000_000_000, 32_000_000_000)  # noqa: E731 - a machine with 16 GB free


@pytest.fixture(scope="session")
def split_parts(smollm_path, tmp_path_factory):
    return make_split(smollm_path, tmp_path_factory.mktemp("split"), "SmolLM2-135M-Instruct-Q4_1", 3)


@pytest.fixture
def catalogue(hub, smollm_path, gemma_path, split_parts):
    hub.add_repo(SMOL_REPO, {"smollm2-135m-instruct-q4_1.gguf": smollm_path}, downloads=9000, likes=80)
    hub.add_repo(SPLIT_REPO, {
        **{f"Q4_1/{part.name}": part for part in split_parts},
        # A second, larger quant: another model's bytes stand in, as only its size matters to the listing.
        "SmolLM2-135M-Instruct-Q8_0.gguf": gemma_path,
        "mmproj-SmolLM2-135M-f16.gguf": gemma_path,
    }, downloads=300, likes=5)
    hub.add_repo(GATED_REPO, {"gemma-3-270m-Q4_K_M.gguf": gemma_path}, downloads=700, likes=120, gated=True)
    return hub


def open_manager(qtbot, hearth):
    assert hearth.window.manager_action.shortcut().toString() == "Ctrl+Shift+M"
    hearth.window.manager_action.trigger()
    manager = hearth.manager
    qtbot.addWidget(manager)
    qtbot.waitUntil(lambda: manager.isVisible(), timeout=5_000)
    return manager


def search(qtbot, manager, hub, text):
    page = manager.discover
    page.query.clear()
    qtbot.keyClicks(page.query, text)  # typing is debounced: one search for the whole word
    qtbot.waitUntil(lambda: any(q.get("search") == [text] for q in hub.state.searches), timeout=5_000)
    qtbot.waitUntil(lambda: not page.status.text().startswith("Searching"), timeout=10_000)
    return page


def answering(qtbot, button: str, action, seconds: float = 10.0) -> dict:
    """Do ``action``, which should open a question box; click ``button`` in it like a user.

    Returns the box's text and button labels. Fails if no box appeared.
    """
    seen: dict = {}
    tries = [int(seconds * 50)]

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or not box.isVisible():
            tries[0] -= 1
            if tries[0] > 0:
                QTimer.singleShot(20, click)
            return
        seen["text"] = box.text()
        seen["buttons"] = [b.text() for b in box.buttons()]
        chosen = [b for b in box.buttons() if b.text() == button]
        assert chosen, seen["buttons"]
        qtbot.mouseClick(chosen[0], Qt.LeftButton)

    QTimer.singleShot(0, click)
    action()
    qtbot.waitUntil(lambda: "text" in seen or tries[0] <= 0, timeout=int(seconds * 1000) + 2000)
    assert "text" in seen, "no question box appeared"
    return seen


def test_search_lists_split_models_projectors_and_recommends_a_quant(qtbot, make_hearth, catalogue):
    hearth = make_hearth(include_starter=False, memory_probe=PLENTY)
    manager = open_manager(qtbot, hearth)
    page = manager.discover
    assert page.left.currentWidget() is page.recommended  # the first look, the box empty: the Recommended list
    page = search(qtbot, manager, catalogue, "GGUF")  # all three, most downloaded first
    assert page.result_ids() == [SMOL_REPO, GATED_REPO, SPLIT_REPO]
    page.sort.setCurrentIndex(1)  # Most liked
    qtbot.waitUntil(lambda: page.result_ids()[0] == GATED_REPO, timeout=10_000)

    searches_before = len(catalogue.state.searches)
    page = search(qtbot, manager, catalogue, "split")
    assert page.result_ids() == [SPLIT_REPO]
    assert len(catalogue.state.searches) == searches_before + 1  # debounced: not one search per key
    page.choose_repo(SPLIT_REPO)
    qtbot.waitUntil(lambda: "★ recommended" in "".join(r[2] for r in page.file_rows()), timeout=15_000)
    rows = {row[0]: row for row in page.file_rows()}
    assert set(rows) == {"Q4_1 (3 parts)", "Q8_0", "mmproj F16 · vision projector"}
    served = catalogue.state.repos[SPLIT_REPO].files
    total = sum(f.size for name, f in served.items() if name.startswith("Q4_1/"))
    assert rows["Q4_1 (3 parts)"][1] == f"{total / 1e6:.1f} MB"
    assert rows["mmproj F16 · vision projector"][2] == "not a chat model"
    # With 16 GB free both fit: the larger quant is recommended and preselected.
    assert rows["Q8_0"][2] == "fits  ★ recommended" and page.current_choice().label == "Q8_0"
    assert page.fit_line.text().startswith("Fits: needs about")
    assert "real header" in page.fit_line.text()
    assert page.download_button.text().startswith("Download Q8_0")
    assert "model card" in page.repo_title.text()


def test_nothing_fits_a_small_machine_and_the_smallest_is_offered(qtbot, make_hearth, catalogue):
    hearth = make_hearth(include_starter=False, memory_probe=lambda: (150_000_000, 1_000_000_000))
    manager = open_manager(qtbot, hearth)
    page = search(qtbot, manager, catalogue, "split")
    page.choose_repo(SPLIT_REPO)
    qtbot.waitUntil(lambda: "★" in "".join(r[2] for r in page.file_rows()), timeout=15_000)
    verdicts = {row[0]: row[2] for row in page.file_rows()}
    assert verdicts["Q8_0"].startswith(fit.WONT_FIT) or verdicts["Q8_0"].startswith(fit.TIGHT)
    assert page.fit_line.text().startswith(("Won't fit", "Tight"))


def test_gated_repo_says_it_needs_a_token_and_works_with_one(qtbot, make_hearth, catalogue):
    hearth = make_hearth(include_starter=False, memory_probe=PLENTY)
    manager = open_manager(qtbot, hearth)
    page = search(qtbot, manager, catalogue, "gemma")
    assert page.results.topLevelItem(0).text(0) == f"{GATED_REPO}  (gated)"
    page.choose_repo(GATED_REPO)
    qtbot.waitUntil(lambda: "Gated" in page.repo_note.text(), timeout=10_000)
    # Without a token even the header is out of reach: the fit line says why.
    qtbot.waitUntil(lambda: "needs a Hugging Face token" in page.fit_line.text(), timeout=10_000)
    page.choose_file("Q4_K_M")
    page.download_button.click()
    rows = manager.downloads_page.rows
    qtbot.waitUntil(lambda: any("needs a Hugging Face token" in r.detail.text() for r in rows.values()),
                    timeout=15_000)
    [row] = rows.values()
    assert row.resume_button.text() == "Retry" and not row.resume_button.isHidden()
    assert f'<a href="{catalogue.url}/{GATED_REPO}">' in row.detail.text()  # where to accept the license

    hearth.hub.save_token(TOKEN)  # what the token dialog does with pasted text
    qtbot.waitUntil(lambda: "hearth-tester" in manager.account.text(), timeout=10_000)
    row.resume_button.click()
    qtbot.waitUntil(lambda: "verified" in row.detail.text(), timeout=30_000)
    hearth.hub.forget_token()


def test_download_with_progress_lands_in_the_library_and_answers(qtbot, make_hearth, catalogue, home):
    catalogue.state.bytes_per_second = 60_000_000  # slow enough to watch the progress bar move
    hearth = make_hearth(include_starter=False, memory_probe=PLENTY)
    manager = open_manager(qtbot, hearth)
    page = search(qtbot, manager, catalogue, "split")
    page.choose_repo(SPLIT_REPO)
    qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=15_000)
    page.choose_file("Q4_1 (3 parts)")
    assert page.download_button.text().startswith("Download Q4_1")
    page.download_button.click()
    assert manager.tabs.tabText(1) == "Downloads (1)"
    [row] = manager.downloads_page.rows.values()
    seen = set()
    qtbot.waitUntil(lambda: seen.add(row.detail.text()) or "verified" in row.detail.text(), timeout=60_000)
    assert any("MB/s" in text and "left" in text for text in seen), seen
    assert row.bar.value() == 1000 and manager.tabs.tabText(1) == "Downloads"

    folder = home.models / "hearth-test" / "SmolLM2-135M-split-GGUF" / "Q4_1"
    assert sorted(p.name for p in folder.iterdir()) == [f"SmolLM2-135M-Instruct-Q4_1-0000{i}-of-00003.gguf"
                                                        for i in (1, 2, 3)]
    assert not list(home.downloads.rglob("*.part"))
    first = str(folder / "SmolLM2-135M-Instruct-Q4_1-00001-of-00003.gguf")
    qtbot.waitUntil(lambda: first in [str(e.path) for e in hearth.window.picker.entries], timeout=10_000)
    assert "SmolLM2-135M-Instruct · Q4_1 · 3 parts" in manager.library_page.names()

    manager.library_page.select(first)
    manager.library_page.use_button.click()  # "Chat with it": the split model loads as one
    wait_ready(qtbot, hearth)
    assert "Paris" in ask(qtbot, hearth).text


def test_offline_search_says_so_and_the_library_keeps_working(qtbot, make_hearth, catalogue, smollm_path):
    hearth = make_hearth(include_starter=True)
    hearth.hub_client.endpoint = "http://127.0.0.1:9"  # nothing listens there: like a cable pulled out
    hearth.hub_client._api.endpoint = hearth.hub_client.endpoint
    manager = open_manager(qtbot, hearth)
    page = manager.discover
    # The empty box's Recommended list says it is offline in its own words, and still lists its models
    qtbot.waitUntil(lambda: "offline" in page.status.text(), timeout=15_000)
    assert page.status.text().startswith("You're offline: the Recommended list shows estimated sizes")
    assert page.recommended.rows()
    qtbot.keyClicks(page.query, "qwen")
    qtbot.waitUntil(lambda: "searching" in page.status.text(), timeout=15_000)
    assert page.status.text().startswith("You're offline: searching Hugging Face needs a network connection.")
    assert "downloaded models, chat and voice input still work" in page.status.text()
    qtbot.waitUntil(lambda: [e.path for e in hearth.window.picker.entries] == [smollm_path], timeout=10_000)
    hearth.window.picker.select(str(smollm_path))
    wait_ready(qtbot, hearth)


def test_library_lists_other_apps_and_deletes_with_confirmation(qtbot, make_hearth, catalogue, home, smollm_path,
                                                               gemma_path):
    from huggingface_hub import hf_hub_download

    cached = hf_hub_download(SMOL_REPO, "smollm2-135m-instruct-q4_1.gguf")  # the real Hugging Face cache
    lm_studio = home.user_home / ".lmstudio" / "models" / "lmstudio-community" / "gemma-GGUF"
    lm_studio.mkdir(parents=True)
    shutil.copyfile(gemma_path, lm_studio / "gemma-3-270m-Q4_K_M.gguf")
    own = home.models / "unsloth" / "gemma-GGUF"
    own.mkdir(parents=True)
    shutil.copyfile(gemma_path, own / "gemma-3-270m-Q4_K_M.gguf")

    hearth = make_hearth(include_starter=False)
    manager = open_manager(qtbot, hearth)
    library = manager.library_page
    qtbot.waitUntil(lambda: library.tree.topLevelItemCount() == 3, timeout=10_000)
    sources = {library.tree.topLevelItem(i).text(2): library.tree.topLevelItem(i).text(3) for i in range(3)}
    assert sources == {"models folder": str(own / "gemma-3-270m-Q4_K_M.gguf"), "Hugging Face cache": cached,
                       "LM Studio": str(lm_studio / "gemma-3-270m-Q4_K_M.gguf")}

    asked = []
    manager.ask = lambda title, text, choices: asked.append(text) or "Delete"
    library.select(cached)
    library.delete_button.click()
    assert "outside Hearth's models folder" in asked[-1] and "blobs" in asked[-1]  # says what else goes
    library.select(str(own / "gemma-3-270m-Q4_K_M.gguf"))
    assert "block count" in library.details.toPlainText()
    library.delete_button.click()
    assert "outside" not in asked[-1] and str(own / "gemma-3-270m-Q4_K_M.gguf") in asked[-1]
    qtbot.waitUntil(lambda: library.tree.topLevelItemCount() == 1, timeout=10_000)
    assert not own.exists() and not (home.models / "unsloth").exists()  # no empty folders left behind
    assert (lm_studio / "gemma-3-270m-Q4_K_M.gguf").exists()

    manager.ask = lambda *_: ""  # the user cancels: nothing happens
    library.select(str(lm_studio / "gemma-3-270m-Q4_K_M.gguf"))
    library.delete_button.click()
    assert (lm_studio / "gemma-3-270m-Q4_K_M.gguf").exists()


@pytest.mark.parametrize("mode", ["copy", "move", "link"])
def test_import_brings_a_file_into_the_models_folder(qtbot, make_hearth, home, smollm_path, tmp_path, mode):
    source = tmp_path / "elsewhere" / "my-model-Q4_1.gguf"
    source.parent.mkdir()
    shutil.copyfile(smollm_path, source)
    hearth = make_hearth(include_starter=False)
    manager = open_manager(qtbot, hearth)
    manager.import_file(str(source), mode)
    target = home.models / "imported" / "my-model-Q4_1.gguf"
    qtbot.waitUntil(lambda: "my-model · Q4_1" in manager.library_page.names(), timeout=10_000)
    assert target.exists() and source.exists() == (mode != "move")
    assert target.is_symlink() == (mode == "link")
    assert manager.library_page.current_entry().path == target


def test_import_refuses_a_file_that_is_not_a_model(qtbot, make_hearth, home, tmp_path):
    bad = tmp_path / "notes.gguf"
    bad.write_text("just text")
    hearth = make_hearth(include_starter=False)
    manager = open_manager(qtbot, hearth)
    manager.import_file(str(bad), "copy")
    qtbot.waitUntil(lambda: "not a GGUF model" in manager.notice.text(), timeout=10_000)
    assert not any(home.models.rglob("*.gguf"))


def test_pause_resume_and_cancel_from_the_downloads_tab(qtbot, make_hearth, catalogue, home):
    catalogue.state.bytes_per_second = 20_000_000
    hearth = make_hearth(include_starter=False, memory_probe=PLENTY)
    manager = open_manager(qtbot, hearth)
    page = search(qtbot, manager, catalogue, "Instruct")
    page.choose_repo(SMOL_REPO)
    qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=15_000)
    page.download_button.click()
    manager.tabs.setCurrentIndex(1)
    [row] = manager.downloads_page.rows.values()
    qtbot.waitUntil(lambda: row.bar.value() > 50, timeout=20_000)
    qtbot.mouseClick(row.pause_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "paused" in row.detail.text(), timeout=10_000)
    assert row.resume_button.isVisible() and not row.pause_button.isVisible()
    kept = next(home.downloads.rglob("*.part")).stat().st_size
    catalogue.state.bytes_per_second = 0
    qtbot.mouseClick(row.resume_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "verified" in row.detail.text(), timeout=30_000)
    assert catalogue.state.requests[-1].start == kept
    assert not row.cancel_button.isVisible()

    # A second download, cancelled half-way: its partial file goes, nothing reaches the models folder.
    catalogue.state.bytes_per_second = 20_000_000
    page = search(qtbot, manager, catalogue, "gemma")  # the first model is in the library now: a chat, not a download
    page.choose_repo(GATED_REPO)
    hearth.hub.save_token(TOKEN)
    qtbot.waitUntil(lambda: "hearth-tester" in manager.account.text(), timeout=10_000)
    qtbot.waitUntil(lambda: page.file_rows() != [], timeout=10_000)
    page.choose_file("Q4_K_M")
    page.download_button.click()
    qtbot.waitUntil(lambda: len(manager.downloads_page.rows) == 2, timeout=5_000)
    second = next(r for r in manager.downloads_page.rows.values() if r is not row)
    qtbot.waitUntil(lambda: second.bar.value() > 20, timeout=20_000)
    answering(qtbot, "Discard", lambda: qtbot.mouseClick(second.cancel_button, Qt.LeftButton))
    qtbot.waitUntil(lambda: len(manager.downloads_page.rows) == 1, timeout=10_000)
    assert not list(home.downloads.rglob("*.part"))
    assert not (home.models / "google").exists()
    hearth.hub.forget_token()


def test_a_whisper_model_downloads_and_transcribes(qtbot, make_hearth, hub, home, tmp_path):
    from app.engine.speech import find_starter_speech_model
    from tests import voice_helpers as mic

    tiny = find_starter_speech_model()
    files = {p.name: p for p in tiny.iterdir() if p.is_file()}
    hub.add_repo("Systran/faster-whisper-tiny.en", {**files, "README.md": b"# tiny.en", ".gitattributes": b"*"},
                 downloads=400)
    hub.add_repo("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", {"x.gguf": b"GGUF"})  # a chat repo: not listed
    hearth = make_hearth(include_starter=False)
    manager = open_manager(qtbot, hearth)
    page = manager.discover
    page.kind.setCurrentIndex(1)  # Speech models (Whisper)
    qtbot.waitUntil(lambda: page.result_ids() == ["Systran/faster-whisper-tiny.en"], timeout=10_000)
    assert any(q.get("filter") == ["ctranslate2"] for q in hub.state.searches), hub.state.searches
    page.choose_repo("Systran/faster-whisper-tiny.en")
    qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=10_000)
    [row] = page.file_rows()
    assert row[0] == f"faster-whisper model ({len(files)} files)" and row[2] == "for Voice"
    page.download_button.click()
    [download] = manager.downloads_page.rows.values()
    qtbot.waitUntil(lambda: "verified" in download.detail.text(), timeout=30_000)
    folder = home.models / "Systran" / "faster-whisper-tiny.en"
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)  # no README, no dotfiles

    assert (str(folder), "Systran/faster-whisper-tiny.en") in hearth.voice.speech_models()
    hearth.window.voice_menu.choose_speech_model(str(folder))
    loaded = []
    hearth.voice.model_loaded.connect(loaded.append)
    hearth.open_dictation()
    qtbot.addWidget(hearth.dictation)
    hearth.dictation.transcribe(str(mic.speak("Open the window and let the fresh air in.", tmp_path / "a.wav")))
    qtbot.waitUntil(lambda: hearth.dictation.status.text().startswith("Transcribed"), timeout=60_000)
    assert loaded and loaded[0]["path"] == str(folder)
    assert mic.word_error_rate("Open the window and let the fresh air in.", hearth.dictation.text.toPlainText()) <= 0.25


HOSTILE = '<a href="file:///home">x</a>.gguf'


def test_a_hostile_file_name_is_refused_and_shown_as_text_not_markup(qtbot, make_hearth, hub, smollm_path):
    hub.add_repo("evil/markup-GGUF", {HOSTILE: smollm_path}, downloads=5)
    hearth = make_hearth(include_starter=False, memory_probe=PLENTY)
    manager = open_manager(qtbot, hearth)
    page = search(qtbot, manager, hub, "markup")
    page.choose_repo("evil/markup-GGUF")
    qtbot.waitUntil(lambda: "will not write" in page.repo_note.text(), timeout=10_000)
    note = page.repo_note.text()
    assert "&lt;a href=" in note and '<a href="file:' not in note, note  # the name is text; only "model card" links
    assert page.repo_note.textFormat() == Qt.RichText and page.fit_line.textFormat() == Qt.PlainText
    assert page.status.textFormat() == Qt.PlainText
