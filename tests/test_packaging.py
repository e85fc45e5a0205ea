"""What the Debian package installs for the desktop, checked with the desktop's own validators, and how
the bundle finds the starter models it carries. (CI builds, installs and runs the package itself:
packaging/build-deb.sh, then packaging/check-installed.sh.)"""
from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from configparser import ConfigParser
from pathlib import Path

import pytest

from app.core.library import find_starter_model
from app.core.starter_models import BUNDLE_FOLDER, CHAT_PACKAGE, SPEECH_PACKAGE
from app.engine.speech import find_starter_speech_model

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
MIME = "{http://www.freedesktop.org/standards/shared-mime-info}"


def validator(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (packaging/setup-debian.sh test installs it)")
    return found


def test_the_desktop_entry_validates_and_opens_gguf_files():
    result = subprocess.run([validator("desktop-file-validate"), str(RESOURCES / "hearth.desktop")],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "error" not in result.stdout, result.stdout
    entry = ConfigParser(interpolation=None)
    entry.read(RESOURCES / "hearth.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"] == "hearth %F"  # files from the file manager reach the running window
    assert "application/x-gguf" in desktop["MimeType"].split(";")


def test_the_metainfo_validates_and_names_the_desktop_entry():
    path = RESOURCES / "io.github.hearth.Hearth.metainfo.xml"
    result = subprocess.run([validator("appstreamcli"), "validate", "--no-net", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    component = ET.parse(path).getroot()
    assert component.find("launchable").text == "hearth.desktop"
    assert component.find("provides/mediatype").text == "application/x-gguf"


def test_the_gguf_mime_type_matches_a_real_model_file(smollm_path):
    mime_type = ET.parse(RESOURCES / "hearth-gguf.xml").getroot().find(f"{MIME}mime-type")
    assert mime_type.get("type") == "application/x-gguf"
    match = mime_type.find(f"{MIME}magic/{MIME}match")
    offset, value = int(match.get("offset")), match.get("value").encode()
    assert smollm_path.read_bytes()[offset:offset + len(value)] == value
    assert (RESOURCES / "hearth.desktop").read_bytes()[:4] != value  # and not any file at all
    if shutil.which("update-mime-database"):  # the desktop's own compiler accepts it
        result = subprocess.run(["sh", "-c", 'd="$(mktemp -d)"; mkdir -p "$d/packages"; cp "$1" "$d/packages/"; '
                                 'update-mime-database "$d" && test -f "$d/application/x-gguf.xml"; s=$?; '
                                 'rm -rf "$d"; exit $s', "sh", str(RESOURCES / "hearth-gguf.xml")],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_a_bundle_finds_the_starter_models_it_carries(tmp_path, monkeypatch, smollm_path):
    """PyInstaller's bundle has the starter packages' files under starter/<package>/ (packaging/hearth.spec)."""
    speech = find_starter_speech_model()
    assert speech is not None
    chat_folder = tmp_path / BUNDLE_FOLDER / CHAT_PACKAGE
    speech_folder = tmp_path / BUNDLE_FOLDER / SPEECH_PACKAGE / "model"
    chat_folder.mkdir(parents=True)
    speech_folder.mkdir(parents=True)
    (chat_folder / smollm_path.name).symlink_to(smollm_path)
    for part in speech.iterdir():
        (speech_folder / part.name).symlink_to(part)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert find_starter_model() == chat_folder / smollm_path.name
    assert find_starter_speech_model() == speech_folder
