"""Every Hub question ends, in bounded time and memory, with a sentence: the real huggingface_hub client
against the local Hub server misbehaving on purpose (slow headers, endless bodies, huge and hostile answers).

Deadlines are passed in small (through ``NetLimits``), so each test takes a second or two; a test that
would hang on code without the guard runs its request on a thread and fails when the bound passes.
"""
from __future__ import annotations

import threading
import time
import tracemalloc
from dataclasses import replace

import pytest

from app.core.hub import HubClient, HubError
from app.core.hub_files import HubFile
from app.core.net_limits import DEFAULT_LIMITS
from app.core.errors import HearthError
from tests.hub_server import INFO, ROOT, SEARCH, Fault, gzip_zeros

REPO_ID = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"
NAME = "smollm2-135m-instruct-q4_1.gguf"
MB = 1_000_000
BOMB = 256 * MB  # inflates to this; about 250 KB on the wire
QUICK = replace(DEFAULT_LIMITS, request_seconds=1.5, probe_seconds=1.5, header_seconds=1.5, retry_base=0.05)


@pytest.fixture
def served(hub, smollm_path):
    hub.add_repo(REPO_ID, {NAME: smollm_path}, downloads=10)
    return smollm_path


@pytest.fixture(scope="module")
def bomb():
    gzip_zeros(BOMB)  # made once, before any deadline runs (the server caches it)
    return BOMB


def bounded(work, seconds: float = 20.0):
    """Run ``work`` on a thread; (its result or exception, seconds taken). Fails if it is still running."""
    outcome = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome["value"] = error

    began = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    return outcome["value"], time.monotonic() - began


def warmed(client: HubClient) -> HubClient:
    """The client with its HTTP stack built (imports, the shared session and its TLS context), so a test's
    clock measures the bound under test, not a first start-up on a busy machine."""
    from app.core import hub_http

    client._api  # noqa: B018 - imports huggingface_hub's HTTP stack and installs the guarded client
    hub_http.session()
    return client


def plain(error: Exception) -> str:
    """The message, checked to read as a sentence rather than an exception's text."""
    assert isinstance(error, HearthError), repr(error)
    message = error.message
    for raw in ("Error(", "Exception", "Traceback", "httpx", "errno", "line 1 column"):
        assert raw not in message, message
    return message


def test_search_against_trickled_headers_ends_at_its_deadline(served, hub):
    hub.fail_next(SEARCH, Fault("slow_headers", interval=0.2))  # 4 KB of headers: over 13 minutes
    client = warmed(HubClient(hub.url, limits=QUICK))
    error, took = bounded(lambda: client.search("smol"))
    assert isinstance(error, HubError) and error.kind == "timeout"
    assert "took longer than 1.5 s" in plain(error) and "search for models" in error.message
    assert took < 8  # a deadline of 1.5 s, with room for a busy machine; the headers alone would take 13 min


def test_the_reachability_probe_has_its_own_short_deadline(served, hub):
    hub.fail_next(ROOT, Fault("slow_headers", interval=0.2))
    client = warmed(HubClient(hub.url, limits=replace(QUICK, probe_seconds=0.5)))
    error, took = bounded(lambda: client.search("smol"))
    assert isinstance(error, HubError) and error.kind == "timeout" and "reach the Hub" in plain(error)
    assert hub.state.routes.count(SEARCH) == 0  # the probe's own deadline ended it, before the search
    assert took < 6  # probe 0.5 s (the search's own deadline is 1.5 s)


def test_a_header_read_whose_body_never_ends_stops_at_its_deadline(served, hub):
    hub.fail_next(NAME, Fault("trickle", after=1000, size=1, interval=0.05))  # then 20 bytes a second
    client = HubClient(hub.url, limits=QUICK)
    listing = client.list_files(REPO_ID)
    error, took = bounded(lambda: client.read_header(REPO_ID, listing.files[0], listing.revision))
    assert isinstance(error, HubError) and error.kind == "timeout" and "read the header" in plain(error)
    assert took < 8  # a deadline of 1.5 s; the trickle alone would take days


def test_a_search_is_stopped_at_once_while_it_waits_for_headers(served, hub):
    hub.fail_next(SEARCH, Fault("slow_headers", interval=0.2))
    client = warmed(HubClient(hub.url, limits=replace(QUICK, request_seconds=60)))
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    error, took = bounded(lambda: client.search("smol", stop=stop))
    assert isinstance(error, HubError) and error.kind == "stopped"
    assert took < 6  # Stop at 0.3 s; the deadline is 60 s and the headers would take 13 min


