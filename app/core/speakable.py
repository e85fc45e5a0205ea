"""A reply's Markdown as sentences to speak, taken while the reply still streams.

``Speakable.feed(text_so_far)`` returns the sentences that became complete since the last call, as
plain text: no asterisks, hashes or backticks; a link reads as its text; a code block is announced
("There is a Python code block here; it is shown on screen.") rather than spelled out; a heading
and each list item read as a sentence of their own; a table is summarised by its columns and rows;
a display formula is announced and inline math read as words. ``finish()`` returns what is left
when the reply ends.

The blocks are found here by hand, line by line, because a Markdown parser needs the whole block
(a fence's end, a table's last row) before it says what a block is, and speech must start at the
first full stop of a paragraph still being written. The text inside a block (emphasis, links,
escapes, code spans, math) is read with markdown-it, the parser the chat view renders with.
"""
from __future__ import annotations

import re
from functools import lru_cache

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?(.*)$")
QUOTE = re.compile(r"^\s*>\s?(.*)$")
RULE = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$")
TABLE_DIVIDER = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
MATH_FENCES = ("$$", "\\[")
MATH_ENDS = {"$$": "$$", "\\[": "\\]"}
# A sentence ends at . ! ? (or …) with a closing quote or bracket, then a space.
SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")
ABBREVIATIONS = {"e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "st", "no", "fig", "approx", "cf"}
LANGUAGES = {"py": "Python", "python": "Python", "python3": "Python", "js": "JavaScript", "javascript": "JavaScript",
             "ts": "TypeScript", "typescript": "TypeScript", "sh": "shell", "bash": "shell", "shell": "shell",
             "zsh": "shell", "console": "shell", "c": "C", "cpp": "C++", "c++": "C++", "cs": "C#", "csharp": "C#",
             "java": "Java", "go": "Go", "rust": "Rust", "rs": "Rust", "rb": "Ruby", "ruby": "Ruby", "sql": "SQL",
             "html": "HTML", "css": "CSS", "json": "JSON", "yaml": "YAML", "yml": "YAML", "toml": "TOML",
             "xml": "XML", "kotlin": "Kotlin", "swift": "Swift", "php": "PHP", "r": "R", "lua": "Lua",
             "markdown": "Markdown", "md": "Markdown", "text": "text", "txt": "text"}
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "pi", "sigma", "tau", "phi",
         "omega", "rho", "eta", "zeta", "kappa", "nu", "xi", "chi", "psi"}
TEX_WORDS = {"\\times": " times ", "\\cdot": " times ", "\\div": " divided by ", "\\pm": " plus or minus ",
             "\\leq": " is at most ", "\\le": " is at most ", "\\geq": " is at least ", "\\ge": " is at least ",
             "\\neq": " is not ", "\\approx": " is about ", "\\infty": " infinity ", "\\sqrt": " the square root of ",
             "\\sum": " the sum of ", "\\int": " the integral of ", "\\to": " to ", "\\rightarrow": " to "}


def code_announcement(language: str) -> str:
    name = LANGUAGES.get(language.lower(), language) if language else ""
    article = "an" if name[:1].lower() in "aeiou" and name else "a"
    return f"There is {article} {name} code block here; it is shown on screen." if name else \
        "There is a code block here; it is shown on screen."


