"""Preferences on disk: atomic, forgiving of hand edits."""
import json

from app.core.load_options import GPU_ALL, GPU_AUTO, LoadOptions
from app.paths import Paths
from app.settings import Settings


def test_round_trip_and_hand_edits(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings(added_models=["/models/a.gguf"], load_defaults={"n_gpu_layers": GPU_ALL})
    settings.save(path)
    assert Settings.load(path) == settings
    raw = json.loads(path.read_text())
    raw.update(temperature=1, unknown=3, max_tokens=True, model_load={"/m.gguf": {"n_ctx": "big", "type_k": "q5"}})
    path.write_text(json.dumps(raw))
    loaded = Settings.load(path)
    assert loaded.temperature == 1.0 and isinstance(loaded.temperature, float)
    assert loaded.max_tokens == Settings().max_tokens
    assert loaded.load_options_for("/m.gguf") == LoadOptions(n_gpu_layers=GPU_ALL)  # nonsense values are dropped
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


def test_load_options_per_model_over_the_defaults(tmp_path):
    settings = Settings()
    assert settings.load_options_for("/a.gguf") == LoadOptions() and LoadOptions().n_gpu_layers == GPU_AUTO
    settings.set_load_options_for("/a.gguf", LoadOptions(n_ctx=16384, type_k="q8_0"))
    assert settings.model_load == {"/a.gguf": {"n_ctx": 16384, "type_k": "q8_0"}}  # only what it changes
    settings.set_default_load_options(LoadOptions(n_threads=3, type_k="q8_0"))
    assert settings.load_options_for("/a.gguf") == LoadOptions(n_ctx=16384, n_threads=3, type_k="q8_0")
    assert settings.load_options_for("/b.gguf") == LoadOptions(n_threads=3, type_k="q8_0")
    settings.set_load_options_for("/b.gguf", settings.default_load_options)
    assert "/b.gguf" not in settings.model_load  # nothing of its own: the defaults reach it as they change
    path = tmp_path / "settings.json"
    settings.save(path)
    assert Settings.load(path).load_options_for("/a.gguf") == settings.load_options_for("/a.gguf")


def test_settings_from_before_load_options_keep_their_choices(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"n_ctx": 8192, "n_threads": 0, "n_gpu_layers": 0,
                                "model_contexts": {"/a.gguf": 2048}}))
    settings = Settings.load(path)
    assert settings.default_load_options == LoadOptions(n_ctx=8192)  # the old defaults give way to Auto
    assert settings.load_options_for("/a.gguf").n_ctx == 2048


def test_a_quantized_v_cache_needs_flash_attention():
    assert "needs flash attention" in LoadOptions(type_v="q8_0", flash_attn="off").problem()
    assert LoadOptions(type_v="q4_0", flash_attn="auto").problem() == ""
    assert LoadOptions(type_k="q4_0", flash_attn="off").problem() == ""
    assert LoadOptions(idle_unload_minutes=5).needs_reload(LoadOptions()) is False
    assert LoadOptions(n_batch=256).needs_reload(LoadOptions()) is True
