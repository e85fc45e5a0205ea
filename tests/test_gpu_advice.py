"""On a CPU-only llama.cpp build: the exact command for the GPU this machine has (fake sysfs trees)."""
from pathlib import Path

import pytest

from app.core.gpu_advice import build_advice, display_vendors, gpu_kind


def machine(root: Path, devices: dict[str, tuple[str, str]]) -> Path:
    """A sysfs tree with PCI devices: address -> (class, vendor)."""
    for address, (device_class, vendor) in devices.items():
        folder = root / "sys" / "bus" / "pci" / "devices" / address
        folder.mkdir(parents=True)
        (folder / "class").write_text(device_class + "\n")
        (folder / "vendor").write_text(vendor + "\n")
    (root / "proc").mkdir(parents=True, exist_ok=True)
    return root


def advice(root: Path, backend="CPU", which=lambda _name: None, system="Linux", **more) -> str:
    return build_advice(backend, sysfs=root / "sys", proc=root / "proc", which=which, system=system,
                        machine="x86_64", python="/opt/hearth/bin/python", **more)


BRIDGE = ("0x060400", "0x8086")  # a PCI bridge by Intel: not a display device


@pytest.mark.parametrize("vendor, words, flag", [
    ("0x10de", "NVIDIA GPU, install llama.cpp with CUDA", "-DGGML_CUDA=on"),
    ("0x1002", "AMD GPU, install llama.cpp with Vulkan", "-DGGML_VULKAN=on"),
    ("0x8086", "Intel GPU, install llama.cpp with Vulkan", "-DGGML_VULKAN=on"),
])
def test_the_gpu_found_on_the_pci_bus_names_its_build(tmp_path, vendor, words, flag):
    root = machine(tmp_path, {"0000:00:01.0": BRIDGE, "0000:01:00.0": ("0x030000", vendor)})
    text = advice(root)
    assert text.startswith("This build of llama.cpp has no GPU backend, so models run on the CPU.")
    assert words in text
    assert text.endswith(f'CMAKE_ARGS="{flag}" /opt/hearth/bin/python -m pip install --force-reinstall '
                         "--no-cache-dir llama-cpp-python")


def test_a_discrete_nvidia_card_wins_over_integrated_graphics(tmp_path):
    root = machine(tmp_path, {"0000:00:02.0": ("0x030000", "0x8086"), "0000:01:00.0": ("0x030200", "0x10de")})
    assert display_vendors(root / "sys") == ["0x8086", "0x10de"]
    assert "-DGGML_CUDA=on" in advice(root)


def test_the_nvidia_driver_alone_is_enough(tmp_path):
    root = machine(tmp_path, {})
    (root / "proc" / "driver" / "nvidia").mkdir(parents=True)
    assert gpu_kind(root / "sys", root / "proc", lambda _name: None, "Linux", "x86_64") == "NVIDIA"
    tool = machine(tmp_path / "other", {})
    assert "CUDA" in advice(tool, which=lambda name: "/usr/bin/nvidia-smi" if name == "nvidia-smi" else None)


def test_no_gpu_and_gpu_builds(tmp_path):
    root = machine(tmp_path, {"0000:00:01.0": BRIDGE})
    assert advice(root).endswith("No GPU that llama.cpp could use was found on this computer.")
    assert advice(tmp_path / "nothing").endswith("was found on this computer.")  # no sysfs at all
    for backend in ("CUDA", "Metal", "Vulkan", "ROCm"):
        assert advice(root, backend=backend) == ""


def test_apple_and_windows(tmp_path):
    root = machine(tmp_path, {})
    mac = build_advice("CPU", sysfs=root / "sys", proc=root / "proc", which=lambda _n: None, system="Darwin",
                       machine="arm64", python="/usr/bin/python3")
    assert "Metal is on in the standard build" in mac and '-DGGML_METAL=on' in mac
    windows = advice(root, which=lambda name: "C:/nvidia-smi.exe", system="Windows")
    assert windows.endswith('$env:CMAKE_ARGS="-DGGML_CUDA=on"; & "/opt/hearth/bin/python" -m pip install '
                            "--force-reinstall --no-cache-dir llama-cpp-python")


def test_this_machine(tmp_path):
    # Whatever this machine has, the sentence is whole and names a command or says no GPU was found.
    text = build_advice("CPU")
    assert text.startswith("This build of llama.cpp has no GPU backend")
    assert "pip install" in text or "No GPU" in text
