"""Moving the models folder (core): every file arrives, or none leaves; on one disk and across two."""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.library import Sources, scan
from app.core.models_folder import MoveCancelled, MoveError, move, plan_move, rebased
from app.settings import Settings
from tests.helpers.split_model import make_split


@pytest.fixture
def other_disk():
    """A folder on another file system (/dev/shm is a tmpfs here), so a rename cannot cross."""
    if not Path("/dev/shm").is_dir():
        pytest.skip("no /dev/shm")
    folder = Path(tempfile.mkdtemp(prefix="hearth-test-disk-", dir="/dev/shm"))
    if os.stat(folder).st_dev == os.stat(tempfile.gettempdir()).st_dev:
        shutil.rmtree(folder)
        pytest.skip("/dev/shm is on the same file system as the temporary folder")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def fill(models: Path, smollm_path: Path) -> dict[Path, bytes]:
    """A models folder as Hearth leaves it: a download, a split model, an imported link."""
    download = models / "HuggingFaceTB" / "SmolLM2-135M-Instruct-GGUF" / smollm_path.name
    download.parent.mkdir(parents=True)
    shutil.copyfile(smollm_path, download)
    make_split(smollm_path, models / "owner" / "split", "SmolLM2-split", parts=3)
    (models / "imported").mkdir()
    os.symlink(smollm_path, models / "imported" / "linked.gguf")
    return {p.relative_to(models): (os.readlink(p).encode() if p.is_symlink() else p.read_bytes())
            for p in models.rglob("*") if p.is_file() or p.is_symlink()}


def contents(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): (os.readlink(p).encode() if p.is_symlink() else p.read_bytes())
            for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


def listed(folder: Path) -> list[str]:
    return sorted(str(e.path.relative_to(folder)) for e in scan(Sources(folder, include_starter=False)))


@pytest.mark.parametrize("where", ["same disk", "other disk"])
def test_every_model_moves_and_the_library_finds_them_there(tmp_path, smollm_path, other_disk, where):
    source = tmp_path / "models"
    before = fill(source, smollm_path)
    names = listed(source)
    target = (tmp_path if where == "same disk" else other_disk) / "new" / "models"
    plan = plan_move(source, target)
    assert plan.same_device == (where == "same disk")
    assert plan.count == len(before) and plan.size == sum((source / r).lstat().st_size for r in before)
    seen = []
    result = move(plan, lambda done, total: seen.append((done, total)))
    assert contents(target) == before
    assert listed(target) == names and len(names) == 3  # the download, the split model, the link
    assert not [p for p in source.rglob("*")] and source.is_dir()  # emptied, the folder itself kept
    assert result.left_behind == ()
    assert seen[-1] == (plan.size, plan.size) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_failure_across_disks_leaves_every_model_in_the_old_folder(tmp_path, smollm_path, other_disk):
    source = tmp_path / "models"
    before = fill(source, smollm_path)
    target = other_disk / "models"
    plan = plan_move(source, target)
    # Something takes the name of the last file in the new folder after the plan was made.
    last = plan.target / plan.files[-1]
    last.parent.mkdir(parents=True, exist_ok=True)
    last.write_bytes(b"someone else's")
    with pytest.raises(MoveError) as raised:
        move(plan)
    assert "already has" in raised.value.message
    assert contents(source) == before
    assert contents(target) == {plan.files[-1]: b"someone else's"}  # what was copied went; theirs stayed
    assert not list(target.rglob(".*.moving"))


def test_a_failure_on_one_disk_puts_back_what_was_renamed(tmp_path, smollm_path):
    source = tmp_path / "models"
    before = fill(source, smollm_path)
    plan = plan_move(source, tmp_path / "new")
    (plan.target / plan.files[-1]).parent.mkdir(parents=True, exist_ok=True)
    (plan.target / plan.files[-1]).write_bytes(b"x")
    with pytest.raises(MoveError):
        move(plan)
    assert contents(source) == before
    assert contents(plan.target) == {plan.files[-1]: b"x"}


def test_cancel_during_the_copy_leaves_the_old_folder_whole(tmp_path, smollm_path, other_disk):
    source = tmp_path / "models"
    before = fill(source, smollm_path)
    plan = plan_move(source, other_disk / "models")
    stop = threading.Event()
    with pytest.raises(MoveCancelled):
        move(plan, lambda done, total: stop.set(), stop)  # cancelled once the first bytes are across
    assert contents(source) == before
    assert contents(plan.target) == {}


