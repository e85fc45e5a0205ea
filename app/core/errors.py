"""Errors whose messages are written for the person using Hearth.

``str(error)`` is what the window shows; ``error.detail`` is for the log.
"""
from __future__ import annotations


class HearthError(Exception):
    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class ModelFileError(HearthError):
    """A file that cannot be used as a GGUF model (wrong format, truncated, nonsense header)."""


class TemplateError(HearthError):
    """A chat template that could not be rendered safely."""


class LoadOptionsError(HearthError):
    """A combination of load options llama.cpp cannot run (a quantized V cache without flash attention)."""


class EngineError(HearthError):
    """The engine process failed a request (load failure, decode failure)."""


class RequestError(EngineError):
    """The request itself cannot be answered as asked (a JSON schema llama.cpp cannot follow, a prompt
    longer than the context window): the asker's mistake, not the engine's."""


class EngineCrashed(EngineError):
    """The engine process ended without being asked to."""


class StoreError(HearthError):
    """The conversation database could not be read or written."""
