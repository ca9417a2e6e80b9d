"""The job context menu offers only what can act on the selected jobs (with the reason in the
tooltip), and the focus ring is visible in light and dark."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QVBoxLayout, QWidget

from batchgui.domain.batch import JobStatus
from batchgui.ui.jobs.panel import JobsPanel
from batchgui.ui.theme import Theme
from tests.ui.jobs_stubs import FakeJobs, FakeStore, job, panel_services

pytestmark = pytest.mark.timeout(60)
Wait = Callable[..., None]


def menu_of(panel: JobsPanel, job_ids: list[str]) -> dict[str, tuple[bool, str]]:
    panel.table.clearSelection()
    for row in range(panel.model.rowCount()):
        index = panel.model.index(row, 0)
        found = panel.model.job_at(index)
        if found is not None and found.job_id in job_ids:
            panel.table.selectionModel().select(
                index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            )
    menu = panel.context_menu()
    assert menu is not None
    return {a.text(): (a.isEnabled(), a.toolTip()) for a in menu.actions() if a.text()}


def test_finished_jobs_offer_no_cancel_or_terminate(tmp_path: Path, wait_until: Wait) -> None:
    errors: list[BaseException] = []
    fake = FakeJobs(
        [
            job("ok"),
            job("bad", JobStatus.FAILED),
            job("run", JobStatus.RUNNING),
            job("wait", JobStatus.RUNNABLE),
        ]
    )
    panel = JobsPanel(panel_services(tmp_path, errors), cast(Any, fake), cast(Any, FakeStore(fake)))
    panel.refresh()
    wait_until(lambda: panel.load_count >= 1, what="loaded")
    panel.model.flush()

    succeeded = menu_of(panel, ["ok"])
    assert succeeded["Cancel…"][0] is False
    assert succeeded["Terminate…"][0] is False
    assert "finished" in succeeded["Terminate…"][1]
    assert "not started" in succeeded["Cancel…"][1]
    assert succeeded["Resubmit failed…"][0] is False
    assert succeeded["Clone…"][0] is True

    failed = menu_of(panel, ["bad"])
    assert failed["Terminate…"][0] is False
    assert failed["Resubmit failed…"][0] is True

    running = menu_of(panel, ["run"])
    assert running["Terminate…"][0] is True
    assert running["Cancel…"][0] is False
    waiting = menu_of(panel, ["wait", "ok"])
    assert waiting["Cancel…"][0] is True
    assert waiting["Terminate…"][0] is True
    assert errors == []
    panel.deleteLater()


def ring_pixels(image: QImage, colour: QColor) -> int:
    """Pixels of (nearly) the focus ring's colour on the widget's border band."""
    count = 0
    for y in range(image.height()):
        for x in range(image.width()):
            if 3 <= x < image.width() - 3 and 3 <= y < image.height() - 3:
                continue
            pixel = image.pixelColor(x, y)
            if (
                abs(pixel.red() - colour.red())
                + abs(pixel.green() - colour.green())
                + abs(pixel.blue() - colour.blue())
                < 60
            ):
                count += 1
    return count


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_keyboard_focus_draws_a_ring_in_the_highlight_colour(qapp: QApplication, scheme: str) -> None:
    theme = Theme(qapp, scheme)
    try:
        window = QWidget()
        layout = QVBoxLayout(window)
        button, field, other = QPushButton("Submit…"), QLineEdit("text"), QPushButton("Other")
        for widget in (button, field, other):
            widget.setFixedSize(160, 32)
            layout.addWidget(widget)
        window.show()
        QTest.qWaitForWindowExposed(window)
        highlight = qapp.palette().color(QPalette.ColorRole.Highlight)
        for widget in (button, field):
            other.setFocus()
            QTest.qWait(20)
            unfocused = ring_pixels(widget.grab().toImage(), highlight)
            widget.setFocus()
            QTest.qWait(20)
            focused = ring_pixels(widget.grab().toImage(), highlight)
            perimeter = 2 * (widget.width() + widget.height())
            # A 2 px ring around the whole widget (stock Fusion: a faint 1 px tint, or none).
            assert focused - unfocused >= 1.5 * perimeter, (type(widget).__name__, scheme, focused, unfocused)
        window.close()
    finally:
        theme.set_choice("light")
