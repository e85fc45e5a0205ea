"""One llama.cpp model inside the engine process: load it, stream chat replies.

Only the engine process imports this module (and with it llama_cpp), so a
native crash here can never take the window down.
"""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core import overflow, sampling
from app.core.chat_template import build_prompt
from app.core.errors import EngineError, RequestError
from app.core.gguf_info import read_gguf_info
from app.core.flash_policy import uses_flash_attention
from app.core.load_options import GGML_TYPES, GPU_AUTO, LoadOptions
from app.core.template_choice import TemplateChoice, resolve_for
from app.core.text_stream import TextStream
from app.engine import protocol
from app.engine.load_progress import Progress, construct_with_progress

DEFAULT_PARAMS = {
    "temperature": 0.7,
    "top_p": 0.95,
    "top_k": 40,
    "min_p": 0.05,
    "repeat_penalty": 1.0,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
    "json_schema": None,  # replies that follow this JSON schema (a llama.cpp grammar made from it)
    "json_object": False,  # replies that are one JSON object
    "max_tokens": 1024,
    "seed": None,
    "stop": [],
    "ignore_eos": False,  # benchmarks only: generate exactly max_tokens
    "continue": False,  # the last message is a reply cut short: write on from its last word
    overflow.KEY: overflow.DEFAULT,  # what to leave out when the conversation outgrows the context window
}


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    tokens: int = 0
    prompt_seconds: float = 0.0
    generation_seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        # Decode speed: tokens after the first, over the time after the first.
        if self.tokens < 2 or self.generation_seconds <= 0:
            return 0.0
        return (self.tokens - 1) / self.generation_seconds

    def as_dict(self) -> dict:
        return {
            "prompt_tokens": self.prompt_tokens,
            "tokens": self.tokens,
            "prompt_seconds": round(self.prompt_seconds, 4),
            "generation_seconds": round(self.generation_seconds, 4),
            "tokens_per_second": round(self.tokens_per_second, 2),
        }


def system_info() -> str:
    import llama_cpp

    return llama_cpp.llama_print_system_info().decode("utf-8", "replace")


def backend_name() -> str:
    info = system_info()
    for marker, name in (("CUDA", "CUDA"), ("METAL", "Metal"), ("VULKAN", "Vulkan"), ("HIP", "ROCm")):
        if f"{marker} :" in info.upper() or f"{marker} =" in info.upper():
            return name
    return "CPU"


def _grammar(options: dict):
    """The llama.cpp grammar a reply must follow: a JSON schema's, any JSON object's, or none."""
    from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar

    schema = options.get("json_schema")
    if schema is not None:
        import json

        try:
            return LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        except (AssertionError, ValueError, KeyError, TypeError, RecursionError) as error:
            raise RequestError(f"The JSON schema cannot be used: {error}", repr(error)) from error
    if options.get("json_object"):
        return LlamaGrammar.from_string(JSON_GBNF, verbose=False)
    return None


def _type_name(ggml_type: int) -> str:
    return next((name for name, number in GGML_TYPES.items() if number == ggml_type), str(ggml_type))


