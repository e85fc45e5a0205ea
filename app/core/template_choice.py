"""What a model's ``chat_template`` load option comes to: which Jinja the prompt is built with, and why.

The option is "" (the GGUF's own template, or a format picked for the model when it has none
or its own cannot be rendered), the name of a format in the catalogue, or Jinja the user
pasted. Every source is tried on a short exchange in the sandbox before it is used, so a
template that cannot work is replaced at load time with a notice, not discovered at the
first reply; one that fails only on some conversation still falls back then, per reply.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.core import template_catalog
from app.core.chat_template import render_segments
from app.core.errors import TemplateError
from app.core.template_catalog import ChatFormat

AUTOMATIC = ""
OWN_LABEL = "The model's own"
CUSTOM_LABEL = "Custom"

# A short exchange every template is tried on before it is used, and that previews a choice.
SAMPLE = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": "The capital of France is Paris."},
    {"role": "user", "content": "And of Italy?"},
]


@dataclass(frozen=True)
class TemplateChoice:
    source: str  # the Jinja prompts are built with
    label: str  # "Gemma", "The model's own", "Custom"
    reason: str  # "chosen because the file has none"
    fallback: ChatFormat  # what a reply uses if ``source`` fails on its conversation
    stop: tuple[str, ...] = ()
    notice: str = ""  # for the user, when Hearth did not use what the file or the user gave

    @property
    def description(self) -> str:
        return f"{self.label} ({self.reason})"

    def as_report(self) -> dict:
        return {"template": self.label, "template_reason": self.reason,
                "template_description": self.description, "template_notice": self.notice}


def describe(value: str) -> str:
    """The option as a settings form shows it: "Automatic", a format's name, or "Custom"."""
    if value == AUTOMATIC:
        return "Automatic"
    found = template_catalog.find(value)
    return found.name if found else "Custom (pasted Jinja)"


def check(source: str, bos_token: str = "", eos_token: str = "") -> None:
    """Raise TemplateError unless ``source`` renders the sample exchange with every message kept whole.

    A template that refuses system turns (some do, with ``raise_exception``) still passes when it renders
    the exchange without one: Hearth's conversations need not have a system prompt.
    """
    try:
        render_segments(source, SAMPLE, bos_token, eos_token)
    except TemplateError as error:
        try:
            render_segments(source, SAMPLE[1:], bos_token, eos_token)
        except TemplateError:
            raise error from None


def preview(source: str, bos_token: str = "<s>", eos_token: str = "</s>") -> str:
    """The sample exchange as ``source`` renders it, with the reply to come; TemplateError when it cannot."""
    check(source, bos_token, eos_token)
    try:
        segments = render_segments(source, SAMPLE, bos_token, eos_token)
    except TemplateError:
        segments = render_segments(source, SAMPLE[1:], bos_token, eos_token)
    return "".join(segment.text for segment in segments)


def resolve(value: str, file_template: str | None, picked: template_catalog.Pick,
            bos_token: str = "", eos_token: str = "") -> TemplateChoice:
    """What ``value`` (the load option) comes to for a model whose GGUF holds ``file_template``,
    with ``picked`` the format its architecture, name or vocabulary suggests."""
    fallback = picked.chat_format

    def automatic(why: str, notice: str) -> TemplateChoice:
        return TemplateChoice(fallback.source, fallback.name, why, fallback, fallback.stop, notice)

    if value and template_catalog.find(value):
        chosen = template_catalog.find(value)
        return TemplateChoice(chosen.source, chosen.name, "chosen by you", fallback, chosen.stop)
    if value:
        try:
            check(value, bos_token, eos_token)
            return TemplateChoice(value, CUSTOM_LABEL, "pasted by you", fallback)
        except TemplateError as error:
            return automatic("chosen because your pasted template failed",
                             f"Your chat template cannot be used ({error.message.rstrip('.')}), so Hearth uses "
                             f"the {fallback.name} format, picked {picked.why}.")
    if not file_template:
        return automatic("chosen because the file has none",
                         f"This model has no chat template, so Hearth uses the {fallback.name} format, picked "
                         f"{picked.why}. Choose another in Models ▸ Chat template….")
    try:
        check(file_template, bos_token, eos_token)
        return TemplateChoice(file_template, OWN_LABEL, "from the file", fallback)
    except TemplateError as error:
        return automatic("chosen because the file's template failed",
                         f"{error.message.rstrip('.')}. Hearth uses the {fallback.name} format instead, picked "
                         f"{picked.why}. Choose another in Models ▸ Chat template….")


def resolve_for(value: str, info, has_token: Callable[[str], bool] | None = None,
                bos_token: str = "", eos_token: str = "") -> TemplateChoice:
    """``resolve`` for a GGUF header (``GGUFInfo``)."""
    return resolve(value, info.chat_template, template_catalog.pick_for(info, has_token), bos_token, eos_token)
