"""A reply's Markdown as the HTML subset Qt's rich text shows, code highlighted by Pygments.

Model output is untrusted: raw HTML in it is shown as text (markdown-it's ``html`` option
off), and links keep only web and mail schemes; the window opens them in the browser.
Each fenced block gets a "Copy" link (``copy:N``) the message widget answers. A single line break is
a line break, as chat apps show replies; task lists and quotes are drawn as ``tasks_and_quotes`` says,
and LaTeX math as ``math_markdown`` and ``math_html`` say.

A code block is drawn as paragraphs on a background (a header with its language and Copy link,
the code in runs of lines, a bottom edge), not as a one-cell table: Qt lays a table out whole, and
a 450-line block took about 30 ms to lay out at the moment its fence closed. As paragraphs, a
block that streamed in keeps every run already on screen when it closes.

A streaming reply is rendered many times as it grows. ``BlockRenderer`` cuts the text
into blocks at blank lines outside code fences (and around fences at the margin) and renders
each finished block once, so a render costs the last block, not the whole reply
(``bench/ui_latency.py``).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache

from app.core import math_markdown as math
from app.core import tasks_and_quotes

COPY_SCHEME = "copy"
SAFE_SCHEMES = ("http:", "https:", "mailto:")


@dataclass
class Rendered:
    html: str
    code_blocks: list[str] = field(default_factory=list)  # the text each copy:N link copies
    blocks: list[str] = field(default_factory=list)  # the HTML of each Markdown block, in order


def _code_colours(dark: bool) -> tuple[str, str]:
    return ("#272822", "#555555") if dark else ("#f6f8fa", "#d0d7de")  # background, border


CODE_INDENT = 9  # pixels from a code block's edge to its text
CODE_MARGIN = 6  # pixels above and below a code block


def code_background(dark: bool) -> str:
    """The colour behind code. Qt paints a paragraph's background only from its left margin on, so the
    code's text is inset by a margin and ``MessageBody`` fills the strip left of it: a box with padding."""
    return _code_colours(dark)[0]


def _code_style(dark: bool) -> str:
    # pre-wrap: a code line longer than the message's reading width wraps; Qt would otherwise run it
    # past the message's edge, where it is cut off (the body does not scroll sideways).
    return f"background-color:{code_background(dark)}; margin:0 0 0 {CODE_INDENT}px; white-space:pre-wrap"


def code_head(language: str, number: int, dark: bool) -> str:
    """A code block's top edge and header: its language and the Copy link for block ``number``."""
    return (f'<p style="{_code_style(dark)}; margin-top:{CODE_MARGIN}px; font-size:4px">&nbsp;</p>'
            f'<p style="{_code_style(dark)}"><span style="color:gray">{html.escape(language or "code")}</span>'
            f'&nbsp;&nbsp;<a href="{COPY_SCHEME}:{number}">Copy</a></p>')


def code_run(code: str, colours: str, dark: bool) -> str:
    """Lines of code, ``colours`` their highlighted HTML."""
    return f'<pre style="{_code_style(dark)}">{_in_pre(code, colours)}</pre>'


def code_end(dark: bool) -> str:
    """A code block's bottom edge."""
    return f'<p style="{_code_style(dark)}; margin-bottom:{CODE_MARGIN}px; font-size:4px">&nbsp;</p>'


def _fence(_renderer, tokens, index, _options, env) -> str:
    """A code block inside other Markdown (a list item, a quote): drawn as ``BlockRenderer`` draws one."""
    token = tokens[index]
    language = (token.info or "").strip().split(" ")[0]
    blocks = env["blocks"]
    number = env.get("offset", 0) + len(blocks)
    blocks.append(token.content)
    code = token.content[:-1] if token.content.endswith("\n") else token.content
    dark = env["dark"]
    return code_head(language, number, dark) + code_run(code, _colour(code, language, dark), dark) + code_end(dark)


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt

    # breaks: a single line break in a reply is a line break, as chat apps show one (models write
    # addresses, verse and steps that way).
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(["table", "strikethrough"])
    parser.validateLink = lambda url: url.strip().lower().startswith(SAFE_SCHEMES)
    parser.add_render_rule("fence", _fence)
    parser.add_render_rule("code_block", _fence)
    tasks_and_quotes.install(parser)
    math.install(parser)
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


