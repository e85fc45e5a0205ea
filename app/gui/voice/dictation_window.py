"""The dictation window: continuous offline dictation for notes, and audio files to text.

Each utterance becomes a committed line; the utterance being spoken shows
below it as it is recognised. Files (wav, mp3, m4a, flac, ogg, mp4…) are
transcribed by the same engine with a progress bar, and everything can be
copied, saved as text, or exported as SRT or WebVTT subtitles.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox,
                               QPlainTextEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget)

from app import APP_NAME
from app.core.subtitles import Line, render, stamp
from app.gui.save_dialog import FileType, ask_save_path

AUDIO_FILES = "Audio and video (*.wav *.mp3 *.m4a *.flac *.ogg *.opus *.webm *.mp4 *.mkv *.mov);;All files (*)"
TRANSCRIPT_TYPES = [FileType("Text", (".txt",), "txt"), FileType("SubRip subtitles", (".srt",), "srt"),
                    FileType("WebVTT subtitles", (".vtt",), "vtt")]


class DictationWindow(QMainWindow):
    save_requested = Signal(str, str)  # path, text: the app writes the file (widgets never touch files)

    def __init__(self, voice, parent=None) -> None:
        super().__init__(parent)
        self.voice = voice
        self.lines: list[Line] = []
        self._offset = 0.0  # dictation times run on across recordings
        self._file_offset = 0.0  # a file's times, when its transcript follows dictated lines
        self._last_end = 0.0
        self.setWindowTitle(f"Dictation — {APP_NAME}")
        self.resize(720, 520)
        self.record_button = QPushButton("Start dictation")
        self.record_button.setObjectName("recordButton")
        self.record_button.setCheckable(True)
        self.level = QProgressBar()
        self.level.setObjectName("levelMeter")
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setMaximumWidth(160)
        self.timestamps = QCheckBox("Timestamps")
        self.text = QPlainTextEdit()
        self.text.setObjectName("dictationText")
        self.text.setPlaceholderText("Press Start dictation and speak. Each sentence appears here when you pause.")
        self.partial = QLabel("")
        self.partial.setObjectName("partialText")
        self.partial.setWordWrap(True)
        self.status = QLabel("")
        self.status.setObjectName("dictationStatus")
        self.status.setWordWrap(True)
        self.file_button = QPushButton("Transcribe a file…")
        self.file_progress = QProgressBar()
        self.file_progress.setRange(0, 1000)
        self.file_progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.copy_button = QPushButton("Copy all")
        self.save_button = QPushButton("Save as…")
        self.clear_button = QPushButton("Clear")

        top = QHBoxLayout()
        top.addWidget(self.record_button)
        top.addWidget(self.level)
        top.addStretch(1)
        top.addWidget(self.timestamps)
        files = QHBoxLayout()
        files.addWidget(self.file_button)
        files.addWidget(self.file_progress, 1)
        files.addWidget(self.cancel_button)
        files.addStretch(0)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        for button in (self.copy_button, self.save_button, self.clear_button):
            bottom.addWidget(button)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.partial)
        layout.addWidget(self.status)
        layout.addLayout(files)
        layout.addLayout(bottom)
        self.setCentralWidget(central)
        QShortcut(QKeySequence.Close, self, activated=self.close)

        self.record_button.clicked.connect(self._toggle)
        self.timestamps.toggled.connect(lambda _on: self._show_lines())
        self.file_button.clicked.connect(self._choose_file)
        self.cancel_button.clicked.connect(voice.cancel_file)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        self.save_button.clicked.connect(self._save)
        self.clear_button.clicked.connect(self.clear)
        voice.listening_changed.connect(self._on_listening)
        voice.partial_text.connect(lambda target, text: target == "dictation" and self.partial.setText(text))
        voice.final_text.connect(self._on_final)
        voice.level.connect(lambda value: self.level.setValue(int(value * 100)))
        voice.error.connect(self._on_error)
        voice.file_segment.connect(self._on_file_segment)
        voice.file_finished.connect(self._on_file_finished)

    # -- dictation ---------------------------------------------------------------------------
    def _toggle(self) -> None:
        if self.voice.listening_target == "dictation":
            self.voice.stop()
        else:
            self.status.setText("")
            if not self.voice.listen("dictation", continuous=True):
                self.record_button.setChecked(False)

    def _on_listening(self, target: str, listening: bool) -> None:
        if target != "dictation":
            return
        self.record_button.setChecked(listening)
        self.record_button.setText("Stop dictation" if listening else "Start dictation")
        if listening:
            self._offset = self._last_end
            self.status.setText(f"Listening on {self.voice.microphone.device_name}…")
        else:
            self.status.setText("")
            self.level.setValue(0)

    def _on_final(self, target: str, text: str, start: float, end: float) -> None:
        if target != "dictation":
            return
        self.partial.setText("")
        self._add(Line(text.strip(), self._offset + start, self._offset + end))

    def _on_error(self, target: str, message: str) -> None:
        if target in ("dictation", "file"):
            self.status.setText(message)
            self.status.setProperty("problem", True)
            self.status.style().polish(self.status)
        if target == "file":
            self._file_done()

    # -- files -----------------------------------------------------------------------------
    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Transcribe an audio or video file", str(Path.home()), AUDIO_FILES)
        if path:
            self.transcribe(path)

    def transcribe(self, path: str) -> None:
        """Transcribe ``path`` into the window; text already there is replaced or kept as the user says."""
        keep = False
        if self.lines or self.text.toPlainText().strip():
            keep = self._ask_replace_or_append(Path(path).name)
            if keep is None:
                return
        if not self.voice.transcribe_file(path):
            return
        if keep:
            self._file_offset = self._last_end  # the file's subtitles follow the dictated ones
        else:
            self._offset = self._last_end = self._file_offset = 0.0
            self.clear()
        self.status.setText(f"Transcribing {Path(path).name}…")
        self.file_progress.setValue(0)
        self.file_progress.show()
        self.cancel_button.show()
        self.file_button.setEnabled(False)

    def _ask_replace_or_append(self, name: str) -> bool | None:
        """True to add the file's transcript after the text, False to replace the text, None to cancel."""
        box = QMessageBox(QMessageBox.Question, "Transcribe a file",
                          f"The window already holds text. Replace it with the transcript of {name}, "
                          f"or add the transcript after it?", parent=self)
        replace = box.addButton("Replace", QMessageBox.DestructiveRole)
        append = box.addButton("Append", QMessageBox.AcceptRole)
        box.addButton(QMessageBox.Cancel)
        box.setDefaultButton(append)
        box.exec()
        clicked = box.clickedButton()
        box.deleteLater()
        return None if clicked not in (replace, append) else clicked is append

    def _on_file_segment(self, text: str, start: float, end: float, progress: float) -> None:
        self._add(Line(text, self._file_offset + start, self._file_offset + end))
        self.file_progress.setValue(int(progress * 1000))

    def _on_file_finished(self, reason: str) -> None:
        self.status.setText("Transcription cancelled; the text so far is kept." if reason == "cancelled"
                            else f"Transcribed: {len(self.lines)} segments.")
        self._file_done()

    def _file_done(self) -> None:
        self.file_progress.hide()
        self.cancel_button.hide()
        self.file_button.setEnabled(True)

    # -- text --------------------------------------------------------------------------------
    def _add(self, line: Line) -> None:
        if not line.text:
            return
        self.lines.append(line)
        self._last_end = max(self._last_end, line.end)
        prefix = f"{stamp(line.start)} " if self.timestamps.isChecked() else ""
        self.text.appendPlainText(prefix + line.text)

    def _show_lines(self) -> None:
        self.text.setPlainText(render(self.lines, "txt", self.timestamps.isChecked()).rstrip("\n"))

    def clear(self) -> None:
        self.lines.clear()
        self.text.clear()
        self.partial.clear()

    def export(self, kind: str) -> str:
        """The transcript as ``txt``, ``srt`` or ``vtt``; edits to the text are kept in plain text."""
        if kind == "txt":
            return self.text.toPlainText() + "\n"
        return render(self.lines, kind)

    def _save(self) -> None:
        chosen = ask_save_path(self, "Save the transcript", str(Path.home() / "transcript"), TRANSCRIPT_TYPES)
        if chosen:
            path, file_type = chosen
            self.save_requested.emit(path, self.export(file_type.kind))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.voice.listening_target == "dictation":
            self.voice.stop()
        super().closeEvent(event)