def test_moves_that_cannot_be_done_are_refused_with_why(tmp_path, smollm_path):
    source = tmp_path / "models"
    fill(source, smollm_path)
    for target, words in ((source, "already is"), (source / "inner", "inside the models folder"),
                          (tmp_path, "does not hold it")):
        with pytest.raises(MoveError, match=words):
            plan_move(source, target)
    (tmp_path / "file").write_text("x")
    with pytest.raises(MoveError, match="is a file"):
        plan_move(source, tmp_path / "file")
    clash = tmp_path / "busy" / "imported" / "linked.gguf"
    clash.parent.mkdir(parents=True)
    clash.write_text("mine")
    with pytest.raises(MoveError, match="already has"):
        plan_move(source, tmp_path / "busy")
    assert plan_move(tmp_path / "never-made", tmp_path / "new").count == 0  # nothing to move: just use it


def test_not_enough_space_on_the_other_disk_is_said_first(tmp_path, smollm_path, other_disk):
    source = tmp_path / "models"
    fill(source, smollm_path)
    free = shutil.disk_usage(other_disk).free
    (source / "huge.gguf").touch()
    os.truncate(source / "huge.gguf", free + 1)  # sparse: takes no room here, would not fit there
    with pytest.raises(MoveError, match="GB free"):
        plan_move(source, other_disk / "models")


def test_settings_naming_moved_models_follow_them(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    settings = Settings(last_model=str(old / "a" / "m.gguf"), speech_model=str(old / "o" / "whisper"),
                        added_models=[str(tmp_path / "elsewhere.gguf")],
                        model_load={str(old / "a" / "m.gguf"): {"n_ctx": 8192}, "/other.gguf": {"n_ctx": 2048}})
    settings.rebase_models(old, new)
    assert settings.last_model == str(new / "a" / "m.gguf")
    assert settings.speech_model == str(new / "o" / "whisper")
    assert settings.added_models == [str(tmp_path / "elsewhere.gguf")]
    assert settings.model_load == {str(new / "a" / "m.gguf"): {"n_ctx": 8192}, "/other.gguf": {"n_ctx": 2048}}
    assert settings.load_options_for(str(new / "a" / "m.gguf")).n_ctx == 8192
    assert rebased("", old, new) == ""


def test_a_download_lands_in_a_models_folder_on_another_disk(tmp_path, other_disk, smollm_path, hub):
    """The queue's partial files stay in Hearth's data folder; a rename cannot reach the other disk."""
    from app.core.download_queue import DONE, DownloadQueue
    from app.core.hub import HubClient

    repo_id, name = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", "smollm2-135m-instruct-q4_1.gguf"
    hub.add_repo(repo_id, {name: smollm_path})
    finished = threading.Event()
    landed = []
    queue = DownloadQueue(HubClient(hub.url), other_disk / "models", tmp_path / "downloads",
                          on_finished=lambda download, path: (landed.append(path), finished.set()), retry_base=0.05)
    try:
        listing = HubClient(hub.url).list_files(repo_id)
        queue.add(repo_id, listing.revision, "Q4_1", [f for f in listing.files if f.name == name])
        queue.start()
        assert finished.wait(60), queue.downloads()
    finally:
        queue.close()
    target = other_disk / "models" / repo_id / name
    assert landed == [target] and target.read_bytes() == smollm_path.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == [name]  # no hidden copy left beside it
    assert queue.downloads()[0].state == DONE and not list((tmp_path / "downloads").rglob("*.part"))


def test_the_chosen_folder_is_where_paths_put_the_models(tmp_path):
    from app.paths import Paths

    paths = Paths.from_environment({"HEARTH_HOME": str(tmp_path / "home")})
    assert paths.models == tmp_path / "home" / "data" / "models"
    moved = paths.with_models(str(tmp_path / "disk" / "models"))
    assert moved.models == tmp_path / "disk" / "models" and moved.data == paths.data
    assert paths.with_models("").models == paths.models
    gone = paths.with_models(str(tmp_path / "unplugged" / "models")).ensure()
    assert not gone.models.exists()  # a missing disk is not made anew on this one
    (tmp_path / "disk").mkdir()
    assert replace(moved).ensure().models.is_dir()