class Speakable:
    def __init__(self) -> None:
        self._text = ""
        self._done = 0  # characters of whole lines read
        self._line_used = 0  # characters of the unfinished line already spoken
        self._paragraph = ""  # Markdown of the paragraph not yet spoken
        self._block: str | None = None  # "code", "math" or "table" while inside one
        self._fence = ""  # what closes the code or math block
        self._table: list[str] = []
        self._quoting = False  # the paragraph is a block quote's

    # -- the stream ---------------------------------------------------------------------------
    def feed(self, text_so_far: str) -> list[str]:
        """The sentences complete in ``text_so_far`` that were not returned before."""
        if not text_so_far.startswith(self._text[:self._done + self._line_used]):
            self.__init__()  # a different text (a reply written again): start over
        self._text = text_so_far
        out: list[str] = []
        while True:
            newline = self._text.find("\n", self._done)
            if newline < 0:
                break
            line = self._text[self._done:newline]
            used, self._line_used = self._line_used, 0
            self._done = newline + 1
            self._line(line, used, out)
        self._unfinished_line(self._text[self._done:], out)
        return out

    def finish(self) -> list[str]:
        """What is left to say once the reply has ended."""
        out: list[str] = []
        rest = self._text[self._done:]
        used, self._line_used = self._line_used, 0
        self._done = len(self._text)
        if rest:
            self._line(rest, used, out)
        self._close_block(out)
        self._flush_paragraph(out)
        return out

    # -- lines --------------------------------------------------------------------------------
    def _line(self, line: str, used: int, out: list[str]) -> None:
        if self._block == "code":
            if line.strip().startswith(self._fence):
                self._block = None
            return
        if self._block == "math":
            if self._fence in line:
                self._block = None
            return
        if self._block == "table":
            if "|" in line and line.strip():
                self._table.append(line)
                return
            self._close_block(out)
        fence = FENCE.match(line)
        stripped = line.strip()
        if fence:
            self._flush_paragraph(out)
            self._block, self._fence = "code", fence.group(1)
            out.append(code_announcement(fence.group(2)))
        elif stripped.startswith(MATH_FENCES) and used == 0:
            self._flush_paragraph(out)
            opener = "$$" if stripped.startswith("$$") else "\\["
            out.append("There is a formula here; it is shown on screen.")
            if MATH_ENDS[opener] not in stripped[len(opener):]:
                self._block, self._fence = "math", MATH_ENDS[opener]
        elif stripped.startswith("|") and used == 0:
            self._flush_paragraph(out)
            self._block, self._table = "table", [line]
        elif not stripped or RULE.match(line):
            self._flush_paragraph(out)
        elif (heading := HEADING.match(line)) and used == 0:
            self._flush_paragraph(out)
            self._say(heading.group(1), out, whole=True)
        elif (item := LIST_ITEM.match(line)) and used == 0:
            self._flush_paragraph(out)
            self._say(item.group(1), out, whole=True)
        else:
            quote = QUOTE.match(line) if used == 0 else None
            if used == 0 and bool(quote) != self._quoting:
                self._flush_paragraph(out)  # a quote is a paragraph of its own
            self._quoting = bool(quote) if used == 0 else self._quoting
            body = quote.group(1) if quote else line
            if used == 0 and (item := LIST_ITEM.match(body)):
                self._flush_paragraph(out)
                body = item.group(1)
            self._paragraph = f"{self._paragraph} {body[used:] if used else body}".strip()
            self._take_sentences(out)

    def _unfinished_line(self, line: str, out: list[str]) -> None:
        """Speak the whole sentences of a line still being written, once it can only be prose."""
        if self._block in ("code", "math") or not line.strip():
            return
        stripped = line.lstrip()
        if self._line_used == 0 and (stripped[:1] in "`~|#$\\>" or FENCE.match(line)):
            return  # may still become a fence, a table, a heading or a formula: wait for the line
        start = self._line_used
        if self._line_used == 0 and (item := LIST_ITEM.match(line)):
            start = item.start(1)
        candidate = f"{self._paragraph} {line[start:]}".strip() if self._paragraph else line[start:]
        sentences, rest = split_sentences(candidate)
        if not sentences:
            return
        if self._line_used == 0 and start:  # a list item started: it is its own sentence
            self._flush_paragraph(out)
            sentences, rest = split_sentences(line[start:])
        spoken_of_line = len(line) - len(rest)
        self._paragraph = ""
        self._line_used = spoken_of_line
        for sentence in sentences:
            self._say(sentence, out)

    # -- blocks -------------------------------------------------------------------------------
    def _take_sentences(self, out: list[str]) -> None:
        sentences, self._paragraph = split_sentences(self._paragraph)
        for sentence in sentences:
            self._say(sentence, out)

    def _flush_paragraph(self, out: list[str]) -> None:
        self._take_sentences(out)
        if self._paragraph.strip():
            self._say(self._paragraph, out, whole=True)
        self._paragraph = ""
        self._quoting = False

    def _close_block(self, out: list[str]) -> None:
        if self._block == "table":
            out.append(table_summary(self._table))
            self._table = []
        self._block = None

    def _say(self, markdown: str, out: list[str], whole: bool = False) -> None:
        text = plain_text(markdown)
        if not text:
            return
        if whole and text[-1] not in ".!?…:;":
            text += "."  # a heading or an item is read as a sentence: the voice falls at its end
        out.append(text)


