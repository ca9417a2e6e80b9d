"""The Log tab of a finished job whose log has 1,000,000 lines, against the embedded sandbox.

How the data is made: a seeded SUCCEEDED job's log stream is emptied, then 1,000,000 lines of varied
length and content (short and 120-word lines, numbers, non-ASCII) are appended through the
sandbox's log store in batches of 5,000, as the engine writes a running job's output. The app reads
them over loopback through GetLogEvents, as it reads AWS.

Figures:
- `log_1m_first_rows_s`: the Log tab opened (`open_log`) → its first rows painted.
- `log_1m_lines_reachable`: lines loaded by scrolling back to the top, page by page, as a person
  scrolls (every line of the stream, once).
- `log_1m_max_stall_ms`: the largest lateness of a 5 ms QTimer over the whole run (open, scroll to
  the top through every page, then End to follow): the true maximum, not a median.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from batchgui.domain.connection import ConnectionSpec, LocalEndpoint
from batchgui.sandbox import sql
from batchgui.sandbox.store import Store
from batchgui.ui.jobs.panel import JobsPanel
from tests.benchmarks.results import StallMeter, record
from tests.benchmarks.test_jobs_bench import _make_app, _until
from tests.ui.log_support import GROUP, first_rows_shown, varied_lines, write_stream

LINES = 1_000_000


def _finished_job_stream(data_dir: Path) -> tuple[str, str]:
    db = sqlite3.connect(data_dir / "sandbox.sqlite3", timeout=30)
    try:
        row = db.execute(
            "SELECT job_id, log_stream FROM jobs WHERE status = 'SUCCEEDED' AND child = 0 "
            "AND log_stream IS NOT NULL AND log_stream != '' LIMIT 1"
        ).fetchone()
    finally:
        db.close()
    assert row is not None, "the seeded demo has a finished job with a log"
    return str(row[0]), str(row[1])


def _empty_stream(data_dir: Path, stream: str) -> None:
    store = Store(data_dir / "sandbox.sqlite3")
    try:
        with store.write() as conn:
            found = conn.execute(sql.STREAM_ID, (GROUP, stream)).fetchone()
            if found is not None:
                conn.execute(sql.EVENTS_DELETE_OF_STREAM, (found[0],))
    finally:
        store.close()


@pytest.fixture(scope="module")
def log_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    from batchgui.sandbox import start_in_process

    data_dir = tmp_path_factory.mktemp("logs-bench") / "sandbox"
    running = start_in_process(data_dir)
    assert running.wait_services(120)
    job_id, stream = _finished_job_stream(data_dir)
    _empty_stream(data_dir, stream)
    assert write_stream(data_dir, stream, varied_lines(LINES), batch=5000) == LINES
    yield running, job_id
    running.stop()


@pytest.mark.timeout(900)
def test_log_tab_of_a_million_line_log(
    log_sandbox: tuple[Any, str], qapp: QApplication, tmp_path: Path, event_loop_qt: Any
) -> None:
    sandbox, job_id = log_sandbox
    info = sandbox.connection_info()
    keys = (info["access_key_id"], info["secret_access_key"])
    app = _make_app(qapp, tmp_path, LocalEndpoint(info["endpoint_url"], info["region"], *keys))
    meter = StallMeter()

    async def scenario() -> None:
        app.start(ConnectionSpec.local())
        panel = app.window.show_panel("jobs")
        assert isinstance(panel, JobsPanel)
        await _until(lambda: panel.load_count >= 1, 60)
        print("\n[bench] jobs listed; opening the log", flush=True)
        view = panel.log_view
        meter.start()
        started = time.perf_counter()
        panel.inspector.open_log(job_id)
        await _until(lambda: first_rows_shown(view), 60)
        view.view.viewport().repaint()  # paint the first rows, synchronously
        first_rows = time.perf_counter() - started
        assert not view.following  # a finished job's log is not followed by default
        pages = 1
        scrolled = time.perf_counter()
        while view.model.can_fetch_older or view.loading:
            view.view.scrollToTop()
            await _until(lambda: not view.loading, 60)
            view.view.viewport().repaint()
            pages += 1
            if pages % 20 == 0:
                print(f"[bench] {pages} pages, {view.model.rowCount():,} lines", flush=True)
        scroll_s = time.perf_counter() - scrolled
        reachable = view.model.rowCount()
        view.end_and_follow()
        await asyncio.sleep(1.5)  # a follow poll or two: nothing new, nothing read twice
        meter.stop()
        assert view.model.rowCount() == reachable
        print(f"\n[bench] {pages} pages scrolled back in {scroll_s:.1f} s; first rows {first_rows:.3f} s")
        record("log_1m_first_rows_s", first_rows, "s", 0.5, "lower")
        record("log_1m_max_stall_ms", meter.worst_ms, "ms", 50, "lower")
        record("log_1m_lines_reachable", reachable, "lines", LINES, "equal")
        assert reachable == LINES

    try:
        event_loop_qt.run_until_complete(asyncio.wait_for(scenario(), 850))
    finally:
        app.window.close()
        app.shutdown()