def _colour(code: str, language: str, dark: bool) -> str:
    """``highlight``, except for blank lines, which need no lexer."""
    return highlight(code, language, dark) if code.strip() else code


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


def render(text: str, dark: bool = False, first_code_block: int = 0) -> Rendered:
    parser = _parser()
    env = {"blocks": [], "dark": dark, "offset": first_code_block}
    rendered = parser.render(text, env)
    background, border = _code_colours(dark)
    rendered = rendered.replace("<table>", f'<table border="1" cellspacing="0" cellpadding="4" '
                                            f'style="border-color:{border}; border-style:solid">')
    rendered = rendered.replace("<code>", f'<code style="background-color:{background}">')
    return Rendered(rendered, env["blocks"])


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _closes(line: str, fence: str) -> bool:
    closer = _FENCE.match(line)
    return bool(closer) and closer.group(1)[0] == fence[0] and len(closer.group(1)) >= len(fence) \
        and not line.strip()[len(closer.group(1)):].strip()


def split_blocks(text: str) -> list[str]:
    """Markdown cut at blank lines that are outside code fences, and around a fenced block that starts
    at the margin (it always stands alone: it ends a paragraph or list before it). A block that starts
    indented (a list item's continuation) stays with the block before it."""
    blocks: list[str] = []
    current: list[str] = []
    fence, at_margin = "", False
    for line in text.split("\n"):
        opener = _FENCE.match(line)
        closed = False
        if fence:
            if _closes(line, fence):
                fence, closed = "", at_margin
        elif opener:
            fence, at_margin = opener.group(1), not line[:1].isspace()
            if at_margin and current:
                blocks.append("\n".join(current))
                current = []
        if not fence and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        if not current and blocks and line[:1] in (" ", "\t") and not fence:
            current = [blocks.pop(), ""]
        current.append(line)
        if closed:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


OPEN_CODE_LINES = 8  # lines of a still-open code block rendered together, then never again
OPEN_CODE_MAX_LINES = 64  # a run ends here even inside a long string: what one update may cost stays bounded


def _open_fence(lines: list[str]) -> int | None:
    """The index of the fence line that opens a code block still open at the end of ``lines``."""
    fence, opened_at = "", None
    for index, line in enumerate(lines):
        opener = _FENCE.match(line)
        if fence:
            if _closes(line, fence):
                fence, opened_at = "", None
        elif opener:
            fence, opened_at = opener.group(1), index
    return opened_at


def closing_fence(text: str) -> str:
    """The line that closes a code block still open at the end of ``text`` (a reply stopped inside one),
    or "" when none is open: the opening fence's indentation and marker, which is what closes it."""
    lines = text.split("\n")
    opened_at = _open_fence(lines)
    if opened_at is None:
        return ""
    opener = lines[opened_at]
    return opener[:len(opener) - len(opener.lstrip())] + _FENCE.match(opener).group(1)


def _fenced_block(block: str) -> tuple[str, list[str]] | None:
    """A block that is one fenced code block at the margin, closed: its language and its lines."""
    lines = block.split("\n")
    opener = _FENCE.match(lines[0])
    if not opener or lines[0][:1].isspace() or len(lines) < 2 or not _closes(lines[-1], opener.group(1)):
        return None
    if any(_closes(line, opener.group(1)) for line in lines[1:-1]):
        return None
    return _language(lines[0]), lines[1:-1]


def _language(fence_line: str) -> str:
    return fence_line.strip().lstrip("`~").strip().split(" ")[0]


