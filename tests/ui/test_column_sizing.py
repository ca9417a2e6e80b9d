"""The one column-sizing rule (ui/widgets/columns.py) on real panels at 1024x700 and 1600x1000: chips
never cut, the Overview's tables fit without scrolling sideways, tables open scrolled to their first
column, the sidebar shows every label, and saved layouts keep natural widths."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTableView

from batchgui.app import Application
from batchgui.domain.connection import ConnectionSpec
from batchgui.ui.jobs.panel import JobsPanel
from batchgui.ui.main_window import navigation_width
from batchgui.ui.overview.panel import OverviewPanel
from batchgui.ui.widgets.columns import header_state, restore_header, shrink_to_fit
from batchgui.ui.widgets.panel import make_table_view
from batchgui.ui.widgets.status import StatusChipDelegate, chip_column_width
from batchgui.ui.widgets.table_model import Column, RowTableModel
from tests.support import MotoEndpoint, seed_batch

pytestmark = pytest.mark.timeout(120)


def settle(wait_until: Callable[..., None], seconds: float = 0.3) -> None:
    import time

    end = time.monotonic() + seconds
    wait_until(lambda: time.monotonic() >= end, what="layout settled")


def chip_columns(view: QTableView) -> list[int]:
    return [
        n
        for n in range(view.model().columnCount())
        if isinstance(view.itemDelegateForColumn(n), StatusChipDelegate)
    ]


def test_elastic_columns_give_width_in_proportion_down_to_their_floors() -> None:
    natural, floors = [100, 200, 300, 80], [100, 100, 150, 80]
    elastic = [False, True, True, False]
    assert shrink_to_fit(natural, floors, elastic, 1000) == natural  # it fits: nothing changes
    # 180 px too wide; the elastic columns can give 100 and 150: 72 and 108 of the 180.
    assert shrink_to_fit(natural, floors, elastic, 500) == [100, 128, 192, 80]
    # Never below a floor, even when the table still cannot fit.
    assert shrink_to_fit(natural, floors, elastic, 100) == [100, 100, 150, 80]


@pytest.mark.parametrize("size", [(1024, 700), (1600, 1000)])
def test_jobs_and_overview_at_window_sizes(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    wait_until: Callable[..., None],
    size: tuple[int, int],
) -> None:
    seed_batch(moto)
    app = make_app(moto)
    app.window.resize(*size)
    app.start(ConnectionSpec.local())
    overview = app.window.current_panel()
    assert isinstance(overview, OverviewPanel)
    wait_until(lambda: overview.load_count > 0 and overview.env_model.rowCount() > 0, what="overview")
    settle(wait_until)
    # The Overview's tables need no horizontal scrolling at 1024 (the queue table needed it, and
    # the environments table cut its Status column).
    for table in (overview.queue_table, overview.env_table, overview.failure_table):
        assert table.horizontalScrollBar().maximum() == 0, (table.objectName(), size)
        for column in chip_columns(table):
            assert table.columnWidth(column) >= chip_column_width(table), (table.objectName(), column)

    # The sidebar shows every panel's name uncut, each with its name as a tooltip.
    navigation = app.window.navigation
    assert navigation.width() >= navigation_width(navigation) - 2
    widest = max(navigation.fontMetrics().horizontalAdvance(p.title) for p in app.window.panels)
    assert navigation.viewport().width() >= widest + navigation.iconSize().width()
    assert navigation.item(1).toolTip() == navigation.item(1).text()

    jobs = app.window.show_panel("jobs")
    assert isinstance(jobs, JobsPanel)
    wait_until(lambda: jobs.load_count > 0, timeout=30, what="jobs loaded")
    settle(wait_until)
    table = jobs.table
    # Status chips are never cut ("Succee…"), and the table opens on its first column.
    (status,) = chip_columns(table)
    assert table.columnWidth(status) >= chip_column_width(table)
    assert table.horizontalScrollBar().value() == 0
    assert table.columnViewportPosition(0) == 0
    # The name and status columns are in view, whole.
    for column in (0, status):
        right = table.columnViewportPosition(column) + table.columnWidth(column)
        assert right <= table.viewport().width(), (column, size)
    if size[0] >= 1600:
        # Wide enough: the free-text columns narrow so that (nearly) every column is in view.
        assert table.horizontalScrollBar().maximum() <= 40


def test_a_restored_narrow_status_column_is_widened_to_its_chips(qapp: QApplication) -> None:
    rows = [("a", "SUCCEEDED")]
    columns = [
        Column[tuple[str, str]]("Name", lambda r: r[0], width=180),
        Column[tuple[str, str]]("Status", lambda r: r[1], width=120),
        Column[tuple[str, str]]("Status reason", lambda r: r[0], width=200),
    ]
    model: RowTableModel[tuple[str, str]] = RowTableModel(columns, lambda r: r[0])
    model.set_rows(rows)
    view = make_table_view(model, "restored")
    from batchgui.ui.widgets.status import use_status_chips

    use_status_chips(view)
    view.resize(900, 300)
    view.show()
    QTest.qWait(100)
    # A layout saved by an older version, with Status at 60 px (chips showed "Succee…").
    view.horizontalHeader().resizeSection(1, 60)
    saved = QByteArray(view.horizontalHeader().saveState())
    restore_header(view, saved)
    assert view.columnWidth(1) >= chip_column_width(view)
    view.resize(330, 300)
    QTest.qWait(100)
    # Squeezed: the free text gives way, the chips do not; the saved layout keeps natural widths.
    assert view.columnWidth(1) >= chip_column_width(view)
    assert view.columnWidth(0) < 180
    other = make_table_view(model, "other")
    restore_header(other, header_state(view))
    assert other.columnWidth(0) == 180
    assert other.horizontalHeader().sortIndicatorOrder() in (
        Qt.SortOrder.AscendingOrder,
        Qt.SortOrder.DescendingOrder,
    )
    view.close()


def test_a_table_not_on_screen_is_fitted_when_shown_not_before(qapp: QApplication) -> None:
    # Start-up fitted the columns of every panel's tables, shown or not (83 fits, a tenth of a
    # profiled start); a hidden table has no width to fit to.
    columns = [
        Column[tuple[str, str]]("Name", lambda r: r[0], width=180),
        Column[tuple[str, str]]("Queue", lambda r: r[1], width=120),
        Column[tuple[str, str]]("Status reason", lambda r: r[0], width=200),
    ]
    model: RowTableModel[tuple[str, str]] = RowTableModel(columns, lambda r: r[0])
    model.set_rows([("a", "q")])
    view = make_table_view(model, "hidden")
    header = view.horizontalHeader()
    assert [header.sectionSize(n) for n in range(3)] == [180, 120, 200]  # as declared, unfitted
    view.resize(900, 300)
    view.show()
    QTest.qWait(50)
    # Shown: fitted, the last column filling the rest of the viewport.
    assert sum(header.sectionSize(n) for n in range(3)) == view.viewport().width()
    view.close()
