"""``hearth --selftest [speech.wav]``: the real engine processes load the starter models, answer and transcribe,
and one JSON line on standard output says what they got; the exit status says whether all of it worked."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO
from voice_helpers import speak, word_error_rate

SENTENCE = "Open the window and let the fresh air in."


def _selftest(*args: str, cwd) -> tuple[int, dict, str]:
    # From another folder, as an installed ``hearth`` runs: only PYTHONPATH finds this checkout's app.
    env = dict(os.environ, PYTHONPATH=str(REPO))
    run = subprocess.run([sys.executable, "-m", "app", "--selftest", *args], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=600)
    lines = run.stdout.splitlines()
    assert len(lines) == 1, run.stdout + run.stderr  # one JSON line, nothing else on standard output
    return run.returncode, json.loads(lines[0]), run.stderr


def test_selftest_answers_and_transcribes(home, tmp_path):
    recording = speak(SENTENCE, tmp_path / "speech.wav")
    code, report, stderr = _selftest(str(recording), cwd=tmp_path)
    assert code == 0, (report, stderr)
    assert report["ok"] is True and report["version"]
    chat = report["chat"]
    assert chat["ok"] and chat["model"].startswith("SmolLM2") and "paris" in chat["reply"].lower()
    speech = report["speech"]
    assert speech["ok"] and word_error_rate(SENTENCE, speech["text"]) <= 0.25, speech
    voice = report["voice"]  # the default Piper voice said its sentence in the speech-out engine process
    assert voice["ok"] and voice["voice"] == "en_US-joe-medium" and voice["audio_s"] > 0.5, voice
    for seconds in (chat["load_s"], chat["reply_s"], speech["load_s"], speech["transcribe_s"], voice["load_s"],
                    voice["speak_s"]):
        assert isinstance(seconds, float) and seconds > 0
    # Nothing of the user's is touched: no conversation database, no settings, no logs in their folders.
    assert not home.database.exists() and not home.settings_file.exists()
    assert not any(home.logs.iterdir())


def test_selftest_without_a_recording_checks_chat_alone(home, tmp_path):
    code, report, _ = _selftest(cwd=tmp_path)
    assert code == 0 and report["ok"] and "speech" not in report and report["voice"]["ok"]
    assert "paris" in report["chat"]["reply"].lower()


def test_selftest_fails_on_a_missing_recording_and_says_why(home, tmp_path):
    name = "missing.wav"  # relative: resolved against the folder it was started in
    code, report, _ = _selftest(name, cwd=tmp_path)
    assert code == 1 and report["ok"] is False
    assert report["chat"]["ok"]  # the chat step still ran and worked
    speech = report["speech"]
    assert speech["ok"] is False and speech["file"] == str(tmp_path / name)
    assert str(tmp_path / name) in speech["error"]


def test_selftest_fails_on_a_recording_that_is_not_audio(home, tmp_path):
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("this is text, not sound\n")
    code, report, _ = _selftest(str(not_audio), cwd=tmp_path)
    assert code == 1 and report["ok"] is False and report["speech"]["ok"] is False
    assert report["speech"]["error"]


def _no_network_available() -> bool:
    import shutil

    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "-n", "true"], capture_output=True).returncode == 0


def test_selftest_answers_and_transcribes_with_no_network_at_all(home, tmp_path):
    """In a network namespace of its own (``unshare -n``: no interface but a loopback that is down), as CI runs
    the installed package: the starter models answer and hear all the same."""
    if not _no_network_available():
        pytest.skip("unshare -n needs root or user namespaces")
    recording = speak(SENTENCE, tmp_path / "speech.wav")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("HF_ENDPOINT", None)  # the real Hub's address: it must not be needed
    run = subprocess.run(["unshare", "-n", sys.executable, "-m", "app", "--selftest", str(recording)], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=600)
    report = json.loads(run.stdout.splitlines()[-1])
    assert run.returncode == 0 and report["ok"], (report, run.stderr)
    assert "paris" in report["chat"]["reply"].lower()
    assert word_error_rate(SENTENCE, report["speech"]["text"]) <= 0.25
