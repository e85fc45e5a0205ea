"""A reply's Markdown as the HTML subset Qt's rich text shows, code highlighted by Pygments.

Model output is untrusted: raw HTML in it is shown as text (markdown-it's ``html`` option
off), and links keep only web and mail schemes; the window opens them in the browser.
Each fenced block gets a "Copy" link (``copy:N``) the message widget answers.

A streaming reply is rendered many times as it grows. ``BlockRenderer`` cuts the text
into blocks at blank lines outside code fences and renders each finished block once, so
a render costs the last block, not the whole reply (``bench/ui_latency.py``).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache

COPY_SCHEME = "copy"
SAFE_SCHEMES = ("http:", "https:", "mailto:")


@dataclass
class Rendered:
    html: str
    code_blocks: list[str] = field(default_factory=list)  # the text each copy:N link copies
    blocks: list[str] = field(default_factory=list)  # the HTML of each Markdown block, in order


def _code_colours(dark: bool) -> tuple[str, str]:
    return ("#272822", "#555555") if dark else ("#f6f8fa", "#d0d7de")  # background, border


def _fence(_renderer, tokens, index, _options, env) -> str:
    token = tokens[index]
    language = (token.info or "").strip().split(" ")[0]
    blocks = env["blocks"]
    number = env.get("offset", 0) + len(blocks)
    blocks.append(token.content)
    background, border = _code_colours(env["dark"])
    label = html.escape(language or "code")
    return (f'<table width="100%" cellspacing="0" cellpadding="6" style="background-color:{background}; '
            f'border:1px solid {border}; margin-top:4px; margin-bottom:4px"><tr><td>'
            f'<span style="color:gray">{label}</span>&nbsp;&nbsp;<a href="{COPY_SCHEME}:{number}">Copy</a>'
            f'<pre style="margin:0">{_in_pre(token.content, env["highlight"](token.content, language, env["dark"]))}'
            '</pre></td></tr></table>\n')


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False, "breaks": False}).enable(["table", "strikethrough"])
    parser.validateLink = lambda url: url.strip().lower().startswith(SAFE_SCHEMES)
    parser.add_render_rule("fence", _fence)
    parser.add_render_rule("code_block", _fence)
    return parser


@lru_cache(maxsize=2)
def _formatter(dark: bool):
    from pygments.formatters import HtmlFormatter

    # Inline styles: Qt's rich text has no external style sheets for spans, but reads style="".
    return HtmlFormatter(nowrap=True, noclasses=True, style="monokai" if dark else "friendly")


@lru_cache(maxsize=32)
def _lexer(language: str):
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    # stripnl off: a code block's leading blank lines are its text too (Pygments drops them by default).
    try:
        return get_lexer_by_name(language, stripnl=False) if language else TextLexer(stripnl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False)


def highlight(code: str, language: str, dark: bool = False) -> str:
    """``code`` as HTML spans of colour, one line per line (the lexing is what costs: ~75 µs a line of Python)."""
    from pygments import highlight as pygments_highlight

    return pygments_highlight(code, _lexer(language), _formatter(dark)).rstrip("\n")


def _in_pre(code: str, highlighted: str) -> str:
    """HTML drops one line break that comes right after <pre>, Qt's reader too: a leading blank line needs two."""
    return "\n" + highlighted if code.startswith("\n") else highlighted


_PROBE = "hearth_top_level"


@lru_cache(maxsize=32)
def _probe_alone(language: str) -> list:
    return list(_lexer(language).get_tokens(_PROBE))


def ends_at_top_level(code: str, language: str) -> bool:
    """Whether the lexer is back where it starts after ``code``: not inside a string or comment that goes on.

    Pygments keeps a lexer's state to itself, so this asks from outside: a bare word on the line after
    ``code`` must come out as it does on its own. Then lexing what follows from a fresh start colours it
    as lexing the whole would.
    """
    lexer, alone = _lexer(language), _probe_alone(language)
    edge, offset, after = len(code) + 1, 0, []
    for kind, value in lexer.get_tokens(f"{code}\n{_PROBE}"):
        if offset >= edge:
            after.append((kind, value))
        elif offset + len(value) > edge:
            return False  # one token runs from the code into the probe: a string or comment still open
        offset += len(value)
    return after == alone


def render(text: str, dark: bool = False, first_code_block: int = 0, highlighter=highlight) -> Rendered:
    """``highlighter(code, language, dark)`` colours each code block (``highlight`` unless told)."""
    parser = _parser()
    env = {"blocks": [], "dark": dark, "offset": first_code_block, "highlight": highlighter}
    rendered = parser.render(text, env)
    background, border = _code_colours(dark)
    rendered = rendered.replace("<table>", f'<table border="1" cellspacing="0" cellpadding="4" '
                                            f'style="border-color:{border}; border-style:solid">')
    rendered = rendered.replace("<code>", f'<code style="background-color:{background}">')
    return Rendered(rendered, env["blocks"])


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def split_blocks(text: str) -> list[str]:
    """Markdown cut at blank lines that are outside code fences; a block that starts indented
    (a list item's continuation) stays with the block before it."""
    blocks: list[str] = []
    current: list[str] = []
    fence = ""
    for line in text.split("\n"):
        opener = _FENCE.match(line)
        if fence:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence) \
                    and not line.strip()[len(opener.group(1)):].strip():
                fence = ""
        elif opener:
            fence = opener.group(1)
        if not fence and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        if not current and blocks and line[:1] in (" ", "\t") and not fence:
            current = [blocks.pop(), ""]
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


CODE_INSET = 7  # pixels from a code block's edge to its text: cell padding 6 and border 1
OPEN_CODE_LINES = 8  # lines of a still-open code block rendered together, then never again
OPEN_CODE_MAX_LINES = 64  # a run ends here even inside a long string: what one update may cost stays bounded


