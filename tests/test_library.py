"""The library's sources: Hearth's folder, the user's folders, split models, projectors."""
import shutil

from app.core import library
from app.core.library import Sources, scan
from tests.helpers.split_model import make_split


def test_user_folders_split_models_and_projectors(tmp_path, smollm_path):
    mine = tmp_path / "my models"
    parts = make_split(smollm_path, mine / "split", "Tiny-Q4_1", 2)
    shutil.copyfile(smollm_path, mine / "mmproj-tiny-f16.gguf")  # a projector is not a chat model
    broken = tmp_path / "broken"
    make_split(smollm_path, broken, "Half-Q4_1", 2)[1].unlink()  # its second part is gone
    entries = scan(Sources(tmp_path / "models", folders=(str(mine), str(broken)), include_starter=False))
    by_name = {e.path.name: e for e in entries}
    assert set(by_name) == {parts[0].name, "Half-Q4_1-00001-of-00002.gguf"}
    split = by_name[parts[0].name]
    assert split.source == library.FOLDER and split.files == tuple(parts)
    assert split.display_name == "Tiny · Q4_1 · 2 parts"
    assert split.size == sum(p.stat().st_size for p in parts) == split.info.model_size
    assert split.info.parameter_count == library.read_gguf_info(smollm_path).parameter_count
    half = by_name["Half-Q4_1-00001-of-00002.gguf"]
    assert not half.usable and "Half-Q4_1-00002-of-00002.gguf is missing" in half.problem


def test_other_sources_can_be_switched_off(tmp_path, smollm_path):
    studio = tmp_path / ".lmstudio" / "models" / "someone" / "repo"
    studio.mkdir(parents=True)
    shutil.copyfile(smollm_path, studio / "x-Q4_1.gguf")
    folders = library.lm_studio_folders(tmp_path)
    assert [e.source for e in scan(Sources(tmp_path / "models", lm_studio=folders, include_starter=False))] == [
        library.LM_STUDIO]
    assert scan(Sources(tmp_path / "models", include_starter=False, hf_cache_enabled=False)) == []