class BlockRenderer:
    """Renders one message's Markdown again and again as it grows, each finished block once.

    A code block is the exception to "a block at a time": a model's 300-line block would be highlighted
    and laid out whole on every update (50 ms each on two cores). It is drawn as runs of at least
    OPEN_CODE_LINES lines, each rendered once, and a run ends only where the lexer is back at its top
    level (``ends_at_top_level``), so a docstring or comment that crosses the edge is coloured as it
    will be when the block is whole; past OPEN_CODE_MAX_LINES it ends anyway. The same runs draw the
    block when it is finished, so when its fence closes only its last run and its bottom edge are new.
    Its Copy link works while it grows, and copies what has been written so far.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple, tuple[str, object]] = {}

    def render(self, text: str, dark: bool = False, growing: bool = False) -> Rendered:
        parts: list[str] = []
        code: list[str] = []
        cache: dict[tuple, tuple[str, object]] = {}
        blocks = split_blocks(text)
        open_code: list[str] = []
        if blocks:
            lines = blocks[-1].split("\n")
            opened_at = _open_fence(lines)
            # A reply that ended inside a block (its token limit, Stop) ends it with the runs it streamed in.
            if opened_at is not None and (growing or not lines[opened_at][:1].isspace()):
                open_code = lines[opened_at:]
                blocks[-1:] = ["\n".join(lines[:opened_at])] if opened_at else []
        for block in blocks:
            fenced = _fenced_block(block)
            if fenced is not None:
                language, lines = fenced
                parts.extend(self._code(language, lines, len(code), dark, cache, finished=True))
                code.append("".join(line + "\n" for line in lines))
                continue
            key = (block, len(code), dark)
            found = self._cache.get(key)
            if found is None:
                rendered = render(block, dark, first_code_block=len(code))
                # Without the line break markdown-it ends a block with, Qt reads no space between blocks,
                # whether it gets them all at once or one at a time (``MessageBody`` adds them singly).
                found = (rendered.html.strip(), rendered.code_blocks)
            cache[key] = found
            parts.append(found[0])
            code.extend(found[1])
        if open_code:
            language, lines = _language(open_code[0]), open_code[1:]
            if not growing and lines and not lines[-1]:
                lines.pop()  # the line break that ended the last line, not a line of its own
            parts.extend(self._code(language, lines, len(code), dark, cache, finished=not growing))
            code.append("".join(line + "\n" for line in lines))
        self._cache = cache
        return Rendered("".join(parts), code, parts)

    def _code(self, language: str, lines: list[str], number: int, dark: bool, cache: dict,
              finished: bool) -> list[str]:
        """A code block as parts: its header, its runs, and (once finished) its bottom edge."""
        parts = [code_head(language, number, dark)]
        for run in self._runs(lines, language, cache, finished):
            key = ("code run", language, run, dark)
            found = self._cache.get(key)
            if found is None:
                text = "\n".join(run)
                found = (code_run(text, _colour(text, language, dark), dark) if text else "", None)
            cache[key] = found
            if found[0]:
                parts.append(found[0])
        if finished:
            parts.append(code_end(dark))
        return parts

    def _runs(self, code: list[str], language: str, cache: dict, finished: bool) -> list[tuple[str, ...]]:
        """The block's lines cut into runs; the last one may be short (and, while the block grows, holds
        the line still being written)."""
        whole = len(code) if finished else len(code) - 1
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
        return [*runs, tuple(code[start:])] if start < len(code) else runs


def warm_up() -> None:
    """Import markdown-it, its plugins, latex2mathml and Pygments and build the parser once, off the GUI
    thread at start-up: the first reply would otherwise pay ~80 ms of imports in the middle of streaming."""
    render("# w\n\n| a |\n|---|\n| 1 |\n\n- [x] $x^2$\n\n```python\nx = 1\n```")
