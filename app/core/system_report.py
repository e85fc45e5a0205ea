"""Help ▸ System information: this computer and the runtimes Hearth uses, as sections of rows.

The GUI process knows the computer (CPU, cores, RAM, the GPUs the driver sees); the engine's
"ready" event knows the llama.cpp build (its backends, devices, instruction sets, versions);
the speech engine's knows faster-whisper's. Nothing native is loaded here: those answers come
from the engine processes. ``as_text`` is what Copy puts on the clipboard for a bug report.
"""
from __future__ import annotations

import platform
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import psutil

from app import __version__
from app.core.gpu import GpuMemory

# Flags llama_print_system_info lists beside the instruction sets: how it was built, not the CPU.
BUILD_FLAGS = {"LLAMAFILE", "OPENMP", "REPACK", "KLEIDIAI", "ACCELERATE", "AARCH64_REPACK"}


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[tuple[str, str], ...]


def size_text(count: int) -> str:
    """Bytes for people: 1 decimal in GB (RAM and VRAM are sold in GB), whole MB below one."""
    if count >= 1 << 30:
        return f"{count / (1 << 30):.1f} GB"
    return f"{count / (1 << 20):.0f} MB"


def parse_system_info(text: str) -> dict[str, dict[str, str]]:
    """``llama_print_system_info``: "CUDA : ARCHS = 890 | USE_GRAPHS = 1 | CPU : SSE3 = 1 | …", as
    {backend: {key: value}}."""
    parts: dict[str, dict[str, str]] = {}
    current = parts.setdefault("", {})
    for item in (piece.strip() for piece in text.split("|")):
        if not item:
            continue
        match = re.match(r"^(\w[\w ]*?)\s*:\s*(.*)$", item)
        if match:  # "CPU : SSE3 = 1": a new backend's part begins
            current = parts.setdefault(match.group(1).strip(), {})
            item = match.group(2)
        key, _, value = item.partition("=")
        if key.strip():
            current[key.strip()] = value.strip()
    return {name: values for name, values in parts.items() if values}


def instruction_sets(system_info: str) -> list[str]:
    """The CPU instruction sets this llama.cpp build uses (those it reports as 1)."""
    cpu = parse_system_info(system_info).get("CPU", {})
    return [key for key, value in cpu.items() if value == "1" and key not in BUILD_FLAGS]


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's name as its maker spells it; ``platform`` where /proc/cpuinfo is not there."""
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Hardware", "Model") and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _gpu_row(gpu: GpuMemory) -> tuple[str, str]:
    return gpu.name, f"{size_text(gpu.free)} free of {size_text(gpu.total)}"


def computer_sections(gpus: list[GpuMemory], cpu: str | None = None) -> list[Section]:
    """What the GUI process can see itself: Hearth, the system, the CPU, RAM and GPUs."""
    memory = psutil.virtual_memory()
    physical = psutil.cpu_count(logical=False)
    logical = psutil.cpu_count(logical=True)
    hearth = Section("Hearth", (
        ("Version", __version__),
        ("Python", platform.python_version()),
        ("Qt for Python (PySide6)", _version("PySide6-Essentials")),
        ("System", f"{platform.system()} {platform.release()} ({platform.machine()})"),
        ("Frozen bundle", "yes" if getattr(sys, "frozen", False) else "no"),
    ))
    computer = Section("Computer", (
        ("CPU", cpu or cpu_model()),
        ("Cores", f"{physical or '?'} physical, {logical or '?'} logical"),
        ("RAM", f"{size_text(memory.total)} total, {size_text(memory.available)} free"),
    ))
    gpu_rows = tuple(_gpu_row(gpu) for gpu in gpus) or (("GPUs", "none found (nvidia-smi lists none)"),)
    return [hearth, computer, Section("GPUs", gpu_rows)]


