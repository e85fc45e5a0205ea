"""llama.cpp's load progress callback, for a ``Llama`` that does not take one.

llama.cpp calls ``llama_model_params.progress_callback`` with the share of the
tensors loaded (0..1, a few hundred times per load); when it returns false,
llama.cpp stops, frees what it loaded and the load fails. That is the only way
to cancel a load. llama-cpp-python 0.3.36's ``Llama`` builds its model params
inside its constructor and offers no argument for the callback (upstream pull
request abetlen/llama-cpp-python#2340 adds one), so for the length of one
construction the function it builds them with is wrapped to set ours.

Only the engine process imports this (it imports llama_cpp), and it runs one
load at a time on its main thread, so the wrapping cannot leak into another load.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger("hearth.engine")

# progress (0..1) -> keep loading?
Progress = Callable[[float], bool]


class LoadCancelled(Exception):
    """The load was stopped on request; llama.cpp freed whatever it had loaded."""


def construct_with_progress(factory: Callable, progress: Progress | None) -> Callable:
    """``factory`` (``Llama``) wrapped so that the model it loads reports to ``progress``; raises
    ``LoadCancelled`` when ``progress`` returned False and llama.cpp gave up the load for it."""
    if progress is None:
        return factory

    def construct(*args, **kwargs):
        import llama_cpp.llama as llama_module

        stopped = []

        def report(fraction: float, _user_data) -> bool:
            try:
                keep = bool(progress(float(fraction)))
            except Exception:  # an exception must not cross into C: keep loading, say why in the log
                log.exception("the load progress callback failed")
                keep = True
            if not keep:
                stopped.append(fraction)
            return keep

        callback = llama_module.llama_cpp.llama_progress_callback(report)  # kept alive for the whole load
        bindings = llama_module.llama_cpp
        default_params = bindings.llama_model_default_params

        def params_with_progress():
            params = default_params()
            params.progress_callback = callback
            return params

        bindings.llama_model_default_params = params_with_progress
        try:
            loaded = factory(*args, **kwargs)
            loaded._hearth_progress_callback = callback  # its params still point at it
            return loaded
        except ValueError as error:
            if stopped:
                raise LoadCancelled(f"cancelled at {stopped[0]:.0%}") from error
            raise
        finally:
            bindings.llama_model_default_params = default_params

    return construct
