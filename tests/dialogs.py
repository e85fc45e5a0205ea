"""Driving Qt's real modal dialogs from a test, as a user would: type into them and press their buttons.

A modal dialog runs its own event loop, so the test cannot act after the call that opens it; instead
``answer_next`` arranges, before that call, for ``act`` to run on the next such dialog once it is on
screen. ``act`` types and clicks with qtbot, which closes the dialog and lets the call return.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QFileDialog, QLineEdit, QMessageBox


def answer_next(kind, act, tries: int = 500) -> list:
    """Run ``act(dialog)`` on the next visible modal dialog of class ``kind``; the list it returns gets
    the dialog once answered (empty if none came within ``tries`` polls of 20 ms)."""
    answered: list = []

    def poll(left: int) -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, kind) and dialog.isVisible():
            answered.append(dialog)
            act(dialog)
        elif left:
            QTimer.singleShot(20, lambda: poll(left - 1))

    QTimer.singleShot(0, lambda: poll(tries))
    return answered


def save_as(qtbot, path: str, type_label: str | None = None):
    """An ``act`` for a file dialog: choose the type whose label starts with ``type_label`` in its list
    (with the keyboard), type ``path`` as the name, press Enter."""
    def act(dialog: QFileDialog) -> None:
        if type_label is not None:
            types = dialog.findChild(QComboBox, "fileTypeCombo")
            while not types.currentText().startswith(type_label):
                index = types.currentIndex()
                qtbot.keyClick(types, Qt.Key_Down)
                assert types.currentIndex() != index, f"no type {type_label!r} in the dialog"
        name = dialog.findChild(QLineEdit, "fileNameEdit")
        # The dialog puts the cursor in the name once it is up; typed before that, a path's folders
        # would be selected in its list one by one instead of naming the file.
        qtbot.waitUntil(name.hasFocus, timeout=10_000)
        name.clear()
        qtbot.keyClicks(name, path)
        qtbot.keyClick(name, Qt.Key_Return)

    return act


def click(qtbot, button_text: str):
    """An ``act`` for a message box: click the button named ``button_text``."""
    def act(box: QMessageBox) -> None:
        button = next(b for b in box.buttons() if b.text().replace("&", "") == button_text)
        qtbot.mouseClick(button, Qt.LeftButton)

    return act
