"""The microphone: QtMultimedia's QAudioSource, delivering 16 kHz mono float32 samples.

Qt asks the system's audio server for that format, so no resampling happens
here. The chosen device is remembered by id; with none chosen the system
default is used and followed when it changes. A device that disappears while
recording, or none at all, ends in a message, never a silent stop.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtMultimedia import QAudio, QAudioDevice, QAudioFormat, QAudioSource, QMediaDevices

from app.core.pulse_inputs import PulseInputs

RATE = 16_000
CHUNK_SECONDS = 0.1  # what the speech engine receives at a time
WATCH_MS = 400  # how often a recording checks that its device is still there


def _device_id(device: QAudioDevice) -> str:
    return bytes(device.id().data()).decode("utf-8", "replace")


def speech_format() -> QAudioFormat:
    audio_format = QAudioFormat()
    audio_format.setSampleRate(RATE)
    audio_format.setChannelCount(1)
    audio_format.setSampleFormat(QAudioFormat.Float)
    return audio_format


class Microphone(QObject):
    samples_ready = Signal(object)  # numpy float32 array, ~0.1 s
    level_changed = Signal(float)  # 0..1, for a meter
    failed = Signal(str)  # a message: no device, device lost, no permission
    active_changed = Signal(bool)

    def __init__(self, device_id: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.device_id = device_id
        self._devices = QMediaDevices(self)
        self._devices.audioInputsChanged.connect(self._on_devices_changed)
        self._source: QAudioSource | None = None
        self._io = None
        self._device: QAudioDevice | None = None
        self._pending = np.zeros(0, dtype=np.float32)
        self._inputs = PulseInputs()
        self._watch = QTimer(self)
        self._watch.setInterval(WATCH_MS)
        self._watch.timeout.connect(self._check_device)

    # -- devices ------------------------------------------------------------------------
    def _present(self) -> list[QAudioDevice]:
        """Qt's inputs, less any the audio server no longer has."""
        live = self._inputs.names()
        return [d for d in QMediaDevices.audioInputs() if live is None or _device_id(d) in live]

    def devices(self) -> list[tuple[str, str]]:
        """(id, description) of every input, the system default first."""
        default = _device_id(QMediaDevices.defaultAudioInput())
        found = [(_device_id(d), d.description()) for d in self._present()]
        found.sort(key=lambda item: item[0] != default)
        return found

    def _find_device(self) -> QAudioDevice | None:
        present = self._present()
        if self.device_id:
            return next((d for d in present if _device_id(d) == self.device_id), None)
        default = QMediaDevices.defaultAudioInput()
        if not default.isNull() and any(d.id() == default.id() for d in present):
            return default
        return present[0] if present else None

    @property
    def active(self) -> bool:
        return self._source is not None

    @property
    def device_name(self) -> str:
        return self._device.description() if self._device is not None else ""

    # -- recording --------------------------------------------------------------------------
    def start(self) -> bool:
        if self._source is not None:
            return True
        if not _permission_granted():
            self.failed.emit("Hearth may not use the microphone. Allow it in your system's privacy settings.")
            return False
        device = self._find_device()
        if device is None:
            self.failed.emit("No microphone was found. Connect one (or choose another in Voice ▸ Microphone) "
                             "and try again." if not self.device_id else
                             "The chosen microphone is not connected. Connect it, or choose another in "
                             "Voice ▸ Microphone.")
            return False
        audio_format = speech_format()
        if not device.isFormatSupported(audio_format):
            self.failed.emit(f"{device.description()} cannot record 16 kHz mono audio.")
            return False
        self._device = device
        self._source = QAudioSource(device, audio_format, self)
        self._source.setBufferSize(int(RATE * 4 * CHUNK_SECONDS * 4))
        self._source.stateChanged.connect(self._on_state)
        self._pending = np.zeros(0, dtype=np.float32)
        self._io = self._source.start()
        self._io.readyRead.connect(self._read)
        self._watch.start()
        self.active_changed.emit(True)
        return True

    def stop(self, quietly: bool = False) -> None:
        """Stop recording; every sample recorded so far has been delivered when this returns."""
        source, self._source = self._source, None
        if source is None:
            return
        self._watch.stop()
        self._read_from(self._io)
        if len(self._pending):
            self.samples_ready.emit(self._pending)
            self._pending = np.zeros(0, dtype=np.float32)
        source.stateChanged.disconnect(self._on_state)
        source.stop()
        source.deleteLater()
        self._io = None
        self.level_changed.emit(0.0)
        if not quietly:
            self.active_changed.emit(False)

    def _read(self) -> None:
        if self._io is not None:
            self._read_from(self._io)

    def _read_from(self, io) -> None:
        if io is None:
            return
        data = io.readAll().data()
        if not data:
            return
        usable = len(data) - len(data) % 4
        samples = np.frombuffer(bytes(data[:usable]), dtype=np.float32)
        self._pending = np.concatenate([self._pending, samples])
        chunk = int(RATE * CHUNK_SECONDS)
        while len(self._pending) >= chunk:
            piece, self._pending = self._pending[:chunk], self._pending[chunk:]
            self.level_changed.emit(float(min(1.0, np.sqrt(np.mean(piece * piece)) * 4)))
            self.samples_ready.emit(piece)

    def _on_state(self, state) -> None:
        source = self._source
        if source is None or state != QAudio.State.StoppedState:
            return
        if source.error() != QAudio.Error.NoError:
            name = self.device_name or "The microphone"
            self.stop()
            self.failed.emit(f"{name} stopped working (disconnected?). What was recorded so far is kept.")

    def _check_device(self) -> None:
        live = self._inputs.names()
        if self._source is not None and self._device is not None and live is not None \
                and _device_id(self._device) not in live:
            name = self.device_name
            self.stop()
            self.failed.emit(f"{name} was disconnected. What was recorded so far is kept.")

    def _on_devices_changed(self) -> None:
        if self._source is None or self._device is None:
            return
        current = {bytes(d.id().data()) for d in self._present()}
        if bytes(self._device.id().data()) not in current:
            name = self.device_name
            self.stop()
            self.failed.emit(f"{name} was disconnected. What was recorded so far is kept.")
        elif not self.device_id:
            default = QMediaDevices.defaultAudioInput()
            if not default.isNull() and default.id() != self._device.id():
                # Following the system default: carry on with the new one without a gap in the stream.
                self.stop(quietly=True)
                self._source = None
                self.start()


def _permission_granted() -> bool:
    try:
        from PySide6.QtCore import QCoreApplication, QMicrophonePermission, Qt
    except ImportError:
        return True
    app = QCoreApplication.instance()
    if app is None:
        return True
    return app.checkPermission(QMicrophonePermission()) != Qt.PermissionStatus.Denied
