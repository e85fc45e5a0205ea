"""Memory estimates from real GGUF metadata."""
from app.core import fit
from app.core.gguf_info import read_gguf_info


def test_estimate_grows_with_context_from_real_metadata(smollm_path):
    info = read_gguf_info(smollm_path)
    small, large = fit.estimate(info, 1024), fit.estimate(info, 4096)
    # 30 layers × 3 KV heads × (64 + 64) × 2 bytes per token, f16.
    assert small.kv_cache == 30 * 1024 * 3 * 128 * 2
    assert large.kv_cache == 4 * small.kv_cache
    assert small.weights == info.file_size - info.data_offset
    assert small.total < large.total < 600_000_000


def test_sliding_window_layers_count_at_full_context(gemma_path):
    # llama.cpp keeps a full-size cache for sliding-window layers by default (swa_full), and so does Hearth.
    info = read_gguf_info(gemma_path)
    assert fit.estimate(info, 8192).kv_cache == 18 * 8192 * 1 * (256 + 256) * 2


def test_a_split_model_counts_all_its_parts(smollm_path):
    info = read_gguf_info(smollm_path)
    single = fit.estimate(info, 1024).weights
    info.all_parts_size = info.file_size * 3
    assert fit.estimate(info, 1024).weights == single + 2 * info.file_size


def test_verdicts():
    assert fit.judge(100, 1000, 2000).verdict == fit.FITS
    assert fit.judge(900, 1000, 2000).verdict == fit.TIGHT
    verdict = fit.judge(2_500_000_000, 1_000_000_000, 8_000_000_000)
    assert verdict.verdict == fit.WONT_FIT
    assert verdict.message.startswith("Won't fit: needs about 2.5 GB; 1.0 GB of 8.0 GB RAM is free")


def test_gpu_memory_from_nvidia_smi_and_offloaded_verdicts(smollm_path):
    from app.core.gpu import GpuMemory, parse_nvidia_smi

    h100 = parse_nvidia_smi("NVIDIA H100 80GB HBM3, 80563, 81559\n")
    assert h100 == GpuMemory("NVIDIA H100 80GB HBM3", 80563 << 20, 81559 << 20)
    assert parse_nvidia_smi("No devices were found") is None
    info = read_gguf_info(smollm_path)
    needed = fit.estimate(info, 4096).total
    assert fit.offload_share(0, info) == 0 and fit.offload_share(-1, info) == 1
    assert fit.offload_share(15, info) == 15 / 31  # 30 blocks and the output layer
    small_gpu = GpuMemory("Tiny GPU", 100_000_000, 200_000_000)
    on_gpu = fit.judge(needed, 16_000_000_000, 32_000_000_000, gpu=small_gpu, gpu_share=1.0)
    assert on_gpu.verdict == fit.WONT_FIT and "of GPU memory" in on_gpu.message and "Tiny GPU" in on_gpu.message
    assert fit.judge(needed, 16_000_000_000, 32_000_000_000, gpu=h100, gpu_share=1.0).verdict == fit.FITS
    # With no layers offloaded the GPU does not matter.
    assert fit.judge(needed, 16_000_000_000, 32_000_000_000, gpu=small_gpu, gpu_share=0).verdict == fit.FITS
