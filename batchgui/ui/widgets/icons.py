"""The app's icons: simple line drawings in resources/icons/ui/*.svg (drawn for this project, no
third-party artwork), recoloured when painted so they follow the light or dark palette, and rendered
from the SVG at whatever size and device pixel ratio is asked for (sharp on high-DPI screens).

Each SVG strokes/fills with the placeholder colour #000000; the engine puts the palette's text colour
(or a fixed colour, for status icons) in its place.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from batchgui import resources

PLACEHOLDER = "#000000"

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


@cache
def svg_text(name: str) -> str:
    """The SVG source of icons/ui/<name>.svg (KeyError when there is no such icon)."""
    file = resources.path(f"icons/ui/{name}.svg")
    if not file.is_file():
        raise KeyError(f"no icon named {name!r} in {file.parent}")
    return file.read_text(encoding="utf-8")


def icon_names() -> list[str]:
    return sorted(p.stem for p in resources.path("icons/ui").glob("*.svg"))


def _palette_colour(mode: QIcon.Mode) -> QColor:
    palette = QGuiApplication.palette()
    if mode == QIcon.Mode.Disabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    if mode == QIcon.Mode.Selected:
        return palette.color(QPalette.ColorRole.HighlightedText)
    return palette.color(QPalette.ColorRole.WindowText)


class SvgIconEngine(QIconEngine):
    """Paints one of our SVGs in a colour: fixed, or the palette's text colour at paint time."""

    def __init__(self, name: str, colour: QColor | None = None) -> None:
        super().__init__()
        self._name = name
        self._colour = colour
        self._renderers: dict[str, QSvgRenderer] = {}

    def _renderer(self, colour: QColor) -> QSvgRenderer:
        key = colour.name()
        renderer = self._renderers.get(key)
        if renderer is None:
            data = svg_text(self._name).replace(PLACEHOLDER, key)
            renderer = QSvgRenderer(QByteArray(data.encode()))
            self._renderers[key] = renderer
        return renderer

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        colour = self._colour if self._colour is not None else _palette_colour(mode)
        if self._colour is not None and mode == QIcon.Mode.Disabled:
            colour = QColor(colour)
            colour.setAlphaF(0.45)
        painter.save()
        if colour.alphaF() < 1.0:
            painter.setOpacity(colour.alphaF())
            colour = QColor(colour.red(), colour.green(), colour.blue())
        self._renderer(colour).render(painter, rect)
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
        return SvgIconEngine(self._name, self._colour)


def icon(name: str, colour: QColor | str | None = None) -> QIcon:
    """Our icon `name` (resources/icons/ui/<name>.svg), in `colour` or the palette's text colour."""
    svg_text(name)  # fail early on a misspelt name
    return QIcon(SvgIconEngine(name, QColor(colour) if colour is not None else None))


def panel_icon(panel_id: str) -> QIcon:
    return icon(PANEL_ICONS.get(panel_id, "overview"))


def action_icon(text: str) -> QIcon | None:
    """The icon for an action bar button by its text ("Delete…" -> delete), or None."""
    word = text.replace("&", "").strip(".… ").replace("/", " ").split(" ", 1)[0].lower()
    name = ACTION_ICONS.get(word)
    return icon(name) if name else None