def test_retry_after_within_the_cap_is_waited_for_and_said(served, hub):
    hub.fail_next(INFO, Fault("status", status=429, headers={"Retry-After": "1"}))
    waits = []
    listing = HubClient(hub.url, limits=QUICK).list_files(REPO_ID, on_wait=lambda s, text: waits.append((s, text)))
    assert [f.name for f in listing.files] == [NAME]
    [(seconds, text)] = waits
    assert seconds == 1 and text.startswith("The Hub asks to wait 1 s")


def test_a_long_retry_after_becomes_a_message_without_waiting(served, hub):
    hub.fail_next(SEARCH, Fault("status", status=429, headers={"Retry-After": "3600"}))
    client = warmed(HubClient(hub.url, limits=QUICK))
    error, took = bounded(lambda: client.search("smol"))
    assert isinstance(error, HubError) and error.kind == "rate limited"
    assert "asks to wait 1 h" in plain(error) and took < 8  # not an hour
    assert hub.state.routes.count(SEARCH) == 1  # asked once: no retry loop sleeping on it


def test_busy_answers_are_asked_again_a_bounded_number_of_times(served, hub):
    hub.fail_next(SEARCH, *[Fault("status", status=503)] * 10)
    error, _took = bounded(lambda: HubClient(hub.url, limits=QUICK).search("smol"))
    assert isinstance(error, HubError) and "problem (503)" in plain(error)
    assert hub.state.routes.count(SEARCH) == QUICK.hub_retries + 1


def test_an_html_page_instead_of_json_is_named(served, hub):
    hub.fail_next(INFO, Fault("html"))
    with pytest.raises(HubError) as refused:
        HubClient(hub.url, limits=QUICK).list_files(REPO_ID)
    assert "web page instead of data" in plain(refused.value)


def test_an_answer_that_is_not_json_is_named(served, hub):
    hub.fail_next(SEARCH, Fault("garbage"))
    with pytest.raises(HubError) as refused:
        HubClient(hub.url, limits=QUICK).search("smol")
    assert "not the data Hearth asked for" in plain(refused.value)


def test_a_redirect_loop_is_named(served, hub):
    hub.fail_next(SEARCH, *[Fault("redirect_loop")] * 50)
    with pytest.raises(HubError) as looped:
        HubClient(hub.url, limits=QUICK).search("smol")
    assert "too many redirects" in plain(looped.value)
    assert hub.state.routes.count(SEARCH) == DEFAULT_LIMITS.max_redirects + 1  # bounded, then said


def _peak_while(work) -> tuple[object, int]:
    tracemalloc.start()
    try:
        try:
            value = work()
        except HearthError as error:
            value = error
        peak = tracemalloc.get_traced_memory()[1]
        print(f"peak {peak / MB:.1f} MB")
        return value, peak
    finally:
        tracemalloc.stop()


def test_a_huge_json_answer_is_refused_with_memory_bounded(served, hub):
    hub.fail_next(SEARCH, Fault("huge", size=256 * MB))
    error, peak = _peak_while(lambda: HubClient(hub.url, limits=QUICK).search("smol"))
    assert isinstance(error, HubError) and "larger than 16.0 MB" in plain(error)
    assert peak < 48 * MB, f"peak {peak / MB:.0f} MB while refusing a 256 MB answer"


def test_a_gzip_bomb_as_a_search_answer_is_refused_with_memory_bounded(served, hub, bomb):
    hub.fail_next(SEARCH, Fault("gzip_bomb", size=bomb))
    error, peak = _peak_while(lambda: HubClient(hub.url, limits=QUICK).search("smol"))
    assert isinstance(error, HubError) and "larger than 16.0 MB" in plain(error)
    assert peak < 48 * MB, f"peak {peak / MB:.0f} MB while refusing a bomb of 256 MB"


def test_a_header_read_stops_at_its_budget_when_range_is_ignored(served, hub, smollm_path):
    client = HubClient(hub.url, limits=replace(QUICK, header_seconds=30))
    listing = client.list_files(REPO_ID)
    hub.fail_next(NAME, Fault("ignore_range"))  # the whole 98 MB file, as a 200
    header, peak = _peak_while(lambda: client.read_header(REPO_ID, listing.files[0], listing.revision))
    assert not isinstance(header, HearthError), header
    assert header.architecture == "llama" and header.data_offset > 0
    assert peak < 16 * MB, f"peak {peak / MB:.0f} MB reading the header of a 98 MB file"
    assert hub.state.sent(NAME) < 40 * MB < smollm_path.stat().st_size  # it stopped reading, the server noticed


