"""Discover with an empty search box: the Recommended list, ranked for this computer, against the local Hub."""
from __future__ import annotations

from app.core import fit
from app.core.gguf_info import format_bytes
from app.core.recommended import CATALOGUE
from app.gui.models.recommended_view import TITLE
from test_model_manager import open_manager, search

GEMMA_1B = "bartowski/google_gemma-3-1b-it-GGUF"
SMOL_360M = "HuggingFaceTB/SmolLM2-360M-Instruct-GGUF"
FOUR_GB_FREE = lambda: (4_000_000_000, 8_000_000_000)  # noqa: E731 - a small laptop


def published(hub, smollm_path, gemma_path):
    """Two of the catalogue's repos, with the test models' real bytes under the names the uploaders use."""
    hub.add_repo(GEMMA_1B, {"google_gemma-3-1b-it-Q4_K_M.gguf": smollm_path,
                            "google_gemma-3-1b-it-Q8_0.gguf": gemma_path}, downloads=800)
    hub.add_repo(SMOL_360M, {"smollm2-360m-instruct-q8_0.gguf": smollm_path}, downloads=300)
    return hub


def rows_by_name(view) -> dict[str, tuple[str, ...]]:
    return {row[0]: row for row in view.rows()}


def test_an_empty_search_shows_the_recommended_list_ranked_and_one_click_downloads(
        qtbot, make_hearth, hub, smollm_path, gemma_path, home):
    published(hub, smollm_path, gemma_path)
    hearth = make_hearth(include_starter=False, memory_probe=FOUR_GB_FREE)
    manager = open_manager(qtbot, hearth)
    page = manager.discover
    view = page.recommended
    assert page.query.text() == "" and page.left.currentWidget() is view and view.isVisible()
    assert view.title.text() == TITLE
    # The Hub's real sizes replace the estimates for the repos it lists.
    qtbot.waitUntil(lambda: "real file sizes" in view.note.text(), timeout=20_000)
    rows = rows_by_name(view)
    assert len(rows) == len(CATALOGUE)
    gemma = rows["Gemma 3 1B it"]
    assert gemma[1] == "Small and quick, with clear plain English" and gemma[2] == "Gemma"
    assert gemma[6] == "Gemma terms" and rows["Qwen3 8B"][6] == "Apache-2.0"
    assert gemma[3] == "Q8_0" and gemma[4] == format_bytes(gemma_path.stat().st_size)  # both fit: the larger
    assert rows["SmolLM2 360M Instruct"][4] == format_bytes(smollm_path.stat().st_size)
    assert rows["Qwen3 8B"][4].startswith("≈ ")  # not on this Hub: still an estimate, marked
    # Ranked for 4 GB free: what fits first, the largest first; what is too big last, marked.
    verdicts = [row[5] for row in view.rows()]
    assert verdicts == sorted(verdicts, key=["fits", "tight", "too big"].index)
    assert rows["Qwen3 14B"][5] == "too big" and rows["Qwen3 8B"][5] == "too big"
    assert rows["SmolLM2 360M Instruct"][5] == "fits" and rows["Qwen3 4B"][5] == "fits"
    fitting = [p.model.parameters for p in view.picks if p.verdict == fit.FITS]
    assert fitting == sorted(fitting, reverse=True)
    assert "4.0 GB of 8.0 GB RAM free" in view.note.text()
    assert not page.sort.isEnabled()  # ranked by fit, not by the Hub's sort

    view.choose(GEMMA_1B)  # what a click on the row does
    qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=15_000)
    assert page.current_choice().label == "Q8_0"  # preselected
    assert page.download_button.text().startswith("Download Q8_0")
    qtbot.waitUntil(lambda: "★" in "".join(r[2] for r in page.file_rows()), timeout=15_000)
    assert page.current_choice().label == "Q8_0"  # the real header's verdict keeps the choice
    page.download_button.click()
    [row] = manager.downloads_page.rows.values()
    qtbot.waitUntil(lambda: "verified" in row.detail.text(), timeout=60_000)
    target = home.models / "bartowski" / "google_gemma-3-1b-it-GGUF" / "google_gemma-3-1b-it-Q8_0.gguf"
    assert target.read_bytes() == gemma_path.read_bytes()

    # Typing searches the Hub; emptying the box brings the list back.
    search(qtbot, manager, hub, "SmolLM2")
    assert page.left.currentWidget() is page.results and page.result_ids() == [SMOL_360M]
    manager.show_recommended()
    assert page.query.text() == "" and page.left.currentWidget() is view
    qtbot.waitUntil(lambda: "real file sizes" in view.note.text(), timeout=10_000)


def test_with_the_hub_unreachable_the_list_shows_estimates_and_says_so(qtbot, make_hearth, hub):
    hearth = make_hearth(include_starter=False, memory_probe=FOUR_GB_FREE)
    hearth.hub_client.endpoint = "http://127.0.0.1:9"  # nothing listens there: like a cable pulled out
    hearth.hub_client._api.endpoint = hearth.hub_client.endpoint
    hearth.open_manager()
    manager = hearth.manager
    qtbot.addWidget(manager)
    manager.show_recommended()  # what the welcome screen's button does
    page, view = manager.discover, manager.discover.recommended
    qtbot.waitUntil(lambda: "offline" in page.status.text(), timeout=15_000)
    assert page.status.text().startswith("You're offline: the Recommended list shows estimated sizes")
    assert "estimates from each model's parameter count: the Hub could not list the files" in view.note.text()
    rows = view.rows()
    assert len(rows) == len(CATALOGUE) and all(row[4].startswith("≈ ") for row in rows)
    assert rows[0][5] == "fits" and rows[-1][5] == "too big"
    assert not hub.state.routes  # the local Hub was never asked
