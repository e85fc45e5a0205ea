"""Which of a Hub repo's quantizations are already on this computer, so Discover can offer a chat instead.

A quant is "in the library" when a usable library entry has the same first file name and the same
total size as the Hub lists: that holds wherever the file came from (Hearth's models folder, the
Hugging Face cache, LM Studio, a folder the user added), and the size tells a finished file from a
different build that happens to share a name.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from app.core.hub_files import QuantChoice
from app.core.library import LibraryEntry


def find_in_library(choice: QuantChoice, entries: list[LibraryEntry]) -> LibraryEntry | None:
    name = PurePosixPath(choice.first.name).name
    for entry in entries:
        if entry.usable and entry.path.name == name and entry.size == choice.size:
            return entry
    return None
