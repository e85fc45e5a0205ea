"""What a Hub repo's file list means for someone choosing a GGUF model.

A repo holds many files; a person picks a *quantization*. This module turns
the siblings the Hub reports into choices: one per quant, split files
(``-00001-of-00003.gguf``) gathered into one choice whose size is their sum,
projector files (``mmproj``) labelled and kept apart. It also holds the rule
every name from the Hub must pass before it touches disk.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from app.core.errors import HearthError

SPLIT = re.compile(r"^(?P<base>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)
# Quant names as llama.cpp's quantize tool and the big uploaders write them; longest first.
QUANT = re.compile(
    r"(?<![A-Za-z0-9])(UD-)?("
    r"IQ[1-4]_(?:XXS|XS|NL|S|M)|IQ[1-4]|"
    r"Q[2-8]_K(?:_(?:XL|L|M|S))?|Q[2-8]_[01]|Q4_0_\d_\d|"
    r"TQ[12]_0|MXFP4(?:_MOE)?|BF16|F16|F32|FP16|FP32"
    r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_DRIVE = re.compile(r"^[A-Za-z]:")
MAX_NAME_BYTES = 255  # the longest file or folder name ext4, APFS, NTFS and most others store (in UTF-8 bytes)
# Unicode's bidirectional controls make a name read differently from what it is ("gguf.exe" shown as "exe.fugg").
# Characters Windows cannot store in a name; they also keep markup (<a href=...>) out of names shown in labels.
WINDOWS_RESERVED = frozenset('<>:"|?*')
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class UnsafePathError(HearthError):
    """A file name from the Hub that could write outside the models folder."""


def check_relative_path(name: str) -> PurePosixPath:
    """The name as a safe relative path, or UnsafePathError.

    Refuses what could escape or confuse the models folder on any OS: ``..``,
    absolute paths, backslashes, drive letters, empty parts, control characters,
    bidirectional controls, the characters Windows cannot store (< > : " | ? *),
    and parts longer than a file system stores.
    """
    problem = ""
    if not name or len(name) > 1024:
        problem = "an empty or overlong name"
    elif "\\" in name:
        problem = "a backslash"
    elif name.startswith("/") or _DRIVE.match(name):
        problem = "an absolute path"
    elif any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        problem = "control characters"
    elif any(ch in BIDI_CONTROLS for ch in name):
        problem = "characters that reverse how text reads (bidirectional controls), which can disguise a name"
    else:
        parts = name.split("/")
        if any(part in ("", ".", "..") for part in parts):
            problem = "a “..”, “.” or empty folder name"
        elif any(part.endswith((" ", ".")) or any(ch in WINDOWS_RESERVED for ch in part) for part in parts):
            problem = "a part that Windows cannot store (one of < > : \" | ? * or a trailing dot or space)"
        elif any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in parts):
            problem = f"a file or folder name longer than {MAX_NAME_BYTES} bytes, more than file systems store"
    if problem:
        raise UnsafePathError(f"The Hub sent a file name Hearth will not write: {shown_name(name)} contains {problem}.",
                              f"unsafe hub path {name!r}")
    return PurePosixPath(name)


def shown_name(name: str, limit: int = 80) -> str:
    """A name as it can be shown safely: quoted, invisible and direction-changing characters escaped, shortened."""
    text = repr(name)  # repr escapes control, format (bidi) and other non-printable characters
    return text if len(text) <= limit else text[: limit - 2] + "…" + text[-1]


def check_repo_id(repo_id: str) -> tuple[str, str]:
    """(owner, name) of an ``owner/name`` repo id, each a safe single folder name."""
    parts = repo_id.split("/")
    if len(parts) != 2:
        raise UnsafePathError(f"“{repo_id}” is not a Hub repo name (owner/name).", repr(repo_id))
    check_relative_path(repo_id)
    return parts[0], parts[1]


@dataclass(frozen=True)
class HubFile:
    name: str  # path inside the repo, forward slashes
    size: int
    sha256: str = ""  # the LFS sha256 the Hub reports; empty for small non-LFS files
    git_sha1: str = ""  # a small non-LFS file's git blob id (the Hub's blobId): what verifies it instead


@dataclass(frozen=True)
class QuantChoice:
    """One thing to download: a single GGUF file or all the parts of a split one."""

    label: str  # "Q4_K_M", "mmproj F16", or the file name when no quant is recognisable
    files: tuple[HubFile, ...]
    projector: bool = False
    complete: bool = True  # False when parts of a split model are missing from the repo
    variant: str = ""  # the file's own name, when two choices share a quant name
    folder: str = ""  # where under the models folder its files go, side by side ("": <owner>/<repo>/<path>)

    @property
    def title(self) -> str:
        """What the file list shows: "Q4_K_M", "BF16 (3 parts)", "Q4_1 · model-instruct"."""
        parts = f" ({len(self.files)} parts)" if len(self.files) > 1 else ""
        return f"{self.label}{parts}" + (f" · {self.variant}" if self.variant else "")

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def first(self) -> HubFile:
        return self.files[0]

    @property
    def is_split(self) -> bool:
        return len(self.files) > 1

    @property
    def downloadable(self) -> bool:
        return self.complete and not self.projector


def _stem(file_name: str) -> str:
    name = PurePosixPath(file_name).name
    split = SPLIT.match(name)
    return split.group("base") if split else name[: -len(".gguf")] if name.lower().endswith(".gguf") else name


def quant_label(file_name: str) -> str:
    stem = PurePosixPath(file_name).name
    split = SPLIT.match(stem)
    stem = split.group("base") if split else stem[: -len(".gguf")] if stem.lower().endswith(".gguf") else stem
    found = QUANT.findall(stem)
    if not found:
        return stem
    prefix, quant = found[-1]
    return f"{prefix.upper()}{quant.upper()}"


def choices(files: list[HubFile]) -> list[QuantChoice]:
    """Every GGUF choice in a repo, chat models by size, projectors last."""
    singles: list[QuantChoice] = []
    splits: dict[tuple[str, int], list[tuple[int, HubFile]]] = {}
    for hub_file in files:
        if not hub_file.name.lower().endswith(".gguf"):
            continue
        base = PurePosixPath(hub_file.name).name
        projector = "mmproj" in base.lower()
        match = SPLIT.match(hub_file.name)
        if match:
            key = (match.group("base"), int(match.group("count")))
            splits.setdefault(key, []).append((int(match.group("index")), hub_file))
            continue
        label = quant_label(hub_file.name)
        singles.append(QuantChoice(f"mmproj {label}" if projector and "mmproj" not in label.lower() else label,
                                   (hub_file,), projector=projector))
    for (base, count), parts in splits.items():
        parts.sort(key=lambda item: item[0])
        indexes = [index for index, _ in parts]
        complete = indexes == list(range(1, count + 1))
        label = quant_label(parts[0][1].name)
        singles.append(QuantChoice(label, tuple(f for _, f in parts), complete=complete,
                                   projector="mmproj" in PurePosixPath(base).name.lower()))
    # Two files can share a quant name (a base and an instruct build): tell them apart by file.
    counts: dict[str, int] = {}
    for choice in singles:
        counts[choice.label] = counts.get(choice.label, 0) + 1
    named = [replace(choice, variant=_stem(choice.first.name)) if counts[choice.label] > 1 else choice
             for choice in singles]
    return sorted(named, key=lambda c: (c.projector, c.size, c.label))


# A faster-whisper model is a folder: CTranslate2 weights, their config, and the tokenizer.
SPEECH_REQUIRED = ("model.bin", "config.json")
SPEECH_FILES = re.compile(r"^(model\.bin|config\.json|tokenizer\.json|vocabulary\.(txt|json)|"
                          r"preprocessor_config\.json)$")


def is_speech_model_file(name: str) -> bool:
    return "/" not in name and bool(SPEECH_FILES.match(name))


def speech_choices(files: list[HubFile]) -> list[QuantChoice]:
    """A faster-whisper repo is one choice: the whole model folder."""
    names = {f.name for f in files}
    if not all(required in names for required in SPEECH_REQUIRED):
        return []
    ordered = sorted(files, key=lambda f: f.name != "model.bin")  # model.bin names the download
    return [QuantChoice("faster-whisper model", tuple(ordered))]
