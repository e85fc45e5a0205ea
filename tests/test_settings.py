"""Preferences on disk: atomic, forgiving of hand edits."""
import json

from app.paths import Paths
from app.settings import Settings


def test_round_trip_and_hand_edits(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings(added_models=["/models/a.gguf"], n_gpu_layers=-1)
    settings.save(path)
    assert Settings.load(path) == settings
    raw = json.loads(path.read_text())
    raw.update(temperature=1, n_ctx="big", unknown=3, max_tokens=True)
    path.write_text(json.dumps(raw))
    loaded = Settings.load(path)
    assert loaded.temperature == 1.0 and isinstance(loaded.temperature, float)
    assert loaded.n_ctx == Settings().n_ctx and loaded.max_tokens == Settings().max_tokens
    assert loaded.added_models == ["/models/a.gguf"]


def test_unreadable_file_gives_defaults(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{ not json")
    assert Settings.load(path) == Settings()
    assert Settings.load(tmp_path / "missing.json") == Settings()


def test_hearth_home_moves_every_folder(tmp_path):
    paths = Paths.from_environment({"HEARTH_HOME": str(tmp_path)}).ensure()
    for folder in (paths.data, paths.config, paths.cache, paths.logs, paths.models):
        assert folder.is_dir() and tmp_path in folder.parents
    assert paths.database.parent == paths.data