CLAUSE_END = re.compile(r"[,;:—–](?=\s)")
LEAD_WORDS = 4  # the first piece a reply is read with has at least this many words...
LONG_SENTENCE = 10  # ...and is cut from a first sentence of at least this many


def lead_clause(sentence: str) -> list[str]:
    """A reply's first sentence as it is spoken: a long one in two, at its first pause (a comma, a
    semicolon, a colon or a dash) after a few words, so its first sound comes after the voice has made
    only those words; a short one, or one without such a pause, whole. The voice pauses there anyway."""
    if len(sentence.split()) < LONG_SENTENCE:
        return [sentence]
    for pause in CLAUSE_END.finditer(sentence):
        head, tail = sentence[:pause.end()].strip(), sentence[pause.end():].strip()
        if len(head.split()) >= LEAD_WORDS and len(tail.split()) >= LEAD_WORDS:
            return [head, tail]
    return [sentence]


def split_sentences(text: str) -> tuple[list[str], str]:
    """The whole sentences at the start of ``text``, and what follows the last of them."""
    sentences, start = [], 0
    for end in SENTENCE_END.finditer(text):
        before = text[start:end.start()]
        last_word = re.split(r"\s", before)[-1].lower().rstrip(".")
        if end.group().startswith(".") and (last_word in ABBREVIATIONS or len(last_word) == 1 and
                                            last_word.isalpha()):
            continue
        if _open_inline(text[start:end.end()]):
            continue  # inside a code span or a link's text: not the end of a sentence
        sentences.append(text[start:end.end()].strip())
        start = end.end()
    return sentences, text[start:]


def _open_inline(text: str) -> bool:
    return text.count("`") % 2 == 1 or text.count("[") > text.count("]") or text.count("$") % 2 == 1


def table_summary(rows: list[str]) -> str:
    cells = [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows]
    body = [row for row, line in zip(cells, rows) if not TABLE_DIVIDER.match(line)]
    if not body:
        return "There is a table here; it is shown on screen."
    columns = [plain_text(cell) for cell in body[0] if plain_text(cell)]
    count = len(body) - 1
    rows_text = f"{count} row" + ("" if count == 1 else "s")
    named = f" with the columns {_and(columns)}" if columns else ""
    return f"There is a table here{named}, and {rows_text}; it is shown on screen."


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt

    from app.core import math_markdown

    parser = MarkdownIt("commonmark").enable(["strikethrough"])
    math_markdown.install(parser)
    return parser


def plain_text(markdown: str) -> str:
    """One line of Markdown as the words to say."""
    words: list[str] = []
    for block in _parser().parseInline(markdown):
        for token in block.children or []:
            kind = token.type
            if kind in ("text", "code_inline"):
                words.append(token.content)
            elif kind == "image":
                words.append(f"image: {token.content}" if token.content else "an image")
            elif kind in ("softbreak", "hardbreak"):
                words.append(" ")
            elif kind.startswith("math"):
                words.append(spoken_math(token.content))
    text = "".join(words)
    text = re.sub(r"https?://\S+", "a link", text)
    text = re.sub(r"[*_#`~|]+", " ", text)  # markers the stream cut in half still say nothing
    return re.sub(r"\s+", " ", text).strip()


def spoken_math(tex: str) -> str:
    """Inline TeX as words, roughly as one reads it out: "x^2 + 1" is "x squared plus 1"."""
    text = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r" \1 over \2 ", tex)
    for command, word in TEX_WORDS.items():
        text = re.sub(re.escape(command) + r"(?![a-zA-Z])", word, text)
    text = re.sub(r"\\(" + "|".join(GREEK) + r")(?![a-zA-Z])", r" \1 ", text)
    text = re.sub(r"\^\{?2\}?", " squared ", text)
    text = re.sub(r"\^\{?3\}?", " cubed ", text)
    text = re.sub(r"\^\{?([^{}\s]+)\}?", r" to the power of \1 ", text)
    text = re.sub(r"_\{?([^{}\s]+)\}?", r" sub \1 ", text)
    text = text.replace("+", " plus ").replace("=", " equals ").replace("<", " is less than ")
    text = text.replace(">", " is more than ").replace("/", " over ")
    text = re.sub(r"(?<=\s)-(?=\s)|^-", " minus ", text)
    text = re.sub(r"\\[a-zA-Z]+|[{}\\]", " ", text)
    return re.sub(r"\s+", " ", text).strip()
