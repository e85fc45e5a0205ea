"""Push to talk into a text box: how what was heard joins what the box already held.

The box shows, while the user speaks, what it held when listening began, then every final piece of
text heard so far, then the utterance still being spoken (partial text). When the stream ends, the
partial text is gone and the finals stay. One space glues the heard words to what was typed before,
unless what was typed already ends in a space or a new line.
"""
from __future__ import annotations


class DictationJoin:
    def __init__(self) -> None:
        self.before = ""  # what the box held when listening began
        self.heard: list[str] = []  # final text of this push to talk, piece by piece

    def begin(self, before: str) -> None:
        self.before, self.heard = before, []

    def add_final(self, text: str) -> None:
        text = text.strip()
        if text:
            self.heard.append(text)

    @property
    def anything_heard(self) -> bool:
        return bool(self.heard)

    def joined(self, partial: str = "") -> str:
        """The box's text with ``partial`` (the utterance so far) after the finals."""
        words = " ".join(part for part in (*self.heard, partial.strip()) if part)
        before = self.before
        glue = " " if before and not before.endswith((" ", "\n")) and words else ""
        return f"{before}{glue}{words}"
