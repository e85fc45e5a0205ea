"""Transcripts as files: plain text, SubRip (.srt) and WebVTT (.vtt)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    text: str
    start: float  # seconds
    end: float


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def stamp(seconds: float) -> str:
    """A short timestamp for the dictation window: [m:ss] or [h:mm:ss]."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"[{hours}:{minutes:02d}:{secs:02d}]" if hours else f"[{minutes}:{secs:02d}]"


def to_text(lines: Iterable[Line], timestamps: bool = False) -> str:
    return "".join(f"{stamp(line.start) + ' ' if timestamps else ''}{line.text.strip()}\n" for line in lines)


def to_srt(lines: Iterable[Line]) -> str:
    blocks = []
    for number, line in enumerate(lines, 1):
        end = max(line.end, line.start + 0.001)
        blocks.append(f"{number}\n{_clock(line.start, ',')} --> {_clock(end, ',')}\n{line.text.strip()}\n")
    return "\n".join(blocks)


def to_vtt(lines: Iterable[Line]) -> str:
    cues = [f"{_clock(line.start, '.')} --> {_clock(max(line.end, line.start + 0.001), '.')}\n{line.text.strip()}\n"
            for line in lines]
    return "WEBVTT\n\n" + "\n".join(cues)


def render(lines: list[Line], kind: str, timestamps: bool = False) -> str:
    if kind == "srt":
        return to_srt(lines)
    if kind == "vtt":
        return to_vtt(lines)
    return to_text(lines, timestamps)
