"""How a model's memory splits between RAM and the GPU when llama.cpp offloads ``n`` layers.

llama.cpp (``llama_model::load_tensors``) offloads the LAST ``n`` repeating blocks, and
the output layer only when ``n`` is larger than the block count; the input embeddings
always stay on the CPU. Each block's K and V cache lives where its block does. So the
split is read from the GGUF's real tensor sizes per block (``GGUFInfo.block_bytes``),
not a uniform share: embeddings and the output matrix are often a large part of a small
model (178 MB of Gemma 3 270M's 247 MB). A model without its own ``output.weight`` reuses
the embedding matrix as its output, and llama.cpp copies it to the GPU with the output layer.

The GPU side holds, on top of its tensors, the CUDA runtime's own context and compute
buffers that llama.cpp reserves in full (unlike RAM, where only the pages touched count):
the larger of the logits of a micro-batch and, with plain attention, a micro-batch's
attention scores. ``packaging/gpu-check.sh`` compares this with the memory a real GPU uses.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.core import fit
from app.core.gguf_info import GGUFInfo
from app.core.flash_policy import uses_flash_attention
from app.core.load_options import LoadOptions

GPU_RUNTIME_BYTES = 400_000_000  # the CUDA context and cuBLAS workspace of the engine process
FLOAT_BYTES = 4  # ggml computes in f32
ACTIVATION_ROWS = 4  # a micro-batch's activations kept beside the largest buffer


@dataclass(frozen=True)
class Split:
    ram: int
    gpu: int
    gpu_layers: int  # of the model's ``fit.layer_count``
    gpu_weights: int = 0
    gpu_kv_cache: int = 0
    gpu_compute: int = 0


def block_sizes(info: GGUFInfo) -> list[int]:
    """Bytes of each repeating block, in order; an even share when the header does not hold them all
    (the later parts of a split model)."""
    count = fit.block_count(info)
    if count and len(info.block_bytes) == count and all(i in info.block_bytes for i in range(count)):
        return [info.block_bytes[i] for i in range(count)]
    rest = max(0, fit.model_weights(info) - info.input_bytes - info.output_bytes)
    return [rest // count] * count if count else []


def output_layer_bytes(info: GGUFInfo) -> int:
    """What moves to the GPU with the output layer (a tied output brings a copy of the embeddings)."""
    return info.output_bytes + (0 if info.has_output_matrix else info.embedding_matrix_bytes)


def gpu_compute(info: GGUFInfo, options: LoadOptions, blocks_on_gpu: bool, output_on_gpu: bool) -> int:
    """The GPU's compute buffer as llama.cpp reserves it: the largest of a micro-batch's logits (with the
    output layer) and its attention scores and mask (plain attention), and a few rows of activations.
    Within 2% of the CPU's reserved buffer for SmolLM2 and Gemma 3 with either attention."""
    context = fit.context_of(info, options.n_ctx)
    heads = fit.metadata_int(info, "attention.head_count") or 1
    rows = options.n_batch * FLOAT_BYTES
    largest = fit.vocab_size(info) * rows if output_on_gpu else 0
    if blocks_on_gpu and not uses_flash_attention(options, info, on_gpu=True):
        largest = max(largest, (heads + 1) * context * rows)
    activations = (fit.metadata_int(info, "embedding_length") or 0) * rows * ACTIVATION_ROWS
    return largest + activations if (blocks_on_gpu or output_on_gpu) else 0


def place(info: GGUFInfo, options: LoadOptions, gpu_layers: int) -> Split:
    """RAM and GPU memory for ``info`` loaded with ``options`` and ``gpu_layers`` layers on the GPU."""
    whole = fit.estimate_for(info, options)
    blocks = block_sizes(info)
    count = len(blocks)
    layers = max(0, min(gpu_layers, count + 1))
    if layers == 0:
        return Split(ram=whole.total, gpu=0, gpu_layers=0)
    on_gpu = min(layers, count)
    output_on_gpu = layers > count
    kv_layer = fit.kv_bytes_per_layer(info, options.n_ctx, options.type_k, options.type_v)
    gpu_weights = sum(blocks[count - on_gpu:]) + (output_layer_bytes(info) if output_on_gpu else 0)
    gpu_kv = kv_layer * on_gpu
    compute = gpu_compute(info, options, on_gpu > 0, output_on_gpu)
    # RAM keeps the rest: the input embeddings, the blocks left on the CPU with their cache, and the
    # CPU's compute buffers for them (attention while any block stays, logits while the output does).
    ram_weights = whole.weights - sum(blocks[count - on_gpu:]) - (info.output_bytes if output_on_gpu else 0)
    ram_kv = kv_layer * (count - on_gpu)
    flash = uses_flash_attention(options, info, on_gpu=True)
    ram_compute = (fit.attention_compute(info, options.n_ctx, flash, options.n_batch) if on_gpu < count else 0) \
        + (0 if output_on_gpu else fit.output_compute(info, flash))
    return Split(ram=max(0, ram_weights) + ram_kv + ram_compute + whole.runtime,
                 gpu=GPU_RUNTIME_BYTES + gpu_weights + gpu_kv + compute,
                 gpu_layers=layers, gpu_weights=gpu_weights, gpu_kv_cache=gpu_kv, gpu_compute=compute)
