"""Status chips (colour + icon + text), the app's own icons, and empty states with their button."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem

from batchgui.domain.batch import JobStatus
from batchgui.ui.compute_envs.panel import ComputeEnvironmentsPanel
from batchgui.ui.job_definitions.panel import JobDefinitionsPanel
from batchgui.ui.queues.panel import JobQueuesPanel
from batchgui.ui.scheduling_policies.panel import SchedulingPoliciesPanel
from batchgui.ui.widgets.icons import PANEL_ICONS, action_icon, glyph, icon, icon_names
from batchgui.ui.widgets.status import (
    TONE_STYLES,
    StatusChip,
    StatusChipDelegate,
    Tone,
    chip_label,
    tone_of,
)
from tests.ui.inventory_stubs import StubPanelServices, environment, stub_panel_services

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def stub(qapp: Any, tmp_path: Path, event_loop_qt: Any) -> Iterator[StubPanelServices]:
    yield from stub_panel_services(tmp_path)


def test_every_status_has_a_tone_an_icon_and_words() -> None:
    for status in JobStatus:
        assert tone_of(status.value) is not Tone.UNKNOWN, status
    assert tone_of("SUCCEEDED") is Tone.SUCCESS
    assert tone_of("FAILED") is Tone.FAILURE
    assert tone_of("RUNNABLE") is Tone.WAITING
    assert tone_of("SUBMITTED") is Tone.WAITING  # a job waiting to be scheduled
    assert tone_of("submitted") is Tone.SUCCESS  # a CSV row that was sent
    assert tone_of("dry run") is Tone.OFF
    for word in ("VALID", "ENABLED", "ACTIVE"):
        assert tone_of(word) is Tone.SUCCESS
    for word in ("INVALID", "interrupted"):
        assert tone_of(word) is Tone.FAILURE
    assert tone_of("CREATING") is Tone.BUSY
    assert tone_of("DISABLED") is Tone.OFF
    assert tone_of("something new") is Tone.UNKNOWN
    assert chip_label("RUNNABLE") == "Runnable"
    assert chip_label("DRY_RUN") == "Dry run"
    # Never colour alone: the tones that mean different things have different icons.
    meaningful = [t for t in Tone if t is not Tone.UNKNOWN]
    assert len({TONE_STYLES[t].icon for t in meaningful}) == len(meaningful)


def test_chip_widget_says_the_status_to_screen_readers(qapp: Any) -> None:
    chip = StatusChip("FAILED")
    assert chip.text == "Failed"
    assert "Failed" in chip.accessibleName()
    assert "failed" in chip.accessibleName().lower()
    assert chip.sizeHint().width() > chip.fontMetrics().horizontalAdvance("Failed")
    chip.resize(chip.sizeHint())
    image = chip.grab().toImage()
    # Filled with its tone's colour (with the icon and text drawn on it).
    fill = QColor(TONE_STYLES[Tone.FAILURE].colour)
    row = image.height() // 2
    assert any(image.pixelColor(x, row) == fill for x in range(image.width()))


def test_icons_render_sharp_and_follow_the_palette(qapp: Any) -> None:
    names = icon_names()
    for panel_icon_name in PANEL_ICONS.values():
        assert panel_icon_name in names
    for name in names:
        pixmap = icon(name).pixmap(QSize(24, 24))
        assert not pixmap.isNull(), name
        image = pixmap.toImage()
        assert any(image.pixelColor(x, y).alpha() > 0 for x in range(24) for y in range(24)), name
    with pytest.raises(KeyError):
        glyph("no-such-icon")
    with pytest.raises(KeyError):
        icon("no-such-icon")
    assert action_icon("Delete…") is not None
    assert action_icon("Enable/Disable") is not None
    assert action_icon("Frobnicate") is None
    # High DPI: asked for 2x, the pixmap has twice the pixels, not an upscaled 1x one.
    scaled = icon("jobs").pixmap(QSize(24, 24), 2.0)
    assert scaled.width() == 48
    assert scaled.devicePixelRatio() == 2.0

    # Recoloured from the palette: a dark theme's light text gives light strokes.
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    try:
        dark = QPalette(before)
        dark.setColor(QPalette.ColorRole.WindowText, QColor("#f0f0f0"))
        app.setPalette(dark)
        image = icon("add").pixmap(QSize(24, 24)).toImage()
        lightest = max(
            (image.pixelColor(x, y) for x in range(24) for y in range(24)),
            key=lambda c: (c.alpha(), c.lightness()),
        )
        assert lightest.lightness() > 200
    finally:
        app.setPalette(before)


def test_delegate_paints_a_chip_with_text_and_icon(
    qapp: Any, stub: StubPanelServices, run_async: Any
) -> None:
    stub.inventory.environments = [environment("fg-a")]
    panel = ComputeEnvironmentsPanel(stub.services, stub.inventory)
    run_async(panel.load())
    column = [c.title for c in panel.model.columns].index("State")
    delegate = panel.table.itemDelegateForColumn(column)
    assert isinstance(delegate, StatusChipDelegate)
    index = panel.model.index(0, column)
    option = QStyleOptionViewItem()
    option.rect = panel.table.visualRect(index)
    option.font = panel.table.font()
    option.rect.setSize(QSize(120, 22))
    option.rect.moveTo(0, 0)
    image = QImage(120, 22, QImage.Format.Format_ARGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    delegate.paint(painter, option, index)
    painter.end()
    chip_colour = QColor(TONE_STYLES[Tone.SUCCESS].colour)
    assert any(image.pixelColor(x, 11) == chip_colour for x in range(120))
    assert delegate.sizeHint(option, index).width() > 40
    panel.deleteLater()


def test_every_inventory_table_shows_status_chips(stub: StubPanelServices) -> None:
    for panel_type in (
        ComputeEnvironmentsPanel,
        JobQueuesPanel,
        JobDefinitionsPanel,
        SchedulingPoliciesPanel,
    ):
        panel = panel_type(stub.services, stub.inventory)
        titles = [c.title for c in panel.model.columns]
        status_columns = [n for n, t in enumerate(titles) if t in ("Status", "State")]
        if panel_type is not SchedulingPoliciesPanel:
            assert status_columns, panel_type
        for number in status_columns:
            assert isinstance(panel.table.itemDelegateForColumn(number), StatusChipDelegate)
        panel.deleteLater()


def test_an_empty_inventory_panel_offers_its_create_button(
    stub: StubPanelServices, qtbot: Any, run_async: Callable[..., Any], wait_until: Callable[..., None]
) -> None:
    panel = ComputeEnvironmentsPanel(stub.services, stub.inventory)
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    assert panel.empty_state.shown() is None  # not before the first load
    run_async(panel.load())
    panel.load_count += 1  # what refresh() does after load() (no connection in the stub)
    panel.loaded.emit()
    shown = panel.empty_state.shown()
    assert shown is not None
    assert shown.title == "No compute environments yet"
    assert "Fargate or EC2" in shown.hint_label.text()
    assert shown.button.text() == "Create a compute environment… (Ctrl+Shift+N)"
    shown.button.click()
    wait_until(lambda: panel.wizard is not None, what="the create wizard")
    assert panel.wizard is not None
    panel.wizard.reject()
    wait_until(lambda: panel.wizard is None, what="the wizard to close")

    # Rows hidden by a filter: the empty state says so and clears it.
    stub.inventory.environments = [environment("fg-a")]
    run_async(panel.load())
    assert panel.empty_state.shown() is None
    panel.filter_edit.setText("nothing matches this")
    shown = panel.empty_state.shown()
    assert shown is panel.empty_state.filter_state
    shown.button.click()
    assert panel.filter_edit.text() == ""
    assert panel.model.rowCount() == 1
    assert panel.empty_state.shown() is None
    state_filter = panel.state_filter
    state_filter.setCurrentText("DISABLED")
    assert panel.empty_state.shown() is panel.empty_state.filter_state
    panel.empty_state.filter_state.button.click()
    assert state_filter.currentIndex() == 0
    assert panel.model.rowCount() == 1
    assert stub.errors == []
