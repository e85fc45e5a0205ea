"""Screenshot of a whole X display, for checks that run the installed app under Xvfb.

    python packaging/x11_screenshot.py shot.png      (DISPLAY names the display)

Prints the image's size and how many colours it holds; exits 1 when the screen is one flat colour
(nothing was drawn). Qt's xcb platform reads the root window, so no ImageMagick is needed.
"""
from __future__ import annotations

import os
import sys


def main() -> int:
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])
    image = app.primaryScreen().grabWindow(0).toImage()
    step = max(1, image.width() // 200)
    colours = {image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)}
    image.save(sys.argv[1])
    print(f"{sys.argv[1]}: {image.width()}x{image.height()}, {len(colours)} colours")
    return 0 if len(colours) > 8 else 1


if __name__ == "__main__":
    raise SystemExit(main())
