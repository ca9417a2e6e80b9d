from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from batchgui.ui.connection_bar import ConnectionBar


def _owner(bar: ConnectionBar, widget: QWidget | None) -> QWidget | None:
    # An editable combo box gives focus to its own line edit.
    controls = (bar.target, bar.region, bar.endpoint, bar.connect_button)
    while widget is not None and widget not in controls:
        widget = widget.parentWidget()
    return widget


def test_controls_are_named_for_screen_readers_and_tab_in_order(qtbot: Any) -> None:
    bar = ConnectionBar()
    qtbot.addWidget(bar)
    bar.target.addItem("prod  (SSO)", "prod")
    bar.target.setCurrentIndex(1)  # a profile: region and endpoint are enabled
    bar.show()
    bar.activateWindow()
    qtbot.waitUntil(bar.isActiveWindow)
    assert all(
        w.accessibleName() for w in (bar.target, bar.region, bar.endpoint, bar.connect_button, bar.status)
    )
    bar.target.setFocus(Qt.FocusReason.TabFocusReason)
    visited = [_owner(bar, QApplication.focusWidget())]
    for _ in range(3):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(_owner(bar, QApplication.focusWidget()))
    assert visited == [bar.target, bar.region, bar.endpoint, bar.connect_button]
