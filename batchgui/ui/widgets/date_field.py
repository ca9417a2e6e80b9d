"""A date-time field that is one Tab stop: Tab leaves the field instead of walking through its
year, month, day, hour and minute sections (two such fields were ~10 stops). The sections are still
reached with the arrow keys (Left/Right move between them, Up/Down change one)."""

from __future__ import annotations

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QDateTimeEdit, QWidget


class DateTimeField(QDateTimeEdit):
    def __init__(self, value: QDateTime | None = None, parent: QWidget | None = None) -> None:
        super().__init__(value if value is not None else QDateTime.currentDateTime(), parent)

    def focusNextPrevChild(self, next: bool) -> bool:
        # QDateTimeEdit moves between its sections here; a form moves to the next field.
        return QWidget.focusNextPrevChild(self, next)