def _open_fence(lines: list[str]) -> int | None:
    """The index of the fence line that opens a code block still open at the end of ``lines``."""
    fence, opened_at = "", None
    for index, line in enumerate(lines):
        opener = _FENCE.match(line)
        if fence:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence) \
                    and not line.strip()[len(opener.group(1)):].strip():
                fence, opened_at = "", None
        elif opener:
            fence, opened_at = opener.group(1), index
    return opened_at


class BlockRenderer:
    """Renders one message's Markdown again and again as it grows, each finished block once.

    A code block that is still being written is the exception to "a block at a time": a model's
    300-line block would be highlighted and laid out whole on every update (50 ms each on two cores).
    While it grows it is shown as runs of OPEN_CODE_LINES highlighted lines on the code background,
    each run rendered once; when its fence closes, or the reply ends, it becomes one ordinary block
    (table, Copy link, highlighting that sees the whole code) like any other. A run ends only where the
    lexer is back at its top level (``ends_at_top_level``), so a docstring or comment that crosses the
    edge is coloured as it will be when the block is whole; past OPEN_CODE_MAX_LINES it ends anyway.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple, tuple[str, list[str]]] = {}
        self._runs_shown: list[tuple[str, tuple[str, ...], bool, str]] = []  # language, lines, dark, their colours

    def render(self, text: str, dark: bool = False, growing: bool = False) -> Rendered:
        parts: list[str] = []
        code: list[str] = []
        cache: dict[tuple, tuple[str, list[str]]] = {}
        blocks = split_blocks(text)
        open_code: list[str] = []
        if growing and blocks:
            lines = blocks[-1].split("\n")
            opened_at = _open_fence(lines)
            if opened_at is not None:
                open_code = lines[opened_at:]
                blocks[-1:] = ["\n".join(lines[:opened_at])] if opened_at else []
        for block in blocks:
            key = (block, len(code), dark)
            found = self._cache.get(key)
            if found is None:
                rendered = render(block, dark, first_code_block=len(code), highlighter=self._highlight)
                # Without the line break markdown-it ends a block with, Qt reads no space between blocks,
                # whether it gets them all at once or one at a time (``MessageBody`` adds them singly).
                found = (rendered.html.strip(), rendered.code_blocks)
            cache[key] = found
            parts.append(found[0])
            code.extend(found[1])
        runs_shown: list = []
        if open_code:
            parts.extend(self._open_code(open_code, dark, cache, runs_shown))
        self._cache, self._runs_shown = cache, runs_shown
        return Rendered("".join(parts), code, parts)

    def _highlight(self, code: str, language: str, dark: bool) -> str:
        """``highlight``, reusing the runs a block was shown in while it grew: they end where the lexer is at
        its top level, so they are coloured as the whole is. When the fence closes, only what no run held yet
        is lexed (a 600-line block would otherwise cost about 45 ms at the moment it closes)."""
        lines = code.split("\n")
        if lines[-1] == "":
            lines.pop()  # a fenced block's text ends with a line break
        pieces, start = [], 0
        for run_language, run, run_dark, colours in self._runs_shown:
            if (run_language, run_dark) != (language, dark) or tuple(lines[start:start + len(run)]) != run:
                break
            pieces.append(colours)
            start += len(run)
        if not pieces:
            return highlight(code, language, dark)
        if start < len(lines):
            pieces.append(highlight("\n".join(lines[start:]), language, dark))
        return "\n".join(pieces)

    def _open_code(self, lines: list[str], dark: bool, cache: dict, runs_shown: list) -> list[str]:
        language = lines[0].strip().lstrip("`~").strip().split(" ")[0]
        code = lines[1:]
        background, _border = _code_colours(dark)
        parts = []
        for number, run in enumerate(self._runs(code, language, cache)):
            key = ("open code", language, number, run, dark)
            found = self._cache.get(key)
            if found is None:
                # Inset as the finished block's cell is, so the text does not move when the fence closes.
                inset = f"background-color:{background}; margin:0 {CODE_INSET}px"
                label = (f'<p style="{inset}"><span style="color:gray">{html.escape(language or "code")}</span></p>'
                         if number == 0 else "")
                text = "\n".join(run)
                colours = highlight(text, language, dark) if any(run) else text  # blank lines need no lexer
                found = (label + (f'<pre style="{inset}">{_in_pre(text, colours)}</pre>' if colours else ""), colours)
            cache[key] = found
            runs_shown.append((language, run, dark, found[1]))
            if found[0]:
                parts.append(found[0])
        return parts

    def _runs(self, code: list[str], language: str, cache: dict) -> list[tuple[str, ...]]:
        """The open block's lines cut into runs; the last one, which holds the growing line, may be short."""
        whole = len(code) - 1  # the last line may still be growing
        runs, start = [], 0
        while whole - start >= OPEN_CODE_LINES:
            for end in range(start + OPEN_CODE_LINES, min(whole, start + OPEN_CODE_MAX_LINES) + 1):
                key = ("run ends", language, tuple(code[start:end]))
                ends = self._cache.get(key)
                if ends is None:
                    ends = end - start == OPEN_CODE_MAX_LINES or ends_at_top_level("\n".join(code[start:end]), language)
                cache[key] = ends
                if ends:
                    break
            if not ends:
                break
            runs.append(key[2])
            start = end
        return [*runs, tuple(code[start:])]


def warm_up() -> None:
    """Import markdown-it and Pygments and build the parser once, off the GUI thread at start-up:
    the first reply would otherwise pay ~30 ms of imports in the middle of streaming."""
    render("# w\n\n| a |\n|---|\n| 1 |\n\n```python\nx = 1\n```")
