"""Help ▸ System information, through the real app: its figures come from the real engines and this
computer, checked against sources the report does not use (psutil, /proc, the packages' metadata,
CTranslate2 asked in a process of its own)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import psutil
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.core import gpu, system_report


def open_report(qtbot, hearth):
    window = hearth.window
    action = window.system_info_action
    help_menu = next(menu.menu() for menu in window.menuBar().actions() if menu.text() == "&Help")
    assert action in help_menu.actions()
    action.trigger()
    report = window.system_info_window
    assert report.isVisible()
    # Complete once both engines have said what they run: llama.cpp's version and faster-whisper's device.
    qtbot.waitUntil(lambda: "Device: " in report.text and "llama-cpp-python: " in report.text
                    and "CUDA devices" in report.text, timeout=60_000)
    return report


def test_system_information_names_this_computer_and_both_engines(qtbot, make_hearth):
    hearth = make_hearth()
    qtbot.waitUntil(lambda: hearth.models.state == "ready", timeout=60_000)
    text = open_report(qtbot, hearth).text
    lines = dict(line.strip().split(": ", 1) for line in text.splitlines() if ": " in line)

    # The computer, as psutil and the kernel see it.
    memory = psutil.virtual_memory()
    assert lines["Cores"] == f"{psutil.cpu_count(logical=False)} physical, {psutil.cpu_count()} logical"
    assert lines["RAM"].startswith(f"{system_report.size_text(memory.total)} total, ")
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    assert lines["CPU"] in re.findall(r"model name\s*:\s*(.+)", cpuinfo)

    # The llama.cpp build, as the engine's llama.cpp says: version, backends, instruction sets.
    assert lines["llama-cpp-python"] == metadata.version("llama_cpp_python")
    system_info = hearth.engine.client.system_info
    used = [name for name, value in re.findall(r"(\w+) = (\d)", system_info.split("CPU :")[1]) if value == "1"]
    assert "AVX2" in used or "NEON" in used or "SSE3" in used  # it does report its CPU features
    for isa in ("SSE3", "AVX", "AVX2", "AVX512", "NEON"):
        assert (isa in lines["Instruction sets"].split(", ")) == (isa in used), isa
    assert "OPENMP" not in lines["Instruction sets"]  # how it was built, not what the CPU runs
    assert lines["Backends"].split(", ")[0] == "CPU"
    assert lines["GPU offload"].startswith("no")  # this build has no GPU backend
    assert lines["Device CPU"].startswith(lines["CPU"])  # llama.cpp's CPU device is this CPU

    # The loaded model, as the engine read it back.
    assert lines["Model"] == hearth.models.report["name"]
    assert lines["Context"] == f"{hearth.models.n_ctx:,} tokens"

    # faster-whisper: CTranslate2's CUDA devices, asked in a process of its own.
    count = int(subprocess.run([sys.executable, "-c", "import ctranslate2; print(ctranslate2.get_cuda_device_count())"],
                               capture_output=True, text=True, check=True).stdout)
    assert lines["CUDA devices"] == str(count)
    assert lines["Device"].startswith("cuda" if count else "cpu")
    assert lines["faster-whisper"] == metadata.version("faster-whisper")
    assert lines["CTranslate2"] == metadata.version("ctranslate2")

    # The GPUs the driver lists (none on a machine without nvidia-smi).
    listed = gpu.nvidia_gpus()
    if listed:
        assert all(f"{card.name}: " in text for card in listed)
    else:
        assert lines["GPUs"].startswith("none found")


def test_copy_puts_the_whole_report_on_the_clipboard(qtbot, make_hearth):
    hearth = make_hearth(include_starter=False)
    report = open_report(qtbot, hearth)
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(report.copy_button, Qt.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied == report.text
    assert copied.splitlines()[0] == "Hearth" and "llama.cpp" in copied.splitlines()
    assert "Loaded model" not in copied  # none is loaded


def test_system_info_parses_llama_cpp_backends():
    """A CUDA build's line (as llama.cpp 0.3.x prints it) and the CPU part after it."""
    line = ("CUDA : ARCHS = 890 | USE_GRAPHS = 1 | PEER_MAX_BATCH_SIZE = 128 | CPU : SSE3 = 1 | SSSE3 = 1 | "
            "AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | AVX512 = 0 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | ")
    parsed = system_report.parse_system_info(line)
    assert parsed["CUDA"] == {"ARCHS": "890", "USE_GRAPHS": "1", "PEER_MAX_BATCH_SIZE": "128"}
    assert system_report.instruction_sets(line) == ["SSE3", "SSSE3", "AVX", "AVX2", "F16C", "FMA"]
    section = system_report.llama_section({"system_info": line, "build": {"backends": ["CUDA", "CPU"],
                                                                          "gpu_offload": True}})
    rows = dict(section.rows)
    assert rows["Backends"] == "CUDA, CPU" and rows["GPU offload"] == "yes"
    assert rows["CUDA build"] == "ARCHS = 890, USE_GRAPHS = 1, PEER_MAX_BATCH_SIZE = 128"
    assert rows["CPU build options"] == "LLAMAFILE, OPENMP, REPACK"


def test_the_engine_describes_its_llama_cpp_build(tmp_path):
    """The "ready" event's build part, from the real engine process."""
    from app.engine.client import EngineClient

    events = []
    client = EngineClient(events.append, log_path=tmp_path / "engine.log")
    client.start()
    try:
        deadline = time.monotonic() + 60
        while not client.ready_info and time.monotonic() < deadline:
            time.sleep(0.05)
        build = client.ready_info["build"]
    finally:
        client.shutdown()
    assert build["llama_cpp_python"] == metadata.version("llama_cpp_python")
    assert re.fullmatch(r"\d+\.\d+\.\d+", build["ggml_version"])
    assert "CPU" in build["backends"]
    cpu = next(device for device in build["devices"] if device["type"] == "CPU")
    assert cpu["total"] == psutil.virtual_memory().total  # llama.cpp's CPU device is this RAM
    assert json.dumps(build)  # plain JSON all the way
