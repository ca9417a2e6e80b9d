"""A date-time field is one Tab stop (it used to take one per section: year, month, day, hour, minute)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDateTimeEdit, QLineEdit, QVBoxLayout, QWidget

from batchgui.ui.widgets.date_field import DateTimeField


def tab_stops(qtbot: Any, field_type: type[QDateTimeEdit]) -> int:
    form = QWidget()
    qtbot.addWidget(form)
    first, after = QLineEdit(), QLineEdit()
    field = field_type()
    field.setDisplayFormat("yyyy-MM-dd HH:mm")
    layout = QVBoxLayout(form)
    for widget in (first, field, after):
        layout.addWidget(widget)
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    field.setFocus()
    presses = 0
    while QApplication.focusWidget() is not after and presses < 10:
        qtbot.keyClick(QApplication.focusWidget() or field, Qt.Key.Key_Tab)
        presses += 1
    form.close()
    return presses


def test_one_tab_leaves_the_date_time_field(qtbot: Any) -> None:
    assert tab_stops(qtbot, QDateTimeEdit) > 1  # Qt's own: Tab walks the sections
    assert tab_stops(qtbot, DateTimeField) == 1


def test_arrows_still_change_a_section(qtbot: Any) -> None:
    field = DateTimeField()
    qtbot.addWidget(field)
    field.setDisplayFormat("yyyy-MM-dd HH:mm")
    field.show()
    field.setFocus()
    field.setCurrentSection(QDateTimeEdit.Section.YearSection)
    year = field.date().year()
    qtbot.keyClick(field, Qt.Key.Key_Up)
    assert field.date().year() == year + 1
