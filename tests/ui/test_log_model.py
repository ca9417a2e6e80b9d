"""The log lines model: rows kept a page at a time, found by row and by time, out of the GC's way."""

from __future__ import annotations

import gc
import types
from typing import Any

from batchgui.domain.job_logs import LogEvent, LogPage
from batchgui.ui.jobs.log_model import MERGE_ROWS, LogLinesModel


def page(first: int, count: int, *, tail: bool = False, backward: str | None = "b") -> LogPage:
    events = [LogEvent(1_700_000_000_000 + n, f"line {n} of the stream") for n in range(first, first + count)]
    return LogPage.of(events, "f", backward, tail=tail)


def texts(model: LogLinesModel) -> list[str]:
    model.show_times = False
    return [model.text(row) for row in range(model.rowCount())]


def test_rows_across_prepended_and_appended_pages(qtmodeltester: Any) -> None:
    model = LogLinesModel()
    model.start(page(20_000, 10_000, tail=True), live=True)
    qtmodeltester.check(model)
    assert model.prepend(page(10_000, 10_000)) == 10_000
    assert model.prepend(page(0, 10_000)) == 10_000
    for n in range(5):  # a follower's small pages
        assert model.append(page(30_000 + 10 * n, 10)) == 10
    assert model.append(page(30_050, MERGE_ROWS)) == MERGE_ROWS
    qtmodeltester.check(model)
    assert model.rowCount() == 30_050 + MERGE_ROWS
    assert texts(model) == [f"line {n} of the stream" for n in range(30_050 + MERGE_ROWS)]
    assert len(model.rows.texts) == 5  # the small pages joined the last one; the big one did not
    assert model.find(1_700_000_000_000 + 12_345, "line 12345 of the stream") == 12_345
    assert model.find(1_700_000_000_000 + 30_001, "line 30001 of the stream\n") == 30_001
    assert model.find(1_700_000_000_000 + 99_999, "line 99999 of the stream") == -1
    assert model.index(30_049).data() == "line 30049 of the stream"


def test_loaded_lines_are_not_walked_by_the_garbage_collector() -> None:
    """Every full collection walks every object that refers to a line: with a million lines in one
    list, that list alone kept the GUI thread waiting 110 ms per collection."""
    model = LogLinesModel()
    model.start(page(50_000, 10_000, tail=True), live=True)
    model.prepend(page(40_000, 10_000))
    model.append(page(60_000, 10))
    model.show_times = False
    gc.collect()
    for row in (0, 12_345, 20_005):
        line = model.text(row)
        holders = [r for r in gc.get_referrers(line) if not isinstance(r, types.FrameType)]
        assert holders == [], f"row {row} is held by {[type(r).__name__ for r in holders]}"
