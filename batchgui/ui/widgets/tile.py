"""A figure tile: a caption, a big value and a detail line. Used by the Monitor's "Now" row and the
Overview, where a tile is also a link (click, or Tab to it and press Enter/Space).

Captions wrap rather than being cut when the window is narrow (1024 px: "Failed (last hour)" used to
read "Failed (last ho"); the value and detail are elided, with the full text in the tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget


def muted(label: QLabel) -> None:
    """Secondary text in the palette's placeholder colour (readable in light and dark themes).

    A role, not a colour copied now: when the theme changes later (the system turns dark), the
    label follows; a copied light-theme grey stayed on the dark background, hard to read."""
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)


class Tile(QFrame):
    """A caption and a big value, with an optional detail line; `clickable` makes it a link."""

    clicked = Signal()

    def __init__(
        self, caption: str, object_name: str, parent: QWidget | None = None, *, clickable: bool = False
    ) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.caption = QLabel(caption)
        self.caption.setWordWrap(True)
        # Top-aligned: a caption given room for two lines still starts at the top of the tile.
        self.caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        muted(self.caption)
        self.value = QLabel("—")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        muted(self.detail)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        self._margins = (8, 4, 8, 4)
        layout.setContentsMargins(*self._margins)
        layout.setSpacing(1)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)
        layout.addStretch(1)
        # Tiles shrink with the window; the caption wraps (its height follows its width).
        for label in (self.value, self.detail):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.setMinimumWidth(50)
        self.clickable = clickable
        self.setAccessibleName(caption)
        if clickable:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            for label in (self.value, self.detail):
                label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)

    def show_value(self, value: str, detail: str = "", tooltip: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        if tooltip:
            self.setToolTip(tooltip)
        self.setAccessibleDescription(f"{value}. {detail}".strip(". "))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # A wrapped caption needs more lines when the tile narrows: reserve them, so the layout
        # makes the row taller instead of cutting the caption's first line off.
        left, _top, right, _bottom = self._margins
        width = max(1, self.width() - left - right - 2 * self.frameWidth())
        needed = self.caption.heightForWidth(width)
        if needed > 0 and needed != self.caption.minimumHeight():
            self.caption.setMinimumHeight(needed)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if (
            self.clickable
            and event.button() == Qt.MouseButton.LeftButton
            and self.rect().contains(event.position().toPoint())
        ):
            self.clicked.emit()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.clickable and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            return
        super().keyPressEvent(event)

    # A visible focus ring: the frame turns into the highlight colour while the tile has focus.
    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.setFrameShadow(QFrame.Shadow.Plain)
        self.setLineWidth(2)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.Highlight))
        self.setPalette(palette)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.setLineWidth(1)
        self.setFrameShadow(QFrame.Shadow.Raised)
        self.setPalette(QPalette())
