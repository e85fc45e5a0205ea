"""When a model would not fit: the load settings that would, each checked with the estimate."""
from dataclasses import replace

from app.core import fit, offload
from app.core.fit_advice import suggest
from app.core.gguf_info import read_gguf_info
from app.core.gpu import GpuMemory
from app.core.load_options import GPU_ALL, LoadOptions

TOTAL = 8_000_000_000


def test_a_model_that_fits_gets_no_suggestions(smollm_path):
    info = read_gguf_info(smollm_path)
    assert suggest(info, LoadOptions(n_ctx=2048), 16_000_000_000, TOTAL) == []


def test_too_little_ram_suggests_a_shorter_context_and_a_smaller_cache(smollm_path):
    info = read_gguf_info(smollm_path)
    options = LoadOptions(n_ctx=8192, flash_attn="off")
    # Free RAM between what 2k and 8k need: 8k won't fit, a shorter context does.
    available = int(fit.estimate_for(info, replace(options, n_ctx=4096)).total / fit.COMFORT) + 1
    assert fit.judge_options(info, options, available, TOTAL).verdict != fit.FITS
    found = suggest(info, options, available, TOTAL)
    assert found, "nothing suggested"
    for suggestion in found:
        assert fit.judge_options(info, suggestion.options, available, TOTAL).verdict == fit.FITS
        assert not suggestion.options.problem()
    context = next(s for s in found if s.options.n_ctx != options.n_ctx)
    assert context.text.startswith(f"Use a context of {context.options.n_ctx:,} tokens (about ")
    assert 4096 <= context.options.n_ctx < 8192 and context.options.n_ctx % 256 == 0
    longer = replace(context.options, n_ctx=context.options.n_ctx + 256)
    assert fit.judge_options(info, longer, available, TOTAL).verdict != fit.FITS  # the longest that fits
    cache = [s for s in found if s.options.type_v == "q8_0"]
    if cache:  # a q8_0 V cache needs flash attention: the suggestion turns it on
        assert cache[0].options.flash_attn != "off" and cache[0].options.n_ctx == 8192
        assert cache[0].text.startswith("Use a q8_0 KV cache")


def test_a_cache_and_a_context_together_when_neither_alone_is_enough(gemma_path):
    info = read_gguf_info(gemma_path)
    options = LoadOptions(n_ctx=32768, flash_attn="on")
    small_cache = replace(options, type_k="q8_0", type_v="q8_0")
    # Just less RAM than a q8_0 cache needs at 32k, and the shortest f16 context still fits? Pick what
    # neither change alone meets: the q8_0 cache at 20k.
    need = fit.estimate_for(info, replace(small_cache, n_ctx=20_480)).total
    available = int(need / fit.COMFORT) + 1
    found = suggest(info, options, available, TOTAL)
    assert found
    for suggestion in found:
        assert fit.judge_options(info, suggestion.options, available, TOTAL).verdict == fit.FITS


def test_a_small_gpu_suggests_fewer_layers_and_little_ram_more(gemma_path):
    info = read_gguf_info(gemma_path)
    options = LoadOptions(n_ctx=4096, n_gpu_layers=GPU_ALL)
    small = GpuMemory("Small GPU", 700_000_000, 1_000_000_000)
    judged = fit.judge_options(info, options, 16_000_000_000, 32_000_000_000, small)
    assert judged.gpu_verdict == fit.WONT_FIT
    found = suggest(info, options, 16_000_000_000, 32_000_000_000, small)
    fewer = next(s for s in found if s.text.startswith("Put fewer layers on the GPU"))
    assert 0 < fewer.options.n_gpu_layers < 19
    assert fit.judge_options(info, fewer.options, 16_000_000_000, 32_000_000_000, small).verdict == fit.FITS
    assert f"{fewer.options.n_gpu_layers} of 19" in fewer.text and "of GPU memory" in fewer.text
    # Little RAM, a roomy GPU, the model on the CPU: more layers on the GPU make it fit.
    roomy = GpuMemory("Roomy GPU", 8_000_000_000, 8_000_000_000)
    cpu = replace(options, n_gpu_layers=0)
    available = int(offload.place(info, cpu, 19).ram / fit.COMFORT) + 1
    assert fit.judge_options(info, cpu, available, TOTAL, roomy).verdict == fit.WONT_FIT
    more = next(s for s in suggest(info, cpu, available, TOTAL, roomy) if s.text.startswith("Put more layers"))
    assert more.options.n_gpu_layers == 19
