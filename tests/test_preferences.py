"""Edit ▸ Preferences, as a user meets it: each page changes its setting, the change takes effect at once
and is in settings.json; the models folder moves with a real model in it, and everything follows."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from app.core.hub import HubClient
from app.gui.shortcuts_window import key_text, plain_label
from app.paths import Paths
from app.settings import Settings
from conftest import copy_model
from tests.dialogs import answer_next, click, save_as

REPO_ID, NAME = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", "smollm2-135m-instruct-q4_1.gguf"


def saved(home: Paths) -> dict:
    return json.loads(home.settings_file.read_text(encoding="utf-8"))


def open_preferences(qtbot, hearth):
    window = hearth.window
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=5_000)
    qtbot.keyClick(window, Qt.Key_P, Qt.ControlModifier | Qt.ShiftModifier)
    qtbot.waitUntil(lambda: hearth.preferences is not None and hearth.preferences.isVisible(), timeout=5_000)
    return hearth.preferences


def listed(hearth) -> list[str]:
    return [str(e.path) for e in hearth.window.picker.entries]


def toggle(qtbot, box) -> None:
    """Tick or untick a check box from the keyboard (a click on a wide box's middle misses its label)."""
    box.setFocus()
    qtbot.keyClick(box, Qt.Key_Space)


def link_model(source: Path, folder: Path, name: str) -> Path:
    """A model file of its own at ``folder/name`` (a hard link: no 100 MB copy), or a copy across disks."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, folder / name)
    except OSError:
        shutil.copyfile(source, folder / name)
    return folder / name


@pytest.fixture
def other_disk():
    """A folder on another file system when there is one (/dev/shm), so the move copies instead of renaming."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    folder = Path(tempfile.mkdtemp(prefix="hearth-test-disk-", dir=base))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_preferences_have_their_own_key_and_every_page(qtbot, make_hearth):
    hearth = make_hearth(include_starter=False)
    window = hearth.window
    assert window.settings_action.shortcut().toString() == "Ctrl+,"  # still the conversation's settings
    assert window.preferences_action.shortcut().toString() == "Ctrl+Shift+P"
    edit = next(a.menu() for a in window.menuBar().actions() if plain_label(a.text()) == "Edit")
    assert window.preferences_action in edit.actions()
    preferences = open_preferences(qtbot, hearth)
    assert preferences.titles() == ["Load defaults", "Models", "Folders", "Appearance", "Voice", "Downloads"]
    assert preferences.pages["Models"].folder.text() == str(hearth.paths.models)
    window.show_shortcuts()
    assert (key_text(window.preferences_action.shortcuts()), "Preferences") in window.shortcuts_window.rows()


def test_moving_the_models_folder_takes_the_model_along_and_everything_follows(
        qtbot, make_hearth, home, smollm_path, hub, other_disk):
    old = copy_model(smollm_path, home.models / "imported")
    hearth = make_hearth(include_starter=False)
    qtbot.waitUntil(lambda: hearth.models.path == str(old) and hearth.models.ready, timeout=60_000)
    page = open_preferences(qtbot, hearth).show_page("Models")
    target = (other_disk / "models").resolve()
    target.mkdir()
    chosen = answer_next(QFileDialog, save_as(qtbot, str(target)))
    asked = answer_next(QMessageBox, click(qtbot, "Move the models"))
    qtbot.mouseClick(page.change_button, Qt.LeftButton)
    assert chosen and asked
    assert "1 file (98 MB)" in asked[0].text()
    qtbot.waitUntil(lambda: page.status.text().startswith("Moved 1 file"), timeout=60_000)
    moved = target / "imported" / old.name
    assert not old.exists() and moved.read_bytes() == smollm_path.read_bytes()
    assert page.folder.text() == str(target) and page.change_button.isEnabled()

    # The chosen model loads again from its new place; the library, the downloads and the window follow.
    qtbot.waitUntil(lambda: hearth.models.path == str(moved) and hearth.models.ready, timeout=60_000)
    assert listed(hearth) == [str(moved)]
    assert hearth.library.models_dir == target and hearth.downloads.queue.models_dir == target
    assert hearth.window.models_dir == target and hearth.paths.models == target
    assert saved(home)["models_folder"] == str(target) and saved(home)["last_model"] == str(moved)
    hub.add_repo(REPO_ID, {NAME: smollm_path})
    listing = HubClient(hub.url).list_files(REPO_ID)
    with qtbot.waitSignal(hearth.downloads.download_finished, timeout=60_000) as finished:
        hearth.downloads.queue.add(REPO_ID, listing.revision, "Q4_1", [f for f in listing.files if f.name == NAME])
    downloaded = target / REPO_ID / NAME
    assert finished.args[1] == str(downloaded) and downloaded.read_bytes() == smollm_path.read_bytes()
    qtbot.waitUntil(lambda: str(downloaded) in listed(hearth), timeout=10_000)
    assert not list(home.models.rglob("*.gguf"))
    # The next start uses the new folder.
    settings = Settings.load(home.settings_file)
    assert Paths.from_environment().with_models(settings.models_folder).models == target


def test_a_new_folder_can_be_used_without_moving_and_a_bad_one_is_refused(qtbot, make_hearth, home, smollm_path,
                                                                         tmp_path):
    old = copy_model(smollm_path, home.models / "imported")
    hearth = make_hearth(include_starter=False)
    qtbot.waitUntil(lambda: listed(hearth) == [str(old)], timeout=30_000)
    page = open_preferences(qtbot, hearth).show_page("Models")
    page.choose(str(home.models / "imported"))  # inside the models folder
    assert "inside the models folder" in page.status.text() and hearth.paths.models == home.models
    target = tmp_path / "empty"
    target.mkdir()
    answer_next(QMessageBox, click(qtbot, "Use the new folder"))
    page.choose(str(target))
    assert old.is_file()  # left where it was
    qtbot.waitUntil(lambda: listed(hearth) == [], timeout=30_000)
    assert hearth.library.models_dir == target.resolve() and saved(home)["models_folder"] == str(target.resolve())
    assert "stay there" in page.status.text()
    qtbot.waitUntil(lambda: str(target.resolve()) in hearth.window.view._placeholder.text(), timeout=5_000)


def test_folders_page_lists_in_place_and_switches_other_apps(qtbot, make_hearth, home, smollm_path, tmp_path):
    lm_studio = link_model(smollm_path, home.user_home / ".lmstudio" / "models" / "lmstudio-community" / "s",
                           "lm.gguf")
    hearth = make_hearth(include_starter=False)
    qtbot.waitUntil(lambda: str(lm_studio) in listed(hearth), timeout=30_000)
    page = open_preferences(qtbot, hearth).show_page("Folders")
    folder = tmp_path / "collection"
    in_place = link_model(smollm_path, folder, "mine.gguf")
    answer_next(QFileDialog, save_as(qtbot, str(folder)))
    qtbot.mouseClick(page.add_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: str(in_place) in listed(hearth), timeout=30_000)
    assert [page.folders.item(row).text() for row in range(page.folders.count())] == [str(folder)]
    assert saved(home)["model_folders"] == [str(folder)]

    toggle(qtbot, page.lm_studio)
    qtbot.waitUntil(lambda: str(lm_studio) not in listed(hearth), timeout=30_000)
    assert saved(home)["list_lm_studio"] is False
    toggle(qtbot, page.hf_cache)
    assert saved(home)["list_hf_cache"] is False and not hearth.library.sources().hf_cache_enabled

    page.folders.setCurrentRow(0)
    qtbot.mouseClick(page.remove_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: str(in_place) not in listed(hearth), timeout=30_000)
    assert page.folders.count() == 0 and saved(home)["model_folders"] == [] and in_place.is_file()
    toggle(qtbot, page.lm_studio)
    qtbot.waitUntil(lambda: str(lm_studio) in listed(hearth), timeout=30_000)
    assert saved(home)["list_lm_studio"] is True


def test_appearance_page_sets_the_theme_as_the_view_menu_does(qtbot, make_hearth, home):
    hearth = make_hearth(include_starter=False)
    page = open_preferences(qtbot, hearth).show_page("Appearance")
    try:
        toggle(qtbot, page.buttons["dark"])
        assert QApplication.palette().color(QPalette.Window).name() == "#202124"
        assert hearth.window.theme_actions["dark"].isChecked() and saved(home)["theme"] == "dark"
        hearth.window.theme_actions["light"].trigger()  # View ▸ Theme ▸ Light: the page shows it when next seen
        page.hide()
        page.show()
        assert page.buttons["light"].isChecked()
    finally:
        hearth.window.set_theme("system")


def test_voice_page_changes_what_the_recogniser_and_the_menu_use(qtbot, make_hearth, home):
    from app.engine.speech import find_starter_speech_model

    starter = find_starter_speech_model()
    downloaded = home.models / "Systran" / "faster-whisper-tiny.en"  # as a speech model download lands
    for part in starter.iterdir():
        link_model(part, downloaded, part.name)
    hearth = make_hearth(include_starter=False)
    page = open_preferences(qtbot, hearth).show_page("Voice")
    assert page.microphone.itemText(0) == "System default"
    models = [page.speech_model.itemData(row) for row in range(page.speech_model.count())]
    assert models == [path for path, _name in hearth.voice.speech_models()]
    page.language.setFocus()
    while page.language.currentText() != "German":
        index = page.language.currentIndex()
        qtbot.keyClick(page.language, Qt.Key_Down)
        assert page.language.currentIndex() != index
    page.prompt.setFocus()
    qtbot.keyClicks(page.prompt, "Hearth, GGUF")
    qtbot.keyClick(page.prompt, Qt.Key_Return)
    toggle(qtbot, page.send_dictated)
    settings = hearth.settings
    assert (settings.speech_language, settings.speech_prompt, settings.send_dictated) == ("de", "Hearth, GGUF", True)
    assert hearth.window.send_dictated_action.isChecked()
    menu = hearth.window.voice_menu
    menu._fill_languages()
    assert [a.text() for a in menu.language_menu.actions() if a.isChecked()] == ["German"]
    data = saved(home)
    assert (data["speech_language"], data["speech_prompt"], data["send_dictated"]) == ("de", "Hearth, GGUF", True)
    hearth.window.send_dictated_action.trigger()  # the menu's switch: the page follows
    assert not page.send_dictated.isChecked()
    assert models == [str(starter), str(downloaded)]
    page.speech_model.setFocus()
    qtbot.keyClick(page.speech_model, Qt.Key_Down)
    assert settings.speech_model == str(downloaded) and saved(home)["speech_model"] == str(downloaded)


def test_downloads_page_sets_the_stall_time_the_queue_uses(qtbot, make_hearth, home):
    hearth = make_hearth(include_starter=False)
    page = open_preferences(qtbot, hearth).show_page("Downloads")
    assert page.stall.value() == 30
    page.stall.setFocus()
    page.stall.selectAll()
    qtbot.keyClicks(page.stall, "12")
    qtbot.keyClick(page.stall, Qt.Key_Return)
    assert hearth.downloads.queue.limits.stall_seconds == 12
    assert saved(home)["download_stall_seconds"] == 12


def test_a_cancelled_move_leaves_the_models_and_the_settings_as_they_were(qtbot, make_hearth, home, smollm_path,
                                                                          other_disk):
    old = copy_model(smollm_path, home.models / "imported")
    hearth = make_hearth(include_starter=False)
    qtbot.waitUntil(lambda: hearth.models.path == str(old) and hearth.models.ready, timeout=60_000)
    page = open_preferences(qtbot, hearth).show_page("Models")
    target = other_disk / "models"
    target.mkdir()
    plan = hearth.models_folder.plan(str(target))
    if plan.same_device:
        pytest.skip("no second file system here: a rename is over before it can be cancelled")
    # Cancel as soon as the first bytes are across, as a user pressing the button would.
    hearth.models_folder.move_progress.connect(lambda *_: page.cancel_button.isVisible() and page.cancel_button.click())
    answer_next(QMessageBox, click(qtbot, "Move the models"))
    page.choose(str(target))
    qtbot.waitUntil(lambda: "cancelled" in page.status.text(), timeout=60_000)
    assert old.read_bytes() == smollm_path.read_bytes() and not list(target.rglob("*"))
    qtbot.waitUntil(lambda: hearth.models.path == str(old) and hearth.models.ready, timeout=60_000)
    assert hearth.library.models_dir == home.models and page.folder.text() == str(home.models)
    assert hearth.settings.models_folder == "" and page.change_button.isEnabled()
