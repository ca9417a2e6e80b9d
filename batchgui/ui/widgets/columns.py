"""How every table sizes its columns: one rule, applied by `ColumnFitter` (make_table_view installs
it on each table it makes).

- Each column has a natural width (what the table declared, widened to its header title and, for a
  status column, to its widest chip) and a floor it never goes below: its title, its chips, and for
  long free-text columns half their natural width (at least ELASTIC_FLOOR px; FIRST_COLUMN_FLOOR for
  the first column, which names the row).
- When the columns' natural widths add up to more than the view is wide, the *elastic* columns —
  long free text such as names, ids and reasons, whose cells elide with a tooltip — give up width
  first, in proportion to what they can give, down to their floors. Status chips, numbers and times
  are never squeezed, so "Succeeded" is never cut to "Succee…".
- Spare width goes to the last column.
- A column the user drags to a width keeps that width as its natural one; the view never scrolls
  sideways by itself (the first column stays in view when a table opens or refreshes).

Sizing reads font metrics and declared widths only, never the rows (sizing to contents is O(rows)).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QByteArray, QObject, Qt
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QTableView

HEADER_MARGINS = 14  # the header section's text margins on both sides
SORT_ARROW = 20  # the sort indicator and its gap: only the column sorted by needs room for it
# Columns this wide or wider by declaration are free text (names, ids, reasons): they may narrow.
ELASTIC_FROM = 150
ELASTIC_FLOOR = 90
# The first column names the row (a job's name): it keeps this much when it must narrow.
FIRST_COLUMN_FLOOR = 150


def header_width(metrics: QFontMetrics, title: str, sorted_by: bool = True) -> int:
    """The width a header section needs to show `title` (its widest line) uncut, with the sort
    indicator when the table is sorted by this column."""
    widest = max(metrics.horizontalAdvance(line) for line in title.split("\n"))
    return widest + HEADER_MARGINS + (SORT_ARROW if sorted_by else 0)


def sorted_by(view: QTableView, column: int) -> bool:
    header = view.horizontalHeader()
    return header.isSortIndicatorShown() and header.sortIndicatorSection() == column


def header_metrics(view: QTableView) -> QFontMetrics:
    """Header text measured in bold, as styles that embolden header text need it."""
    font = QFont(view.horizontalHeader().font())
    font.setBold(True)
    return QFontMetrics(font)


def title_of(view: QTableView, column: int) -> str:
    return str(view.model().headerData(column, Qt.Orientation.Horizontal) or "")


def fit_headers(view: QTableView) -> None:
    """Widen every column that is narrower than its header title (with the sort arrow on the column
    sorted by), from font metrics only."""
    header = view.horizontalHeader()
    metrics = header_metrics(view)
    for number in range(view.model().columnCount()):
        needed = header_width(metrics, title_of(view, number), sorted_by(view, number))
        if header.sectionSize(number) < needed:
            header.resizeSection(number, needed)


def shrink_to_fit(natural: list[int], floors: list[int], elastic: list[bool], available: int) -> list[int]:
    """The widths that fit `available` px when the elastic columns give up width (in proportion to
    what each can give, never below its floor); the natural widths when they already fit."""
    excess = sum(natural) - available
    give = [max(0, n - f) if e else 0 for n, f, e in zip(natural, floors, elastic, strict=True)]
    room = sum(give)
    if excess <= 0 or room == 0:
        return list(natural)
    share = min(1.0, excess / room)
    # Rounded up, so the sum never passes `available` (the last column takes up the slack).
    return [n - min(g, math.ceil(g * share)) for n, g in zip(natural, give, strict=True)]


class ColumnFitter(QObject):
    """Keeps `view`'s columns to the rule above as the view is resized (a FittingTableView calls
    `fit`), columns are shown or hidden, or the user drags a column edge."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self.setObjectName("columnFitter")
        self.view = view
        self._natural: dict[int, int] = {}
        self._fixed: set[int] = set()  # sized by the user: kept, never squeezed
        self._adjusting = False
        header = view.horizontalHeader()
        header.setStretchLastSection(False)  # the fitter stretches it (see fit)
        header.sectionResized.connect(self._section_resized)
        header.sectionCountChanged.connect(lambda _old, _new: self.adopt_widths())
        # The column sorted by needs room for the arrow.
        header.sortIndicatorChanged.connect(lambda _column, _order: self.fit())
        self.adopt_widths()

    # --- what the columns want ----------------------------------------------------------------
    def adopt_widths(self) -> None:
        """Take the columns' current widths as their natural widths (after a table declared its
        widths, widened its status columns, or restored a saved layout), then fit."""
        header = self.view.horizontalHeader()
        self._natural = {n: header.sectionSize(n) for n in range(header.count())}
        self._fixed.clear()
        self.fit()

    def natural_state(self) -> QByteArray:
        """The header's saved layout with every column at its natural width (not squeezed to
        this window), so a wider window next time is not stuck with narrow columns."""
        header = self.view.horizontalHeader()
        self._adjusting = True
        try:
            for column, width in self._natural.items():
                if column < header.count() and not header.isSectionHidden(column):
                    header.resizeSection(column, width)
            state = header.saveState()
        finally:
            self._adjusting = False
        self.fit()
        return state

    def floor(self, column: int, last: bool = False) -> int:
        """The narrowest `column` may be: its title, its widest chip, half an elastic column (the
        last column, which fills what is left: its title and chips only)."""
        title = header_width(
            header_metrics(self.view), title_of(self.view, column), sorted_by(self.view, column)
        )
        chips = self._chip_width(column)
        if last:
            return max(title, chips)
        if self.elastic(column):
            natural = self._natural.get(column, 0)
            first = self.view.horizontalHeader().visualIndex(column) == 0
            least = FIRST_COLUMN_FLOOR if first else ELASTIC_FLOOR
            return max(title, chips, min(natural, max(least, natural // 2)))
        return max(title, chips, self._natural.get(column, 0))

    def elastic(self, column: int) -> bool:
        return (
            column not in self._fixed
            and self._natural.get(column, 0) >= ELASTIC_FROM
            and self._chip_width(column) == 0
        )

    def _chip_width(self, column: int) -> int:
        from batchgui.ui.widgets.status import StatusChipDelegate, chip_column_width

        if isinstance(self.view.itemDelegateForColumn(column), StatusChipDelegate):
            return chip_column_width(self.view)
        return 0

    # --- fitting ------------------------------------------------------------------------------
    def fit(self) -> None:
        if not self.view.isVisible():
            # A table not on screen (a panel not shown yet) has no width to fit to: it is fitted
            # when shown (FittingTableView.showEvent). Start-up fitted all 80 tables' columns ~4 times.
            return
        header = self.view.horizontalHeader()
        shown = [header.logicalIndex(v) for v in range(header.count())]
        shown = [n for n in shown if not header.isSectionHidden(n)]
        if not shown:
            return
        # The last column stretches into spare width: it counts only with its floor.
        *body, last = shown
        natural = [max(self._natural.get(n, header.sectionSize(n)), self.floor(n)) for n in body]
        floors = [self.floor(n) for n in body]
        elastic = [self.elastic(n) for n in body]
        viewport = self.view.viewport().width()
        last_floor = self.floor(last, last=True)
        widths = shrink_to_fit(natural, floors, elastic, viewport - last_floor)
        # The last column takes what is left (the fitter stretches it: QHeaderView's own stretch
        # never narrows a last section below the width it had before stretching).
        widths.append(max(last_floor, viewport - sum(widths)))
        self._adjusting = True
        try:
            for column, width in zip(shown, widths, strict=True):
                if header.sectionSize(column) != width:
                    header.resizeSection(column, width)
        finally:
            self._adjusting = False
        # Opening or refitting never leaves the table scrolled sideways (the first column in view).
        self.view.horizontalScrollBar().setValue(0)

    def _section_resized(self, column: int, _old: int, new: int) -> None:
        if self._adjusting:
            return
        header = self.view.horizontalHeader()
        last = max(
            (n for n in range(header.count()) if not header.isSectionHidden(n)),
            key=header.visualIndex,
            default=-1,
        )
        if column == last:
            return  # the last column fills what is left
        self._natural[column] = new
        self._fixed.add(column)


class FittingTableView(QTableView):
    """A table view whose columns follow the rule as it is resized (an event filter on the viewport
    would be called into during the view's destruction, which crashed PySide6 at exit)."""

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit()

    def _fit(self) -> None:
        fitter = fitter_of(self)
        if fitter is not None:
            fitter.fit()


def header_state(view: QTableView) -> QByteArray:
    """What to save of `view`'s header: its layout at natural widths (see ColumnFitter)."""
    fitter = fitter_of(view)
    return fitter.natural_state() if fitter is not None else view.horizontalHeader().saveState()


def restore_header(view: QTableView, saved: QByteArray) -> None:
    """A saved header layout (order, hidden columns, the widths people chose) put back, then held to
    the rule: titles and chips uncut, and the fitter taking the restored widths as natural."""
    view.horizontalHeader().restoreState(saved)
    view.horizontalHeader().setStretchLastSection(False)  # older layouts saved it on
    fit_headers(view)  # widths saved before the titles were measured
    fitter = fitter_of(view)
    if fitter is not None:
        fitter.adopt_widths()


def fitter_of(view: QTableView) -> ColumnFitter | None:
    found = view.findChild(ColumnFitter, "columnFitter", Qt.FindChildOption.FindDirectChildrenOnly)
    return found if isinstance(found, ColumnFitter) else None
