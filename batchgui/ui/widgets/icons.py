"""The app's icons: the Phosphor set (MIT licence; 1.3.0, bundled with QtAwesome, a maintained icon
library for Qt), painted in the palette's text colour at paint time so they follow the light or dark
theme (or in a fixed colour, for status icons), from the font's vector glyphs at whatever size and
device pixel ratio is asked for (sharp on high-DPI screens).

The app names icons by what they mean (`ICON_GLYPHS`); which Phosphor glyph shows each is decided
here only.
"""

from __future__ import annotations

import os
from functools import cache

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap

# QtAwesome draws through QtPy, which must pick the binding the app runs on (not another one that
# happens to be installed).
os.environ.setdefault("QT_API", "pyside6")

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


@cache
def _font_icon(glyph_name: str, colour: str) -> QIcon:
    import qtawesome

    drawn: QIcon = qtawesome.icon(glyph_name, color=colour)
    return drawn


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
        _font_icon(self._glyph, colour.name()).paint(painter, rect)
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
