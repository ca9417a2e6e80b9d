"""The Log tab's view on the real sandbox over loopback: newest page first, scroll-back to the first
line, follow without duplicates, server search and jump, Save with cancel, a dropped connection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QGuiApplication

from batchgui.domain.job_logs import MAX_PAGE_EVENTS
from batchgui.services.log_follower import LogState
from batchgui.services.runner import Runner
from batchgui.ui.jobs.log_view import LogView
from tests.ui.log_support import LogRig, log_lines, log_rig, shown_rows, varied_lines, write_stream

pytestmark = pytest.mark.timeout(180)
Wait = Callable[..., None]


@pytest.fixture(scope="module")
def logs_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from batchgui.sandbox import start_in_process

    running = start_in_process(tmp_path_factory.mktemp("logs") / "sandbox", seed=False)
    yield running
    running.stop()


class Rigs:
    """Log views made by a test, deleted on the GUI thread at its end (never by a worker's GC)."""

    def __init__(self) -> None:
        self.made: list[LogRig] = []
        self.runner = Runner(workers=2)

    def make(self, sandbox: Any, stream: str, interval_s: float = 0.1) -> LogRig:
        rig = log_rig(sandbox, self.runner, stream, interval_s)
        self.made.append(rig)
        return rig


@pytest.fixture
def rigs(qapp: Any) -> Iterator[Rigs]:
    made = Rigs()
    yield made
    for rig in made.made:
        rig.view.close()
        rig.view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()
    made.made.clear()
    made.runner.close()


def scroll_to_head(view: LogView, wait_until: Wait) -> None:
    """Scroll to the top, again and again, as a person would, until the first line is in."""
    for _ in range(50):
        if view.model.can_fetch_older is False and not view.loading:
            return
        view.view.scrollToTop()
        wait_until(lambda: not view.loading, 30, "an older page")


def message(line: str) -> str:
    return line.split("  ", 1)[-1]


def test_scroll_back_reaches_the_first_line_of_a_long_stream(
    logs_sandbox: Any, rigs: Rigs, run_async: Any, wait_until: Wait
) -> None:
    lines = list(varied_lines(23_456))
    write_stream(logs_sandbox.data_dir, "long/scroll", lines)
    rig = rigs.make(logs_sandbox, "long/scroll")
    view = rig.view
    run_async(rig.follower.run(follow=False))
    first = view.model.rowCount()
    assert 0 < first <= MAX_PAGE_EVENTS  # the newest page only
    assert message(log_lines(view)[-1]) == lines[-1]
    assert view.model.can_fetch_older
    scroll_to_head(view, wait_until)
    assert view.model.head_reached
    assert [message(line) for line in log_lines(view)] == lines  # every line once, in order
    view.view.scrollToTop()
    assert shown_rows(view)[0] == 0
    view.close()


def test_follow_appends_only_new_lines_across_polls(
    logs_sandbox: Any, rigs: Rigs, wait_until: Wait, event_loop_qt: asyncio.AbstractEventLoop
) -> None:
    written = list(varied_lines(300, prefix="before"))
    write_stream(logs_sandbox.data_dir, "live/follow", written, start_ms=1_700_000_000_000)
    rig = rigs.make(logs_sandbox, "live/follow", interval_s=0.05)
    view = rig.view
    view.set_following(True)
    done = {"stop": False}
    task = event_loop_qt.create_task(rig.follower.run(True, lambda: done["stop"]))
    wait_until(lambda: view.model.rowCount() == 300, 30, "the first page")
    polls_before = rig.states.count(LogState.FOLLOWING)
    for round_ in range(4):
        more = list(varied_lines(1000 + round_ * 5000, seed=round_, prefix=f"round{round_}"))
        write_stream(
            logs_sandbox.data_dir, "live/follow", more, start_ms=1_700_000_100_000 + round_ * 100_000
        )
        written += more
        total = len(written)
        wait_until(lambda n=total: view.model.rowCount() >= n, 30, f"round {round_}")
    wait_until(lambda: rig.states.count(LogState.FOLLOWING) > polls_before + 4, 30, "more polls")
    done["stop"] = True
    wait_until(task.done, 10, "follow to stop")
    assert [message(line) for line in log_lines(view)] == written  # no line twice, none missing
    bar = view.view.verticalScrollBar()
    assert bar.value() == bar.maximum()  # following keeps the end in view
    view.close()


def test_search_finds_a_line_from_an_old_page_and_jumping_shows_it(
    logs_sandbox: Any, rigs: Rigs, run_async: Any, wait_until: Wait
) -> None:
    lines = list(varied_lines(30_000, seed=3))
    lines[1234] = "worker 3 raised ValueError: needle in the haystack"
    write_stream(logs_sandbox.data_dir, "long/search", lines)
    rig = rigs.make(logs_sandbox, "long/search")
    view = rig.view
    run_async(rig.follower.run(follow=False))
    assert not any("needle" in line for line in log_lines(view))  # not on the newest page
    view.search_edit.setText('"needle in the"')
    view.search_or_next()
    wait_until(lambda: view.results.count() == 1, 30, "the search result")
    assert "1 match" in view.results_label.text()
    wait_until(lambda: "needle" in view.selected_text(), 30, "the jump to the result")
    row = view.view.currentIndex().row()
    top, bottom = shown_rows(view)
    assert top <= row <= bottom  # on screen
    view.view.setFocus()
    view.copy_selection()
    assert "needle in the haystack" in QGuiApplication.clipboard().text()
    # Scrolling back from the result's page still reaches the first line; End goes back to the end.
    scroll_to_head(view, wait_until)
    assert message(log_lines(view)[0]) == lines[0]
    view.close()


def test_save_writes_every_line_and_a_cancel_leaves_no_file(
    logs_sandbox: Any, rigs: Rigs, run_async: Any, wait_until: Wait, tmp_path: Path
) -> None:
    lines = list(varied_lines(25_000, seed=5))
    lines[10] = "a multi\nline event"
    write_stream(logs_sandbox.data_dir, "long/save", lines)
    expected = [part for line in lines for part in line.split("\n")]
    rig = rigs.make(logs_sandbox, "long/save")
    view = rig.view
    run_async(rig.follower.run(follow=False))
    view.timestamps_box.setChecked(False)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "job.log"
    task = view.save_to(target)
    assert task is not None
    wait_until(task.done, 60, "the save")
    assert target.read_text(encoding="utf-8").splitlines() == expected
    assert f"Saved {len(expected):,} lines" in view.state_label.text()
    # A cancelled save: nothing under the chosen name, no partial file beside it.
    cancelled = out / "cancelled.log"
    save = view.pages.save(cancelled) if view.pages is not None else None
    assert save is not None
    progress: list[int] = []

    def cancel_after_first(lines_written: int, _bytes: int) -> None:
        progress.append(lines_written)
        save.cancel()

    assert run_async(save.run(cancel_after_first)) is False
    assert progress
    assert progress[0] < len(expected)
    assert not cancelled.exists()
    assert list(out.iterdir()) == [target]
    task = view.save_to(out / "also.log")
    assert task is not None
    view.cancel_save()
    wait_until(task.done, 30, "the cancelled save")
    assert "Save cancelled" in view.state_label.text()
    assert list(out.iterdir()) == [target]
    view.close()


def test_a_dropped_connection_while_following_shows_an_error_and_keeps_the_lines(
    tmp_path: Path, rigs: Rigs, wait_until: Wait, event_loop_qt: asyncio.AbstractEventLoop
) -> None:
    from batchgui.sandbox import start_in_process

    sandbox = start_in_process(tmp_path / "sandbox", seed=False)
    try:
        lines = list(varied_lines(500))
        write_stream(sandbox.data_dir, "live/drop", lines)
        rig = rigs.make(sandbox, "live/drop", interval_s=0.05)
        view = rig.view
        view.set_following(True)
        task = event_loop_qt.create_task(rig.follower.run(True))
        wait_until(lambda: view.model.rowCount() == 500, 30, "the lines")
    finally:
        sandbox.stop()
    wait_until(lambda: LogState.ERROR in rig.states, 30, "the error")
    assert "Could not read /aws/batch/job : live/drop" in view.state_label.text()
    assert "The lines shown are kept" in view.state_label.text()
    assert view.model.rowCount() == 500
    assert [message(line) for line in log_lines(view)] == lines
    task.cancel()
    wait_until(task.done, 10, "follow to stop")
    view.close()


def test_choosing_a_search_result_reads_its_page_once(
    logs_sandbox: Any, rigs: Rigs, run_async: Any, wait_until: Wait
) -> None:
    """A double click emits itemClicked, then itemClicked and itemActivated (itemActivated comes with
    each click where the style activates on one click): the match's page is read once."""
    lines = list(varied_lines(30_000, seed=4))
    lines[2000] = "the one needle"
    lines[25_000] = "the other needle"  # not on the first one's page (10,000 lines from it)
    write_stream(logs_sandbox.data_dir, "long/choose", lines)
    rig = rigs.make(logs_sandbox, "long/choose")
    view = rig.view
    run_async(rig.follower.run(follow=False))
    pages = view.pages
    assert pages is not None
    reads: list[int] = []
    at_time = pages.at_time

    async def counted(timestamp_ms: int) -> Any:
        reads.append(timestamp_ms)
        return await at_time(timestamp_ms)

    pages.at_time = counted  # type: ignore[method-assign]
    view.search_edit.setText("needle")
    view.search_or_next()
    wait_until(lambda: view.results.count() == 2 and not view.loading, 30, "the results")
    assert len(reads) == 1  # the first result, shown at once
    reads.clear()
    item = view.results.item(1)
    view.results.itemClicked.emit(item)
    wait_until(lambda: len(reads) == 1, 30, "the read to start")
    view.results.itemClicked.emit(item)
    view.results.itemActivated.emit(item)
    wait_until(lambda: "other needle" in view.selected_text(), 30, "the second result")
    assert len(reads) == 1
    view.close()
