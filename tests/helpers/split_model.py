"""A real split GGUF model (``name-0000N-of-0000M.gguf``) made from a real one, for tests.

gguf-py's writer does the splitting the way llama.cpp's ``gguf-split`` does:
metadata in the first part, tensors shared out, ``split.*`` keys in each.
"""
from __future__ import annotations

from pathlib import Path

import gguf


def make_split(source: Path, folder: Path, stem: str, parts: int = 3) -> list[Path]:
    reader = gguf.GGUFReader(source)
    per_part = -(-len(reader.tensors) // parts)
    folder.mkdir(parents=True, exist_ok=True)
    arch = str(reader.fields["general.architecture"].contents())
    writer = gguf.GGUFWriter(folder / f"{stem}.gguf", arch, split_max_tensors=per_part)
    for field in reader.fields.values():
        if field.name == "general.architecture" or field.name.startswith("GGUF."):
            continue
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), value_type, sub_type=sub_type)
    for tensor in reader.tensors:
        writer.add_tensor_info(tensor.name, tensor.data.shape, tensor.data.dtype, tensor.data.nbytes,
                               tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in reader.tensors:
        writer.write_tensor_data(tensor.data, tensor_endianess=reader.endianess)
    writer.close()
    return sorted(folder.glob(f"{stem}-*-of-*.gguf"))
