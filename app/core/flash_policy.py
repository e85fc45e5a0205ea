"""What flash attention "Auto" comes to for one load: the engine and the fit estimate ask here alike.

llama.cpp's GPU kernels (CUDA, Metal, Vulkan) are faster with flash attention and need less memory, and a
quantized V cache cannot work without it, so Auto is on for those. On the CPU it depends on the heads:
bench/runtime_options.py measured, at an 8k context, SmolLM2 (64-wide heads) decoding at 9.3 tokens/s with
flash attention against 26.2 without, and Gemma 3 (256-wide heads) at 26.1 against 19.1. llama.cpp's CPU
kernel walks the cache one row at a time with an online softmax; narrow heads leave it little work per
row to pay for that, where the plain path's matrix products stay efficient. So on the CPU, Auto is on from
128-wide heads (Llama, Qwen, Mistral, Gemma, Phi all have 128 or more) and off below.
"""
from __future__ import annotations

from app.core.gguf_info import GGUFInfo
from app.core.load_options import FLASH_OFF, FLASH_ON, LoadOptions

WIDE_HEAD = 128  # key width from which the CPU kernel is at least as fast


def key_width(info: GGUFInfo) -> int:
    """The attention heads' key width, from the header (or the embedding over the heads)."""

    def number(key: str) -> int:
        value = info.metadata.get(f"{info.architecture}.{key}")
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0

    heads = number("attention.head_count") or 1
    return number("attention.key_length") or number("embedding_length") // heads


def uses_flash_attention(options: LoadOptions, info: GGUFInfo, on_gpu: bool) -> bool:
    """Whether llama.cpp runs ``info`` with flash attention under ``options``; ``on_gpu``: any layer on a GPU."""
    if options.flash_attn in (FLASH_ON, FLASH_OFF):
        return options.flash_attn == FLASH_ON
    if options.type_v != "f16" or on_gpu:
        return True
    return key_width(info) >= WIDE_HEAD
