"""Preferences ▸ Models: where Hearth keeps its models, and moving them somewhere else.

The page asks and shows; the ModelsFolderController plans and moves (off the GUI thread).
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QProgressBar, QPushButton,
                               QVBoxLayout, QWidget)

from app.core.models_folder import MoveError, MovePlan

MOVE, USE = "Move the models", "Use the new folder"


def _size(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e8 else f"{size / 1e6:.0f} MB"


class ModelsPage(QWidget):
    changed = Signal()

    def __init__(self, mover, parent=None) -> None:
        super().__init__(parent)
        self.mover = mover
        intro = QLabel("Downloaded and imported models are kept in this folder. Moving it to a bigger disk takes the "
                       "models already there along, if you like.")
        intro.setWordWrap(True)
        self.folder = QLineEdit(str(mover.folder))
        self.folder.setReadOnly(True)
        self.folder.setAccessibleName("Models folder")
        self.change_button = QPushButton("Change…")
        self.change_button.setToolTip("Choose another folder for the models")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setAccessibleName("Moving the models")
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel the move")
        self.cancel_button.hide()
        self.status = QLabel("")
        self.status.setObjectName("preferencesStatus")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(self.change_button)
        moving = QHBoxLayout()
        moving.addWidget(self.progress, 1)
        moving.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel("Models folder:"))
        layout.addLayout(row)
        layout.addLayout(moving)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.change_button.clicked.connect(self.ask_folder)
        self.cancel_button.clicked.connect(mover.cancel)
        mover.move_progress.connect(self._on_progress)
        mover.busy_changed.connect(self._on_busy)
        mover.move_finished.connect(self._on_finished)
        mover.move_failed.connect(self.status.setText)
        mover.folder_changed.connect(self.folder.setText)

    def ask_folder(self) -> None:
        target = QFileDialog.getExistingDirectory(self, "Choose the models folder", str(self.mover.folder))
        if target:
            self.choose(target)

    def choose(self, target: str) -> None:
        """Change to ``target``: ask whether the models already here go along, then do it."""
        try:
            plan = self.mover.plan(target)
        except MoveError as error:
            self.status.setText(error.message)
            return
        if not plan.files:
            self.mover.use(str(plan.target))
            return
        answer = self._ask(plan)
        if answer == MOVE:
            self.status.setText(f"Moving {plan.count} file{'s' * (plan.count != 1)} to {plan.target}…")
            self.mover.move(plan)
        elif answer == USE:
            self.mover.use(str(plan.target))

    def _ask(self, plan: MovePlan) -> str:
        box = QMessageBox(QMessageBox.Question, "Move the models?",
                          f"The models folder holds {plan.count} file{'s' * (plan.count != 1)} "
                          f"({_size(plan.size)}). Move them to {plan.target}?", parent=self)
        box.setInformativeText("If the move fails or you cancel it, every model stays in the old folder. "
                               f"“{USE}” leaves them where they are; Hearth then no longer lists them.")
        move = box.addButton(MOVE, QMessageBox.AcceptRole)
        use = box.addButton(USE, QMessageBox.DestructiveRole)
        box.addButton(QMessageBox.Cancel)
        box.setDefaultButton(move)
        box.exec()
        clicked = box.clickedButton()
        return MOVE if clicked is move else USE if clicked is use else ""

    def _on_progress(self, done: float, total: float) -> None:
        self.progress.setValue(int(1000 * done / total) if total else 1000)
        self.progress.setFormat(f"{_size(int(done))} of {_size(int(total))}")

    def _on_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.progress.setValue(0)
        self.cancel_button.setVisible(busy)
        self.change_button.setEnabled(not busy)

    def _on_finished(self, message: str) -> None:
        self.status.setText(message)
        self.changed.emit()
