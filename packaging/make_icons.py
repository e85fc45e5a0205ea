"""Render resources/hearth.svg into the icon files the other desktops need.

    python packaging/make_icons.py       writes resources/hearth.png (512 px), hearth.ico and hearth.icns

Windows wants an .ico and macOS an .icns; Qt's own image plugins (qico, qicns) write both from the
one SVG, so the icon has a single source. Run it again after changing the SVG and commit the results.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def render(size: int):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(RESOURCES / "hearth.svg")).render(painter)
    painter.end()
    return image


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication(sys.argv[:1])
    written = {"hearth.png": render(512), "hearth.ico": render(256), "hearth.icns": render(512)}
    for name, image in written.items():
        if not image.save(str(RESOURCES / name)):
            print(f"could not write {name}", file=sys.stderr)
            return 1
        print(RESOURCES / name, (RESOURCES / name).stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
