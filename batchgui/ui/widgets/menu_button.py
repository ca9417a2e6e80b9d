"""A button that opens a menu ("Queues: all ▾", "Options ▾"), drawn as a push button: the style
keeps the menu arrow clear of the text, at the button's right, as on the combo boxes beside it.

A QToolButton in InstantPopup mode (what these were) draws its arrow in its bottom-right corner,
inside the room of its text, so the arrow touched the last letter.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMenu, QPushButton, QWidget


def menu_button(
    text: str, menu: QMenu, name: str = "", tip: str = "", parent: QWidget | None = None
) -> QPushButton:
    """A push button that shows `menu` when pressed (click or Space)."""
    button = QPushButton(text, parent)
    button.setMenu(menu)
    if name:
        button.setObjectName(name)
    if tip:
        button.setToolTip(tip)
    return button
