"""Where a reply's Markdown holds LaTeX math, found by mdit-py-plugins and drawn by ``math_html``.

Models write math four ways: ``$…$`` and ``$$…$$`` (dollarmath), ``\\(…\\)`` and ``\\[…\\]`` (texmath's
"brackets"). Prices stay text: a ``$`` next to a digit or a space does not open or close math, so "$5 and
$10" is not a formula. Models also put ``\\[`` on the line after a sentence, inside the paragraph, where
no block rule may start: texmath's own inline rule maker reads it there too, shown on its own line.

Each formula keeps its TeX, with its delimiters, as the tooltip of what it shows: the message widget
shows it on hover and copies it in place of the rendered text, so math copied from a reply pastes as
the Markdown it was written in.
"""
from __future__ import annotations

import html
import re

from app.core import math_html

_CLOSERS = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}
DISPLAY_IN_PARAGRAPH = "math_inline_display"


def install(parser) -> None:
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.texmath import texmath_plugin
    from mdit_py_plugins.texmath.index import make_inline_func

    parser.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    parser.use(texmath_plugin, delimiters="brackets")
    parser.inline.ruler.before("escape", DISPLAY_IN_PARAGRAPH, make_inline_func({
        "name": DISPLAY_IN_PARAGRAPH, "rex": re.compile(r"^\\\[(.+?)\\\]", re.DOTALL), "tmpl": "{0}",
        "tag": "\\["}))
    for kind in ("math_inline", "math_single"):
        parser.add_render_rule(kind, _inline)
    for kind in ("math_inline_double", DISPLAY_IN_PARAGRAPH):
        parser.add_render_rule(kind, _display_in_paragraph)
    for kind in ("math_block", "math_block_label", "math_block_eqno"):
        parser.add_render_rule(kind, _block)


def source(token) -> str:
    """The formula as it was written, delimiters and all."""
    opener = token.markup or "$"
    return f"{opener}{token.content}{_CLOSERS.get(opener, opener)}"


def _shown(token, display: bool) -> str:
    return (f'<span title="{html.escape(source(token), quote=True)}">'
            f"{math_html.to_html(token.content.strip(), display)}</span>")


def _inline(_renderer, tokens, index, _options, _env) -> str:
    return _shown(tokens[index], display=False)


def _display_in_paragraph(_renderer, tokens, index, _options, _env) -> str:
    """Display math the model wrote inside a paragraph: where it stands (on a line of its own when the
    model broke the lines around it: those breaks are kept)."""
    return _shown(tokens[index], display=True)


def _block(_renderer, tokens, index, _options, _env) -> str:
    token = tokens[index]
    label = f"\u2003({html.escape(token.info)})" if token.info and token.type != "math_block" else ""
    return f'<p align="center">{_shown(token, display=True)}{label}</p>\n'
