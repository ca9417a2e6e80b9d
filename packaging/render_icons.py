"""Render the app icon from resources/icons/batchgui.svg into every format a platform wants.

Run at build time (packaging/build.sh) into the build folder rather than committing PNGs: the SVG
stays the only source, so a changed icon can never leave stale bitmaps behind, and rendering all
sizes with Qt's QSvgRenderer takes a fraction of a second.

Output (OUT_DIR):
  hicolor/<n>x<n>/apps/<APP_ID>.png for the freedesktop icon theme sizes, and
  hicolor/scalable/apps/<APP_ID>.svg               (Linux .desktop integration)
  batchgui.ico                                     (Windows executable and installer)
  batchgui.icns                                    (macOS app bundle)
  batchgui-256.png                                 (anything else that wants one bitmap)

Usage: python packaging/render_icons.py OUT_DIR [--svg PATH] [--app-id ID]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

APP_ID = "io.github.batchgui.BatchGui"
ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "batchgui.svg"
# The freedesktop hicolor theme's usual fixed sizes (16..512; 512 for software centres).
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render_icons(out_dir: Path, svg: Path = SVG, app_id: str = APP_ID) -> list[Path]:
    """Write every icon file into out_dir and return their paths (starts an offscreen Qt if none runs)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    # Image plugins (ico, icns) are loaded through the application object.
    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG image Qt can render")

    def render(size: int) -> QImage:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        return image

    written: list[Path] = []

    def save(image: QImage, path: Path, kind: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path), kind):  # type: ignore[call-overload]  # stubs say bytes; str works
            raise OSError(f"Qt could not write {path} ({kind}); is its image-format plugin installed?")
        written.append(path)

    for size in SIZES:
        save(render(size), out_dir / "hicolor" / f"{size}x{size}" / "apps" / f"{app_id}.png", "PNG")
    scalable = out_dir / "hicolor" / "scalable" / "apps" / f"{app_id}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    written.append(scalable)
    save(render(256), out_dir / "batchgui-256.png", "PNG")
    save(render(256), out_dir / "batchgui.ico", "ICO")
    save(render(512), out_dir / "batchgui.icns", "ICNS")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--svg", type=Path, default=SVG)
    parser.add_argument("--app-id", default=APP_ID)
    args = parser.parse_args(argv)
    files = render_icons(args.out_dir, args.svg, args.app_id)
    print(f"render_icons: {len(files)} files in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
