"""Flash attention Auto: one answer for the engine and the fit estimate, from the model's real header."""
from __future__ import annotations

from app.core import fit, offload
from app.core.flash_policy import key_width, uses_flash_attention
from app.core.gguf_info import read_gguf_info
from app.core.load_options import LoadOptions


def test_auto_is_on_for_wide_heads_a_gpu_or_a_quantized_v_cache(smollm_path, gemma_path):
    smollm, gemma = read_gguf_info(smollm_path), read_gguf_info(gemma_path)
    assert (key_width(smollm), key_width(gemma)) == (64, 256)
    auto = LoadOptions(n_ctx=8192)
    assert not uses_flash_attention(auto, smollm, on_gpu=False)
    assert uses_flash_attention(auto, gemma, on_gpu=False)
    assert uses_flash_attention(auto, smollm, on_gpu=True)
    assert uses_flash_attention(LoadOptions(type_v="q8_0"), smollm, on_gpu=False)
    # the user's own choice always wins
    assert uses_flash_attention(LoadOptions(flash_attn="on"), smollm, on_gpu=False)
    assert not uses_flash_attention(LoadOptions(flash_attn="off"), gemma, on_gpu=True)


def test_the_fit_estimate_follows_what_auto_comes_to(smollm_path, gemma_path):
    for path, flash in ((smollm_path, "off"), (gemma_path, "on")):
        info = read_gguf_info(path)
        auto = LoadOptions(n_ctx=8192)
        assert fit.estimate_for(info, auto) == fit.estimate_for(info, LoadOptions(n_ctx=8192, flash_attn=flash))
    # with its layers on a GPU SmolLM2 gets flash attention too: the GPU's share has no attention scores
    info = read_gguf_info(smollm_path)
    layers = fit.block_count(info)
    assert offload.place(info, LoadOptions(n_ctx=8192), layers) == \
        offload.place(info, LoadOptions(n_ctx=8192, flash_attn="on"), layers)
    assert offload.place(info, LoadOptions(n_ctx=8192, flash_attn="off"), layers).gpu > \
        offload.place(info, LoadOptions(n_ctx=8192), layers).gpu
