"""A copy of a real GGUF model whose chat template is hidden: the key is renamed in place.

The key ``tokenizer.chat_template`` becomes a key of the same length that nothing reads,
so the header keeps its layout and every offset, and the copy is the same model, byte for
byte, apart from a model's own chat format (what a template-less download looks like).
"""
from __future__ import annotations

import shutil
import struct
from pathlib import Path

KEY = b"tokenizer.chat_template"
HIDDEN = b"hearth.no.chat_template"  # same length: the header's layout does not move
assert len(KEY) == len(HIDDEN)


def without_template(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    needle = struct.pack("<Q", len(KEY)) + KEY  # GGUF strings: a u64 length, then the bytes
    with open(target, "r+b") as file:
        head = file.read(64 * 1024 * 1024)  # the metadata sits before the tensor data
        at = head.find(needle)
        if at < 0:
            raise ValueError(f"{source.name} has no chat template to hide")
        file.seek(at + 8)
        file.write(HIDDEN)
    return target
