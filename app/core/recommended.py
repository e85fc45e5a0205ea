"""The Recommended list: well-known instruct models worth a first download, in one place.

Written by hand from the vendors' model cards and config.json files (and the uploaders'
file lists) as of 2025; the Hub is not reachable where this was written, so nothing
here was checked against a live listing. Sizes in bytes are never stored: the list is
ranked offline from each model's parameter count (``recommended_fit``), and when the Hub
answers, the repo's real file sizes replace those estimates.

Each entry names a repo that ships single-file GGUFs (bartowski's uploads, or the vendor's
own ``-GGUF`` repo), the quants it holds among those offered first, the architecture
figures the memory estimate needs (layers, heads, KV heads, head size, vocabulary), one
line on what the model is good at, and its licence when that licence restricts use.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    """What the memory estimate needs from a model's config.json, under llama.cpp's GGUF names."""

    architecture: str  # general.architecture in the GGUF
    layers: int
    embedding: int
    heads: int
    kv_heads: int
    head_size: int
    vocabulary: int
    context: int  # trained context length
    tied: bool  # the output layer reuses the token embeddings (no output.weight)


@dataclass(frozen=True)
class CatalogueModel:
    repo_id: str
    name: str  # "Qwen3 8B"
    family: str  # "Qwen", "Llama", "Gemma", "Mistral", "Phi", "SmolLM"
    parameters: int
    good_at: str  # one line
    file_pattern: str  # the file name for a quant: {quant} as written (Q4_K_M), {quant_lower} (q4_k_m)
    quants: tuple[str, ...]  # the repo's files among the quants offered first
    shape: Shape
    licence: str = ""  # only when it restricts use

    @property
    def licence_name(self) -> str:
        """The licence in a word or two: the restrictive ones by name, the open ones by SPDX id."""
        if self.licence:
            return "non-commercial" if "non-commercial" in self.licence else \
                self.licence.split(":")[0].replace(" Community License", " licence").replace(" Terms of Use", " terms")
        return OPEN_LICENCES[self.family]

    def file_name(self, quant: str) -> str:
        return self.file_pattern.format(quant=quant, quant_lower=quant.lower())


ALL = ("Q4_K_M", "Q5_K_M", "Q8_0")  # bartowski's repos hold every quant; these are the ones offered first


def _m(repo_id, name, family, parameters, good_at, pattern, shape, quants=ALL, licence=""):
    return CatalogueModel(repo_id, name, family, int(parameters), good_at, pattern, tuple(quants), shape, licence)


QWEN_RESEARCH = "Qwen Research License: non-commercial use only"
LLAMA_32 = "Llama 3.2 Community License: accept Meta's terms and acceptable use policy"
LLAMA_31 = "Llama 3.1 Community License: accept Meta's terms and acceptable use policy"
GEMMA = "Gemma Terms of Use: Google's use restrictions apply"

CATALOGUE: tuple[CatalogueModel, ...] = (
    # Qwen (Alibaba): Apache-2.0 except Qwen2.5 3B.
    _m("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "Qwen2.5 0.5B Instruct", "Qwen", 0.49e9,
       "Very fast small talk and simple text tasks, in many languages",
       "qwen2.5-0.5b-instruct-{quant_lower}.gguf", Shape("qwen2", 24, 896, 14, 2, 64, 151_936, 32_768, True)),
    _m("Qwen/Qwen2.5-1.5B-Instruct-GGUF", "Qwen2.5 1.5B Instruct", "Qwen", 1.54e9,
       "Quick answers, summaries and light coding help",
       "qwen2.5-1.5b-instruct-{quant_lower}.gguf", Shape("qwen2", 28, 1536, 12, 2, 128, 151_936, 32_768, True)),
    _m("Qwen/Qwen2.5-3B-Instruct-GGUF", "Qwen2.5 3B Instruct", "Qwen", 3.09e9,
       "Everyday assistant work and structured output such as JSON",
       "qwen2.5-3b-instruct-{quant_lower}.gguf", Shape("qwen2", 36, 2048, 16, 2, 128, 151_936, 32_768, True),
       licence=QWEN_RESEARCH),
    _m("bartowski/Qwen2.5-7B-Instruct-GGUF", "Qwen2.5 7B Instruct", "Qwen", 7.62e9,
       "Strong all-rounder: writing, coding, maths and 29 languages",
       "Qwen2.5-7B-Instruct-{quant}.gguf", Shape("qwen2", 28, 3584, 28, 4, 128, 152_064, 32_768, False)),
    _m("Qwen/Qwen3-0.6B-GGUF", "Qwen3 0.6B", "Qwen", 0.60e9,
       "A tiny model that can think step by step before it answers",
       "Qwen3-0.6B-{quant}.gguf", Shape("qwen3", 28, 1024, 16, 8, 128, 151_936, 40_960, True), quants=("Q8_0",)),
    _m("Qwen/Qwen3-1.7B-GGUF", "Qwen3 1.7B", "Qwen", 1.7e9,
       "Small and quick, with a thinking mode for reasoning",
       "Qwen3-1.7B-{quant}.gguf", Shape("qwen3", 28, 2048, 16, 8, 128, 151_936, 40_960, True), quants=("Q8_0",)),
    _m("Qwen/Qwen3-4B-GGUF", "Qwen3 4B", "Qwen", 4.0e9,
       "Reasoning, maths and coding at a small size; thinking on or off",
       "Qwen3-4B-{quant}.gguf", Shape("qwen3", 36, 2560, 32, 8, 128, 151_936, 40_960, True)),
    _m("Qwen/Qwen3-8B-GGUF", "Qwen3 8B", "Qwen", 8.2e9,
       "Reasoning, coding, tool use and over 100 languages",
       "Qwen3-8B-{quant}.gguf", Shape("qwen3", 36, 4096, 32, 8, 128, 151_936, 40_960, False)),
    _m("Qwen/Qwen3-14B-GGUF", "Qwen3 14B", "Qwen", 14.8e9,
       "One of the strongest models a desktop can run: reasoning and coding",
       "Qwen3-14B-{quant}.gguf", Shape("qwen3", 40, 5120, 40, 8, 128, 151_936, 40_960, False)),
    # Llama (Meta), through bartowski's uploads: Meta's own repos are gated.
    _m("bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama 3.2 1B Instruct", "Llama", 1.24e9,
       "Fast summaries, rewriting and short chats in 8 languages",
       "Llama-3.2-1B-Instruct-{quant}.gguf", Shape("llama", 16, 2048, 32, 8, 64, 128_256, 131_072, True),
       licence=LLAMA_32),
    _m("bartowski/Llama-3.2-3B-Instruct-GGUF", "Llama 3.2 3B Instruct", "Llama", 3.21e9,
       "Follows instructions well; summaries and tool use on modest machines",
       "Llama-3.2-3B-Instruct-{quant}.gguf", Shape("llama", 28, 3072, 24, 8, 128, 128_256, 131_072, True),
       licence=LLAMA_32),
    _m("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Llama 3.1 8B Instruct", "Llama", 8.03e9,
       "A well-rounded assistant with a long (128k) context",
       "Meta-Llama-3.1-8B-Instruct-{quant}.gguf", Shape("llama", 32, 4096, 32, 8, 128, 128_256, 131_072, False),
       licence=LLAMA_31),
    # Gemma (Google), through bartowski's uploads: Google's own repos are gated.
    _m("bartowski/google_gemma-3-1b-it-GGUF", "Gemma 3 1B it", "Gemma", 1.0e9,
       "Small and quick, with clear plain English",
       "google_gemma-3-1b-it-{quant}.gguf", Shape("gemma3", 26, 1152, 4, 1, 256, 262_144, 32_768, True),
       licence=GEMMA),
    _m("bartowski/google_gemma-3-4b-it-GGUF", "Gemma 3 4B it", "Gemma", 3.88e9,
       "Good writing and chat in over 140 languages, strong for its size",
       "google_gemma-3-4b-it-{quant}.gguf", Shape("gemma3", 34, 2560, 8, 4, 256, 262_208, 131_072, True),
       licence=GEMMA),
    _m("bartowski/google_gemma-3-12b-it-GGUF", "Gemma 3 12B it", "Gemma", 11.8e9,
       "High-quality writing and reasoning in over 140 languages",
       "google_gemma-3-12b-it-{quant}.gguf", Shape("gemma3", 48, 3840, 16, 8, 256, 262_208, 131_072, True),
       licence=GEMMA),
    # Mistral: Apache-2.0.
    _m("bartowski/Mistral-7B-Instruct-v0.3-GGUF", "Mistral 7B Instruct v0.3", "Mistral", 7.25e9,
       "Dependable general chat and function calling",
       "Mistral-7B-Instruct-v0.3-{quant}.gguf", Shape("llama", 32, 4096, 32, 8, 128, 32_768, 32_768, False)),
    _m("bartowski/Mistral-Nemo-Instruct-2407-GGUF", "Mistral Nemo Instruct (12B)", "Mistral", 12.2e9,
       "Long context (128k), multilingual chat and coding",
       "Mistral-Nemo-Instruct-2407-{quant}.gguf", Shape("llama", 40, 5120, 32, 8, 128, 131_072, 131_072, False)),
    # Phi (Microsoft): MIT.
    _m("bartowski/Phi-3.5-mini-instruct-GGUF", "Phi-3.5 mini instruct", "Phi", 3.82e9,
       "Reasoning and maths in English, with a long context",
       "Phi-3.5-mini-instruct-{quant}.gguf", Shape("phi3", 32, 3072, 32, 32, 96, 32_064, 131_072, False)),
    _m("bartowski/microsoft_Phi-4-mini-instruct-GGUF", "Phi-4 mini instruct", "Phi", 3.84e9,
       "Reasoning, maths and function calling in a 3.8B model",
       "microsoft_Phi-4-mini-instruct-{quant}.gguf", Shape("phi3", 32, 3072, 24, 8, 128, 200_064, 131_072, True)),
    # SmolLM (Hugging Face): Apache-2.0; the vendor's repos hold one quant each.
    _m("HuggingFaceTB/SmolLM2-360M-Instruct-GGUF", "SmolLM2 360M Instruct", "SmolLM", 0.362e9,
       "Runs anywhere: simple rewriting and short answers",
       "smollm2-360m-instruct-{quant_lower}.gguf", Shape("llama", 32, 960, 15, 5, 64, 49_152, 8_192, True),
       quants=("Q8_0",)),
    _m("HuggingFaceTB/SmolLM2-1.7B-Instruct-GGUF", "SmolLM2 1.7B Instruct", "SmolLM", 1.71e9,
       "Small and quick: everyday questions, rewriting and summaries",
       "smollm2-1.7b-instruct-{quant_lower}.gguf", Shape("llama", 24, 2048, 32, 32, 64, 49_152, 8_192, True),
       quants=("Q4_K_M",)),
)

FAMILIES = ("Qwen", "Llama", "Gemma", "Mistral", "Phi", "SmolLM")
OPEN_LICENCES = {"Qwen": "Apache-2.0", "Mistral": "Apache-2.0", "Phi": "MIT", "SmolLM": "Apache-2.0"}


def by_repo(repo_id: str, catalogue: tuple[CatalogueModel, ...] = CATALOGUE) -> CatalogueModel | None:
    return next((model for model in catalogue if model.repo_id == repo_id), None)
