"""The app's icons: the Phosphor set (MIT licence; 1.3.0, the font QtAwesome, a maintained icon
library for Qt, bundles), painted in the palette's text colour at paint time so they follow the light
or dark theme (or in a fixed colour, for status icons), from the font's vector glyphs at whatever size
and device pixel ratio is asked for (sharp on high-DPI screens).

Only that one font is registered, and drawn here directly: QtAwesome's own `icon()` imports QtPy and
loads all twelve of its fonts, 0.4 s on the GUI thread at the first icon, for one set we use.

The app names icons by what they mean (`ICON_GLYPHS`); which Phosphor glyph shows each is decided
here only.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
)

PHOSPHOR_FONT = "phosphor-1.3.0.ttf"
PHOSPHOR_CHARMAP = "phosphor-charmap-1.3.0.json"
# The glyph's size in its square, as QtAwesome draws it (16 px icons get 14 px glyphs).
GLYPH_SCALE = 0.875

# Our icon names -> Phosphor glyphs.
ICON_GLYPHS = {
    "add": "ph.plus",
    "cancel": "ph.x-circle",
    "compute-environments": "ph.cpu",
    "connect": "ph.link",
    "consumable-resources": "ph.key",
    "copy": "ph.copy",
    "csv": "ph.file-text",
    "delete": "ph.trash",
    "edit": "ph.pencil-simple",
    "export": "ph.export",
    "filter": "ph.funnel",
    "help": "ph.question",
    "info": "ph.info",
    "job-definitions": "ph.file-text",
    "job-queues": "ph.queue",
    "jobs": "ph.list-bullets",
    "logs": "ph.article",
    "messages": "ph.chat-text",
    "monitor": "ph.chart-line",
    "overview": "ph.squares-four",
    "pause": "ph.pause",
    "quit": "ph.sign-out",
    "quota-shares": "ph.chart-pie-slice",
    "refresh": "ph.arrows-clockwise",
    "scheduling-policies": "ph.scales",
    "service-environments": "ph.cloud",
    "service-jobs": "ph.brain",
    "status-busy": "ph.spinner",
    "status-failed": "ph.x-bold",
    "status-off": "ph.prohibit",
    "status-running": "ph.play-fill",
    "status-success": "ph.check-bold",
    "status-waiting": "ph.clock-bold",
    "submissions": "ph.upload-simple",
    "submit": "ph.paper-plane-tilt",
    "tag": "ph.tag",
    "toggle": "ph.toggle-left",
}

# Which icon each navigation panel shows (by panel id).
PANEL_ICONS = {
    "overview": "overview",
    "compute-environments": "compute-environments",
    "job-queues": "job-queues",
    "job-definitions": "job-definitions",
    "scheduling-policies": "scheduling-policies",
    "jobs": "jobs",
    "monitor": "monitor",
    "submissions": "submissions",
    "consumable-resources": "consumable-resources",
    "service-environments": "service-environments",
    "quota-shares": "quota-shares",
    "service-jobs": "service-jobs",
}

# Which icon an action bar button shows, by the first word of its text.
ACTION_ICONS = {
    "create": "add",
    "new": "add",
    "register": "add",
    "edit": "edit",
    "delete": "delete",
    "deregister": "delete",
    "tags": "tag",
    "enable": "toggle",
    "disable": "toggle",
    "refresh": "refresh",
    "export": "export",
    "submit": "submit",
    "cancel": "cancel",
    "terminate": "cancel",
    "copy": "copy",
    "logs": "logs",
    "log": "logs",
    "pause": "pause",
    "resubmit": "refresh",
    "retry": "refresh",
}


def glyph(name: str) -> str:
    """The Phosphor glyph of our icon `name` (KeyError when there is no such icon)."""
    try:
        return ICON_GLYPHS[name]
    except KeyError:
        raise KeyError(f"no icon named {name!r} (see ICON_GLYPHS)") from None


def icon_names() -> list[str]:
    return sorted(ICON_GLYPHS)


def _fonts_dir() -> Path:
    """QtAwesome's fonts folder, found without importing the package (that would import QtPy)."""
    spec = importlib.util.find_spec("qtawesome")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("QtAwesome is not installed: its Phosphor font draws the app's icons")
    return Path(next(iter(spec.submodule_search_locations))) / "fonts"


@cache
def _phosphor() -> tuple[str, dict[str, str]]:
    """The registered font family and each glyph's character, loaded once."""
    fonts = _fonts_dir()
    font_id = QFontDatabase.addApplicationFont(str(fonts / PHOSPHOR_FONT))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        raise RuntimeError(f"could not load the icon font {fonts / PHOSPHOR_FONT}")
    codes = json.loads((fonts / PHOSPHOR_CHARMAP).read_text(encoding="utf-8"))
    return families[0], {name: chr(int(code, 16)) for name, code in codes.items()}


def _character(glyph_name: str) -> str:
    _family, characters = _phosphor()
    return characters[glyph_name.removeprefix("ph.")]


def _palette_colour(mode: QIcon.Mode) -> QColor:
    palette = QGuiApplication.palette()
    if mode == QIcon.Mode.Disabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    if mode == QIcon.Mode.Selected:
        return palette.color(QPalette.ColorRole.HighlightedText)
    return palette.color(QPalette.ColorRole.WindowText)


class GlyphIconEngine(QIconEngine):
    """Paints one icon in a colour: fixed, or the palette's text colour at paint time."""

    def __init__(self, name: str, colour: QColor | None = None) -> None:
        super().__init__()
        self._name = name
        self._glyph = glyph(name)
        self._colour = colour

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        colour = self._colour if self._colour is not None else _palette_colour(mode)
        if self._colour is not None and mode == QIcon.Mode.Disabled:
            colour = QColor(colour)
            colour.setAlphaF(0.45)
        painter.save()
        if colour.alphaF() < 1.0:
            painter.setOpacity(colour.alphaF())
            colour = QColor(colour.red(), colour.green(), colour.blue())
        family, _characters = _phosphor()
        font = QFont(family)
        font.setPixelSize(max(1, round(GLYPH_SCALE * rect.height())))
        painter.setFont(font)
        painter.setPen(colour)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), _character(self._glyph))
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        pixmap = QPixmap(QSize(round(size.width() * scale), round(size.height() * scale)))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self.paint(painter, QRect(QPoint(0, 0), pixmap.size()), mode, state)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def clone(self) -> QIconEngine:
        return GlyphIconEngine(self._name, self._colour)


def icon(name: str, colour: QColor | str | None = None) -> QIcon:
    """Our icon `name` (see ICON_GLYPHS), in `colour` or the palette's text colour."""
    return QIcon(GlyphIconEngine(name, QColor(colour) if colour is not None else None))


def panel_icon(panel_id: str) -> QIcon:
    return icon(PANEL_ICONS.get(panel_id, "overview"))


def action_icon(text: str) -> QIcon | None:
    """The icon for an action bar button by its text ("Delete…" -> delete), or None."""
    word = text.replace("&", "").strip(".… ").replace("/", " ").split(" ", 1)[0].lower()
    name = ACTION_ICONS.get(word)
    return icon(name) if name else None
