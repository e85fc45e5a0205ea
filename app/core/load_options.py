"""How a model is loaded: every option that travels from the settings to llama.cpp, as one value.

``LoadOptions`` is compared whole: the model reloads when the options it was loaded
with differ from the ones now chosen, and the fit estimate reads the same object,
so what the user sees is what the engine gets. Stored per model as the options the
user changed over the defaults (``overrides``), so a new default reaches every model
that did not choose otherwise.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from app.core.errors import LoadOptionsError

GPU_AUTO = -2  # as many layers as fit in the GPU's free memory (llama.cpp's build must have a GPU backend)
GPU_ALL = -1  # every layer and the output layer

FLASH_AUTO, FLASH_ON, FLASH_OFF = "auto", "on", "off"
FLASH_CHOICES = (FLASH_AUTO, FLASH_ON, FLASH_OFF)
CACHE_TYPES = ("f16", "q8_0", "q4_0")
# ggml's type numbers, as llama.cpp's context parameters take them.
GGML_TYPES = {"f16": 1, "q4_0": 2, "q8_0": 8}
# Bytes per cached value: ggml's q8_0 keeps 32 values in 34 bytes, q4_0 32 values in 18.
CACHE_BYTES_PER_VALUE = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}

MIN_CONTEXT = 256
MAX_BATCH = 8192
MAX_THREADS = 512

QUANTIZED_V_NEEDS_FLASH = ("A quantized V cache ({type_v}) needs flash attention: set flash attention to Auto or "
                           "On, or keep the V cache at f16.")


@dataclass(frozen=True)
class LoadOptions:
    n_ctx: int = 4096  # tokens; capped at the model's trained length when loaded
    n_gpu_layers: int = GPU_AUTO  # GPU_AUTO, GPU_ALL or a number of layers (0: CPU only)
    n_threads: int = 0  # 0: one per physical core
    n_batch: int = 512
    flash_attn: str = FLASH_AUTO
    type_k: str = "f16"
    type_v: str = "f16"
    use_mmap: bool = True
    use_mlock: bool = False  # keep the weights in RAM (never swapped out)
    idle_unload_minutes: int = 0  # 0: keep the model loaded while Hearth runs
    chat_template: str = ""  # "": the GGUF's own; a name from the template catalogue; or Jinja text

    # -- checking -------------------------------------------------------------------------
    def problem(self) -> str:
        """Why llama.cpp could not run these options, in words; empty when it can."""
        if self.type_v != "f16" and self.flash_attn == FLASH_OFF:
            return QUANTIZED_V_NEEDS_FLASH.format(type_v=self.type_v)
        return ""

    def checked(self) -> LoadOptions:
        """These options, or LoadOptionsError saying why they cannot be used."""
        why = self.problem()
        if why:
            raise LoadOptionsError(why)
        return self

    # -- comparing ------------------------------------------------------------------------
    def engine_part(self) -> LoadOptions:
        """The options the engine loads with: unloading after idle minutes is the app's business."""
        return replace(self, idle_unload_minutes=0)

    def needs_reload(self, loaded: LoadOptions | None) -> bool:
        return loaded is None or self.engine_part() != loaded.engine_part()

    def changed_names(self, other: LoadOptions) -> list[str]:
        """The options that differ from ``other``, by their field names."""
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]

    # -- storing --------------------------------------------------------------------------
    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: object, base: LoadOptions | None = None) -> LoadOptions:
        """Options from stored JSON over ``base``: unknown keys and values of the wrong kind are dropped,
        numbers are brought into range, so a hand-edited settings file cannot crash a load."""
        base = base or cls()
        if not isinstance(raw, dict):
            return base
        values = {}
        for f in fields(cls):
            if f.name in raw:
                cleaned = _clean(f.name, raw[f.name])
                if cleaned is not None:
                    values[f.name] = cleaned
        return replace(base, **values)

    def overrides(self, defaults: LoadOptions) -> dict:
        """What these options change over ``defaults``: what a model's own settings store."""
        return {name: getattr(self, name) for name in self.changed_names(defaults)}


def _clean(name: str, value: object):
    """``value`` for the option ``name`` in its allowed range, or None when it cannot be one."""
    if name in ("use_mmap", "use_mlock"):
        return value if isinstance(value, bool) else None
    if name in ("flash_attn",):
        return value if value in FLASH_CHOICES else None
    if name in ("type_k", "type_v"):
        return value if value in CACHE_TYPES else None
    if name == "chat_template":
        return value if isinstance(value, str) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = int(value)
    if name == "n_ctx":
        return max(MIN_CONTEXT, value)
    if name == "n_gpu_layers":
        return max(GPU_AUTO, value)
    if name == "n_threads":
        return min(MAX_THREADS, max(0, value))
    if name == "n_batch":
        return min(MAX_BATCH, max(32, value))
    if name == "idle_unload_minutes":
        return max(0, value)
    return None


def describe_layers(n_gpu_layers: int) -> str:
    if n_gpu_layers == GPU_AUTO:
        return "Auto"
    if n_gpu_layers == GPU_ALL:
        return "All"
    return "None (CPU only)" if n_gpu_layers == 0 else f"{n_gpu_layers} layers"


LABELS = {
    "n_ctx": "context length",
    "n_gpu_layers": "GPU offload",
    "n_threads": "CPU threads",
    "n_batch": "batch size",
    "flash_attn": "flash attention",
    "type_k": "K cache type",
    "type_v": "V cache type",
    "use_mmap": "memory map",
    "use_mlock": "keep in RAM",
    "idle_unload_minutes": "unload when idle",
    "chat_template": "chat template",
}
