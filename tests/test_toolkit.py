"""The installed Qt bindings must not leak away references to None, True or False.

PySide6 6.12.0 on Python 3.11 decrements None's reference count on every call of a
void method; the app then dies with "Fatal Python error: deallocating None" after a
few thousand calls. pyproject.toml excludes it; this test catches any build like it.
"""
import sys

from PySide6.QtWidgets import QFrame


def test_void_calls_keep_none_alive(qtbot):
    frame = QFrame()
    qtbot.addWidget(frame)

    def calls(count: int) -> None:
        for _ in range(count):
            frame.setObjectName("probe")
            frame.setFrameShape(QFrame.StyledPanel)
            frame.setProperty("flag", True)
            frame.setProperty("flag", False)

    calls(100)  # let caches settle
    before = [sys.getrefcount(value) for value in (None, True, False)]
    calls(1000)
    after = [sys.getrefcount(value) for value in (None, True, False)]
    drift = [a - b for a, b in zip(after, before)]
    assert all(abs(d) < 50 for d in drift), f"reference counts of None/True/False drifted by {drift}"
