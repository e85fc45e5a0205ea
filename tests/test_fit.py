"""Memory estimates from real GGUF metadata: every load option, and RAM and GPU memory apart."""
from dataclasses import replace

from app.core import fit, offload
from app.core.gguf_info import read_gguf_info
from app.core.gpu import GpuMemory, parse_nvidia_smi, parse_nvidia_smi_all
from app.core.load_options import GPU_ALL, GPU_AUTO, LoadOptions

BIG_RAM = (16_000_000_000, 32_000_000_000)


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


def test_the_estimate_follows_every_memory_option(smollm_path):
    info = read_gguf_info(smollm_path)
    base = LoadOptions(n_ctx=8192, flash_attn="off")

    def needed(**change) -> fit.MemoryEstimate:
        return fit.estimate_for(info, replace(base, **change))

    plain = needed()
    assert needed(n_ctx=2048).total < plain.total
    # ggml's q8_0 keeps 32 values in 34 bytes, q4_0 in 18: the cache shrinks by exactly that much.
    assert needed(type_k="q8_0", type_v="q8_0", flash_attn="on").kv_cache == plain.kv_cache * 34 // 64
    assert needed(type_k="q4_0", type_v="q4_0", flash_attn="on").kv_cache == plain.kv_cache * 18 // 64
    assert needed(type_k="q8_0").kv_cache < plain.kv_cache  # a quantized K cache works without flash attention
    # Flash attention never builds a micro-batch's attention scores: less compute memory at a long context.
    assert needed(flash_attn="on").compute < plain.compute
    assert needed(n_batch=256).compute < plain.compute
    judged = [fit.judge_options(info, replace(base, **change), 400_000_000, 1_000_000_000).needed
              for change in ({}, {"n_ctx": 2048}, {"flash_attn": "on"})]
    assert judged[0] > judged[2] and judged[0] > judged[1]


def test_blocks_keep_their_real_tensor_bytes(smollm_path, gemma_path):
    for path, blocks in ((smollm_path, 30), (gemma_path, 18)):
        info = read_gguf_info(path)
        assert sorted(info.block_bytes) == list(range(blocks))
        assert sum(info.block_bytes.values()) + info.input_bytes + info.output_bytes == \
            info.expected_size - info.data_offset
        assert not info.has_output_matrix  # both reuse their embeddings as the output layer
        assert 0 < info.embedding_matrix_bytes <= info.input_bytes
    gemma = read_gguf_info(gemma_path)
    # Gemma 3's blocks are not all alike (some layers' tensors are quantized differently): a uniform
    # share of the file would be wrong, and the embeddings are most of this small model.
    assert len(set(gemma.block_bytes.values())) > 1
    assert gemma.embedding_matrix_bytes > sum(gemma.block_bytes.values())


def test_layers_on_the_gpu_split_memory_the_way_llama_cpp_places_them(gemma_path):
    info = read_gguf_info(gemma_path)
    options = LoadOptions(n_ctx=4096, flash_attn="on")
    whole = fit.estimate_for(info, options)
    assert offload.place(info, options, 0) == offload.Split(ram=whole.total, gpu=0, gpu_layers=0)
    kv_layer = whole.kv_cache // 18
    five = offload.place(info, options, 5)
    # llama.cpp offloads the LAST blocks first.
    assert five.gpu_weights == sum(info.block_bytes[i] for i in range(13, 18))
    assert five.gpu_kv_cache == 5 * kv_layer
    assert five.ram < whole.total and five.gpu > five.gpu_weights + five.gpu_kv_cache
    blocks_only = offload.place(info, options, 18)
    everything = offload.place(info, options, 19)  # 18 blocks and the output layer
    # The output layer brings a copy of the embedding matrix it shares with the input, which stays in RAM.
    assert everything.gpu_weights - blocks_only.gpu_weights == info.output_bytes + info.embedding_matrix_bytes
    assert everything.ram >= info.input_bytes + fit.RUNTIME_BYTES
    assert offload.place(info, options, 99) == everything


