"""Discover's empty state: well-known instruct models ranked by what fits this computer."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.core import fit
from app.core.gguf_info import format_bytes

TITLE = "Recommended for this computer"
COLUMNS = ("Model and what it is good at", "Family", "Quant", "Size", "Fit", "Licence")
VERDICT_TEXT = {fit.FITS: "fits", fit.TIGHT: "tight", fit.WONT_FIT: "too big"}
SLOW_TEXT = "fits, slow"  # fits in memory, but the CPU reads too many weights per token to keep up
ESTIMATE_MARK = "≈ "


class RecommendedView(QWidget):
    chosen = Signal(object)  # recommended_fit.Pick

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.picks: list = []
        self.title = QLabel(TITLE)
        self.title.setObjectName("recommendedTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.note = QLabel("Working out what fits this computer…")
        self.note.setObjectName("recommendedNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.PlainText)
        self.tree = QTreeWidget()
        self.tree.setObjectName("recommendedModels")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)  # every row is two lines: the name, then what it is good at
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(self.tree, 1)
        self.tree.itemActivated.connect(self._on_item)
        self.tree.itemClicked.connect(self._on_item)

    def show_picks(self, picks: list, final: bool) -> None:
        from app.gui.models.discover_page import _colour, _plain_tip  # Discover holds this view: imported late

        current = self.current_repo()
        self.picks = list(picks)
        self.tree.clear()
        for pick in picks:
            size = format_bytes(pick.choice.size)
            item = QTreeWidgetItem([f"{pick.model.name}\n{pick.model.good_at}", pick.model.family, pick.choice.label,
                                    (ESTIMATE_MARK + size) if pick.estimated else size,
                                    _verdict_text(pick), pick.model.licence_name])
            item.setData(0, Qt.UserRole, pick)
            tip = f"{pick.model.repo_id}\n{pick.model.good_at}"
            if pick.model.licence:
                tip += f"\nLicence: {pick.model.licence}"
            item.setToolTip(0, _plain_tip(tip))
            item.setToolTip(3, _plain_tip("Estimated from the parameter count: the Hub has not listed the file."
                                          if pick.estimated else pick.choice.first.name))
            item.setToolTip(4, _plain_tip(pick.fit.message + ("" if pick.quick or pick.verdict != fit.FITS else
                                          f" The CPU reads about {format_bytes(pick.cpu_bytes)} of weights for "
                                          "every word it writes: expect a few words a second.")))
            item.setToolTip(5, _plain_tip(pick.model.licence or f"{pick.model.licence_name}: an open licence"))
            if pick.model.licence:
                item.setForeground(5, _colour(fit.TIGHT))  # a licence with conditions: read it first
            item.setTextAlignment(3, Qt.AlignRight | Qt.AlignVCenter)
            item.setForeground(4, _colour(pick.verdict))
            self.tree.addTopLevelItem(item)
            if pick.model.repo_id == current:
                self.tree.setCurrentItem(item)
        self.note.setText(_note(picks, final))

    def current_repo(self) -> str:
        item = self.tree.currentItem()
        return item.data(0, Qt.UserRole).model.repo_id if item is not None else ""

    def rows(self) -> list[tuple[str, ...]]:
        """(name, good at, family, quant, size, fit, licence) of each row, as shown."""
        return [tuple(self.tree.topLevelItem(i).text(0).split("\n", 1))
                + tuple(self.tree.topLevelItem(i).text(c) for c in range(1, len(COLUMNS)))
                for i in range(self.tree.topLevelItemCount())]

    def choose(self, repo_id: str) -> None:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item.data(0, Qt.UserRole).model.repo_id == repo_id:
                self.tree.setCurrentItem(item)
                self._on_item(item)
                return

    def _on_item(self, item: QTreeWidgetItem | None, _column: int = 0) -> None:
        if item is not None:
            self.chosen.emit(item.data(0, Qt.UserRole))


def _verdict_text(pick) -> str:
    if pick.verdict == fit.FITS and not pick.quick:
        return SLOW_TEXT
    return VERDICT_TEXT.get(pick.verdict, pick.verdict)


def _note(picks: list, final: bool) -> str:
    if not picks:
        return ""
    machine = picks[0].fit
    where = f"{format_bytes(machine.available)} of {format_bytes(machine.total)} RAM free"
    if machine.gpu is not None:
        where += f" and {format_bytes(machine.gpu.free)} free on {machine.gpu.name}"
    fitting = sum(1 for p in picks if p.verdict == fit.FITS)
    quick = sum(1 for p in picks if p.verdict == fit.FITS and p.quick)
    text = (f"Ranked by what fits this computer ({where}): {fitting} of {len(picks)} fit comfortably"
            + (f", {quick} of them quick here" if quick < fitting else "") + ", the largest first.")
    estimated = sum(1 for p in picks if p.estimated)
    if estimated == len(picks):
        text += (" Sizes marked ≈ are estimates from each model's parameter count"
                 + (": the Hub could not list the files." if final else ", until the Hub lists the files…"))
    elif estimated:
        text += " Sizes marked ≈ are estimates from the parameter count; the others are the Hub's real file sizes."
    else:
        text += " Sizes are the Hub's real file sizes."
    return text + " Choose a model to see its files; the quant shown is chosen for you."
