"""Turning a stream of token bytes into text that is safe to show.

Two things go wrong in naive streaming: a character split across tokens (an
emoji is often 2 to 4 tokens) shows up as replacement marks, and a stop string
split across tokens leaks its first half. ``TextStream`` decodes UTF-8
incrementally (the stdlib's incremental decoder keeps partial characters) and
holds back any tail that could still become a stop string.
"""
from __future__ import annotations

import codecs


class TextStream:
    def __init__(self, stop: list[str] | tuple[str, ...] = ()) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stop = [s for s in stop if s]
        self._held = ""
        self.stopped = False

    def feed(self, data: bytes) -> str:
        """Add the bytes of one token; return the text that can be shown now."""
        if self.stopped:
            return ""
        text = self._decoder.decode(data)
        if not self._stop:
            return text
        return self._release(self._held + text)

    def finish(self) -> str:
        """The stream ended: return everything still held (unless a stop string ended it)."""
        if self.stopped:
            return ""
        tail = self._held + self._decoder.decode(b"", final=True)
        self._held = ""
        if self._stop:
            cut = self._first_stop(tail)
            if cut is not None:
                self.stopped = True
                return tail[:cut]
        return tail

    def _first_stop(self, text: str) -> int | None:
        hits = [index for index in (text.find(s) for s in self._stop) if index >= 0]
        return min(hits) if hits else None

    def _release(self, text: str) -> str:
        cut = self._first_stop(text)
        if cut is not None:
            self.stopped = True
            self._held = ""
            return text[:cut]
        keep = 0
        for stop in self._stop:
            # The longest tail of ``text`` that is a proper prefix of this stop string.
            for length in range(min(len(stop) - 1, len(text)), keep, -1):
                if text.endswith(stop[:length]):
                    keep = length
                    break
        self._held = text[len(text) - keep:] if keep else ""
        return text[: len(text) - keep]
