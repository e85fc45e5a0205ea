"""On a CPU-only llama.cpp build: say so, and give the exact command for the GPU this machine has.

The GPU is found without any GPU library: ``nvidia-smi`` or ``/proc/driver/nvidia`` (the
NVIDIA driver), else the PCI display devices in sysfs (class 0x03xxxx) by vendor:
NVIDIA 0x10de gets CUDA, AMD 0x1002 and Intel 0x8086 get Vulkan. On Apple silicon the
standard llama-cpp-python build already has Metal on. Roots and tools are passed in so
tests can describe a machine with a fake sysfs tree.
"""
from __future__ import annotations

import platform
import shlex
import shutil
import sys
from pathlib import Path

NVIDIA, AMD, INTEL = "0x10de", "0x1002", "0x8086"
VENDOR_NAMES = {NVIDIA: "NVIDIA", AMD: "AMD", INTEL: "Intel"}
DISPLAY_CLASS = "0x03"  # PCI base class 03: display controllers (VGA, 3D, other)
CPU_BACKENDS = ("", "CPU")

INSTALL = "{env}{python} -m pip install --force-reinstall --no-cache-dir llama-cpp-python"


def display_vendors(sysfs: str | Path = "/sys") -> list[str]:
    """PCI vendor ids of the display devices, in bus order, each once."""
    found: list[str] = []
    devices = Path(sysfs) / "bus" / "pci" / "devices"
    try:
        entries = sorted(devices.iterdir())
    except OSError:
        return found
    for device in entries:
        try:
            device_class = (device / "class").read_text().strip().lower()
            vendor = (device / "vendor").read_text().strip().lower()
        except OSError:
            continue
        if device_class.startswith(DISPLAY_CLASS) and vendor not in found:
            found.append(vendor)
    return found


def gpu_kind(sysfs: str | Path = "/sys", proc: str | Path = "/proc", which=shutil.which,
             system: str | None = None, machine: str | None = None) -> str:
    """"NVIDIA", "AMD", "Intel", "Apple" or "" for the GPU llama.cpp could use here."""
    system = system or platform.system()
    machine = machine or platform.machine()
    if system == "Darwin":
        return "Apple" if machine == "arm64" else ""
    if which("nvidia-smi") or (Path(proc) / "driver" / "nvidia").exists():
        return "NVIDIA"
    vendors = display_vendors(sysfs)
    for vendor in (NVIDIA, AMD, INTEL):  # a discrete card before an integrated one
        if vendor in vendors:
            return VENDOR_NAMES[vendor]
    return ""


def install_command(flag: str, python: str = sys.executable, system: str | None = None) -> str:
    """The command that rebuilds llama-cpp-python for this Python with ``flag`` (-DGGML_CUDA=on …)."""
    if (system or platform.system()) == "Windows":
        return INSTALL.format(env=f'$env:CMAKE_ARGS="{flag}"; ', python=f'& "{python}"')
    return INSTALL.format(env=f'CMAKE_ARGS="{flag}" ', python=shlex.quote(python))


def build_advice(backend: str, *, sysfs: str | Path = "/sys", proc: str | Path = "/proc", which=shutil.which,
                 system: str | None = None, machine: str | None = None, python: str = sys.executable) -> str:
    """What the GPU controls say on a CPU-only build; "" when the build has a GPU backend."""
    if backend not in CPU_BACKENDS:
        return ""
    kind = gpu_kind(sysfs, proc, which, system, machine)
    start = "This build of llama.cpp has no GPU backend, so models run on the CPU."
    if kind == "NVIDIA":
        return (f"{start} For this computer's NVIDIA GPU, install llama.cpp with CUDA (needs the CUDA toolkit): "
                f"{install_command('-DGGML_CUDA=on', python, system)}")
    if kind in ("AMD", "Intel"):
        return (f"{start} For this computer's {kind} GPU, install llama.cpp with Vulkan (needs the Vulkan SDK): "
                f"{install_command('-DGGML_VULKAN=on', python, system)}")
    if kind == "Apple":
        return (f"{start} On Apple silicon Metal is on in the standard build; reinstall it: "
                f"{install_command('-DGGML_METAL=on', python, system)}")
    return f"{start} No GPU that llama.cpp could use was found on this computer."
