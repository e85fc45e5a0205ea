"""packaging/gpu-check.sh: on a machine without an NVIDIA GPU it stops at once and says why."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "packaging" / "gpu-check.sh"


def run(path: str, **more: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path, "HEARTH_CUDA_VENV": "/nonexistent/hearth-cuda", **more}
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60, check=False)


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia").exists(),
                    reason="this machine has an NVIDIA GPU")
def test_without_a_gpu_it_fails_clearly_and_builds_nothing(tmp_path):
    result = run("/usr/bin:/bin")
    assert result.returncode == 2
    assert "no NVIDIA GPU found" in result.stderr and "nothing was run" in result.stderr
    assert result.stdout == ""


def test_a_driver_that_does_not_answer_is_named(tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA "
                    "driver.\"\nexit 9\n")
    fake.chmod(0o755)
    result = run(f"{tools}:/usr/bin:/bin")
    assert result.returncode == 2
    assert "nvidia-smi found no usable GPU: NVIDIA-SMI has failed because it couldn't communicate" in result.stderr
    assert not Path("/nonexistent/hearth-cuda").exists()


def test_a_gpu_without_the_cuda_toolkit_says_what_to_install(tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'NVIDIA H200, 143771 MiB'\n")
    fake.chmod(0o755)
    result = run(f"{tools}:/usr/bin:/bin", HEARTH_NVCC="")  # as on a machine without the toolkit
    assert result.returncode == 2 and result.stdout.startswith("GPU: NVIDIA H200, 143771 MiB")
    assert "the CUDA toolkit (nvcc) is needed to build llama.cpp with CUDA" in result.stderr


def test_what_it_reads_from_llama_cpp_and_nvidia_smi():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "packaging" / "gpu_check.py")
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    log = "load_tensors: offloading 30 repeating layers to GPU\nload_tensors: offloaded 31/31 layers to GPU\n"
    assert gpu_check.offloaded(log) == (31, 31)
    assert gpu_check.offloaded("no such line") is None
    apps = "1234, 812\n5678, 20480\n"
    assert gpu_check.process_gpu_memory(apps, 5678) == 20480 << 20
    assert gpu_check.process_gpu_memory(apps, 42) is None
