"""LaTeX math as the rich text Qt shows: Unicode symbols, italic letters, superscripts and subscripts.

Why this way: Qt's QTextDocument renders neither MathML nor TeX, and typesetting each formula into an
image (matplotlib's mathtext) would cost an import of matplotlib, tens of milliseconds a formula while a
reply streams, and text that can no longer be selected, searched or copied. So ``latex2mathml`` (a pure
Python, maintained LaTeX parser with the full symbol table) reads the TeX into MathML, and the small walk
below maps MathML's few presentation elements onto the HTML subset Qt does show: ``<sup>``/``<sub>``,
italics for variables, a fraction as ``a/b`` (brackets where the parts need them), a root as √ over an
overlined radicand. It reads like a careful plain-text rendering, stays text, and costs about 0.2 ms a
formula (each is converted once: ``lru_cache``). TeX that does not parse is shown as written.
"""
from __future__ import annotations

import html
from functools import lru_cache
from xml.etree.ElementTree import Element

MATH_FONTS = "'Cambria Math', 'STIX Two Math', 'DejaVu Serif', serif"
# Operators that get a space on each side (relations and binary operators), as a typesetter spaces them.
_SPACED = set("=<>+−±∓×÷·∘≤≥≠≈≡∼≃≅∝∈∉⊂⊃⊆⊇∪∩∧∨→←↔⇒⇐⇔↦⊕⊗≪≫∣") | {"≔", "⟹", "⟸", "⟺"}
_LARGE = set("∑∏∐∫∬∭∮⋃⋂⋁⋀⨁⨂")
_THIN = "\u2009"  # the thin space after a function's name or a large operator
_OPENERS, _CLOSERS = set("([{⟨⌊⌈|‖"), set(")]}⟩⌋⌉|‖")
_ACCENTS = {  # an accent over one letter, as a combining character
    "^": "\u0302", "ˆ": "\u0302", "~": "\u0303", "˜": "\u0303", "¯": "\u0304", "―": "\u0305", "‾": "\u0305",
    "→": "\u20d7", "˙": "\u0307", "¨": "\u0308", "ˇ": "\u030c", "˘": "\u0306", "´": "\u0301", "`": "\u0300",
}


@lru_cache(maxsize=1024)
def to_html(tex: str, display: bool = False) -> str:
    """``tex`` (without its delimiters) as Qt rich text; TeX that does not parse comes back as written."""
    from latex2mathml.converter import convert_to_element

    try:
        root = convert_to_element(tex, display="block" if display else "inline")
        shown = _Walk(display).children(root)
    except Exception:  # noqa: BLE001 - latex2mathml raises many kinds for unfinished or unknown TeX
        return f'<span style="font-family:monospace">{html.escape(tex)}</span>'
    return f'<span style="font-family:{MATH_FONTS}">{shown}</span>'


def _text(element: Element) -> str:
    """An element's own text: latex2mathml writes symbols as character references."""
    return html.unescape(element.text or "")


