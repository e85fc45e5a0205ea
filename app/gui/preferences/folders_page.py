"""Preferences ▸ Folders: folders whose models Hearth lists where they are, and other apps' models."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout,
                               QWidget)


class FoldersPage(QWidget):
    changed = Signal()

    def __init__(self, library, parent=None) -> None:
        super().__init__(parent)
        self.library = library
        settings = library.settings
        intro = QLabel("Hearth lists the models in these folders where they are, without copying them. "
                       "Deleting one from the library asks first, and says it is outside Hearth's models folder.")
        intro.setWordWrap(True)
        self.folders = QListWidget()
        self.folders.setAccessibleName("Folders listed in place")
        self.add_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Stop listing")
        self.remove_button.setToolTip("Take the chosen folder off the list; its files stay")
        self.hf_cache = QCheckBox("List models already in the Hugging Face cache")
        self.hf_cache.setChecked(settings.list_hf_cache)
        self.lm_studio = QCheckBox("List LM Studio's models")
        self.lm_studio.setChecked(settings.list_lm_studio)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.folders, 1)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Models of other apps:"))
        layout.addWidget(self.hf_cache)
        layout.addWidget(self.lm_studio)
        self.add_button.clicked.connect(self.ask_folder)
        self.remove_button.clicked.connect(self.remove_current)
        self.folders.currentRowChanged.connect(lambda row: self.remove_button.setEnabled(row >= 0))
        self.hf_cache.toggled.connect(self._other_apps)
        self.lm_studio.toggled.connect(self._other_apps)
        self.show_folders()

    def showEvent(self, event) -> None:
        self.show_folders()  # the Model manager may have added one since
        super().showEvent(event)

    def show_folders(self) -> None:
        self.folders.clear()
        self.folders.addItems(self.library.settings.model_folders)
        self.remove_button.setEnabled(False)

    def ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of models")
        if folder:
            self.add(folder)

    def add(self, folder: str) -> None:
        self.library.add_folder(folder)
        self.show_folders()
        self.changed.emit()

    def remove_current(self) -> None:
        item = self.folders.currentItem()
        if item is not None:
            self.library.remove_folder(item.text())
            self.show_folders()
            self.changed.emit()

    def _other_apps(self) -> None:
        self.library.set_other_apps(self.hf_cache.isChecked(), self.lm_studio.isChecked())
        self.changed.emit()
