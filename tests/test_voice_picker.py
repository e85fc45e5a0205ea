"""More voices, driven like a user drives them: Piper voices listed in the Model manager from a
piper-voices-shaped repo on the local Hub, one downloaded (both files, verified, resumed after a pause), then
found in the Library, the Voice menu and the voice picker, played as a sample, and deleted (both files)."""
from __future__ import annotations

from PySide6.QtCore import Qt

from app.core.gguf_info import format_bytes
from app.gui.voice.voice_picker import NO_PLAYER, SAMPLES, VoicePicker
from tests.helpers import piper_voices
from tests.helpers.piper_voices import JOE, JOE_GB
from tests.speaker_helpers import OutputSink, loud_seconds, transcribe
from tests.voice_helpers import word_error_rate


def test_a_voice_is_found_downloaded_resumed_picked_played_and_deleted(qtbot, make_hearth, hub, home, tmp_path):
    settings_bytes = piper_voices.publish(hub)
    hub.state.bytes_per_second = 15_000_000  # slow enough to pause half-way
    hearth = make_hearth(include_starter=False)
    hearth.open_voices()  # Voice ▸ Reading voice ▸ Find voices…
    manager = hearth.manager
    qtbot.addWidget(manager)
    page = manager.discover
    qtbot.waitUntil(lambda: page.voices.keys() == [JOE_GB, JOE], timeout=15_000)
    assert page.kind.currentData() == "voice" and page.left.currentWidget() is page.voices
    assert page.status.text() == "2 Piper voices"
    joe_offer_size = sum(hub.state.repos[piper_voices.PIPER_REPO].files[n].size
                         for n in (piper_voices.onnx_path(JOE), piper_voices.onnx_path(JOE) + ".json"))
    rows = dict(zip(page.voices.keys(), page.voices.rows()))
    assert rows[JOE] == ("joe", "English (United States)", "medium (22 kHz)", "1", format_bytes(joe_offer_size))
    assert rows[JOE_GB][1:3] == ("English (Great Britain)", "low (16 kHz)")
    assert page.query.placeholderText().startswith("Filter the Piper voices")

    page.query.clear()
    qtbot.keyClicks(page.query, "united states")  # searched within the catalogue
    qtbot.waitUntil(lambda: page.voices.keys() == [JOE], timeout=10_000)
    page.voices.choose(JOE)
    qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=5_000)
    assert page.file_rows() == [(f"{JOE} (.onnx + .onnx.json)", format_bytes(joe_offer_size), "voice")]
    assert page.download_button.text() == f"Download {JOE} ({format_bytes(joe_offer_size)})"
    page.download_button.click()

    [row] = manager.downloads_page.rows.values()
    qtbot.waitUntil(lambda: row.bar.value() > 100, timeout=30_000)
    qtbot.mouseClick(row.pause_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "paused" in row.detail.text(), timeout=10_000)
    kept = next(home.downloads.rglob("*.onnx.part")).stat().st_size
    assert 0 < kept < joe_offer_size and not (home.models / "voices").exists()
    hub.state.bytes_per_second = 0
    qtbot.mouseClick(row.resume_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "verified" in row.detail.text(), timeout=60_000)
    onnx_requests = [r for r in hub.state.requests if r.path.endswith(".onnx")]
    assert onnx_requests[-1].start == kept  # resumed, not started over
    folder = home.models / "voices" / JOE
    assert sorted(p.name for p in folder.iterdir()) == [f"{JOE}.onnx", f"{JOE}.onnx.json"]
    assert (folder / f"{JOE}.onnx.json").read_bytes() == settings_bytes[JOE]
    assert not list(home.downloads.rglob("*.part"))

    # In the Library (one row for the pair), marked in Discover, offered in the Voice menu and the picker.
    library = manager.library_page
    name = f"Voice: {JOE} · English (United States) · medium"
    qtbot.waitUntil(lambda: name in library.names(), timeout=10_000)
    qtbot.waitUntil(lambda: page.download_button.text() == f"{JOE} is in your library", timeout=5_000)
    assert not page.download_button.isEnabled() and page.voices.rows()[0][0] == "joe · in your library"
    hearth.voice_menu_voices.aboutToShow.emit()
    assert f"{JOE} · English (United States) · medium" in [a.text() for a in hearth.voice_menu_voices.actions()]

    played = []
    picker = VoicePicker(hearth.library, hearth.settings, play_sample=lambda path, text: played.append((path, text)))
    qtbot.addWidget(picker)
    assert picker.labels() == ["Default voice", f"{JOE} · English (United States) · medium"]
    picker.choose(str(folder / f"{JOE}.onnx"))
    assert hearth.settings.speech_voice == str(folder / f"{JOE}.onnx")
    assert picker.play_button.isEnabled()
    qtbot.mouseClick(picker.play_button, Qt.LeftButton)
    assert played == [(str(folder / f"{JOE}.onnx"), SAMPLES["en"])]

    hearth.open_preferences()  # Preferences ▸ Voice has the same picker, playing through the app's own speaker
    qtbot.addWidget(hearth.preferences)
    page_picker = hearth.preferences.findChild(VoicePicker)
    assert page_picker.combo.currentData() == str(folder / f"{JOE}.onnx")
    assert page_picker.play_button.isEnabled() and page_picker.play_button.toolTip() != NO_PLAYER
    sink = OutputSink()
    try:
        hearth.settings.speech_output = sink.name
        sink.record(tmp_path / "sample")
        with qtbot.waitSignal(hearth.speaker.finished, timeout=60_000):
            qtbot.mouseClick(page_picker.play_button, Qt.LeftButton)
        qtbot.wait(300)  # the last of the sound through the audio server
        audio = sink.stop_recording()
    finally:
        sink.close()
    assert loud_seconds(audio) > 1.0  # the downloaded voice, read by the speech-out engine, reached the output
    assert word_error_rate(SAMPLES["en"], transcribe(audio)) <= 0.3

    asked = []
    manager.ask = lambda title, text, choices, dismiss="": asked.append(text) or "Delete"
    library.select(str(folder / f"{JOE}.onnx"))
    assert not library.use_button.isEnabled() and "22,050 Hz" in library.details.toPlainText()
    library.delete_button.click()
    assert f"{JOE}.onnx.json" in asked[-1] and f"{JOE}.onnx\n" in asked[-1]
    qtbot.waitUntil(lambda: name not in library.names(), timeout=10_000)
    assert not folder.exists()
    assert hearth.settings.speech_voice == ""  # back to the default voice
    qtbot.waitUntil(lambda: picker.labels() == ["Default voice"], timeout=5_000)
    assert page.download_button.isEnabled()  # downloadable again
