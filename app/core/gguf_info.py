"""What a GGUF file's header says, read without loading the model.

Written by hand on purpose: gguf-py's ``GGUFReader`` turns every metadata
array (the whole vocabulary) and every tensor into numpy objects, which takes
about 2.5 s for a 135M model. Hearth reads the header of every file in the
library, so this reader keeps scalars, skips arrays by length, and borrows
gguf-py's tables (value types, quant block sizes, file types) instead of
copying them. Every number read is checked against the file's real size, so a
truncated or hostile header ends in a ``ModelFileError``, never a crash or a
huge allocation.
"""
from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from gguf import GGML_QUANT_SIZES, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGMLQuantizationType, GGUFValueType, LlamaFileType

from app.core.errors import ModelFileError

SUPPORTED_VERSIONS = (2, 3)
MAX_TENSORS = 1_000_000
MAX_KV = 100_000
MAX_DIMS = 4
# Scalar metadata keys worth keeping as text are short; long ones (templates) are kept whole.
MAX_STRING = 16 * 1024 * 1024

_SCALAR_FORMATS = {
    GGUFValueType.UINT8: "<B",
    GGUFValueType.INT8: "<b",
    GGUFValueType.UINT16: "<H",
    GGUFValueType.INT16: "<h",
    GGUFValueType.UINT32: "<I",
    GGUFValueType.INT32: "<i",
    GGUFValueType.FLOAT32: "<f",
    GGUFValueType.BOOL: "<?",
    GGUFValueType.UINT64: "<Q",
    GGUFValueType.INT64: "<q",
    GGUFValueType.FLOAT64: "<d",
}


@dataclass(frozen=True)
class ArrayInfo:
    """A metadata array we skipped over: its element type and length only."""

    item_type: int
    length: int


@dataclass
class GGUFInfo:
    path: Path
    file_size: int
    version: int
    metadata: dict[str, object]
    tensor_count: int
    parameter_count: int
    data_offset: int
    expected_size: int
    tensor_types: dict[str, int] = field(default_factory=dict)
    all_parts_size: int = 0  # a split model's size over all its files; 0 for a single file
    # Where the weights' bytes sit, as llama.cpp places them when it offloads layers to a GPU:
    block_bytes: dict[int, int] = field(default_factory=dict)  # each repeating block ``blk.N.``
    input_bytes: int = 0  # token (and position) embeddings: llama.cpp keeps them on the CPU
    output_bytes: int = 0  # the output layer (output norm, output matrix) and any other tensor
    embedding_matrix_bytes: int = 0  # ``token_embd.weight``: the output reuses it when there is no ``output.weight``
    has_output_matrix: bool = False

    @property
    def model_size(self) -> int:
        return self.all_parts_size or self.file_size

    # -- what the model picker shows -------------------------------------------------
    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    @property
    def name(self) -> str:
        name = self.metadata.get("general.name")
        return str(name) if name else self.path.stem

    @property
    def context_length(self) -> int | None:
        value = self.metadata.get(f"{self.architecture}.context_length")
        return int(value) if isinstance(value, int) else None

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value.strip() else None

    @property
    def has_chat_template(self) -> bool:
        return self.chat_template is not None

    @property
    def split_count(self) -> int:
        value = self.metadata.get("split.count")
        return int(value) if isinstance(value, int) and value > 1 else 1

    @property
    def quantization(self) -> str:
        file_type = self.metadata.get("general.file_type")
        if isinstance(file_type, int):
            try:
                name = LlamaFileType(file_type).name
            except ValueError:
                name = ""
            if name.startswith("MOSTLY_"):
                return name[len("MOSTLY_"):]
            if name == "ALL_F32":
                return "F32"
        # No (or an unknown) file type: name it after the type holding most of the weights.
        if not self.tensor_types:
            return "unknown"
        dominant = max(self.tensor_types.items(), key=lambda item: item[1])[0]
        return dominant

    @property
    def parameter_label(self) -> str:
        return format_parameters(self.parameter_count)

    def summary(self) -> str:
        ctx = f"{self.context_length:,}" if self.context_length else "unknown"
        template = "yes" if self.has_chat_template else "no (a default will be used)"
        return (
            f"{self.architecture} · {self.parameter_label} parameters · {self.quantization} · "
            f"{format_bytes(self.model_size)} · context {ctx} · chat template: {template}"
        )


def format_parameters(count: int) -> str:
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if count >= limit:
            value = count / limit
            return f"{value:.1f}{suffix}" if value < 10 else f"{value:.0f}{suffix}"
    return str(count)


