"""Named chat formats, and which one a model without a usable template most likely speaks.

Each format is a Jinja template in the Hugging Face convention (``messages``,
``add_generation_prompt``, ``bos_token``, ``eos_token``), rendered by the same
sandbox as a GGUF's own template (``app/core/chat_template.py``). They are written
here rather than copied from model repositories so that each one keeps every
message's text whole and in order, which is how the renderer keeps user text apart
from control tokens; formats without a system turn put the system prompt at the
head of the first user turn, as their models' own templates do.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.core.chat_template import CHATML_STOPS, CHATML_TEMPLATE, PLAIN_STOPS, PLAIN_TEMPLATE


@dataclass(frozen=True)
class ChatFormat:
    name: str
    source: str  # Jinja
    stop: tuple[str, ...] = ()  # text that ends a reply, for vocabularies that do not end the turn themselves


def _merged_system(user: str, assistant: str, generation: str, start: str = "",
                   system_open: str = "", system_close: str = "\n\n") -> str:
    """A format with no system turn: the system prompt opens the first user turn (or stands as one).

    ``user`` and ``assistant`` are Jinja output blocks that print ``text``.
    """
    flush = "{% if ns.system %}{% set text = ns.system | trim %}{% set ns.system = '' %}" + user + "{% endif %}"
    return (
        start
        + "{% set ns = namespace(system='') %}"
        "{% for message in messages %}"
        "{% if message['role'] == 'system' %}"
        "{% set ns.system = ns.system + '" + system_open + "' + message['content'] + '" + system_close + "' %}"
        "{% elif message['role'] == 'user' %}"
        "{% set text = ns.system + message['content'] %}{% set ns.system = '' %}" + user
        + "{% else %}" + flush + "{% set text = message['content'] %}" + assistant
        + "{% endif %}"
        "{% endfor %}"
        + flush
        + "{% if add_generation_prompt %}" + generation + "{% endif %}"
    )


LLAMA3_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] + '<|eot_id|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
LLAMA2_TEMPLATE = _merged_system(
    user="{{ bos_token + '[INST] ' + text + ' [/INST]' }}",
    assistant="{{ ' ' + text + ' ' + eos_token }}",
    generation="",
    system_open="<<SYS>>\n", system_close="\n<</SYS>>\n\n",
)
GEMMA_TEMPLATE = _merged_system(
    start="{{ bos_token }}",
    user="{{ '<start_of_turn>user\n' + text + '<end_of_turn>\n' }}",
    assistant="{{ '<start_of_turn>model\n' + text + '<end_of_turn>\n' }}",
    generation="{{ '<start_of_turn>model\n' }}",
)
MISTRAL_TEMPLATE = _merged_system(
    start="{{ bos_token }}",
    user="{{ '[INST] ' + text + ' [/INST]' }}",
    assistant="{{ text + eos_token }}",
    generation="",
)
PHI3_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)
ZEPHYR_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + eos_token + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)
ALPACA_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] + '\n\n' }}"
    "{% elif message['role'] == 'user' %}{{ '### Instruction:\n' + message['content'] + '\n\n' }}"
    "{% else %}{{ '### Response:\n' + message['content'] + '\n\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '### Response:\n' }}{% endif %}"
)
DEEPSEEK_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] + '\n\n' }}"
    "{% elif message['role'] == 'user' %}{{ '<｜User｜>' + message['content'] }}"
    "{% else %}{{ '<｜Assistant｜>' + message['content'] + '<｜end▁of▁sentence｜>' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<｜Assistant｜>' }}{% endif %}"
)
COMMAND_R_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{% set role = '<|SYSTEM_TOKEN|>' %}"
    "{% elif message['role'] == 'user' %}{% set role = '<|USER_TOKEN|>' %}"
    "{% else %}{% set role = '<|CHATBOT_TOKEN|>' %}{% endif %}"
    "{{ '<|START_OF_TURN_TOKEN|>' + role + message['content'] + '<|END_OF_TURN_TOKEN|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' }}{% endif %}"
)

CHATML = ChatFormat("ChatML", CHATML_TEMPLATE, tuple(CHATML_STOPS))
LLAMA3 = ChatFormat("Llama 3", LLAMA3_TEMPLATE, ("<|eot_id|>", "<|start_header_id|>"))
LLAMA2 = ChatFormat("Llama 2", LLAMA2_TEMPLATE, ("[INST]",))
GEMMA = ChatFormat("Gemma", GEMMA_TEMPLATE, ("<end_of_turn>", "<start_of_turn>"))
MISTRAL = ChatFormat("Mistral", MISTRAL_TEMPLATE, ("[INST]",))
PHI3 = ChatFormat("Phi-3", PHI3_TEMPLATE, ("<|end|>", "<|user|>", "<|endoftext|>"))
ZEPHYR = ChatFormat("Zephyr", ZEPHYR_TEMPLATE, ("<|user|>",))
ALPACA = ChatFormat("Alpaca", ALPACA_TEMPLATE, ("### Instruction:", "### Input:"))
DEEPSEEK = ChatFormat("DeepSeek", DEEPSEEK_TEMPLATE, ("<｜end▁of▁sentence｜>", "<｜User｜>"))
COMMAND_R = ChatFormat("Command-R", COMMAND_R_TEMPLATE, ("<|END_OF_TURN_TOKEN|>",))
PLAIN = ChatFormat("Plain text", PLAIN_TEMPLATE, tuple(PLAIN_STOPS))

FORMATS: tuple[ChatFormat, ...] = (CHATML, LLAMA3, LLAMA2, GEMMA, MISTRAL, PHI3, ZEPHYR, ALPACA, DEEPSEEK,
                                   COMMAND_R, PLAIN)


def names() -> list[str]:
    return [chat_format.name for chat_format in FORMATS]


def find(name: str) -> ChatFormat | None:
    """The format called ``name`` (case and spaces ignored), or None."""
    wanted = name.strip().casefold().replace(" ", "")
    return next((f for f in FORMATS if f.name.casefold().replace(" ", "") == wanted), None)


# -- picking one for a model ---------------------------------------------------------------
# Ordered: the first rule that matches wins. Fine-tunes that change the format come before the
# families they are built on (a Hermes Llama 3 speaks ChatML).
_BY_ARCHITECTURE = (
    (("gemma",), GEMMA),
    (("phi3",), PHI3),
    (("command-r", "cohere"), COMMAND_R),
    (("deepseek",), DEEPSEEK),
    (("qwen", "smollm", "internlm"), CHATML),
)
_BY_NAME = (
    (("hermes", "dolphin", "smollm", "qwen", "chatml", "openchat"), CHATML),
    (("zephyr", "tinyllama"), ZEPHYR),
    (("alpaca", "vicuna"), ALPACA),
    (("llama-3", "llama 3", "llama3", "llama_3"), LLAMA3),
    (("llama-2", "llama 2", "llama2", "llama_2"), LLAMA2),
    (("mistral", "mixtral", "ministral"), MISTRAL),
    (("gemma",), GEMMA),
    (("phi-3", "phi3", "phi 3", "phi-4", "phi4"), PHI3),
    (("deepseek",), DEEPSEEK),
    (("command-r", "c4ai"), COMMAND_R),
)
# Control tokens a vocabulary holds only when the model was trained on that format.
_BY_VOCABULARY = (
    ("<|start_header_id|>", LLAMA3),
    ("<start_of_turn>", GEMMA),
    ("<|im_start|>", CHATML),
    ("<|START_OF_TURN_TOKEN|>", COMMAND_R),
    ("<｜User｜>", DEEPSEEK),
    ("<|end|>", PHI3),
    ("[INST]", MISTRAL),
)


@dataclass(frozen=True)
class Pick:
    chat_format: ChatFormat
    why: str  # "by its architecture (gemma3)", for the user


def pick(architecture: str, names_: list[str], has_token: Callable[[str], bool] | None = None) -> Pick:
    """The format a model most likely speaks, by its architecture, then its names (general.name, the
    file's name), then the control tokens its vocabulary has (``has_token``, when the model is loaded)."""
    architecture = architecture.casefold()
    for prefixes, chat_format in _BY_ARCHITECTURE:
        if architecture.startswith(prefixes):
            return Pick(chat_format, f"by its architecture ({architecture})")
    text = " ".join(names_).casefold()
    for needles, chat_format in _BY_NAME:
        if any(needle in text for needle in needles):
            return Pick(chat_format, "by its name")
    if has_token is not None:
        for token, chat_format in _BY_VOCABULARY:
            if has_token(token):
                return Pick(chat_format, f"by its vocabulary ({token})")
    return Pick(PLAIN, "as no format could be told from the file")


def pick_for(info, has_token: Callable[[str], bool] | None = None) -> Pick:
    """``pick`` for a GGUF header (``GGUFInfo``)."""
    metadata = info.metadata
    found = [str(metadata.get(key) or "") for key in ("general.name", "general.basename", "general.finetune")]
    return pick(info.architecture, [*found, info.path.name], has_token)
