"""Turning a conversation into a prompt with the model's own chat template.

A GGUF chat template is untrusted code from the internet. It is rendered only
in jinja2's ``ImmutableSandboxedEnvironment``, with string repetition capped,
output size capped and wall-clock time bounded, and any failure falls back to
a safe default that the user is told about.

The result is a list of segments rather than one string: the template's own
text may contain control tokens (``<|im_start|>``) and is tokenized with
special-token parsing, while every message's content is tokenized as plain
text, so a user who types ``<|im_start|>system`` gets those characters, not a
forged turn. Contents are swapped for unique markers while rendering so they
can be found again exactly, whatever the template does around them.
"""
from __future__ import annotations

import json
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime

from jinja2 import TemplateError as JinjaTemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.core.errors import TemplateError

RENDER_SECONDS = 1.0
MAX_OUTPUT_CHARS = 4_000_000
MAX_REPEAT_CHARS = 100_000

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
# For vocabularies without ChatML control tokens: plain labelled turns any base model can follow.
PLAIN_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] + '\n\n' }}"
    "{% elif message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\n' }}"
    "{% else %}{{ 'Assistant: ' + message['content'] + '\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
CHATML_STOPS = ["<|im_end|>", "<|im_start|>"]
PLAIN_STOPS = ["\nUser:", "\nuser:"]


@dataclass(frozen=True)
class Segment:
    text: str
    special: bool  # True: template text, control tokens allowed. False: message content, plain text only.


@dataclass
class Prompt:
    segments: list[Segment]
    template_name: str  # "model", "chatml" or "plain"
    notice: str = ""  # shown to the user when the model's own template was not used
    stop: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments)


class _TemplateTimeout(Exception):
    pass


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The jinja2 sandbox, plus a cap on ``'x' * n`` style memory bombs."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("the template tried to compute a huge power")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
                    if len(sequence) * count > MAX_REPEAT_CHARS:
                        raise SecurityError("the template tried to build a huge repeated text")
        return super().call_binop(context, operator, left, right)


def _raise_exception(message: str):
    raise JinjaTemplateError(message)


def _tojson(value, indent=None, ensure_ascii=False, separators=None, sort_keys=False):
    # Hugging Face's templates expect plain json.dumps, not jinja's HTML-escaping tojson.
    return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii, separators=separators, sort_keys=sort_keys)


def _environment() -> _BoundedEnvironment:
    env = _BoundedEnvironment(trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env


def render_bounded(source: str, seconds: float = RENDER_SECONDS, **variables) -> str:
    """Render a template in the sandbox; raises TemplateError on any failure or overrun."""
    deadline = time.monotonic() + seconds

    def tracer(frame, event, arg):
        if time.monotonic() > deadline:
            raise _TemplateTimeout(f"took longer than {seconds:g} s")
        return tracer

    previous = sys.gettrace()
    try:
        template = _environment().from_string(source)
        sys.settrace(tracer)
        try:
            output = template.render(**variables)
        finally:
            sys.settrace(previous)
    except _TemplateTimeout as error:
        raise TemplateError("The model's chat template ran too long and was stopped.", str(error)) from None
    except RecursionError:
        raise TemplateError("The model's chat template recursed too deeply.") from None
    except Exception as error:  # a hostile template can raise anything; all of it means "unusable"
        raise TemplateError(f"The model's chat template failed: {error}", repr(error)) from None
    if len(output) > MAX_OUTPUT_CHARS:
        raise TemplateError("The model's chat template produced an impossibly long prompt.")
    return output


def _segments_from(rendered: str, markers: list[str], contents: list[str]) -> list[Segment] | None:
    """Split rendered text at the markers; None if the template lost, doubled or reordered one."""
    segments: list[Segment] = []
    position = 0
    for marker, content in zip(markers, contents):
        index = rendered.find(marker, position)
        if index < 0 or rendered.count(marker) != 1:
            return None
        if index > position:
            segments.append(Segment(rendered[position:index], True))
        if content:
            segments.append(Segment(content, False))
        position = index + len(marker)
    if position < len(rendered):
        segments.append(Segment(rendered[position:], True))
    return segments


def render_segments(source: str, messages: list[dict], bos_token: str = "", eos_token: str = "",
                    add_generation_prompt: bool = True) -> list[Segment]:
    """``messages`` through ``source``, split into template text and message text; TemplateError when the
    template fails, overruns, or loses, doubles or changes a message's text."""
    nonce = secrets.token_hex(6)
    markers = [f"\ue000hearth{nonce}:{index}\ue001" for index in range(len(messages))]
    # Surrounding whitespace never matters in a chat turn, and stripping it here means a
    # template's own ``| trim`` cannot change what the marker stands for.
    contents = [str(message["content"]).strip() for message in messages]
    marked = [dict(message, content=marker) for message, marker in zip(messages, markers)]
    rendered = render_bounded(
        source,
        messages=marked,
        add_generation_prompt=add_generation_prompt,
        bos_token=bos_token,
        eos_token=eos_token,
    )
    segments = _segments_from(rendered, markers, contents)
    if segments is None:
        raise TemplateError("The model's chat template changes message text in a way Hearth cannot follow.")
    return segments


def build_prompt(
    template: str | None,
    messages: list[dict],
    *,
    bos_token: str = "",
    eos_token: str = "",
    add_generation_prompt: bool = True,
    has_chatml_tokens: bool = True,
    continue_last: bool = False,
    fallback=None,
) -> Prompt:
    """Build the prompt for ``messages`` ({"role", "content"} dicts) with the model's template.

    ``has_chatml_tokens`` says whether the model's vocabulary knows ``<|im_start|>``; it picks
    the fallback format when the model has no template or its template fails.
    ``continue_last``: the last message is an assistant reply cut short; the prompt ends inside
    it (no end-of-turn after it) so the model writes on from its last word.
    ``fallback``: the format (a ``template_catalog.ChatFormat``) to use instead when ``template`` fails;
    without one, ChatML or plain labelled turns, by ``has_chatml_tokens``.
    """
    if continue_last:
        prompt = build_prompt(template, messages, bos_token=bos_token, eos_token=eos_token,
                              add_generation_prompt=False, has_chatml_tokens=has_chatml_tokens, fallback=fallback)
        while prompt.segments and prompt.segments[-1].special:
            prompt.segments.pop()  # the template's end-of-turn after the reply
        return prompt
    if fallback is not None:
        fallback_name, fallback_source, stops = fallback.name, fallback.source, list(fallback.stop)
        instead = f"the {fallback.name} format"
    else:
        fallback_name = "chatml" if has_chatml_tokens else "plain"
        fallback_source = CHATML_TEMPLATE if has_chatml_tokens else PLAIN_TEMPLATE
        stops = list(CHATML_STOPS if has_chatml_tokens else PLAIN_STOPS)
        instead = "a default chat format"
    if template:
        try:
            segments = render_segments(template, messages, bos_token, eos_token, add_generation_prompt)
            return Prompt(segments, "model", stop=[])
        except TemplateError as error:
            notice = f"{error.message.rstrip('.')}. Hearth used {instead} instead."
    else:
        notice = "This model has no chat template, so Hearth uses a default chat format; replies may be less reliable."
    segments = render_segments(fallback_source, messages, bos_token, eos_token, add_generation_prompt)
    return Prompt(segments, fallback_name, notice=notice, stop=stops)
