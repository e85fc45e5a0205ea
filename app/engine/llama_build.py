"""What this llama.cpp build is: versions, backends, the devices it can run on and their memory.

Sent once in the engine's "ready" event, for Help ▸ System information and bug reports.
llama-cpp-python binds llama.h but not ggml's backend registry (ggml-backend.h), so the few
functions needed are declared here with ctypes, on the very libraries llama-cpp-python
loaded (its own loader finds them on every platform). Any of them missing in another
build leaves that part of the answer empty; the engine starts all the same.
"""
from __future__ import annotations

import ctypes
import logging
from importlib import metadata

log = logging.getLogger("hearth.engine")

# ggml_backend_dev_type
DEVICE_TYPES = {0: "CPU", 1: "GPU", 2: "integrated GPU", 3: "accelerator"}


def _text(value: bytes | None) -> str:
    return (value or b"").decode("utf-8", "replace")


def _libraries():
    """ggml (the registry) and ggml-base (the device functions), as llama-cpp-python loaded them."""
    from llama_cpp import _ctypes_extensions as loader
    from llama_cpp import _ggml

    ggml = _ggml.libggml
    base = loader.load_shared_library("ggml-base", _ggml.libggml_base_path)
    return ggml, base


def _declare(ggml, base) -> None:
    pointer, size = ctypes.c_void_p, ctypes.c_size_t
    for library, name, result, arguments in (
        (ggml, "ggml_backend_reg_count", size, []),
        (ggml, "ggml_backend_reg_get", pointer, [size]),
        (ggml, "ggml_backend_dev_count", size, []),
        (ggml, "ggml_backend_dev_get", pointer, [size]),
        (base, "ggml_backend_reg_name", ctypes.c_char_p, [pointer]),
        (base, "ggml_backend_dev_name", ctypes.c_char_p, [pointer]),
        (base, "ggml_backend_dev_description", ctypes.c_char_p, [pointer]),
        (base, "ggml_backend_dev_type", ctypes.c_int, [pointer]),
        (base, "ggml_backend_dev_memory", None, [pointer, ctypes.POINTER(size), ctypes.POINTER(size)]),
    ):
        function = getattr(library, name)
        function.restype, function.argtypes = result, arguments


def _version(library, name: str) -> str:
    try:
        function = getattr(library, name)
    except AttributeError:
        return ""
    function.restype, function.argtypes = ctypes.c_char_p, []
    return _text(function())


def devices() -> tuple[list[str], list[dict]]:
    """The backends this build registered ("CPU", "CUDA", …) and every device they offer."""
    ggml, base = _libraries()
    _declare(ggml, base)
    backends = [_text(base.ggml_backend_reg_name(ggml.ggml_backend_reg_get(i)))
                for i in range(ggml.ggml_backend_reg_count())]
    found = []
    for i in range(ggml.ggml_backend_dev_count()):
        device = ggml.ggml_backend_dev_get(i)
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        base.ggml_backend_dev_memory(device, ctypes.byref(free), ctypes.byref(total))
        found.append({"name": _text(base.ggml_backend_dev_name(device)),
                      "description": _text(base.ggml_backend_dev_description(device)),
                      "type": DEVICE_TYPES.get(base.ggml_backend_dev_type(device), "other"),
                      "free": int(free.value), "total": int(total.value)})
    return backends, found


def describe_build() -> dict:
    """Versions, backends and devices of the llama.cpp in this process."""
    import llama_cpp

    build: dict = {"llama_cpp_python": getattr(llama_cpp, "__version__", "") or _package_version("llama_cpp_python"),
                   "ggml_version": "", "ggml_commit": "", "backends": [], "devices": [],
                   "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
                   "mmap": bool(llama_cpp.llama_supports_mmap()), "mlock": bool(llama_cpp.llama_supports_mlock())}
    try:
        _ggml, base = _libraries()
        build["ggml_version"] = _version(base, "ggml_version")
        build["ggml_commit"] = _version(base, "ggml_commit")
        build["backends"], build["devices"] = devices()
    except (OSError, AttributeError, ImportError, RuntimeError, FileNotFoundError) as error:
        log.warning("could not read llama.cpp's backends: %r", error)
    return build


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""
