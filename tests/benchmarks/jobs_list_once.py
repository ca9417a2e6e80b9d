"""One listing of the 100,000-job queue, in a process of its own (jobs_list_100k_ratio_vs_boto3).

`python -m tests.benchmarks.jobs_list_once ours|boto3 CONNECTION_JSON QUEUE SCRATCH_DIR` prints one
JSON line {"seconds": ..., "jobs": ...}:
- ours: the app's Jobs panel (offscreen) with `--no-job-history` and the queue chosen beforehand in
  its settings, so this is the app's FIRST listing of the queue (no warm second listing, nothing read
  from a history); seconds from connecting until every row is loaded;
- boto3: a plain boto3 ListJobs paginator over the same queue and statuses (the peer).
Both time only the listing: the process start, imports and client creation are left out of both.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")


def boto3_seconds(info: dict[str, str], queue: str) -> tuple[float, int]:
    import boto3

    client: Any = boto3.client(
        "batch",
        endpoint_url=info["endpoint_url"],
        region_name=info["region"],
        aws_access_key_id=info["access_key_id"],
        aws_secret_access_key=info["secret_access_key"],
    )
    paginator = client.get_paginator("list_jobs")
    started = time.perf_counter()
    jobs = 0
    for status in STATUSES:
        for page in paginator.paginate(jobQueue=queue, jobStatus=status):
            jobs += len(page["jobSummaryList"])
    return time.perf_counter() - started, jobs


def ours_seconds(info: dict[str, str], queue: str, scratch: Path) -> tuple[float, int]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from batchgui.app import Application, parse_args
    from batchgui.domain.connection import ConnectionSpec, LocalEndpoint
    from batchgui.ui.event_loop import EventLoop
    from batchgui.ui.jobs.panel import JobsPanel
    from batchgui.ui.settings import AppSettings

    qt_app = QApplication.instance() or QApplication([])
    assert isinstance(qt_app, QApplication)
    loop = EventLoop(qt_app)
    asyncio.set_event_loop(loop)
    local = LocalEndpoint(
        info["endpoint_url"], info["region"], info["access_key_id"], info["secret_access_key"]
    )
    settings = AppSettings(scratch / "config" / "batchgui.ini")
    settings.set_str_value("panels/jobs/queues", queue)  # the first listing is the big queue's
    settings.sync()
    args = parse_args(
        ["--config-dir", str(scratch / "config"), "--data-dir", str(scratch / "data"), "--no-job-history"]
    )
    app = Application(args, qt_app, start_local=lambda: local)
    app.window.resize(1280, 800)

    async def until(predicate: Any) -> None:
        while not predicate():
            await asyncio.sleep(0.001)

    async def listing() -> tuple[float, int]:
        started = time.perf_counter()
        app.start(ConnectionSpec.local())
        panel = app.window.show_panel("jobs")
        assert isinstance(panel, JobsPanel)
        await until(lambda: panel.load_count >= 1)
        assert panel.queues_to_list() == [queue]
        panel.table.viewport().repaint()
        return time.perf_counter() - started, panel.model.total()

    with loop:
        result: tuple[float, int] = loop.run_until_complete(listing())
    app.window.close()
    app.shutdown()
    return result


def main(argv: list[str]) -> None:
    side, info, queue, scratch = argv[0], json.loads(argv[1]), argv[2], Path(argv[3])
    seconds, jobs = ours_seconds(info, queue, scratch) if side == "ours" else boto3_seconds(info, queue)
    print(json.dumps({"seconds": seconds, "jobs": jobs}))


if __name__ == "__main__":
    main(sys.argv[1:])
