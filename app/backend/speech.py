"""The speech engine process as a backend for file transcriptions, one at a time, each with its own listener.

Microphone streams stay with the voice controller (they are the window's, live and
long); this serves whole files, as the API's /v1/audio/transcriptions asks. The
model loads with the first file, and again by itself after a crash (the client
replays the last load).
"""
from __future__ import annotations

import logging
from typing import Callable

from app.backend.events import Done, Failed
from app.backend.routing import Routing
from app.backend.scheduler import Job, Listener, Priority, Scheduler
from app.engine import protocol
from app.engine.speech_client import SpeechClient

log = logging.getLogger("hearth.backend.speech")


class SpeechBackend:
    def __init__(self, model_path: Callable[[], str], *, max_waiting: int = 8, **client_options) -> None:
        self._model_path = model_path  # asked when the first file comes: the settings may change until then
        self.client = SpeechClient(self._on_event, **client_options)
        self.scheduler = Scheduler(self._send, self._cancel_in_flight, max_waiting=max_waiting)
        self.routing = Routing(self.scheduler)
        self._loaded = ""

    def transcribe(self, path: str, language: str | None, prompt: str | None, listener: Listener,
                   priority: Priority = Priority.API, bounded: bool = True) -> int:
        model = self._model_path()
        if not model:
            raise FileNotFoundError("No speech model is installed.")
        if model != self._loaded:
            self._loaded = model
            self.scheduler.submit({"op": protocol.LOAD, "path": model}, _loaded_or_logged, Priority.USER)
        return self.scheduler.submit({"op": protocol.FILE, "path": path, "language": language, "prompt": prompt},
                                     listener, priority, bounded)

    def cancel(self, ticket: int) -> None:
        self.scheduler.cancel(ticket)

    def shutdown(self) -> None:
        self.scheduler.fail_all("Hearth is closing; the transcription was not finished.")
        self.client.shutdown()

    def _send(self, job: Job) -> None:
        request = job.request
        if request["op"] == protocol.LOAD:
            self.routing.send(job, lambda: self.client.load(request["path"]))
        else:
            self.routing.send(job, lambda: self.client.transcribe_file(request["path"], request.get("language"),
                                                                       request.get("prompt")))

    def _cancel_in_flight(self, job: Job) -> None:
        engine_id = self.routing.engine_id(job)
        if engine_id is not None:
            self.client.cancel(engine_id)

    def _on_event(self, event: dict) -> None:
        self.routing.deliver(event)


def _loaded_or_logged(event) -> None:
    if isinstance(event, Failed):
        log.warning("speech model did not load: %s", event.message)
    elif isinstance(event, Done):
        pass
