"""Reading a repo's file list as choices, and refusing names that could escape the models folder."""
import pytest

from app.core.hub_files import HubFile, UnsafePathError, check_relative_path, check_repo_id, choices, quant_label


@pytest.mark.parametrize("name", [
    "../evil.gguf", "a/../../evil.gguf", "/etc/passwd", "C:/Windows/evil.gguf", "c:evil.gguf",
    "dir\\evil.gguf", "a//b.gguf", "./a.gguf", "a/./b.gguf", "", "new\nline.gguf", "trailing./x.gguf",
    "ads:stream.gguf", "x" * 2000, '<a href="file:///home">x</a>.gguf', "a<b.gguf", "a>b.gguf",
    'say"hi".gguf', "a|b.gguf", "what?.gguf", "star*.gguf", "dir<x>/m.gguf",
])
def test_hostile_names_are_refused(name):
    with pytest.raises(UnsafePathError) as refused:
        check_relative_path(name)
    assert "will not write" in refused.value.message


@pytest.mark.parametrize("name", ["model.Q4_K_M.gguf", "Q4_K_M/model-Q4_K_M-00001-of-00002.gguf",
                                  "sub dir/Mistral 7B (v0.3).gguf"])
def test_ordinary_names_pass(name):
    assert str(check_relative_path(name)) == name


def test_repo_ids_must_be_owner_and_name():
    assert check_repo_id("bartowski/Qwen-GGUF") == ("bartowski", "Qwen-GGUF")
    for bad in ("justone", "a/b/c", "../x", "a/.."):
        with pytest.raises(UnsafePathError):
            check_repo_id(bad)


@pytest.mark.parametrize("name, label", [
    ("Qwen2.5-7B-Instruct-Q4_K_M.gguf", "Q4_K_M"),
    ("llama-3-8b.IQ3_XXS.gguf", "IQ3_XXS"),
    ("gemma-2-9b-it-IQ4_NL.gguf", "IQ4_NL"),
    ("model-q8_0.gguf", "Q8_0"),
    ("model-f16.gguf", "F16"),
    ("Model-BF16-00001-of-00002.gguf", "BF16"),
    ("DeepSeek-UD-Q2_K_XL.gguf", "UD-Q2_K_XL"),
    ("phi-3-mini.gguf", "phi-3-mini"),
])
def test_quant_labels(name, label):
    assert quant_label(name) == label


def test_split_models_are_one_choice_and_projectors_are_set_apart():
    files = [
        HubFile("m-Q4_K_M.gguf", 4_000, "a"),
        HubFile("BF16/m-BF16-00002-of-00003.gguf", 5_000, "c"),
        HubFile("BF16/m-BF16-00001-of-00003.gguf", 5_000, "b"),
        HubFile("BF16/m-BF16-00003-of-00003.gguf", 2_000, "d"),
        HubFile("Q8_0/m-Q8_0-00001-of-00002.gguf", 3_000, "e"),  # its second part is missing
        HubFile("mmproj-m-f16.gguf", 600, "f"),
        HubFile("README.md", 10),
    ]
    found = {c.label: c for c in choices(files)}
    assert set(found) == {"Q4_K_M", "BF16", "Q8_0", "mmproj F16"}
    bf16 = found["BF16"]
    assert bf16.size == 12_000 and bf16.is_split and bf16.downloadable
    assert [f.name for f in bf16.files] == [f"BF16/m-BF16-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    assert not found["Q8_0"].complete and not found["Q8_0"].downloadable
    assert found["mmproj F16"].projector and not found["mmproj F16"].downloadable
    assert [c.label for c in choices(files)][-1] == "mmproj F16"  # projectors listed last


def test_two_files_with_one_quant_name_are_told_apart():
    found = choices([HubFile("base-Q4_K_M.gguf", 10, "a"), HubFile("instruct-Q4_K_M.gguf", 11, "b")])
    assert [c.title for c in found] == ["Q4_K_M · base-Q4_K_M", "Q4_K_M · instruct-Q4_K_M"]
