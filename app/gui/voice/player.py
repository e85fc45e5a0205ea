"""The speaker's sound: int16 mono PCM pushed into QtMultimedia's QAudioSink.

Sentences arrive as pieces of PCM while earlier ones play; they wait in a buffer that a timer feeds
to the sink as it has room, so the sink holds only a fifth of a second: a stop is heard at once.
With no device chosen the system default is used and followed when it changes. No output device,
or one that fails, ends in a message (the reply's text stays on screen).
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QMediaDevices

log = logging.getLogger("hearth.audio")
SINK_SECONDS = 0.2  # what the sink itself holds: a stop or pause is at most this late
FEED_MS = 20
NO_OUTPUT = "There is no sound output to read the reply aloud on; the reply stays on screen."


def device_id(device: QAudioDevice) -> str:
    return bytes(device.id().data()).decode("utf-8", "replace")


class Player(QObject):
    sound_started = Signal()  # the first samples after silence went to the sink
    drained = Signal()  # everything given has been played
    failed = Signal(str)  # a message: no output, the output failed

    def __init__(self, output_id: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.output_id = output_id  # "": the system default
        self._devices = QMediaDevices(self)
        self._devices.audioOutputsChanged.connect(self._on_outputs_changed)
        self._sink: QAudioSink | None = None
        self._io = None
        self._rate = 0
        self._device_id = ""
        self._buffer = bytearray()
        self._paused = False
        self._sounding = False
        self._feed = QTimer(self, interval=FEED_MS)
        self._feed.timeout.connect(self._pump)

    # -- devices ------------------------------------------------------------------------
    def outputs(self) -> list[tuple[str, str]]:
        """(id, description) of every sound output, the system default first."""
        default = device_id(QMediaDevices.defaultAudioOutput())
        found = [(device_id(d), d.description()) for d in QMediaDevices.audioOutputs()]
        found.sort(key=lambda item: item[0] != default)
        return found

    def _find_output(self) -> QAudioDevice | None:
        present = QMediaDevices.audioOutputs()
        if self.output_id:
            chosen = next((d for d in present if device_id(d) == self.output_id), None)
            if chosen is not None:
                return chosen
            log.warning("sound output %s is gone; using the default", self.output_id)
        default = QMediaDevices.defaultAudioOutput()
        if not default.isNull() and any(d.id() == default.id() for d in present):
            return default
        return present[0] if present else None

    def _on_outputs_changed(self) -> None:
        if self._sink is None or self.output_id:
            return
        default = QMediaDevices.defaultAudioOutput()
        if not default.isNull() and device_id(default) != self._device_id:
            log.info("the default sound output is now %s", device_id(default))
            self._close_sink()  # the next piece opens the new default
            if self._buffer:
                self._open(self._rate)

    def set_output(self, output_id: str) -> None:
        self.output_id = output_id
        if self._sink is not None:
            self._close_sink()
            if self._buffer:
                self._open(self._rate)

    # -- playing ------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return bool(self._buffer) or self._sounding

    @property
    def output_name(self) -> str:
        return self._device_id

    def enqueue(self, pcm: bytes, rate: int) -> bool:
        """Queue int16 mono samples at ``rate``; False (and ``failed``) when there is nowhere to play them."""
        if self._sink is None or rate != self._rate:
            if self._sink is not None:
                self._close_sink()
            if not self._open(rate):
                return False
        self._buffer += pcm
        if not self._feed.isActive() and not self._paused:
            self._feed.start()
        self._pump()
        return True

    def _open(self, rate: int) -> bool:
        device = self._find_output()
        if device is None:
            self._buffer.clear()
            self.failed.emit(NO_OUTPUT)
            return False
        audio_format = QAudioFormat()
        audio_format.setSampleRate(rate)
        audio_format.setChannelCount(1)
        audio_format.setSampleFormat(QAudioFormat.Int16)
        self._sink = QAudioSink(device, audio_format, self)
        self._sink.setBufferSize(int(rate * 2 * SINK_SECONDS))
        self._io = self._sink.start()
        if self._io is None or self._sink.error().name != "NoError":
            message = f"The sound output “{device.description()}” could not be opened."
            log.warning("%s (%s)", message, self._sink.error())
            self._close_sink()
            self._buffer.clear()
            self.failed.emit(message)
            return False
        self._rate, self._device_id = rate, device_id(device)
        if self._paused:
            self._sink.suspend()
        log.info("playing on %s at %d Hz", self._device_id, rate)
        return True

    def _pump(self) -> None:
        if self._sink is None or self._io is None or self._paused:
            return
        # The sink's state is read here, not from stateChanged: PySide 6.11 cannot convert that signal's
        # QtAudio.State argument for a Python slot.
        if self._sink.error().name not in ("NoError", "UnderrunError"):
            self._output_failed()
            return
        room = self._sink.bytesFree()
        room -= room % 2
        if room > 0 and self._buffer:
            written = self._io.write(bytes(self._buffer[:room]))
            if written > 0:
                del self._buffer[:written]
                if not self._sounding:
                    self._sounding = True
                    self.sound_started.emit()
        if not self._buffer and self._sounding and (self._sink.state().name == "IdleState" or
                                                    self._sink.bytesFree() >= self._sink.bufferSize()):
            self._finish()  # the sink has played what it held

    def _output_failed(self) -> None:
        sink = self._sink
        if sink is None:
            return
        if sink.error().name not in ("NoError", "UnderrunError"):  # (QAudio and QtAudio enums differ)
            message = "The sound output stopped working; the reply stays on screen."
            log.warning("%s (%s)", message, sink.error())
            self.stop()
            self.failed.emit(message)

    def _finish(self) -> None:
        self._sounding = False
        self._feed.stop()
        self.drained.emit()

    def pause(self) -> None:
        self._paused = True
        self._feed.stop()
        if self._sink is not None:
            self._sink.suspend()

    def resume(self) -> None:
        self._paused = False
        if self._sink is not None:
            self._sink.resume()
        if self._buffer or self._sounding:
            self._feed.start()

    @property
    def paused(self) -> bool:
        return self._paused

    def stop(self) -> None:
        """Silence now: what is queued and what the sink holds is dropped."""
        self._buffer.clear()
        self._sounding = False
        self._paused = False
        self._feed.stop()
        self._close_sink()

    def _close_sink(self) -> None:
        sink, self._sink, self._io = self._sink, None, None
        if sink is not None:
            sink.reset()
            sink.stop()
            sink.deleteLater()
