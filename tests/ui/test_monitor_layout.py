"""The Monitor at 1024x700: plot legends sit outside the data and are not clipped; tile captions wrap
instead of being cut ("Failed (last ho")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from batchgui.ui.monitor.panel import MonitorPanel
from batchgui.ui.monitor.plots import MonitorPlots
from batchgui.ui.widgets.tile import Tile
from tests.ui.jobs_stubs import FakeMonitor, panel_services

pytestmark = pytest.mark.timeout(60)


def settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def plots_at_1024() -> MonitorPlots:
    plots = MonitorPlots()
    plots.resize(830, 350)  # the plot area of the Monitor in a 1024x700 window
    plots.show()
    settle()
    plots._reflow_legends()
    settle()
    return plots


def test_legends_are_outside_the_data_and_fit(qapp: Any) -> None:
    plots = plots_at_1024()
    for plot in plots.plots:
        legend_rect = plot.legend.sceneBoundingRect()
        data_rect = plot.vb.sceneBoundingRect()
        assert not legend_rect.intersects(data_rect), plot.titleLabel.text
        assert legend_rect.top() >= data_rect.bottom()
        # Every label is inside the plot's column: nothing clipped at the right edge.
        for _sample, label in plot.legend.items:
            text_right = label.item.mapToScene(label.item.boundingRect().topRight()).x()
            assert text_right <= plot.sceneBoundingRect().right() + 1, label.text
    # Narrower: fewer legend columns, not cut labels.
    wide = {id(p): p.legend.columnCount for p in plots.plots}
    plots.resize(420, 350)
    settle()
    plots._reflow_legends()
    assert any(p.legend.columnCount < wide[id(p)] for p in plots.plots)
    plots.deleteLater()


def test_tile_captions_wrap_rather_than_cut(qapp: Any, tmp_path: Path) -> None:
    panel = MonitorPanel(panel_services(tmp_path, []), cast(Any, FakeMonitor()))
    panel.resize(840, 620)  # the panel's size in a 1024x700 window
    panel.show()
    settle()
    tile: Tile = panel.tile_failed
    caption = tile.caption
    assert caption.wordWrap()
    needed = caption.heightForWidth(caption.width())
    assert caption.height() >= needed
    one_line = caption.fontMetrics().lineSpacing()
    # It did need two lines at this width (the case that used to be cut).
    assert needed > one_line
    panel.deleteLater()


def test_each_plot_keeps_room_for_its_data_at_1024(qapp: Any) -> None:
    plots = plots_at_1024()
    for plot in plots.plots:
        # Was ~50 px under the title, time labels and legend rows.
        assert plot.vb.sceneBoundingRect().height() >= 80, plot.titleLabel.text
    plots.deleteLater()


def test_the_time_axis_labels_seconds_not_milliseconds(qapp: Any) -> None:
    plots = MonitorPlots()
    plots.resize(1750, 700)  # a 1920x1080 window
    plots.show()
    settle()
    axis = plots.vcpus.getAxis("bottom")
    start = 1_800_000_000.0
    # A run of 12 s across a wide plot: pyqtgraph's finest level labelled ticks "44.000".
    levels = axis.tickValues(start, start + 12, 1600)
    labels = [text for spacing, values in levels for text in axis.tickStrings(values, 1, spacing)]
    assert labels
    assert all(":" in text and "." not in text for text in labels), labels
    plots.deleteLater()


def test_titles_and_legend_entries_keep_their_pixels(qapp: Any) -> None:
    """They change only when an entry comes or goes: a frame of the plots blits them, not paints them
    (with 24 h of samples, painting them was a tenth of every frame)."""
    from PySide6.QtWidgets import QGraphicsItem

    from batchgui.domain.batch import Platform
    from batchgui.domain.history import History
    from batchgui.domain.samples import CapacitySample, Sample

    plots = plots_at_1024()
    history = History()
    for t in (1_800_000_000.0, 1_800_000_005.0):
        capacity = (CapacitySample("ec2-env", Platform.EC2, 64.0, 8.0, ()),)
        history.append(Sample(t, 5.0, (), capacity))
    plots.show_view(history.view(), 1_800_000_005.0 - 900, 1_800_000_005.0)
    settle()
    assert plots.capacity_keys()  # a legend entry added after the plots were built
    cached = QGraphicsItem.CacheMode.DeviceCoordinateCache
    for plot in plots.plots:
        assert plot.titleLabel.cacheMode() == cached
        for sample, label in plot.legend.items:
            assert (sample.cacheMode(), label.cacheMode()) == (cached, cached), label.text
    plots.close()


def test_plots_fit_again_after_the_window_narrows(qapp: Any) -> None:
    # Laid out for a wide window first (a maximised window made smaller): each legend held its
    # column at the old width, and at 1024x700 the right-hand plots were cut off at the edge.
    plots = MonitorPlots()
    plots.resize(1700, 700)
    plots.show()
    settle()
    plots._reflow_legends()
    settle()
    plots.resize(830, 350)
    settle()
    plots._reflow_legends()
    settle()
    right_edge = plots.graphics.viewport().width()
    for plot in plots.plots:
        shown = plots.graphics.mapFromScene(plot.sceneBoundingRect()).boundingRect()
        assert shown.right() <= right_edge + 1, plot.titleLabel.text
        for _sample, label in plot.legend.items:
            text_right = label.item.mapToScene(label.item.boundingRect().topRight()).x()
            assert text_right <= plot.sceneBoundingRect().right() + 1, label.text
    plots.deleteLater()


@pytest.fixture
def turned_dark(qapp: Any) -> Iterator[Callable[[], QPalette]]:
    """A light theme on the app; calling the fixture's value turns it dark (as the system does while
    the Monitor is open) and returns the dark palette. The app's palette is put back afterwards."""
    from batchgui.ui.theme import Theme, dark_palette

    app = cast(QApplication, qapp)
    before = app.palette()
    theme = Theme(app, "light")

    def turn() -> QPalette:
        theme.set_choice("dark")
        settle()
        return dark_palette()

    try:
        yield turn
    finally:
        app.setPalette(before)


def test_plots_follow_a_theme_change(turned_dark: Callable[[], QPalette]) -> None:
    # The plots' background, axes, titles and legends take the dark theme's colours (they kept the
    # light ones, white on black or the reverse).
    plots = plots_at_1024()
    dark = turned_dark()
    assert plots.graphics.backgroundBrush().color() == dark.color(QPalette.ColorRole.Base)
    text = dark.color(QPalette.ColorRole.WindowText)
    for plot in plots.plots:
        assert plot.getAxis("left").textPen().color() == text, plot.titleLabel.text
        assert plot.titleLabel.opts["color"] == text
        assert text.name() in plot.titleLabel.item.toHtml()
        for _sample, label in plot.legend.items:
            assert text.name() in label.item.toHtml(), label.text  # drawn in it, not just stored
    plots.deleteLater()


def test_cost_plots_follow_a_theme_change(turned_dark: Callable[[], QPalette]) -> None:
    from batchgui.ui.monitor.cost import CostPlots

    plots = CostPlots()
    plots.show()
    settle()
    dark = turned_dark()
    assert plots.graphics.backgroundBrush().color() == dark.color(QPalette.ColorRole.Base)
    text = dark.color(QPalette.ColorRole.WindowText)
    for plot in (plots.per_day, plots.shares):
        assert plot.getAxis("left").textPen().color() == text
        assert text.name() in plot.titleLabel.item.toHtml()
    plots.deleteLater()