class _Walk:
    def __init__(self, display: bool) -> None:
        self.display = display
        self.scripted = 0  # inside a sub- or superscript, where operators are set close (i=1)

    def children(self, element: Element) -> str:
        parts = list(element)
        shown = []
        for index, child in enumerate(parts):
            if child.tag == "mo" and _text(child) in _SPACED and not self.scripted:
                # A sign at the start of a group is unary (−3, ±x): no space after it.
                before = " " if index and shown else ""
                shown.append(f"{before}{html.escape(_text(child))}{' ' if before else ''}")
            else:
                shown.append(self.node(child))
        return "".join(shown)

    def node(self, element: Element) -> str:
        tag, parts = element.tag, list(element)
        if tag == "mi":
            text = _text(element)
            if text == "&":  # an alignment point of aligned equations: nothing to show
                return ""
            # One letter is a variable, in italics; a name (sin, log) and a symbol stay upright.
            if len(text) == 1 and text.isalpha() and element.get("mathvariant") != "normal":
                return f"<i>{html.escape(text)}</i>"
            return html.escape(text) + _THIN if len(text) > 1 else html.escape(text)
        if tag == "mo" and _big(element):
            return html.escape(_text(element)) + _THIN
        if tag in ("mn", "mo", "mtext", "ms"):
            return html.escape(_text(element))
        if tag == "mspace":
            if element.get("linebreak") == "newline":
                return "<br />" if self.display else "; "
            width = _em(element.get("width", ""))
            return "\u2003" if width >= 0.9 else _THIN if width >= 0.1 else ""
        if tag in ("msup", "msub", "msubsup", "munder", "mover", "munderover") and len(parts) >= 2:
            return self.scripts(tag, parts)
        if tag == "mfrac" and len(parts) == 2:
            top, bottom = (self._grouped(part) for part in parts)
            if element.get("linethickness") == "0":  # \binom and friends: the parts side by side
                return f"{top}, {bottom}"
            return f"{top}/{bottom}"
        if tag == "msqrt":
            return f'√<span style="text-decoration:overline">{self.children(element)}</span>'
        if tag == "mroot" and len(parts) == 2:
            return f'<sup>{self.node(parts[1])}</sup>√<span style="text-decoration:overline">{self.node(parts[0])}</span>'
        if tag == "mtable":
            # A matrix or the cases of a definition, a row at a time: (a  b; c  d).
            return "; ".join("\u2003".join(self.children(cell) for cell in row) for row in parts)
        if tag == "mphantom":
            return ""
        return self.children(element)  # math, mrow, mstyle, mpadded, menclose, merror, ...

    def scripts(self, tag: str, parts: list[Element]) -> str:
        """A base with scripts: below and above (a sum's limits) are shown as sub- and superscripts."""
        base = self.node(parts[0]).removesuffix(_THIN)
        if tag == "mover" and _accent(parts[1]):
            mark = _ACCENTS[_text(parts[1])]
            plain = "".join(parts[0].itertext())
            if len(plain) == 1:
                return base.replace(html.escape(plain), html.escape(plain) + mark, 1)
            if mark in ("\u0304", "\u0305"):  # a bar over several letters: an overline
                return f'<span style="text-decoration:overline">{base}</span>'
        self.scripted += 1
        low = self.node(parts[1]) if tag in ("msub", "msubsup", "munder", "munderover") else ""
        high = self.node(parts[-1]) if tag in ("msup", "msubsup", "mover", "munderover") else ""
        self.scripted -= 1
        after = _THIN if _big(parts[0]) else ""  # a sum's or a limit's scripts, then what it applies to
        return base + (f"<sub>{low}</sub>" if low else "") + (f"<sup>{high}</sup>" if high else "") + after

    def _grouped(self, element: Element) -> str:
        """A fraction's part, in brackets when it would otherwise read wrongly beside the slash."""
        shown = self.node(element)
        return f"({shown})" if _needs_brackets(element) else shown


def _big(element: Element) -> bool:
    """A large operator (∑, ∫, lim, max): what follows it is set a little apart."""
    while element.tag == "mrow" and len(element) == 1:
        element = element[0]
    text = _text(element) if element.tag in ("mo", "mi") else ""
    return text in _LARGE or (len(text) > 1 and text.isalpha())


def _accent(element: Element) -> bool:
    return element.tag == "mo" and _text(element) in _ACCENTS


def _needs_brackets(element: Element) -> bool:
    """A sum, a relation or a fraction, outside any brackets of its own: a+b over 2 is (a + b)/2."""
    while element.tag == "mrow" and len(element) == 1:
        element = element[0]
    if element.tag == "mfrac":
        return True
    if element.tag != "mrow":
        return False
    depth = 0
    for child in element:
        text = _text(child) if child.tag == "mo" else ""
        if text in _OPENERS and (text not in _CLOSERS or depth == 0):
            depth += 1
        elif text in _CLOSERS and depth:
            depth -= 1
        elif depth == 0 and (text in _SPACED or child.tag == "mfrac"):
            return True
    return False


def _em(width: str) -> float:
    try:
        return float(width[:-2]) if width.endswith("em") else 0.0
    except ValueError:
        return 0.0