class LlmSession:
    def __init__(self) -> None:
        self._llm = None
        self.path: Path | None = None
        self._template: str | None = None
        self._choice: TemplateChoice | None = None  # which chat template prompts are built with, and why
        self._has_chatml = True
        self._embedder = None  # a context for embeddings, made when first asked
        self._embedding_setup: dict = {}

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def load(self, path: str, options: LoadOptions, threads: int, gpu_layers: int | None = None,
             progress: Progress | None = None) -> dict:
        """Load ``path`` with ``options`` (checked), ``threads`` CPU threads and, for Auto offload,
        ``gpu_layers`` layers on the GPU as the caller worked out; report what llama.cpp really uses.
        ``progress`` hears the share loaded and stops the load by returning False (``LoadCancelled``)."""
        import llama_cpp
        from llama_cpp import Llama

        options.checked()
        # Let go of the model in use first: after a failed load no model is loaded, so none can answer
        # in the name of the one that failed.
        self.unload()
        info = read_gguf_info(path)  # refuse bad files before llama.cpp sees them
        if info.split_count > 1 and not Path(path).name.endswith(f"-00001-of-{info.split_count:05d}.gguf"):
            raise EngineError(f"“{Path(path).name}” is one part of a split model; open its first part.")
        trained = info.context_length or 4096
        n_ctx = min(options.n_ctx or 4096, trained)
        if options.n_gpu_layers == GPU_AUTO:
            n_gpu_layers = gpu_layers or 0
        else:
            n_gpu_layers = options.n_gpu_layers
        started = time.monotonic()
        self._embedding_setup = {"n_threads": threads, "n_gpu_layers": n_gpu_layers, "n_ctx": n_ctx}
        try:
            llm = construct_with_progress(Llama, progress)(
                model_path=str(path),
                n_ctx=n_ctx,
                n_batch=options.n_batch,
                n_ubatch=options.n_batch,
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=n_gpu_layers,
                # llama-cpp-python takes flash attention as on or off: Hearth resolves Auto itself.
                flash_attn=uses_flash_attention(options, info, on_gpu=n_gpu_layers != 0 and llama_cpp.llama_supports_gpu_offload()),
                type_k=GGML_TYPES[options.type_k],
                type_v=GGML_TYPES[options.type_v],
                use_mmap=options.use_mmap,
                use_mlock=options.use_mlock,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as error:
            raise EngineError(
                f"llama.cpp could not load “{Path(path).name}”. The file may be damaged, use an "
                "architecture this version of llama.cpp does not support, or not fit with these load settings.",
                repr(error),
            ) from error
        self._llm = llm
        self.path = Path(path)
        self._has_chatml = self._is_control_token("<|im_start|>")
        self._choice = resolve_for(options.chat_template, info, self._is_control_token,
                                   self._special_text(llm.token_bos()), self._special_text(llm.token_eos()))
        self._template = self._choice.source
        return {
            "path": str(path),
            "name": info.name,
            "options": options.as_dict(),
            "n_ctx": llm.n_ctx(),
            "n_threads": llm.context_params.n_threads,
            "n_batch": llm.n_batch,
            "flash_attn": llm.context_params.flash_attn_type == 1,
            "type_k": _type_name(llm.context_params.type_k),
            "type_v": _type_name(llm.context_params.type_v),
            "use_mmap": llm.model_params.load_mode in (1, 3),  # llama.cpp's LLAMA_LOAD_MODE_MMAP(_MLOCK)
            "use_mlock": llm.model_params.load_mode in (2, 3),
            "n_gpu_layers": llm.model_params.n_gpu_layers,
            "layer_count": int(info.metadata.get(f"{info.architecture}.block_count") or 0),
            "has_chat_template": info.has_chat_template,
            **self._choice.as_report(),  # which chat template, and why ("Gemma (chosen because the file has none)")
            "load_seconds": round(time.monotonic() - started, 3),
            "backend": backend_name(),
            "sampling": sampling.from_metadata(info.metadata),
        }

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """A normalised vector for each text (mean over its tokens), and the tokens read. A second llama.cpp
        context made for embeddings, once, from the same file: llama.cpp computes embeddings only in a context
        built for them, and the memory map shares the weights between the two."""
        if self._llm is None:
            raise EngineError("No model is loaded.")
        if self._embedder is None:
            from llama_cpp import LLAMA_POOLING_TYPE_MEAN, Llama

            setup = self._embedding_setup
            try:
                self._embedder = Llama(model_path=str(self.path), embedding=True, pooling_type=LLAMA_POOLING_TYPE_MEAN,
                                       n_ctx=setup["n_ctx"], n_batch=setup["n_ctx"], n_ubatch=setup["n_ctx"],
                                       n_threads=setup["n_threads"], n_gpu_layers=setup["n_gpu_layers"],
                                       verbose=False)
            except (ValueError, RuntimeError, OSError) as error:
                raise EngineError("llama.cpp could not make embeddings with this model.", repr(error)) from error
        embedder = self._embedder
        vectors, total = [], 0
        for index, text in enumerate(texts):
            count = len(embedder.tokenize(text.encode("utf-8"), add_bos=True, special=False))
            if count > embedder.n_ctx():
                raise RequestError(f"Input {index} is {count:,} tokens long; this model embeds at most "
                                   f"{embedder.n_ctx():,} at a time.")
            total += count
            vectors.append([float(x) for x in embedder.embed(text, normalize=True)])
        return vectors, total

    def unload(self) -> None:
        if self._embedder is not None:
            self._embedder.close()
            self._embedder = None
        if self._llm is not None:
            self._llm.close()
            self._llm = None
            self.path = None

    def _special_text(self, token_id: int) -> str:
        if token_id < 0:
            return ""
        return self._llm.detokenize([token_id], special=True).decode("utf-8", "replace")

    def _is_control_token(self, text: str) -> bool:
        """Whether the vocabulary holds ``text`` as one control token (what picks a chat format)."""
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)) == 1

    def _tokenize_prompt(self, messages: list[dict], continue_last: bool = False):
        llm = self._llm
        choice = self._choice
        prompt = build_prompt(
            self._template,
            messages,
            bos_token=self._special_text(llm.token_bos()),
            eos_token=self._special_text(llm.token_eos()),
            has_chatml_tokens=self._has_chatml,
            continue_last=continue_last,
            fallback=choice.fallback if choice else None,
        )
        if choice is not None and prompt.template_name == "model":
            prompt.stop, prompt.notice = list(choice.stop), choice.notice
        tokens: list[int] = []
        for segment in prompt.segments:
            tokens += llm.tokenize(segment.text.encode("utf-8"), add_bos=False, special=segment.special)
        bos = llm.token_bos()
        if llm._model.add_bos_token() and bos >= 0 and (not tokens or tokens[0] != bos):
            tokens.insert(0, bos)
        return prompt, tokens

    def count(self, messages: list[dict]) -> tuple[int, int]:
        """Tokens the prompt for ``messages`` takes (the model's own template and tokenizer), and the window."""
        if self._llm is None:
            raise EngineError("No model is loaded.")
        _prompt, tokens = self._tokenize_prompt(messages)
        return len(tokens), self._llm.n_ctx()

    def _fit_to_context(self, messages: list[dict], budget: int, continue_last: bool = False,
                        policy: str = overflow.DEFAULT):
        """The prompt for ``messages``, leaving turns out as ``policy`` says until it leaves room for a reply.

        Returns the prompt, its tokens, how many turns went, and the policy that chose them (Keep the
        first exchange gives way to Drop the oldest when the first exchange is itself too long to keep).
        Only when the system prompt and the last message alone are too long is that an error. The
        number to drop is found by bisection, as tokenizing a long history many times over would be slow.
        """
        prompt, tokens = self._tokenize_prompt(messages, continue_last)
        if len(tokens) <= budget:
            return prompt, tokens, 0, policy
        if policy == overflow.STOP:
            raise RequestError(overflow.stopped(len(tokens), self._llm.n_ctx()))
        system = [m for m in messages[:1] if m.get("role") == "system"]
        history = messages[len(system):]
        for chosen in dict.fromkeys((policy, overflow.DROP_OLDEST)):
            low, high = 1, overflow.droppable(history, chosen)
            best = None
            while low <= high:
                middle = (low + high) // 2
                kept = overflow.kept(history, middle, chosen)
                candidate, candidate_tokens = self._tokenize_prompt(system + kept, continue_last)
                if len(candidate_tokens) <= budget:
                    best, high = (candidate, candidate_tokens, len(history) - len(kept), chosen), middle - 1
                else:
                    low = middle + 1
            if best is not None:
                return best
        raise RequestError(
            f"The last message is too long for the model's context window ({len(tokens):,} tokens with the "
            f"history; even alone it does not leave room for a reply in {budget + 1:,}). Shorten it, or "
            "choose a larger context length.")

    def _prefill(self, tokens: list[int], cancel: threading.Event) -> list[int] | None:
        """Read the prompt into the KV cache a micro-batch at a time, so Stop is heard between batches.

        ``Llama.generate`` reads the whole prompt in one uninterruptible call (seconds for a long
        conversation on a big model). Here the part already in the cache is kept (the shared
        history of the conversation), the rest is evaluated in slices with a cancel check
        between them, and the last token is left for ``generate`` to evaluate and sample from.
        Returns the tokens still to give ``generate``, or None when cancelled.
        """
        llm = self._llm
        if getattr(llm, "_is_recurrent", False) or getattr(llm, "_is_hybrid", False):
            return tokens  # their state cannot be cut back to a prefix; let generate() reset it
        cached = 0
        for old, new in zip(llm.input_ids[: llm.n_tokens], tokens[:-1], strict=False):
            if old != new:
                break
            cached += 1
        llm.n_tokens = cached  # eval() drops whatever the cache holds past this point
        step = max(1, llm.n_batch)
        for start in range(cached, len(tokens) - 1, step):
            if cancel.is_set():
                return None
            llm.eval(tokens[start:min(start + step, len(tokens) - 1)])
        return tokens[-1:]

    def chat(self, messages: list[dict], params: dict, cancel: threading.Event,
             emit: Callable[[str, int], None], started: Callable[[int, str], None]) -> tuple[str, GenerationStats]:
        """Stream a reply to ``messages``. ``emit(text, n_tokens)`` gets each piece of text."""
        if self._llm is None:
            raise EngineError("No model is loaded.")
        llm = self._llm
        options = {**DEFAULT_PARAMS, **{k: v for k, v in params.items() if v is not None}}
        n_ctx = llm.n_ctx()
        reply_room = max(1, min(int(options["max_tokens"]), n_ctx // 4))
        continue_last = bool(options.get("continue")) and bool(messages) and messages[-1].get("role") == "assistant"
        prompt, tokens, dropped, policy = self._fit_to_context(
            messages, n_ctx - reply_room, continue_last, overflow.clean(options[overflow.KEY]) or overflow.DEFAULT)
        max_tokens = min(int(options["max_tokens"]), n_ctx - len(tokens))
        grammar = _grammar(options)
        notice = prompt.notice
        if dropped:
            notice = f"{overflow.notice(policy, dropped, n_ctx)} {notice}".strip()
        started(len(tokens), notice)
        return self._generate(tokens, options, prompt.stop, max_tokens, grammar, cancel, emit)

    def complete(self, prompt_text: str, params: dict, cancel: threading.Event,
                 emit: Callable[[str, int], None], started: Callable[[int, str], None]) -> tuple[str, GenerationStats]:
        """Stream a continuation of plain ``prompt_text`` (no chat template). Control tokens in it stay text,
        as in a chat: a caller cannot forge the template's markers."""
        if self._llm is None:
            raise EngineError("No model is loaded.")
        llm = self._llm
        options = {**DEFAULT_PARAMS, **{k: v for k, v in params.items() if v is not None}}
        tokens = llm.tokenize(prompt_text.encode("utf-8"), add_bos=True, special=False)
        n_ctx = llm.n_ctx()
        if len(tokens) >= n_ctx:
            raise RequestError(overflow.stopped(len(tokens), n_ctx))
        max_tokens = min(int(options["max_tokens"]), n_ctx - len(tokens))
        grammar = _grammar(options)
        started(len(tokens), "")
        return self._generate(tokens, options, [], max_tokens, grammar, cancel, emit)

    def _generate(self, tokens: list[int], options: dict, template_stops: list[str], max_tokens: int, grammar,
                  cancel: threading.Event, emit: Callable[[str, int], None]) -> tuple[str, GenerationStats]:
        import llama_cpp

        llm = self._llm
        llm.set_seed(options["seed"] if options["seed"] is not None else random.randrange(2**31))
        stream = TextStream(list(options["stop"]) + template_stops)
        vocab = llm._model.vocab
        stats = GenerationStats(prompt_tokens=len(tokens))
        reason = protocol.LENGTH
        t0 = time.perf_counter()
        first = last = t0
        remaining = self._prefill(tokens, cancel)
        if remaining is None:
            stats.prompt_seconds = time.perf_counter() - t0
            return protocol.CANCELLED, stats
        for token in llm.generate(
            remaining,
            reset=False,
            temp=float(options["temperature"]),
            top_p=float(options["top_p"]),
            top_k=int(options["top_k"]),
            min_p=float(options["min_p"]),
            repeat_penalty=float(options["repeat_penalty"]),
            presence_penalty=float(options["presence_penalty"]),
            frequency_penalty=float(options["frequency_penalty"]),
            grammar=grammar,
        ):
            now = time.perf_counter()
            if stats.tokens == 0:
                first = now
            last = now
            if not options["ignore_eos"] and llama_cpp.llama_vocab_is_eog(vocab, token):
                reason = protocol.STOP
                break
            stats.tokens += 1
            text = stream.feed(llm.detokenize([token]))
            if text:
                emit(text, 1)
            if stream.stopped:
                reason = protocol.STOP
                break
            if cancel.is_set():
                reason = protocol.CANCELLED
                break
            if stats.tokens >= max_tokens:
                break
        tail = stream.finish()
        if tail:
            emit(tail, 0)
        stats.prompt_seconds = first - t0
        stats.generation_seconds = last - first
        return reason, stats
