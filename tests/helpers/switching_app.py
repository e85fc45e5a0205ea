"""Run the real Hearth app (no model), click the second chat in the sidebar, print its id, and keep running
until the test kills this process with SIGKILL. HEARTH_HOME comes from the environment."""
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.main import Hearth  # noqa: E402
from app.paths import Paths  # noqa: E402


def main() -> None:
    app = QApplication([])
    hearth = Hearth(Paths.from_environment(), include_starter=False)
    hearth.start()
    first = hearth.chat.conversation.id

    hearth.window.activateWindow()

    def switch() -> None:
        if not hearth.window.isActiveWindow():  # as a user would: once the window is there
            QTimer.singleShot(20, switch)
            return
        sidebar = hearth.window.conversations.list
        second = hearth.window.conversations.item_of(hearth.store.conversations()[1].id)  # under its date header
        QTest.mouseClick(sidebar.viewport(), Qt.LeftButton, pos=sidebar.visualItemRect(second).center())
        print(f"opened {hearth.chat.conversation.id} after {first}", flush=True)

    QTimer.singleShot(0, switch)
    app.exec()


if __name__ == "__main__":
    main()
