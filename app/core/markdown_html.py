"""A reply's Markdown as the HTML subset Qt's rich text shows, code highlighted by Pygments.

Model output is untrusted: raw HTML in it is shown as text (markdown-it's ``html`` option
off), and links keep only web and mail schemes; the window opens them in the browser.
Each fenced block gets a "Copy" link (``copy:N``) the message widget answers.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import lru_cache

COPY_SCHEME = "copy"
SAFE_SCHEMES = ("http:", "https:", "mailto:")


@dataclass
class Rendered:
    html: str
    code_blocks: list[str] = field(default_factory=list)  # the text each copy:N link copies


def _code_colours(dark: bool) -> tuple[str, str]:
    return ("#272822", "#555555") if dark else ("#f6f8fa", "#d0d7de")  # background, border


def _fence(_renderer, tokens, index, _options, env) -> str:
    token = tokens[index]
    language = (token.info or "").strip().split(" ")[0]
    blocks = env["blocks"]
    number = len(blocks)
    blocks.append(token.content)
    background, border = _code_colours(env["dark"])
    label = html.escape(language or "code")
    return (f'<table width="100%" cellspacing="0" cellpadding="6" style="background-color:{background}; '
            f'border:1px solid {border}; margin-top:4px; margin-bottom:4px"><tr><td>'
            f'<span style="color:gray">{label}</span>&nbsp;&nbsp;<a href="{COPY_SCHEME}:{number}">Copy</a>'
            f'<pre style="margin:0">{highlight(token.content, language, env["dark"])}</pre></td></tr></table>\n')


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


def highlight(code: str, language: str, dark: bool = False) -> str:
    from pygments import highlight as pygments_highlight
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language) if language else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    return pygments_highlight(code, lexer, _formatter(dark)).rstrip("\n")


def render(text: str, dark: bool = False) -> Rendered:
    parser = _parser()
    env = {"blocks": [], "dark": dark}
    rendered = parser.render(text, env)
    background, border = _code_colours(dark)
    rendered = rendered.replace("<table>", f'<table border="1" cellspacing="0" cellpadding="4" '
                                            f'style="border-color:{border}; border-style:solid">')
    rendered = rendered.replace("<code>", f'<code style="background-color:{background}">')
    return Rendered(rendered, env["blocks"])
