"""Gathers Help ▸ System information: the engines' "ready" events and what this process sees.

nvidia-smi can take seconds and /proc reads are file reads, so the computer's part is read on
a thread and comes back through a queued signal. The speech engine is started if it is not
running (it loads no model for this); its "ready" event brings faster-whisper's part, and the
report is gathered again when it does, as when the LLM engine restarts.
"""
from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from app.core import gpu, system_report
from app.gui.engine_bridge import EngineBridge
from app.gui.model_controller import ModelController

log = logging.getLogger("hearth.sysinfo")


class SystemInfo(QObject):
    collected = Signal(list)  # [system_report.Section]

    def __init__(self, engine: EngineBridge, models: ModelController, speech=None, list_gpus=gpu.nvidia_gpus,
                 parent: QObject | None = None) -> None:
        """``speech``: the SpeechBridge, or None where there is no voice input."""
        super().__init__(parent)
        self.engine = engine
        self.models = models
        self.speech = speech
        self.list_gpus = list_gpus
        self.sections: list = []
        self._generation = 0
        engine.ready.connect(lambda _event: self.collect())
        if speech is not None:
            speech.ready.connect(lambda _event: self.collect())

    def collect(self) -> None:
        """Gather the report again; ``collected`` brings it."""
        speech_ready = None
        if self.speech is not None:
            client = self.speech.client
            if not client.running:
                try:
                    client.start()  # it says what it runs on in its "ready", with no model loaded
                except OSError as error:
                    log.warning("could not start the speech engine: %s", error)
            speech_ready = dict(client.ready_info) if client.running else None
        self._generation += 1
        generation = self._generation
        engine_ready = dict(self.engine.client.ready_info)
        report = dict(self.models.report) if self.models.ready else {}
        threading.Thread(target=self._gather, args=(generation, engine_ready, speech_ready, report),
                         daemon=True, name="system-info").start()

    def _gather(self, generation: int, engine_ready: dict, speech_ready, report: dict) -> None:
        try:
            sections = system_report.gather(engine_ready, speech_ready, report, self.list_gpus())
        except Exception:
            log.exception("could not gather the system information")
            return
        if generation == self._generation:  # an older gathering does not overwrite a newer one
            self.collected.emit(sections)
