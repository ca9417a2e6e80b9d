"""Light and dark themes that follow the system colour scheme (Qt's style hints), on the Fusion style
so the app looks the same on every desktop.

`Theme` applies a palette for the scheme the system reports (or the one asked for: "light", "dark";
the BATCHGUI_THEME environment variable, read by the composition root) and follows the system when it
changes. Widgets take their colours from the palette (icons are recoloured when painted; status chips
carry their own colours with white text, readable on both).

`FocusRingStyle` draws a visible keyboard focus ring app-wide (2 px, in the palette's highlight
colour, or its highlighted-text colour on a selected cell): stock Fusion marks focus with a faint
1 px outline that is hard to see in either theme.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QStyleOptionComplex,
    QStyleOptionFocusRect,
    QWidget,
)

CHOICES = ("system", "light", "dark")


def dark_palette() -> QPalette:
    """Fusion's colours turned dark, with the same contrast between text and background roles."""
    palette = QPalette()
    window, base, alternate = QColor("#2b2d30"), QColor("#1e1f22"), QColor("#26282b")
    text, muted, highlight = QColor("#e6e6e6"), QColor("#9aa0a6"), QColor("#3d7bd9")
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: alternate,
        QPalette.ColorRole.ToolTipBase: QColor("#3c3f41"),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: muted,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor("#35383b"),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor("#ff6b6b"),
        QPalette.ColorRole.Light: QColor("#4a4d50"),
        QPalette.ColorRole.Midlight: QColor("#3f4245"),
        QPalette.ColorRole.Mid: QColor("#303235"),
        QPalette.ColorRole.Dark: QColor("#1b1c1e"),
        QPalette.ColorRole.Shadow: QColor("#000000"),
        QPalette.ColorRole.Highlight: highlight,
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: QColor("#6ea8fe"),
        QPalette.ColorRole.LinkVisited: QColor("#b69cff"),
    }
    for role, colour in roles.items():
        palette.setColor(role, colour)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f7378"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor("#44474a"))
    return palette


def is_dark(palette: QPalette) -> bool:
    """A palette is dark when its window is darker than its text."""
    return (
        palette.color(QPalette.ColorRole.Window).lightness()
        < palette.color(QPalette.ColorRole.WindowText).lightness()
    )


FOCUS_RING_PX = 2
# Frames and panels that mark keyboard focus by themselves (the rest use PE_FrameFocusRect).
FOCUS_PANELS = (
    QStyle.PrimitiveElement.PE_PanelButtonCommand,
    QStyle.PrimitiveElement.PE_FrameLineEdit,
)
CHECK_INDICATORS = (
    QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck,
    QStyle.PrimitiveElement.PE_IndicatorCheckBox,
)
FOCUS_CONTROLS = (QStyle.ComplexControl.CC_ComboBox, QStyle.ComplexControl.CC_SpinBox)


def draw_focus_ring(painter: QPainter, rect: QRectF, colour: QColor) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    pen = QPen(colour, FOCUS_RING_PX)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    half = FOCUS_RING_PX / 2
    painter.drawRoundedRect(rect.adjusted(half, half, -half, -half), 3, 3)
    painter.restore()


class FocusRingStyle(QProxyStyle):
    """Fusion with a focus ring keyboard users can see: buttons, fields, combo and spin boxes get a
    2 px ring in the highlight colour; check boxes, tabs and the current cell of tables and lists
    (PE_FrameFocusRect) get it too, in the highlighted-text colour where the cell is selected."""

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus)
        if element == QStyle.PrimitiveElement.PE_FrameFocusRect:
            colour = option.palette.color(QPalette.ColorRole.Highlight)
            if isinstance(option, QStyleOptionFocusRect) and option.backgroundColor == colour:
                colour = option.palette.color(QPalette.ColorRole.HighlightedText)
            draw_focus_ring(painter, QRectF(option.rect), colour)
            return
        super().drawPrimitive(element, option, painter, widget)
        if element in CHECK_INDICATORS and is_dark(option.palette):
            # Fusion's check boxes in lists (subnets, security groups) all but vanish on dark.
            painter.save()
            painter.setPen(QPen(option.palette.color(QPalette.ColorRole.PlaceholderText), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5))
            painter.restore()
        if focused and element in FOCUS_PANELS and option.state & QStyle.StateFlag.State_Enabled:
            draw_focus_ring(painter, QRectF(option.rect), option.palette.color(QPalette.ColorRole.Highlight))

    def drawComplexControl(
        self,
        control: QStyle.ComplexControl,
        option: QStyleOptionComplex,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawComplexControl(control, option, painter, widget)
        if control in FOCUS_CONTROLS and option.state & QStyle.StateFlag.State_HasFocus:
            draw_focus_ring(painter, QRectF(option.rect), option.palette.color(QPalette.ColorRole.Highlight))


class Theme(QObject):
    """Applies the light or dark palette to `app` and keeps it in step with the system's scheme."""

    def __init__(
        self,
        app: QApplication,
        choice: str = "system",
        *,
        system_scheme: Callable[[], Qt.ColorScheme] | None = None,
    ) -> None:
        super().__init__(app)
        # What the system says (a test gives its own: offscreen Qt always answers Unknown).
        self._system_scheme = system_scheme or QGuiApplication.styleHints().colorScheme
        if choice not in CHOICES:
            raise ValueError(f"theme must be one of {', '.join(CHOICES)}, not {choice!r}")
        self._app = app
        self.choice = choice
        self.style = FocusRingStyle("Fusion")
        app.setStyle(self.style)
        self._light = app.style().standardPalette()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._scheme_changed)
        self.apply()

    @property
    def dark(self) -> bool:
        if self.choice == "system":
            return self._system_scheme() == Qt.ColorScheme.Dark
        return self.choice == "dark"

    def set_choice(self, choice: str) -> None:
        if choice not in CHOICES:
            raise ValueError(f"theme must be one of {', '.join(CHOICES)}, not {choice!r}")
        self.choice = choice
        self.apply()

    def apply(self) -> None:
        self._app.setPalette(dark_palette() if self.dark else self._light)

    def _scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.choice == "system":
            self.apply()
