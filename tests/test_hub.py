"""The real huggingface_hub client against the local Hub server: search, listing, headers, tokens."""
from __future__ import annotations

import socket

import pytest

from app.core import fit, quant_advice
from app.core.hub import HubClient, HubError
from app.core.hub_files import UnsafePathError, choices
from app.core.gguf_info import read_gguf_info
from tests.hub_server import TOKEN


@pytest.fixture
def repos(hub, smollm_path, gemma_path):
    hub.add_repo("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", {"smollm2-135m-instruct-q4_1.gguf": smollm_path},
                 downloads=900, likes=10, last_modified="2025-03-01T00:00:00.000Z")
    hub.add_repo("unsloth/gemma-3-270m-GGUF", {"gemma-3-270m-Q4_K_M.gguf": gemma_path},
                 downloads=500, likes=40, last_modified="2026-05-01T00:00:00.000Z")
    hub.add_repo("someone/tiny-llama-GGUF", {"tiny.Q8_0.gguf": b"GGUF"}, downloads=10, likes=1,
                 last_modified="2024-01-01T00:00:00.000Z")
    return hub


def test_search_sorts_by_downloads_likes_or_recency(repos):
    client = HubClient(repos.url)
    assert [r.repo_id for r in client.search("", "downloads")] == [
        "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", "unsloth/gemma-3-270m-GGUF", "someone/tiny-llama-GGUF"]
    assert client.search("", "likes")[0].repo_id == "unsloth/gemma-3-270m-GGUF"
    assert client.search("", "recent")[0].repo_id == "unsloth/gemma-3-270m-GGUF"
    [found] = client.search("smollm")
    assert (found.author, found.downloads, found.likes) == ("HuggingFaceTB", 900, 10)
    assert found.last_modified.year == 2025
    assert found.url == f"{repos.url}/HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"


def test_search_asks_the_hub_for_gguf_repos_only(repos):
    HubClient(repos.url).search("gemma", "likes")
    [query] = repos.state.searches
    assert query["filter"] == ["gguf"] and query["search"] == ["gemma"] and query["sort"] == ["likes"]


def test_offline_and_rate_limited_say_so_plainly(repos):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens here now
    with pytest.raises(HubError) as offline:
        HubClient(f"http://127.0.0.1:{port}").search("llama")
    assert offline.value.kind == "offline"
    assert offline.value.message.startswith("You're offline: searching Hugging Face needs a network connection.")
    assert "downloaded models, chat and voice input still work" in offline.value.message
    repos.state.search_status = 429
    with pytest.raises(HubError) as limited:
        HubClient(repos.url).search("llama")
    assert limited.value.kind == "rate limited" and "limiting requests" in limited.value.message


def test_file_listing_has_sizes_sha256_and_the_commit(repos, smollm_path):
    listing = HubClient(repos.url).list_files("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF")
    [single] = listing.files
    assert single.size == smollm_path.stat().st_size
    import hashlib

    assert single.sha256 == hashlib.sha256(smollm_path.read_bytes()).hexdigest()
    assert listing.revision == repos.state.repos["HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"].sha


def test_hostile_names_in_a_listing_are_refused(hub):
    hub.add_repo("evil/repo-GGUF", {"../../../outside.gguf": b"GGUF", "ok.gguf": b"GGUF"})
    with pytest.raises(UnsafePathError):
        HubClient(hub.url).list_files("evil/repo-GGUF")


def test_private_repo_needs_a_token(hub):
    hub.add_repo("me/private-GGUF", {"a.gguf": b"GGUF"}, private=True)
    with pytest.raises(HubError) as refused:
        HubClient(hub.url).list_files("me/private-GGUF")
    assert refused.value.kind in ("access", "not found")
    assert refused.value.link == f"{hub.url}/me/private-GGUF"
    listing = HubClient(hub.url, token=TOKEN).list_files("me/private-GGUF")
    assert [f.name for f in listing.files] == ["a.gguf"]


def test_remote_header_reads_only_the_start_of_the_file(repos, smollm_path):
    client = HubClient(repos.url)
    listing = client.list_files("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF")
    remote = client.read_header(listing.repo_id, listing.files[0], listing.revision)
    local = read_gguf_info(smollm_path)
    assert remote.metadata == local.metadata and remote.data_offset == local.data_offset
    assert remote.parameter_count == local.parameter_count
    sent = repos.state.sent("smollm2-135m-instruct-q4_1.gguf")
    assert 0 < sent < 4_000_000 < local.file_size  # a few MB at most, not the 98 MB model


def test_advice_recommends_the_largest_quant_that_fits(repos, smollm_path):
    client = HubClient(repos.url)
    listing = client.list_files("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF")
    header = client.read_header(listing.repo_id, listing.files[0], listing.revision)
    from app.core.hub_files import HubFile

    offered = choices([HubFile("m-Q4_1.gguf", 98_000_000, "a"), HubFile("m-Q8_0.gguf", 180_000_000, "b"),
                       HubFile("m-F16.gguf", 340_000_000, "c"), HubFile("mmproj-m-f16.gguf", 90_000_000, "d")])
    def judge_with(available):
        return lambda info: fit.judge(fit.estimate(info, 4096).total, available, 4_000_000_000)

    advice = quant_advice.advise(offered, header, judge_with(700_000_000))  # F16 needs over 80% of 700 MB
    verdicts = {a.choice.label: a.fit.verdict if a.fit else None for a in advice}
    assert verdicts["mmproj F16"] is None
    assert verdicts["Q4_1"] == fit.FITS and verdicts["F16"] != fit.FITS
    assert quant_advice.recommended(advice).label == "Q8_0"
    assert quant_advice.recommended(quant_advice.advise(offered, header, judge_with(50_000_000))).label == "Q4_1"


def test_token_is_checked_and_kept_by_huggingface_hub(hub, tmp_path):
    import os

    from huggingface_hub import constants, get_token

    client = HubClient(hub.url)
    assert client.token_owner() == ""
    with pytest.raises(HubError):
        client.save_token("hf_wrong")
    assert client.save_token(f"  {TOKEN}\n") == "hearth-tester"
    assert get_token() == TOKEN
    assert os.path.dirname(constants.HF_TOKEN_PATH).startswith(os.environ["HF_HOME"])
    assert client.token_owner() == "hearth-tester"
    client.forget_token()
    assert get_token() is None
