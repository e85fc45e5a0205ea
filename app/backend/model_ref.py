"""Which model a request is for: a file from the library with its load options, or a remote server's model id.

Requests carry their model, so that whoever sends them (the window, a title, an API client)
is answered by the model it named even when another requester has switched the engine in
between: the backend loads the named model first when it is not the one loaded.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from app.core.load_options import LoadOptions


REMOTE_PREFIX = "remote:"


def is_remote_key(key: str) -> bool:
    return str(key).startswith(REMOTE_PREFIX)


@dataclass(frozen=True)
class ModelRef:
    path: str = ""  # a GGUF file (for the local engine)
    options: LoadOptions = field(default_factory=LoadOptions)
    gpu_layers: int | None = None  # what Auto offload came to, where the GPU's memory is known
    server: str = ""  # a remote server's base URL (as RemoteServers keeps it, ending in /v1); "" for a local file
    model_id: str = ""  # the model's id on that server

    @property
    def remote(self) -> bool:
        return bool(self.server)

    @property
    def key(self) -> str:
        """One string naming the model, kept in the settings and the store: a file's path, or for a remote
        model ``remote:<base URL>#<model id>`` (a base URL has no "#", model ids may)."""
        return f"{REMOTE_PREFIX}{self.server}#{self.model_id}" if self.remote else self.path

    @classmethod
    def from_key(cls, key: str) -> "ModelRef | None":
        """The remote model ``key`` names; None for a file's path (or a key that names no server)."""
        if not is_remote_key(key):
            return None
        server, sep, model_id = key[len(REMOTE_PREFIX):].partition("#")
        return cls(server=server, model_id=model_id) if sep and server and model_id else None

    def same_load(self, other: "ModelRef | None") -> bool:
        """Whether a backend holding ``other`` already holds this (options the engine does not see aside)."""
        return other is not None and (self.path, self.options.engine_part(), self.gpu_layers, self.server,
                                      self.model_id) == (other.path, other.options.engine_part(), other.gpu_layers,
                                                         other.server, other.model_id)

    def to_wire(self) -> dict:
        return {"path": self.path, "options": self.options.engine_part().as_dict(), "gpu_layers": self.gpu_layers,
                "server": self.server, "model_id": self.model_id}

    @classmethod
    def from_wire(cls, raw: dict) -> "ModelRef":
        return cls(str(raw.get("path", "")), LoadOptions.from_dict(raw.get("options")), raw.get("gpu_layers"),
                   str(raw.get("server", "")), str(raw.get("model_id", "")))
