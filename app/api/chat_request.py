"""A chat completion request as OpenAI's clients send it, checked and turned into the engine's terms.

Everything a request may hold is checked here, before the engine hears of it:
a wrong type, a value out of range or an option Hearth cannot honour is a 400
that names the parameter, never something silently ignored (``n`` above 1,
``response_format`` Hearth cannot enforce, an image in a text-only chat).
"""
from __future__ import annotations

from dataclasses import dataclass

from app.api.errors import invalid
from app.core import overflow

ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
MAX_STOPS = 4  # OpenAI's limit
MAX_TOKENS_CAP = 32_768
MAX_EMBEDDING_INPUTS = 256


@dataclass(frozen=True)
class GenerationRequest:
    """A chat completion (``messages``) or a plain completion (``prompt``), in the engine's terms."""
    model: str
    params: dict  # the engine's sampling parameters
    messages: list[dict] | None = None  # [{"role", "content"}] with content as text
    prompt: str | None = None
    stream: bool = False
    include_usage: bool = False


@dataclass(frozen=True)
class EmbeddingRequest:
    model: str
    texts: list[str]
    base64: bool  # the `openai` client asks for base64 unless told otherwise


def parse_chat(body: object) -> GenerationRequest:
    model = _model(body)
    return GenerationRequest(model, messages=_messages(body.get("messages")), **_generation(body))


def parse_completion(body: object) -> GenerationRequest:
    model = _model(body)
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise invalid("“prompt” must be a string (one prompt per request).", "prompt")
    if body.get("echo") or body.get("suffix") or body.get("best_of", 1) not in (1, None) or body.get("logprobs"):
        raise invalid("echo, suffix, best_of and logprobs are not supported by this server.")
    return GenerationRequest(model, prompt=prompt, **_generation(body))


def parse_embeddings(body: object) -> EmbeddingRequest:
    model = _model(body)
    raw = body.get("input")
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise invalid("“input” must be a string or a non-empty list of strings.", "input")
    if len(texts) > MAX_EMBEDDING_INPUTS:
        raise invalid(f"At most {MAX_EMBEDDING_INPUTS} inputs per request.", "input")
    if body.get("dimensions") is not None:
        raise invalid("“dimensions” is not supported: the model's own size is used.", "dimensions")
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise invalid("“encoding_format” must be float or base64.", "encoding_format")
    return EmbeddingRequest(model, texts, encoding == "base64")


def _model(body: object) -> str:
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("“model” is required: one of the ids GET /v1/models lists.", "model")
    return model


def _generation(body: dict) -> dict:
    """The sampling and streaming options chat and plain completions share."""
    n = body.get("n", 1)
    if n is not None and (not _is_int(n) or n != 1):
        raise invalid("Only n = 1 is supported: ask again for another answer.", "n")
    params: dict = {overflow.KEY: overflow.STOP}  # an API client hears that its prompt is too long
    _number(body, "temperature", params, 0.0, 2.0)
    _number(body, "top_p", params, 0.0, 1.0)
    _number(body, "presence_penalty", params, -2.0, 2.0)
    _number(body, "frequency_penalty", params, -2.0, 2.0)
    for name in ("max_completion_tokens", "max_tokens"):  # the newer name wins when both are sent
        value = body.get(name)
        if value is None:
            continue
        if not _is_int(value) or value < 1:
            raise invalid(f"“{name}” must be a positive whole number.", name)
        params.setdefault("max_tokens", min(int(value), MAX_TOKENS_CAP))
    seed = body.get("seed")
    if seed is not None:
        if not _is_int(seed):
            raise invalid("“seed” must be a whole number.", "seed")
        params["seed"] = int(seed) % 2**31
    stop = body.get("stop")
    if stop is not None:
        stops = [stop] if isinstance(stop, str) else stop
        if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops) or len(stops) > MAX_STOPS:
            raise invalid(f"“stop” must be a string or a list of up to {MAX_STOPS} strings.", "stop")
        params["stop"] = stops
    params.update(_response_format(body.get("response_format")))
    ignore_eos = body.get("ignore_eos", False)  # llama.cpp's server has it too: benchmarks ask for exact lengths
    if not isinstance(ignore_eos, bool):
        raise invalid("“ignore_eos” must be true or false.", "ignore_eos")
    if ignore_eos:
        params["ignore_eos"] = True
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise invalid("“stream” must be true or false.", "stream")
    options = body.get("stream_options")
    include_usage = False
    if options is not None:
        if not isinstance(options, dict):
            raise invalid("“stream_options” must be an object.", "stream_options")
        include_usage = bool(options.get("include_usage"))
    if body.get("tools") or body.get("functions"):
        raise invalid("Tools and function calls are not supported by this server yet.", "tools")
    return {"params": params, "stream": stream, "include_usage": include_usage}


def _messages(raw: object) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise invalid("“messages” must be a non-empty list.", "messages")
    messages = []
    for index, message in enumerate(raw):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise invalid(f"{where} must be an object.", where)
        role = ROLES.get(message.get("role"))
        if role is None:
            raise invalid(f"{where}.role must be system, developer, user or assistant.", f"{where}.role")
        messages.append({"role": role, "content": _text(message.get("content"), where)})
    return messages


def _text(content: object, where: str) -> str:
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise invalid(f"{where}.content: this server reads text parts only.", f"{where}.content")
            parts.append(part["text"])
        return "".join(parts)
    raise invalid(f"{where}.content must be a string or a list of text parts.", f"{where}.content")


def _response_format(raw: object) -> dict:
    if raw is None:
        return {}
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "text":
        return {}
    if kind == "json_object":
        return {"json_object": True}
    if kind == "json_schema":
        spec = raw.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise invalid("response_format.json_schema.schema must be a JSON schema object.",
                          "response_format.json_schema.schema")
        return {"json_schema": schema}
    raise invalid("response_format.type must be text, json_object or json_schema.", "response_format")


def _number(body: dict, name: str, params: dict, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise invalid(f"“{name}” must be a number from {low:g} to {high:g}.", name)
    params[name] = float(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
