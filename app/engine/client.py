"""The LLM engine's requests, over an engine process (``app/engine/process.py``: start, read, restart).

Plain Python; ``on_event`` is called on the process's reader thread. The engine gathers tokens into
pieces of ``batch_seconds`` (the client tells it with each chat request), and
this reader only merges pieces that arrive in the same read, so the view
repaints about 12 times a second however fast the model is.

Why 80 ms and not the 30 ms we started from: when llama.cpp's threads fill
every core, each repaint preempts one of them, and llama.cpp's threads wait
for each other many times per token, so a millisecond of painting costs a
millisecond of everyone's time. ``bench/engine_throughput.py`` streams into
the real conversation view: at 30 ms it measured 0.65 of the plain loop with
a QLabel view and 0.92 with the QTextDocument view, 0.94 to 0.96 at 50 ms,
and 0.975 at 80 ms, where text still arrives a few words at a time.
"""
from __future__ import annotations

from pathlib import Path

from app.core.load_options import LoadOptions
from app.engine import protocol
from app.engine.process import EngineProcess, EventHandler, ProcessClient, engine_command


class EngineClient(ProcessClient):
    def __init__(self, on_event: EventHandler, *, command: list[str] | None = None, log_path: Path | None = None,
                 batch_seconds: float = protocol.PIECE_SECONDS, env: dict | None = None) -> None:
        self.process = EngineProcess(on_event, command or engine_command(), log_path=log_path, env=env)
        self._batch_seconds = batch_seconds

    # -- the process ----------------------------------------------------------------------
    @property
    def last_load(self) -> dict | None:
        return self.process.last_load

    @last_load.setter
    def last_load(self, request: dict | None) -> None:
        self.process.last_load = request

    @property
    def system_info(self) -> str:
        return self.process.system_info

    @property
    def backend(self) -> str:
        return self.process.backend

    # -- the LLM's requests -----------------------------------------------------------------
    def load(self, path: str, options: LoadOptions | None = None, gpu_layers: int | None = None) -> int:
        """Load ``path`` with ``options`` (the engine's part of them); ``gpu_layers`` is what Auto offload
        came to, worked out where the GPU's free memory is known."""
        options = (options or LoadOptions()).engine_part()
        request = {"op": protocol.LOAD, "path": str(path), "options": options.as_dict(), "gpu_layers": gpu_layers}
        self.last_load = request
        return self.process.request(request)

    def chat(self, messages: list[dict], params: dict | None = None) -> int:
        return self.process.request({"op": protocol.CHAT, "messages": messages, "params": params or {},
                                     "piece_seconds": self._batch_seconds})

    def complete(self, prompt: str, params: dict | None = None) -> int:
        return self.process.request({"op": protocol.COMPLETE, "prompt": prompt, "params": params or {},
                                     "piece_seconds": self._batch_seconds})

    def embed(self, texts: list[str]) -> int:
        return self.process.request({"op": protocol.EMBED, "texts": texts})

    def count(self, messages: list[dict]) -> int:
        return self.process.request({"op": protocol.COUNT, "messages": messages})

    def unload(self) -> int:
        """Let go of the model; a restart no longer loads it. Returns the request's id, or 0 when the engine
        is not running (then there is nothing to let go of, and no answer will come)."""
        self.last_load = None
        if self.running:
            return self.process.request({"op": protocol.UNLOAD})
        return 0

    def cancel_load(self, request_id: int) -> None:
        """Stop the load ``request_id``: llama.cpp aborts it, and a restart no longer replays it."""
        self.last_load = None
        self.cancel(request_id)