def format_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


class HeaderIncomplete(Exception):
    """The bytes read so far end inside the header: read a longer prefix (remote files)."""


class _Cursor:
    """Bounds-checked little-endian reads over the mapped file, or over a prefix of a remote one."""

    def __init__(self, buffer: mmap.mmap | bytes, size: int, path: Path) -> None:
        self.buffer = buffer
        self.size = size
        self.available = len(buffer)
        self.pos = 0
        self.path = path

    def _need(self, count: int, what: str) -> None:
        if 0 <= count and self.pos + count <= self.size and self.pos + count > self.available:
            raise HeaderIncomplete(self.pos + count)
        if count < 0 or self.pos + count > self.size:
            raise ModelFileError(
                f"“{self.path.name}” is truncated: its header ends early (in {what}). "
                "The file may not have finished downloading.",
                f"need {count} bytes at {self.pos}, file has {self.size}",
            )

    def scalar(self, fmt: str, what: str):
        width = struct.calcsize(fmt)
        self._need(width, what)
        (value,) = struct.unpack_from(fmt, self.buffer, self.pos)
        self.pos += width
        return value

    def u32(self, what: str) -> int:
        return self.scalar("<I", what)

    def u64(self, what: str) -> int:
        return self.scalar("<Q", what)

    def string(self, what: str, keep: bool = True) -> str:
        length = self.u64(what)
        if length > MAX_STRING and keep:
            raise ModelFileError(
                f"“{self.path.name}” has a header that makes no sense (a {length:,}-byte text in {what}).",
                f"string length {length} at {self.pos}",
            )
        self._need(length, what)
        raw = self.buffer[self.pos:self.pos + length] if keep else b""
        self.pos += length
        return raw.decode("utf-8", errors="replace") if keep else ""


def _nonsense(path: Path, what: str, detail: str = "") -> ModelFileError:
    return ModelFileError(f"“{path.name}” has a header that makes no sense: {what}.", detail)


def _read_value(cur: _Cursor, value_type: int, key: str):
    if value_type == GGUFValueType.STRING:
        return cur.string(f"the value of {key}")
    if value_type == GGUFValueType.ARRAY:
        item_type = cur.u32(f"the array type of {key}")
        length = cur.u64(f"the array length of {key}")
        if item_type == GGUFValueType.STRING:
            if length > 1 << 32:
                raise _nonsense(cur.path, f"the list {key} claims {length:,} entries")
            cur._need(8 * length, f"the list {key}")  # each entry takes at least its 8-byte length
            for _ in range(length):
                cur.string(f"an entry of {key}", keep=False)
        elif item_type in _SCALAR_FORMATS:
            width = struct.calcsize(_SCALAR_FORMATS[GGUFValueType(item_type)])
            cur._need(width * length, f"the list {key}")
            cur.pos += width * length
        else:
            # Nested arrays are legal but unused by any model we know; refuse rather than guess.
            raise _nonsense(cur.path, f"the list {key} has an unsupported item type {item_type}")
        return ArrayInfo(item_type, length)
    try:
        fmt = _SCALAR_FORMATS[GGUFValueType(value_type)]
    except (ValueError, KeyError):
        raise _nonsense(cur.path, f"the key {key} has an unknown value type {value_type}") from None
    return cur.scalar(fmt, f"the value of {key}")


def _tensor_bytes(path: Path, name: str, type_id: int, dims: list[int]) -> tuple[int, str]:
    try:
        qtype = GGMLQuantizationType(type_id)
        block_size, type_size = GGML_QUANT_SIZES[qtype]
    except (ValueError, KeyError):
        raise _nonsense(path, f"tensor {name} uses an unknown type {type_id}") from None
    elements = 1
    for dim in dims:
        elements *= dim
    if dims and dims[0] % block_size:
        raise _nonsense(path, f"tensor {name} does not fill whole {qtype.name} blocks")
    return elements // block_size * type_size, qtype.name


_INPUT_TENSORS = ("token_embd.", "token_embd_norm.", "position_embd.", "token_types.")


class _Placement:
    """Tensor bytes by where llama.cpp puts them: per block, the input layer, the output layer."""

    def __init__(self) -> None:
        self.blocks: dict[int, int] = {}
        self.input = self.output = self.embedding_matrix = 0
        self.output_matrix = False

    def add(self, name: str, nbytes: int) -> None:
        if name.startswith("blk."):
            index = name.split(".", 2)[1]
            if index.isdigit():
                self.blocks[int(index)] = self.blocks.get(int(index), 0) + nbytes
                return
        if name.startswith(_INPUT_TENSORS):
            self.input += nbytes
            if name == "token_embd.weight":
                self.embedding_matrix = nbytes
            return
        if name == "output.weight":
            self.output_matrix = True
        self.output += nbytes