def llama_section(ready: dict) -> Section:
    """The engine's llama.cpp build, from its "ready" event."""
    if not ready:
        return Section("llama.cpp", (("Engine", "not started yet"),))
    build = ready.get("build") or {}
    info = ready.get("system_info", "")
    rows = [
        ("llama-cpp-python", build.get("llama_cpp_python") or "?"),
        ("ggml", " ".join(part for part in (build.get("ggml_version", ""),
                                            f"({build['ggml_commit']})" if build.get("ggml_commit") else "") if part)
         or "?"),
        ("Backends", ", ".join(build.get("backends") or []) or ready.get("backend", "?")),
        ("GPU offload", "yes" if build.get("gpu_offload") else "no (this build runs on the CPU only)"),
    ]
    for device in build.get("devices") or []:
        shown = device.get("total") and device.get("type") != "CPU"  # a CPU device's memory is the RAM above
        memory = f", {size_text(device['free'])} free of {size_text(device['total'])}" if shown else ""
        rows.append((f"Device {device.get('name', '?')}",
                     f"{device.get('description', '')} ({device.get('type', '?')}{memory})"))
    rows.append(("Instruction sets", ", ".join(instruction_sets(info)) or "none reported"))
    cpu = parse_system_info(info).get("CPU", {})
    flags = [key for key, value in cpu.items() if value == "1" and key in BUILD_FLAGS]
    if flags:
        rows.append(("CPU build options", ", ".join(flags)))
    for name, values in parse_system_info(info).items():
        if name not in ("CPU", ""):
            rows.append((f"{name} build", ", ".join(f"{key} = {value}" for key, value in values.items())))
    yes_no = {True: "yes", False: "no"}
    rows.append(("Memory map / lock", f"{yes_no[bool(build.get('mmap'))]} / {yes_no[bool(build.get('mlock'))]}"))
    return Section("llama.cpp", tuple(rows))


def model_section(report: dict) -> Section | None:
    """The model loaded now, as llama.cpp reported it."""
    if not report:
        return None
    layers = report.get("layer_count") or 0
    on_gpu = min(int(report.get("n_gpu_layers") or 0), layers) if layers else int(report.get("n_gpu_layers") or 0)
    return Section("Loaded model", (
        ("Model", report.get("name") or Path(report.get("path", "")).name),
        ("File", report.get("path", "")),
        ("Context", f"{int(report.get('n_ctx') or 0):,} tokens"),
        ("Layers on the GPU", f"{on_gpu}/{layers}" if layers else str(on_gpu)),
        ("Threads, batch", f"{report.get('n_threads', '?')}, {report.get('n_batch', '?')}"),
        ("Flash attention, K/V cache", (f"{'on' if report.get('flash_attn') else 'off'}, "
                                        f"{report.get('type_k', '?')}/{report.get('type_v', '?')}")),
    ))


def speech_section(ready: dict) -> Section:
    """faster-whisper, from the speech engine's "ready" event."""
    speech = (ready or {}).get("speech")
    if not speech:
        return Section("Speech (faster-whisper)", (("Speech engine", "starting…" if ready is not None else
                                                     "not started"),))
    devices = int(speech.get("cuda_devices") or 0)
    return Section("Speech (faster-whisper)", (
        ("faster-whisper", speech.get("faster_whisper") or "?"),
        ("CTranslate2", speech.get("ctranslate2") or "?"),
        ("CUDA devices", str(devices)),
        ("Device", f"{speech.get('device', '?')} ({speech.get('compute_type', '?')})"),
    ))


def gather(engine_ready: dict, speech_ready: dict | None, model_report: dict, gpus: list[GpuMemory]) -> list[Section]:
    """Every section, in the order a bug report reads best. ``speech_ready`` None: the speech engine
    is not running; {} it is starting."""
    cpu = next((device.get("description") for device in (engine_ready.get("build") or {}).get("devices") or []
                if device.get("type") == "CPU" and device.get("description")), None)
    sections = computer_sections(gpus, cpu or None)
    sections.append(llama_section(engine_ready))
    loaded = model_section(model_report)
    if loaded is not None:
        sections.append(loaded)
    sections.append(speech_section(speech_ready))
    return sections


def as_text(sections: list[Section]) -> str:
    """Plain text for the clipboard: a heading per section, one "name: value" line per row."""
    lines = []
    for section in sections:
        lines.append(section.title)
        lines.extend(f"  {name}: {value}" for name, value in section.rows)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
