"""Where reading aloud shows in the window: the replies' speaker buttons, the Voice menu, the status bar."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel

from app.gui.voice.read_aloud import ReadAloud
from app.gui.voice.speech_out_menu import SpeechOutMenu


def install(window, speaker) -> ReadAloud:
    """Wire a speaker into ``window`` (a MainWindow): returns the read-aloud controller it made."""
    read_aloud = ReadAloud(window.chat, speaker, window.chat.settings, parent=window,
                           reads_new_replies=lambda: not window.talk.active)
    window.speech_out_menu = SpeechOutMenu(window.voice_menu, read_aloud, window.chat.settings)
    window.status_speaking = QLabel("")
    window.status_speaking.setObjectName("statusSpeaking")
    window.status_speaking.setToolTip("Reading a reply aloud: Esc stops")
    window.status_speaking.hide()
    window.statusBar().insertPermanentWidget(0, window.status_speaking)

    def show_status(text: str) -> None:
        window.status_speaking.setText(text)
        window.status_speaking.setVisible(bool(text))

    def show_reading(message_id: int, reading: bool) -> None:
        widget = window.view._widgets.get(message_id)
        if widget is not None:
            widget.set_reading(reading)

    read_aloud.status_changed.connect(show_status)
    read_aloud.reading_changed.connect(show_reading)
    window.view.speak_requested.connect(read_aloud.toggle)
    speaker.error_raised.connect(window.notice.show_error)
    speaker.speaking_changed.connect(lambda _on: window.update_stop_action())
    return read_aloud
