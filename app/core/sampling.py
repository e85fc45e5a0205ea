"""A conversation's generation settings: what each one is, its default, and where a default comes from.

Three layers, later ones winning: Hearth's defaults; the model's own recommendation in its
GGUF metadata (``general.sampling.*``, which llama.cpp's converter writes from a model's
generation_config.json); and what the user set for this conversation.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    default: float | int | None
    minimum: float
    maximum: float
    decimals: int = 2  # 0: a whole number
    metadata_key: str = ""  # general.sampling.<this> in a GGUF file


OPTIONS = (
    Option("temperature", "Temperature", 0.7, 0.0, 2.0, 2, "temp"),
    Option("top_p", "Top-p", 0.95, 0.0, 1.0, 2, "top_p"),
    Option("top_k", "Top-k", 40, 0, 1000, 0, "top_k"),
    Option("min_p", "Min-p", 0.05, 0.0, 1.0, 2, "min_p"),
    Option("repeat_penalty", "Repeat penalty", 1.0, 1.0, 2.0, 2, "penalty_repeat"),
    Option("max_tokens", "Max tokens", 1024, 16, 32768, 0),
    Option("seed", "Seed", None, 0, 2**31 - 1, 0),  # None: a new random seed each reply
)
KEYS = tuple(option.key for option in OPTIONS)
BY_KEY = {option.key: option for option in OPTIONS}


def from_metadata(metadata: dict) -> dict:
    """The settings a model's GGUF file recommends, as Hearth's keys."""
    found = {}
    for option in OPTIONS:
        if not option.metadata_key:
            continue
        value = metadata.get(f"general.sampling.{option.metadata_key}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            found[option.key] = clean(option.key, value)
    return found


def clean(key: str, value):
    """A value for ``key`` inside its range and of its type; None for an unknown key or a seed left unset."""
    option = BY_KEY.get(key)
    if option is None or value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = min(max(value, option.minimum), option.maximum)
    return int(value) if option.decimals == 0 else round(float(value), option.decimals)


def effective(app_defaults: dict, model: dict, conversation: dict) -> dict:
    """The settings a reply is written with: Hearth's, then the model's, then the conversation's."""
    result = {option.key: option.default for option in OPTIONS}
    for layer in (app_defaults, model, conversation):
        for key, value in layer.items():
            if key in BY_KEY and (value is not None or key == "seed"):
                result[key] = clean(key, value) if value is not None else None
    return result