def test_auto_offload_fills_the_gpu_from_real_layer_sizes(gemma_path):
    info = read_gguf_info(gemma_path)
    options = LoadOptions(n_ctx=4096)
    assert fit.auto_gpu_layers(info, options, None) == 0
    roomy = GpuMemory("NVIDIA H200", 140_000_000_000, 150_000_000_000)
    assert fit.auto_gpu_layers(info, options, roomy) == fit.layer_count(info) == 19
    for free in (450_000_000, 600_000_000, 900_000_000):
        small = GpuMemory("Small GPU", free, 2_000_000_000)
        layers = fit.auto_gpu_layers(info, options, small)
        assert offload.place(info, options, layers).gpu <= free * fit.GPU_MARGIN
        if layers < 19:
            assert offload.place(info, options, layers + 1).gpu > free * fit.GPU_MARGIN
    # The output layer (with its copy of the embeddings) alone takes more than all of Gemma's blocks.
    between = GpuMemory("Small GPU", int(offload.place(info, options, 18).gpu / fit.GPU_MARGIN) + 1, 2_000_000_000)
    assert fit.auto_gpu_layers(info, options, between) == 18
    auto = replace(options, n_gpu_layers=GPU_AUTO)
    assert fit.gpu_layers_for(info, auto, between) == 18
    assert fit.gpu_layers_for(info, replace(options, n_gpu_layers=GPU_ALL), between) == 19
    assert fit.gpu_layers_for(info, replace(options, n_gpu_layers=GPU_ALL), None) == 0  # CPU build


def test_verdicts():
    assert fit.judge(100, 1000, 2000).verdict == fit.FITS
    assert fit.judge(900, 1000, 2000).verdict == fit.TIGHT
    verdict = fit.judge(2_500_000_000, 1_000_000_000, 8_000_000_000)
    assert verdict.verdict == fit.WONT_FIT
    assert verdict.message.startswith("Won't fit: needs about 2.5 GB; 1.0 GB of 8.0 GB RAM is free")


def test_gpu_memory_from_nvidia_smi_and_ram_and_gpu_judged_apart(smollm_path):
    h100 = parse_nvidia_smi("NVIDIA H100 80GB HBM3, 80563, 81559\n")
    assert h100 == GpuMemory("NVIDIA H100 80GB HBM3", 80563 << 20, 81559 << 20)
    assert parse_nvidia_smi("No devices were found") is None
    two = parse_nvidia_smi_all("NVIDIA GeForce RTX 4090, 20000, 24564\nNVIDIA RTX A2000, 5000, 6138\n")
    assert [gpu.name for gpu in two] == ["NVIDIA GeForce RTX 4090", "NVIDIA RTX A2000"]
    info = read_gguf_info(smollm_path)
    options = LoadOptions(n_ctx=4096, n_gpu_layers=GPU_ALL)
    on_h100 = fit.judge_options(info, options, *BIG_RAM, gpu=h100)
    assert on_h100.verdict == fit.FITS and on_h100.gpu_layers == on_h100.layers == 31
    assert on_h100.message.startswith("Fits: needs about ") and " of RAM (16.0 GB of 32.0 GB free) and " in \
        on_h100.message and "of GPU memory for 31/31 layers" in on_h100.message and "NVIDIA H100" in on_h100.message
    assert on_h100.ram_needed + on_h100.gpu_needed == on_h100.needed
    assert on_h100.ram_needed < fit.estimate_for(info, options).total  # the weights went to the GPU
    tiny = GpuMemory("Tiny GPU", 100_000_000, 200_000_000)
    on_tiny = fit.judge_options(info, options, *BIG_RAM, gpu=tiny)
    assert on_tiny.verdict == fit.WONT_FIT and on_tiny.ram_verdict == fit.FITS
    assert "Tiny GPU" in on_tiny.message and "fewer layers on the GPU" in on_tiny.message
    # With no layers offloaded the GPU's memory does not matter.
    cpu = fit.judge_options(info, replace(options, n_gpu_layers=0), *BIG_RAM, gpu=tiny)
    assert cpu.verdict == fit.FITS and cpu.gpu_needed == 0 and "no layers on the GPU (Tiny GPU)" in cpu.message
