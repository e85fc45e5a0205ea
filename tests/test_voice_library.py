"""Piper voices without a window: the Hub's catalogue through the real huggingface_hub client, the download
queue fetching a voice's pair (verified, the small .onnx.json by its git blob id), and the voice library
reading real .onnx.json files, naming whatever is wrong with a broken one."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from app.core import piper_catalogue, voice_library
from app.core.download_queue import DONE, FAILED, PAUSED, DownloadQueue
from app.core.hub import HubClient
from app.core.piper_catalogue import CatalogueError
from tests.helpers import piper_voices
from tests.helpers.piper_voices import JOE, JOE_GB, PIPER_REPO
from tests.hub_server import Fault


def test_the_catalogue_lists_voices_by_language_with_sizes_and_hashes(hub):
    settings = piper_voices.publish(hub, extra_index={
        "de_DE-ghost-medium": {"language": {"code": "de_DE"}, "quality": "medium",  # its files are not in the repo
                               "files": {"de/de_DE/ghost/medium/de_DE-ghost-medium.onnx": {}}},
        "../../evil-x-low": {"files": {"../../evil.onnx": {}}},  # a hostile key: left out
        "en_US-broken-low": "not an entry"})
    listing, voices = HubClient(hub.url).list_voices()
    assert listing.repo_id == PIPER_REPO and listing.revision == hub.state.repos[PIPER_REPO].sha
    assert [v.key for v in voices] == [JOE_GB, JOE]  # English (Great Britain) before English (United States)
    joe = voices[1]
    served = hub.state.repos[PIPER_REPO].files
    assert (joe.language, joe.language_code, joe.quality, joe.speakers) == (
        "English (United States)", "en_US", "medium", 1)
    assert joe.model.name == piper_voices.onnx_path(JOE) and joe.model.sha256 == served[joe.model.name].sha256
    assert joe.config.size == len(settings[JOE]) and joe.config.sha256 == ""  # a git file: no LFS sha256...
    assert joe.config.git_sha1 == served[joe.config.name].git_sha1  # ...but its blob id
    assert joe.size == joe.model.size + joe.config.size
    choice = joe.choice
    assert choice.folder == f"voices/{JOE}" and [f.name for f in choice.files] == [joe.model.name, joe.config.name]
    assert joe.matches("english medium") and joe.matches("JOE") and not joe.matches("german")


def test_an_unreadable_index_is_a_sentence():
    with pytest.raises(CatalogueError, match="not readable"):
        piper_catalogue.parse(b"<html>", [])
    with pytest.raises(CatalogueError):
        piper_catalogue.parse(b"[1, 2]", [])


@pytest.fixture
def queue(hub, tmp_path):
    done = threading.Event()
    events = []

    def change(download):
        events.append(download)
        if download.state in (DONE, FAILED, PAUSED):
            done.set()

    made = DownloadQueue(HubClient(hub.url), tmp_path / "models", tmp_path / "downloads", on_change=change,
                         retry_base=0.05, max_attempts=2)
    made.done, made.events = done, events
    yield made
    made.close()


def test_a_voice_downloads_as_a_verified_pair_into_its_own_folder(hub, queue, tmp_path):
    settings = piper_voices.publish(hub)
    listing, voices = HubClient(hub.url).list_voices()
    joe = next(v for v in voices if v.key == JOE)
    queue.start()
    queue.add(listing.repo_id, listing.revision, joe.key, list(joe.choice.files), folder=joe.choice.folder)
    assert queue.done.wait(60) and queue.events[-1].state == DONE, queue.events[-1].message
    folder = tmp_path / "models" / "voices" / JOE
    assert sorted(p.name for p in folder.iterdir()) == [f"{JOE}.onnx", f"{JOE}.onnx.json"]
    assert (folder / f"{JOE}.onnx.json").read_bytes() == settings[JOE]
    model, _config = piper_voices.joe_files()
    assert (folder / f"{JOE}.onnx").stat().st_size == model.stat().st_size
    [voice] = voice_library.find_voices(tmp_path / "models", include_default=False)
    assert voice.usable and voice.key == JOE and voice.sample_rate == 22050 and voice.quality == "medium"


def test_a_damaged_settings_file_is_caught_by_its_blob_id(hub, queue, tmp_path):
    piper_voices.publish(hub)
    listing, voices = HubClient(hub.url).list_voices()
    joe = next(v for v in voices if v.key == JOE)
    hub.fail_next(joe.config.name, *[Fault("wrong")] * 3)  # the right size, the wrong bytes
    queue.start()
    queue.add(listing.repo_id, listing.revision, joe.key, list(joe.choice.files), folder=joe.choice.folder)
    assert queue.done.wait(60)
    last = queue.events[-1]
    assert last.state == FAILED and "arrived damaged" in last.message and joe.config.name.split("/")[-1] in last.message
    assert not (tmp_path / "models" / "voices").exists()  # nothing half-verified reaches the models folder


def test_the_default_voice_is_found_and_read():
    model = voice_library.default_voice_file()
    assert model is not None and model.name == f"{JOE}.onnx"
    [voice] = voice_library.find_voices(Path("/nonexistent"))
    assert voice.source == voice_library.DEFAULT and voice.usable
    assert (voice.language, voice.quality, voice.sample_rate, voice.speaker_count) == (
        "English (United States)", "medium", 22050, 1)
    assert voice.display_name == f"{JOE} · English (United States) · medium"


def _installed(models: Path, key: str, settings: bytes | None) -> Path:
    model, config = piper_voices.joe_files()
    folder = models / "voices" / key
    folder.mkdir(parents=True)
    target = folder / f"{key}.onnx"
    target.symlink_to(model)  # the network's bytes do not matter to the library, only its settings
    if settings is not None:
        (folder / f"{key}.onnx.json").write_bytes(settings)
    return target


@pytest.mark.parametrize("settings, named", [
    (b'{"audio": {"sample_rate": 22050', "is not valid JSON"),
    (b"\xff\xfe\x00garbage", "is not valid JSON"),
    (b"[]", "not a Piper voice's settings file"),
    (b'{"audio": {"sample_rate": "fast"}, "phoneme_id_map": {}}', "no usable sample rate"),
    (b'{"audio": {"sample_rate": 16000}}', "no phoneme table"),
    (None, "has no settings file"),
])
def test_a_broken_settings_file_is_named_and_the_others_still_listed(tmp_path, settings, named):
    models = tmp_path / "models"
    _, config = piper_voices.joe_files()
    _installed(models, "en_US-good-medium", config.read_bytes())
    broken = _installed(models, "en_US-bad-low", settings)
    found = {v.key: v for v in voice_library.find_voices(models, include_default=False)}
    assert found["en_US-good-medium"].usable
    bad = found["en_US-bad-low"]
    assert not bad.usable and named in bad.problem and bad.model == broken
    assert bad.display_name == "en_US-bad-low"


def test_a_multi_speaker_voice_lists_its_speakers(tmp_path):
    _, config = piper_voices.joe_files()
    data = json.loads(config.read_bytes())
    data.update(num_speakers=2, speaker_id_map={"alice": 0, "bob": 1})
    _installed(tmp_path, "en_US-pair-high", json.dumps(data).encode())
    [voice] = voice_library.find_voices(tmp_path, include_default=False)
    assert voice.speakers == ("alice", "bob") and voice.speaker_count == 2 and voice.quality == "medium"


def test_deleting_a_voice_removes_both_files_and_its_folder_but_never_the_default(tmp_path):
    _, config = piper_voices.joe_files()
    model = _installed(tmp_path, JOE_GB, config.read_bytes())
    [voice] = voice_library.find_voices(tmp_path, include_default=False)
    voice_library.delete_voice(voice, tmp_path)
    assert not model.parent.exists() and (tmp_path / "voices").is_dir()
    [default] = voice_library.find_voices(tmp_path)
    with pytest.raises(voice_library.VoiceFileError, match="will not delete"):
        voice_library.delete_voice(default, tmp_path)
    assert default.model.exists()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copyfile(config, outside / f"{JOE}.onnx.json")
    stray = voice_library.read_voice(outside / f"{JOE}.onnx")
    with pytest.raises(voice_library.VoiceFileError):
        voice_library.delete_voice(stray, tmp_path)
    assert (outside / f"{JOE}.onnx.json").exists()