def read_gguf_info(path: str | os.PathLike) -> GGUFInfo:
    """Read and sanity-check a GGUF header. Raises ModelFileError with a message for the user."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ModelFileError(f"“{path.name}” no longer exists.", str(path)) from None
    except OSError as error:
        raise ModelFileError(f"“{path.name}” cannot be read: {error.strerror}.", str(error)) from None
    if not path.is_file():
        raise ModelFileError(f"“{path.name}” is not a file.", str(path))
    if size == 0:
        raise ModelFileError(f"“{path.name}” is empty (0 bytes).", str(path))
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            return _parse(path, view, size)
    except OSError as error:
        raise ModelFileError(f"“{path.name}” cannot be read: {error.strerror or error}.", str(error)) from None


def parse_header_prefix(data: bytes, size: int, name: str) -> GGUFInfo:
    """The header of a ``size``-byte GGUF file from its first bytes; HeaderIncomplete asks for more."""
    return _parse(Path(name), data, size)


def _parse(path: Path, view, size: int) -> GGUFInfo:
    cur = _Cursor(view, size, path)
    if len(view) < 4 and size >= 4:
        raise HeaderIncomplete(4)
    if size < 4 or struct.unpack_from("<I", view, 0)[0] != GGUF_MAGIC:
        raise ModelFileError(
            f"“{path.name}” is not a GGUF model (it does not start with the GGUF signature).",
            repr(bytes(view[:8])),
        )
    cur.pos = 4
    version = cur.u32("the version")
    if version not in SUPPORTED_VERSIONS:
        raise ModelFileError(
            f"“{path.name}” uses GGUF version {version}, which Hearth cannot read "
            f"(supported: {', '.join(map(str, SUPPORTED_VERSIONS))}).",
        )
    tensor_count = cur.u64("the tensor count")
    kv_count = cur.u64("the metadata count")
    if tensor_count > MAX_TENSORS or kv_count > MAX_KV:
        raise _nonsense(path, f"it claims {tensor_count:,} tensors and {kv_count:,} metadata keys")

    metadata: dict[str, object] = {}
    for _ in range(kv_count):
        key = cur.string("a metadata key")
        value_type = cur.u32(f"the type of {key}")
        metadata[key] = _read_value(cur, value_type, key)

    parameters = 0
    extent = 0
    tensor_types: dict[str, int] = {}
    placement = _Placement()
    for _ in range(tensor_count):
        name = cur.string("a tensor name")
        n_dims = cur.u32(f"the shape of {name}")
        if not 1 <= n_dims <= MAX_DIMS:
            raise _nonsense(path, f"tensor {name} has {n_dims} dimensions")
        dims = [cur.u64(f"the shape of {name}") for _ in range(n_dims)]
        if any(d == 0 or d > 1 << 40 for d in dims):
            raise _nonsense(path, f"tensor {name} has the shape {dims}")
        type_id = cur.u32(f"the type of {name}")
        offset = cur.u64(f"the offset of {name}")
        nbytes, type_name = _tensor_bytes(path, name, type_id, dims)
        elements = 1
        for dim in dims:
            elements *= dim
        parameters += elements
        tensor_types[type_name] = tensor_types.get(type_name, 0) + nbytes
        placement.add(name, nbytes)
        extent = max(extent, offset + nbytes)

    alignment = metadata.get("general.alignment", GGUF_DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise _nonsense(path, f"its alignment is {alignment!r}")
    data_offset = (cur.pos + alignment - 1) // alignment * alignment
    expected = data_offset + extent
    if tensor_count == 0:
        raise _nonsense(path, "it holds no tensors")
    if size < expected:
        raise ModelFileError(
            f"“{path.name}” is truncated: it has {format_bytes(size)} of the "
            f"{format_bytes(expected)} its header describes. The download may not have finished.",
            f"size {size} expected {expected}",
        )
    return GGUFInfo(
        path=path,
        file_size=size,
        version=version,
        metadata=metadata,
        tensor_count=tensor_count,
        parameter_count=parameters,
        data_offset=data_offset,
        expected_size=expected,
        tensor_types=tensor_types,
        block_bytes=placement.blocks,
        input_bytes=placement.input,
        output_bytes=placement.output,
        embedding_matrix_bytes=placement.embedding_matrix,
        has_output_matrix=placement.output_matrix,
    )