def test_a_header_read_of_a_gzip_bomb_stops_at_its_budget(served, hub, bomb):
    client = HubClient(hub.url, limits=replace(QUICK, header_seconds=30))
    listing = client.list_files(REPO_ID)
    hub.fail_next(NAME, Fault("gzip_bomb", size=bomb))
    error, peak = _peak_while(lambda: client.read_header(REPO_ID, listing.files[0], listing.revision))
    assert isinstance(error, HearthError) and "not a GGUF" in plain(error)
    assert peak < 16 * MB, f"peak {peak / MB:.0f} MB reading a bomb of 256 MB"


@pytest.mark.parametrize("name, words", [
    ("a" * 251 + ".gguf", "longer than 255 bytes"),
    ("model-\u202eflow.gguf", "bidirectional controls"),
])
def test_names_no_file_system_should_hold_are_refused_in_words(hub, name, words):
    hub.add_repo("odd/names-GGUF", {name: b"GGUF", "fine.gguf": b"GGUF"})
    with pytest.raises(HearthError) as refused:
        HubClient(hub.url, limits=QUICK).list_files("odd/names-GGUF")
    message = plain(refused.value)
    assert words in message and "\u202e" not in message  # shown escaped, never as a live control


def test_an_unguarded_request_is_untouched_and_the_guard_is_in_place(served, hub, tmp_path):
    """huggingface_hub's own helpers still work through the guarded client, and the backend hook exists."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.utils import get_session

    from app.core import hub_http

    hub_http.install()
    path = hf_hub_download(REPO_ID, NAME, endpoint=hub.url, cache_dir=tmp_path)  # not the shared HF cache
    assert open(path, "rb").read(4) == b"GGUF"
    transport = get_session()._transport
    assert type(transport._inner._pool._network_backend).__name__ == "_GuardedBackend"


def test_hub_file_sizes_are_listed_as_the_hub_says(hub):
    """The server's listed sizes can disagree with its bytes (used by the download tests)."""
    hub.add_repo("odd/sizes-GGUF", {"a.gguf": b"GGUF" * 10}, listed={"a.gguf": 1234})
    listing = HubClient(hub.url, limits=QUICK).list_files("odd/sizes-GGUF")
    assert listing.files == [HubFile("a.gguf", 1234, listing.files[0].sha256)]


def test_a_408_with_a_long_retry_after_becomes_a_message_without_waiting(served, hub):
    # huggingface_hub's http_backoff retries 408 too, sleeping Retry-After + 1 s with time.sleep, 5 times.
    hub.fail_next(SEARCH, Fault("status", status=408, headers={"Retry-After": "3600"}))
    error, _took = bounded(lambda: HubClient(hub.url, limits=QUICK).search("smol"), seconds=30)
    assert isinstance(error, HubError) and "(408)" in plain(error)
    assert hub.state.routes.count(SEARCH) == 1  # asked once: no retry loop sleeping on it


def test_stop_ends_the_wait_after_a_408(served, hub):
    stop = threading.Event()
    client = HubClient(hub.url, limits=QUICK)
    client.search("smol")  # warm: the HTTP stack and the probe are in place before Stop is timed
    hub.fail_next(SEARCH, *[Fault("status", status=408, headers={"Retry-After": "6"})] * 3)
    waited = threading.Event()
    error, took = bounded(lambda: client.search("smol", stop=stop, on_wait=lambda s, t: (waited.set(), stop.set())),
                          seconds=30)
    assert waited.is_set() and isinstance(error, HubError) and error.kind == "stopped"
    assert hub.state.routes.count(SEARCH) == 2  # the warm-up and one 408: huggingface_hub never asked again
    assert took < 6  # the old code slept 7 s in huggingface_hub's loop before Stop was even looked at


def test_a_connection_cut_before_the_answer_is_not_retried_by_huggingface_hub(served, hub):
    hub.fail_next(SEARCH, *[Fault("hangup")] * 6)
    error, _took = bounded(lambda: HubClient(hub.url, limits=QUICK).search("smol"), seconds=60)
    assert isinstance(error, HubError) and "connection to the Hub was lost" in plain(error), repr(error)
    assert hub.state.routes.count(SEARCH) == 1  # huggingface_hub's loop would ask 6 times, sleeping 23 s


