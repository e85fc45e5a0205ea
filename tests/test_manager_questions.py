"""The Model manager asks before it spends bytes or throws them away, and knows what is already here.

The real window, the real QMessageBox (found on screen and clicked, as a user would), the real queue
against the local Hub server.
"""
from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt

from app.core import fit
from app.core.download_queue import PAUSED
from tests.hub_server import SEARCH, Fault
from test_main_window import wait_ready
from test_model_manager import (PLENTY, SMOL_REPO, SPLIT_REPO, answering, catalogue, open_manager,  # noqa: F401
                                search, split_parts)

SMOL_FILE = "smollm2-135m-instruct-q4_1.gguf"


def wont_fit_row(page) -> str:
    """The title of a quant the page marks "won't fit" (as the Fit column shows it)."""
    for index in range(page.files.topLevelItemCount()):
        item = page.files.topLevelItem(index)
        if item.text(2).startswith(fit.WONT_FIT):
            return item.data(0, Qt.UserRole).title
    pytest.fail(f"nothing is marked won't fit: {page.file_rows()}")


def test_a_quant_that_wont_fit_asks_before_it_downloads(qtbot, make_hearth, catalogue):
    hearth = make_hearth(include_starter=False, memory_probe=lambda: (150_000_000, 1_000_000_000))
    manager = open_manager(qtbot, hearth)
    page = search(qtbot, manager, catalogue, "split")
    page.choose_repo(SPLIT_REPO)
    qtbot.waitUntil(lambda: "★" in "".join(r[2] for r in page.file_rows()), timeout=15_000)
    page.choose_file(wont_fit_row(page))
    chosen = page.current_choice()
    assert page.download_button.isEnabled()

    seen = answering(qtbot, "Cancel", page.download_button.click)
    assert "won't fit this computer" in seen["text"] and "Download anyway" in seen["buttons"]
    assert manager.downloads_page.rows == {} and hearth.downloads.downloads() == []  # nothing started

    answering(qtbot, "Download anyway", page.download_button.click)
    qtbot.waitUntil(lambda: len(manager.downloads_page.rows) == 1, timeout=5_000)
    [download] = hearth.downloads.downloads()
    assert download.label == chosen.label


def test_cancel_asks_whether_to_keep_the_bytes_or_discard_them(qtbot, make_hearth, catalogue, home):
    catalogue.state.bytes_per_second = 20_000_000
    hearth = make_hearth(include_starter=False, memory_probe=PLENTY)
    manager = open_manager(qtbot, hearth)
    page = search(qtbot, manager, catalogue, "Instruct")
    page.choose_repo(SMOL_REPO)
    qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=15_000)
    page.download_button.click()
    manager.tabs.setCurrentIndex(1)
    [row] = manager.downloads_page.rows.values()
    qtbot.waitUntil(lambda: row.bar.value() > 30, timeout=20_000)

    seen = answering(qtbot, "Go on downloading", lambda: qtbot.mouseClick(row.cancel_button, Qt.LeftButton))
    assert seen["buttons"][:2] == ["Keep for later", "Discard"] and "are downloaded" in seen["text"]
    assert hearth.downloads.downloads()[0].state in ("downloading", "queued")  # dismissed: nothing changed

    answering(qtbot, "Keep for later", lambda: qtbot.mouseClick(row.cancel_button, Qt.LeftButton))
    qtbot.waitUntil(lambda: "paused" in row.detail.text(), timeout=10_000)
    assert hearth.downloads.downloads()[0].state == PAUSED
    kept = next(home.downloads.rglob("*.part")).stat().st_size
    assert kept > 0 and row.resume_button.isVisible()

    answering(qtbot, "Discard", lambda: qtbot.mouseClick(row.cancel_button, Qt.LeftButton))
    qtbot.waitUntil(lambda: manager.downloads_page.rows == {}, timeout=10_000)
    assert not list(home.downloads.rglob("*.part")) and hearth.downloads.downloads() == []


def test_discover_marks_a_quant_already_in_the_library_and_offers_to_chat(qtbot, make_hearth, catalogue, home,
                                                                         smollm_path):
    own = home.models / "HuggingFaceTB" / "SmolLM2-135M-Instruct-GGUF" / SMOL_FILE  # as a download leaves it
    own.parent.mkdir(parents=True)
    shutil.copyfile(smollm_path, own)
    hearth = make_hearth(include_starter=False, memory_probe=PLENTY)
    manager = open_manager(qtbot, hearth)
    qtbot.waitUntil(lambda: any(e.path == own for e in hearth.library.entries), timeout=30_000)
    page = search(qtbot, manager, catalogue, "Instruct")
    page.choose_repo(SMOL_REPO)
    qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=15_000)
    assert page.repo_note.text().startswith("1 quantization to choose from.")
    # The library's news reaches Discover by signal: on a busy machine it may follow the file list.
    qtbot.waitUntil(lambda: [row[0] for row in page.file_rows()] == ["Q4_1 · in your library"], timeout=15_000)
    assert page.download_button.text() == "Chat with Q4_1 (in your library)"

    page.download_button.click()
    wait_ready(qtbot, hearth, timeout=60_000)
    assert hearth.downloads.downloads() == []  # nothing was downloaded again
    assert hearth.window.picker.current_entry().path == own  # the chat loaded the file already here


def test_a_search_the_hub_asks_to_wait_for_says_so_then_answers(qtbot, make_hearth, catalogue):
    catalogue.fail_next(SEARCH, Fault("status", status=429, headers={"Retry-After": "1"}))
    hearth = make_hearth(include_starter=False, memory_probe=PLENTY)
    shown = set()
    manager = open_manager(qtbot, hearth)
    page = manager.discover
    page.query.setText("GGUF")
    page.search_now()
    qtbot.waitUntil(lambda: shown.add(page.status.text()) or len(page.result_ids()) == 3, timeout=15_000)
    assert any(text.startswith("The Hub asks to wait 1 s, then Hearth will search for models again")
               for text in shown), shown
    assert page.status.text() == "3 GGUF repos"
