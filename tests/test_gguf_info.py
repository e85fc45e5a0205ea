"""Reading GGUF headers: real models, and every kind of bad file, each with its own message."""
import struct

import pytest

from app.core.errors import ModelFileError
from app.core.gguf_info import read_gguf_info


def test_reads_the_real_smollm_header(smollm_path):
    info = read_gguf_info(smollm_path)
    assert info.architecture == "llama"
    assert info.quantization == "Q4_1"
    assert 130e6 < info.parameter_count < 140e6
    assert info.parameter_label == "135M"
    assert info.context_length == 8192
    assert info.has_chat_template and "<|im_start|>" in info.chat_template
    assert info.file_size == info.expected_size == smollm_path.stat().st_size
    assert "135M parameters" in info.summary()


def test_reads_a_second_architecture(gemma_path):
    info = read_gguf_info(gemma_path)
    assert info.architecture == "gemma3"
    assert info.quantization == "Q4_K_M"
    assert 200e6 < info.parameter_count < 300e6
    assert info.context_length and info.context_length >= 8192


def test_text_file_named_gguf(tmp_path):
    path = tmp_path / "notes.gguf"
    path.write_text("these are my shopping notes, not a model\n")
    with pytest.raises(ModelFileError, match="is not a GGUF model"):
        read_gguf_info(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.gguf"
    path.touch()
    with pytest.raises(ModelFileError, match=r"is empty \(0 bytes\)"):
        read_gguf_info(path)


@pytest.mark.parametrize("keep", [3, 10, 1000, 500_000, 1_785_000, 50_000_000, -1])
def test_truncated_real_model(tmp_path, smollm_path, keep):
    data = smollm_path.read_bytes()
    keep = len(data) + keep if keep < 0 else keep
    path = tmp_path / "cut.gguf"
    path.write_bytes(data[:keep])
    expected = "is not a GGUF model" if keep < 4 else "is truncated"
    with pytest.raises(ModelFileError, match=expected):
        read_gguf_info(path)


def test_header_that_makes_no_sense(tmp_path, smollm_path):
    data = bytearray(smollm_path.read_bytes()[:4096])
    struct.pack_into("<Q", data, 8, 10**15)  # the tensor count
    path = tmp_path / "nonsense.gguf"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="makes no sense"):
        read_gguf_info(path)


def test_unsupported_version(tmp_path, smollm_path):
    data = bytearray(smollm_path.read_bytes()[:4096])
    struct.pack_into("<I", data, 4, 99)
    path = tmp_path / "future.gguf"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="version 99"):
        read_gguf_info(path)


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="no longer exists"):
        read_gguf_info(tmp_path / "gone.gguf")
