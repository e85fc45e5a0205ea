"""Help ▸ Keyboard shortcuts (F1): every key the window answers, read from where the key is defined.

Nothing here is a hand-kept list. The menus' QActions say their own shortcuts (all of them, not only
the one a menu shows), widgets that answer keys while they have focus carry them as their own
actions, and the message box, which takes its keys before any shortcut can, exports them as data
that its key handler reads too. The window is rebuilt each time it opens, so it never goes stale.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QMenuBar, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout)

# (group title, [(key sequences, what they do)])
Group = tuple[str, list[tuple[Sequence[QKeySequence], str]]]


def plain_label(text: str) -> str:
    """A menu text as a sentence reads it: no mnemonic ampersands, no trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").removesuffix("…").strip()


def action_keys(actions: Iterable[QAction]) -> list[tuple[Sequence[QKeySequence], str]]:
    rows = []
    for action in actions:
        keys = [key for key in action.shortcuts() if not key.isEmpty()]
        if keys and action.text():
            rows.append((keys, plain_label(action.text())))
    return rows


def menu_groups(menu_bar: QMenuBar) -> list[Group]:
    """One group per menu, its submenus' actions included, in the order the menu shows them; an action
    in two menus is listed in the first."""
    groups, seen = [], set()
    for top in menu_bar.actions():
        menu = top.menu()
        if menu is None:
            continue
        pending, actions = list(menu.actions()), []
        while pending:
            action = pending.pop(0)
            if action.menu() is not None:
                pending[:0] = action.menu().actions()
            elif not action.isSeparator() and action not in seen:
                seen.add(action)
                actions.append(action)
        rows = action_keys(actions)
        if rows:
            groups.append((plain_label(top.text()), rows))
    return groups


def key_text(keys: Sequence[QKeySequence]) -> str:
    return "  or  ".join(key.toString(QKeySequence.NativeText) for key in keys)


class ShortcutsWindow(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcutsWindow")
        self.resize(560, 560)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Keys", "Does"])
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        self.table.setAccessibleName("Keyboard shortcuts")
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

    def show_groups(self, groups: list[Group]) -> None:
        self.table.clear()
        for title, rows in groups:
            heading = QTreeWidgetItem(self.table, [title])
            heading.setFirstColumnSpanned(True)
            font = heading.font(0)
            font.setBold(True)
            heading.setFont(0, font)
            heading.setFlags(Qt.ItemIsEnabled)
            for keys, what in rows:
                QTreeWidgetItem(self.table, [key_text(keys), what]).setFlags(Qt.ItemIsEnabled)

    def rows(self) -> list[tuple[str, str]]:
        """What the window shows, row by row: (keys, what they do), a group's title alone as (title, "")."""
        items = (self.table.topLevelItem(row) for row in range(self.table.topLevelItemCount()))
        return [(item.text(0), item.text(1)) for item in items]
