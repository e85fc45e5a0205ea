"""The Model manager's notice line says what is under way only while it is: an import that is done, a
download that was paused or cancelled, no longer read "Importing…" or "Downloading…"."""
from __future__ import annotations

import shutil

from PySide6.QtCore import Qt

from test_model_manager import (PLENTY, SMOL_REPO, answering, catalogue, open_manager, search,  # noqa: F401
                                split_parts)


def test_importing_says_when_it_is_done(qtbot, make_hearth, home, smollm_path, tmp_path):
    source = tmp_path / "my-model-Q4_1.gguf"
    shutil.copyfile(smollm_path, source)
    hearth = make_hearth(include_starter=False)
    manager = open_manager(qtbot, hearth)
    manager.import_file(str(source), "copy")
    assert manager.notice.text() == "Importing my-model-Q4_1.gguf…"
    qtbot.waitUntil(lambda: "my-model · Q4_1" in manager.library_page.names(), timeout=10_000)
    qtbot.waitUntil(lambda: "Importing" not in manager.notice.text(), timeout=5_000)
    assert manager.notice.text() == "Imported my-model-Q4_1.gguf: it is in your library."


def test_downloading_clears_after_cancel_and_after_pause(qtbot, make_hearth, catalogue, home):  # noqa: F811
    catalogue.state.bytes_per_second = 2_000_000  # slow: the download is still running when the user acts
    hearth = make_hearth(include_starter=False, memory_probe=PLENTY)
    manager = open_manager(qtbot, hearth)
    page = search(qtbot, manager, catalogue, "Instruct")
    page.choose_repo(SMOL_REPO)
    qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=15_000)
    rows = manager.downloads_page.rows

    def start():
        page.download_button.click()
        assert manager.notice.text().startswith(f"Downloading {SMOL_REPO}")
        [row] = rows.values()
        qtbot.waitUntil(lambda: row.bar.value() > 0, timeout=20_000)
        return row

    row = start()
    answering(qtbot, "Discard", lambda: qtbot.mouseClick(row.cancel_button, Qt.LeftButton))
    qtbot.waitUntil(lambda: not rows, timeout=10_000)
    assert "Downloading" not in manager.notice.text()

    row = start()  # once more, and paused this time
    qtbot.mouseClick(row.pause_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "paused" in row.detail.text(), timeout=10_000)
    assert "Downloading" not in manager.notice.text()
