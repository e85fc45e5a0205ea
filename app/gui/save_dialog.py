"""Save dialogs that name a file for its type: "notes" saved as Markdown becomes notes.md.

Every save in Hearth goes through ``ask_save_path`` with the types it offers. A name typed without
one of their extensions gets the chosen type's; a name typed with one of them keeps it and decides the
type ("notes.srt" is saved as SubRip whichever type the list showed). Qt's ``defaultSuffix`` does this
for a name with no dot at all, and the dialog then asks before replacing "notes.md"; but Qt takes any dot
for an extension ("Meeting 3.5" would stay as it is), so the name is also mended where the dialog accepts
it, before Qt's own question about replacing a file, and once more after a native dialog.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QFileInfo
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget


@dataclass(frozen=True)
class FileType:
    label: str  # "Markdown"
    extensions: tuple[str, ...]  # (".md", ".markdown"): the first is the one added
    kind: str = ""  # what the caller calls it ("md")

    @property
    def name_filter(self) -> str:
        return f"{self.label} ({' '.join('*' + extension for extension in self.extensions)})"


def with_extension(path: str, chosen: FileType, types: list[FileType]) -> tuple[str, FileType]:
    """``path`` named for its type: its own extension if it has one of ``types``', else ``chosen``'s added."""
    name = Path(path).name.lower()
    for file_type in [chosen, *types]:
        if name.endswith(file_type.extensions) and len(name) > len(file_type.extensions[0]):
            return path, file_type
    return path + chosen.extensions[0], chosen


class _SaveDialog(QFileDialog):
    def __init__(self, parent: QWidget | None, caption: str, suggested: str, types: list[FileType]) -> None:
        super().__init__(parent, caption, suggested)
        self.types = types
        self.setAcceptMode(QFileDialog.AcceptSave)
        self.setFileMode(QFileDialog.AnyFile)
        self.setNameFilters([file_type.name_filter for file_type in types])
        self.filterSelected.connect(lambda _name: self.setDefaultSuffix(self.chosen().extensions[0][1:]))
        self.setDefaultSuffix(types[0].extensions[0][1:])

    def chosen(self) -> FileType:
        return next((t for t in self.types if t.name_filter == self.selectedNameFilter()), self.types[0])

    def accept(self) -> None:
        """The typed name is mended before Qt checks it, so Qt asks about replacing the file it will write."""
        files = self.selectedFiles()
        if files and not QFileInfo(files[0]).isDir():  # a folder: Qt opens it
            mended, _type = with_extension(files[0], self.chosen(), self.types)
            if mended != files[0]:
                typing = self.focusWidget()
                if typing is not None:
                    typing.clearFocus()  # Qt leaves the name alone while the user is typing in it
                self.selectFile(mended)
        super().accept()


def ask_save_path(parent: QWidget | None, caption: str, suggested: str,
                  types: list[FileType]) -> tuple[str, FileType] | None:
    """Ask where to save, offering ``types`` (the first chosen at first): the path, named for its type,
    and that type; None when the user cancels."""
    dialog = _SaveDialog(parent, caption, suggested, types)
    try:
        if dialog.exec() != QDialog.Accepted or not dialog.selectedFiles():
            return None
        picked = dialog.selectedFiles()[0]
        path, file_type = with_extension(picked, dialog.chosen(), types)
        # A native dialog (Windows, macOS, GTK) never calls accept() above: it asked about replacing
        # the name as typed, not the one named for its type. Ask about that one here.
        if path != picked and Path(path).exists() and not _may_replace(parent, path):
            return None
        return path, file_type
    finally:
        dialog.deleteLater()


def _may_replace(parent: QWidget | None, path: str) -> bool:
    answer = QMessageBox.question(parent, "Replace the file?",
                                  f"“{Path(path).name}” already exists. Replace it?",
                                  QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
    return answer == QMessageBox.Yes
