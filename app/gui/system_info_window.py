"""Help ▸ System information: the report in a table, with Copy for bug reports."""
from __future__ import annotations

import html

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from app.core import system_report
from app.gui.system_info import SystemInfo


class SystemInfoWindow(QDialog):
    def __init__(self, info: SystemInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.sections: list[system_report.Section] = []
        self.setWindowTitle("System information")
        self.resize(620, 560)
        self.view = QTextBrowser()
        self.view.setObjectName("systemInfo")
        self.view.setAccessibleName("System information")
        self.view.setPlainText("Gathering…")
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Copy this report, as text, for a bug report")
        self.copy_button.setEnabled(False)
        self.refresh_button = QPushButton("&Refresh")
        buttons.addButton(self.copy_button, QDialogButtonBox.ActionRole)
        buttons.addButton(self.refresh_button, QDialogButtonBox.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy)
        self.refresh_button.clicked.connect(info.collect)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        info.collected.connect(self.show_sections)

    def show_sections(self, sections: list) -> None:
        self.sections = list(sections)
        parts = []
        for section in self.sections:
            rows = "".join(f"<tr><td style='padding-right:12px'>{html.escape(name)}</td>"
                           f"<td>{html.escape(value)}</td></tr>" for name, value in section.rows)
            parts.append(f"<h3>{html.escape(section.title)}</h3><table>{rows}</table>")
        self.view.setHtml("".join(parts))
        self.copy_button.setEnabled(bool(self.sections))

    @property
    def text(self) -> str:
        return system_report.as_text(self.sections)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)
