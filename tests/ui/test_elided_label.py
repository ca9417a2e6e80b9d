"""The status sentence beside the Jobs search controls gives way to them in a narrow window."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from batchgui.ui.widgets.elided_label import ElidedLabel


def test_the_label_gives_way_and_keeps_its_whole_text_in_the_tooltip(qtbot: QtBot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    row = QHBoxLayout(host)
    buttons = [QPushButton(text) for text in ("Queues: all", "Created after", "Search")]
    for button in buttons:
        button.setMinimumWidth(16)  # as the Jobs toolbar sets them, so narrow windows can squeeze
        row.addWidget(button)
    label = ElidedLabel()
    text = "90,000 from history (synced 12:03), 1,200 from AWS"
    label.setText(text)
    row.addWidget(label, 1)
    needed = sum(b.sizeHint().width() for b in buttons) + 4 * row.spacing() + 40
    host.resize(needed, 40)
    host.show()
    qtbot.waitExposed(host)
    assert all(b.width() >= b.sizeHint().width() for b in buttons)
    assert label.width() < label.fontMetrics().horizontalAdvance(text)
    assert label.toolTip() == text
    host.resize(needed + label.fontMetrics().horizontalAdvance(text) + 20, 40)
    qtbot.waitUntil(lambda: label.width() >= label.fontMetrics().horizontalAdvance(text))