def test_a_huge_error_body_on_a_header_read_is_refused_with_memory_bounded(served, hub):
    client = HubClient(hub.url, limits=replace(QUICK, header_seconds=30))
    listing = client.list_files(REPO_ID)
    hub.fail_next(NAME, Fault("huge_error", status=404, size=52 * MB))
    error, peak = _peak_while(lambda: client.read_header(REPO_ID, listing.files[0], listing.revision))
    assert isinstance(error, HubError) and "larger than 1.0 MB" in plain(error)
    assert peak < 16 * MB, f"peak {peak / MB:.0f} MB while refusing a 52 MB error page"


def test_a_huge_redirect_body_is_refused_with_memory_bounded(served, hub):
    client = HubClient(hub.url, limits=replace(QUICK, header_seconds=30))
    listing = client.list_files(REPO_ID)
    location = f"/{REPO_ID}/resolve/{listing.revision}/{NAME}"
    hub.fail_next(NAME, Fault("huge_error", status=302, size=52 * MB, headers={"Location": location}))
    error, peak = _peak_while(lambda: client.read_header(REPO_ID, listing.files[0], listing.revision))
    assert isinstance(error, HubError) and "larger than 1.0 MB" in plain(error)
    assert peak < 16 * MB, f"peak {peak / MB:.0f} MB while following a redirect with a 52 MB body"


GOOD_SHA = "ab" * 32


@pytest.mark.parametrize("sibling", [
    {"rfilename": 5, "size": 10},
    {"rfilename": ["x.gguf"], "size": 10},
    {"rfilename": "a.gguf", "size": 10, "lfs": {"size": "x", "sha256": GOOD_SHA, "pointerSize": 134}},
    {"rfilename": "a.gguf", "size": 10, "lfs": {"size": -1, "sha256": GOOD_SHA, "pointerSize": 134}},
    {"rfilename": "a.gguf", "size": 10, "lfs": {"size": 10, "sha256": "not-hex", "pointerSize": 134}},
    {"rfilename": "a.gguf", "size": 10, "lfs": {"size": 10, "sha256": 7, "pointerSize": 134}},
    {"rfilename": "a.gguf", "size": "ten"},
    {"rfilename": "a.gguf", "size": 1.5},
])
def test_a_malformed_listing_ends_in_a_sentence(hub, sibling):
    hub.add_repo(REPO_ID, {}, siblings=[sibling])
    error, _took = bounded(lambda: HubClient(hub.url, limits=QUICK).list_files(REPO_ID))
    assert isinstance(error, HubError), repr(error)
    assert "not the data Hearth asked for" in plain(error)


def test_a_well_formed_listing_still_reads(hub):
    hub.add_repo(REPO_ID, {}, siblings=[
        {"rfilename": "a.gguf", "size": 10, "lfs": {"size": 10, "sha256": GOOD_SHA.upper(), "pointerSize": 134}},
        {"rfilename": "b.gguf", "size": 7}, {"rfilename": "README.md", "size": 3}])
    listing = HubClient(hub.url, limits=QUICK).list_files(REPO_ID)
    assert [(f.name, f.size, f.sha256) for f in listing.files] == [("a.gguf", 10, GOOD_SHA), ("b.gguf", 7, "")]


def test_proxy_transports_from_the_environment_are_guarded_too(served, hub, monkeypatch):
    """hub_http hooks private httpx2 parts; with HTTP(S)_PROXY set, every mounted proxy transport carries the guard,
    and a request through the proxy (the local server, which answers absolute URLs) ends at its deadline."""
    from app.core import hub_http, request_guard

    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", hub.url)
    monkeypatch.setenv("HTTPS_PROXY", hub.url)
    client = hub_http.make_client()
    try:
        proxies = [t for t in client._mounts.values() if t is not None]
        assert len(proxies) == 2, client._mounts  # http:// and https://
        for transport in [client._transport, *proxies]:
            assert isinstance(transport, hub_http._GuardedTransport)
            assert isinstance(transport._inner._pool._network_backend, hub_http._GuardedBackend)
        assert client._transport_for_url(client.build_request("GET", "http://hub.invalid/").url) is not client._transport

        hub.fail_next(SEARCH, Fault("slow_headers", interval=0.2))

        def through_proxy():
            with request_guard.guarded("search for models", 1.0):
                return client.get("http://hub.invalid/api/models")

        error, took = bounded(through_proxy)
        assert isinstance(error, request_guard.DeadlinePassed), repr(error)
        assert hub.state.routes.count(SEARCH) == 1 and took < 8  # it went through the proxy, and the guard ended it
    finally:
        client.close()
