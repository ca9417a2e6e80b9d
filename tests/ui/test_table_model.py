from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt

from batchgui.ui.widgets.panel import make_table_view
from batchgui.ui.widgets.table_model import ROW_ROLE, Column, RowTableModel


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    size: int | None


COLUMNS = [
    Column[Row]("Name", lambda r: r.name),
    Column[Row]("Size", lambda r: "" if r.size is None else str(r.size), lambda r: r.size, align_right=True),
]


def make_model(rows: list[Row]) -> RowTableModel[Row]:
    model: RowTableModel[Row] = RowTableModel(COLUMNS, lambda r: r.key)
    model.set_rows(rows)
    return model


ROWS = [Row("a", "alpha", 3), Row("b", "beta", None), Row("c", "gamma", 1), Row("d", "delta", 2)]


def test_model_passes_qt_model_tester(qtmodeltester: Any) -> None:
    model = make_model(ROWS)
    qtmodeltester.check(model)
    model.sort(1, Qt.SortOrder.DescendingOrder)
    model.set_filter_text("a")
    qtmodeltester.check(model)


def test_sort_puts_empty_values_last_in_both_directions(qapp: Any) -> None:
    model = make_model(ROWS)
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert [r.key for r in model.visible_rows()] == ["c", "d", "a", "b"]
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert [r.key for r in model.visible_rows()] == ["a", "d", "c", "b"]


def test_filter_matches_every_word_in_any_column(qapp: Any) -> None:
    model = make_model(ROWS)
    model.set_filter_text("ALPHA 3")
    assert [r.key for r in model.visible_rows()] == ["a"]
    model.set_filter_text("")
    assert model.rowCount() == 4
    model.set_row_filter(lambda r: r.size is not None and r.size > 1)
    assert {r.key for r in model.visible_rows()} == {"a", "d"}


def test_replacing_rows_keeps_the_selected_row_selected(qapp: Any) -> None:
    model = make_model(ROWS)
    view = make_table_view(model, "t")
    model.sort(0, Qt.SortOrder.AscendingOrder)
    position = model.row_of_key("c")
    view.selectionModel().setCurrentIndex(
        model.index(position, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    # A refresh brings a new row that sorts before "gamma" and changes gamma's size.
    model.set_rows([*ROWS[:2], Row("c", "gamma", 9), ROWS[3], Row("e", "epsilon", 5)])
    current = view.selectionModel().currentIndex()
    assert model.data(current, ROW_ROLE) == Row("c", "gamma", 9)
    assert [model.row_at(i) for i in view.selectionModel().selectedRows()] == [Row("c", "gamma", 9)]


def test_a_removed_row_drops_out_of_the_selection(qapp: Any) -> None:
    model = make_model(ROWS)
    view = make_table_view(model, "t")
    view.selectionModel().setCurrentIndex(
        model.index(model.row_of_key("b"), 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    model.set_rows([r for r in ROWS if r.key != "b"])
    assert view.selectionModel().selectedRows() == []


def test_every_header_is_at_least_as_wide_as_its_title(qapp: Any, qtmodeltester: Any) -> None:
    columns = [
        Column[Row]("Desired vCPU", lambda r: r.name, width=40),
        Column[Row]("Scheduling policy", lambda r: r.name, width=60),
        Column[Row]("N", lambda r: r.name, width=200),
        Column[Row]("Last", lambda r: r.name),
    ]
    model: RowTableModel[Row] = RowTableModel(columns, lambda r: r.key)
    qtmodeltester.check(model)
    view = make_table_view(model, "headers")
    metrics = view.horizontalHeader().fontMetrics()
    view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    for number, column in enumerate(columns):
        # The title uncut, plus room for the sort arrow on the column sorted by.
        arrow = 20 if number == 1 else 0
        assert view.columnWidth(number) >= metrics.horizontalAdvance(column.title) + 8 + arrow
    assert view.columnWidth(2) == 200  # a wider configured width is kept


def test_the_header_menu_shows_and_hides_columns(qtbot: Any) -> None:
    from batchgui.ui.widgets.panel import column_menu

    model: RowTableModel[tuple[str, int]] = RowTableModel(
        [Column("Name", lambda r: r[0]), Column("Size", lambda r: str(r[1]))], lambda r: r[0]
    )
    view = make_table_view(model, "t")
    qtbot.addWidget(view)
    menu = column_menu(view)
    actions = {a.text(): a for a in menu.actions()}
    assert list(actions) == ["Name", "Size"]
    assert all(a.isChecked() for a in actions.values())
    actions["Size"].toggle()
    assert view.horizontalHeader().isSectionHidden(1)
    # The one column left can't be hidden too.
    again = {a.text(): a for a in column_menu(view).actions()}
    assert not again["Name"].isEnabled()
    again["Size"].toggle()
    assert not view.horizontalHeader().isSectionHidden(1)
