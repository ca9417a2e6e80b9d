"""The Jobs panel at real-account sizes: memory per job, 300,000 jobs, and real-AWS latency.

How the data is made: as in test_jobs_bench.py (finished jobs inserted into the sandbox's own store,
each a copy of a real seeded job with a new id, name and creation time).

Real-AWS figures run `batchgui-sandbox serve --latency-ms 80 --account-rate 50` in its own process:
every answer takes 80 ms more, and Batch requests above 50/s (all callers together) get AWS's 429.
The app connects to it as to an AWS account (a profile with an endpoint), so its listing takes
tokens of the account-wide budget; the budget preference is set to 40 requests/s (the monitor polls
from the same budget), below the account's 50.

- `jobs_first_rows_realaws_s`: open the 100,000-job queue (no history yet): first rows painted.
- `jobs_list_100k_realaws_ratio_vs_boto3`: that first full listing, ours (the app in its own process,
  from choosing the queue to every row loaded) against a plain boto3 paginator over the same
  statuses (its own process, from its first request to its last page); alternated A B A B, 4 pairs,
  median of the pair ratios.
- `jobs_reopen_100k_realaws_s`: 1,000 new finished jobs later, a new app on the same data folder
  reopens the queue: until every row is current (history shown, new jobs and active statuses listed).
- `jobs_app_bytes_per_job_100k`: tracemalloc's traced memory held after that queue's 100,000 rows
  are loaded and every column's sort keys computed (the model and the store, and anything else
  the app keeps), divided by 100,000.
- `jobs_load_300k_s`: a queue of 300,000 jobs, first open, the sandbox in the app's process (as
  `make run`), until every row is loaded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from batchgui.app import Application, parse_args
from batchgui.domain.connection import ConnectionKind, ConnectionSpec, LocalEndpoint
from batchgui.ui.jobs.panel import JobsPanel
from batchgui.ui.settings import AppSettings
from tests.benchmarks import test_jobs_bench as jobs_bench
from tests.benchmarks.results import median, record
from tests.support import endpoint_client

QUEUE = jobs_bench.QUEUE
ROOT = jobs_bench.ROOT
LATENCY_MS = 80
ACCOUNT_RATE = 50
BUDGET_PER_S = 40.0
PAIRS = 4
NEW_JOBS = 1_000
PROFILE = "realaws-bench"
# The queue the panel shows when the app starts (so the big queue is first listed when chosen).
SMALL_QUEUE = "bench-small"


def _fill(data_dir: Path, queue_arn: str, count: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs_bench, "JOBS", count)
        jobs_bench._fill(data_dir, queue_arn)


def _queue_arn(endpoint: LocalEndpoint) -> str:
    client = _client(endpoint)
    (queue,) = client.describe_job_queues(jobQueues=[QUEUE])["jobQueues"]
    return str(queue["jobQueueArn"])


def _client(endpoint: LocalEndpoint) -> Any:
    return endpoint_client("batch", endpoint)


@pytest.fixture(scope="module")
def realaws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalEndpoint, Path]]:
    """The sandbox in real-AWS mode in its own process, with 100,000 finished jobs."""
    data_dir = tmp_path_factory.mktemp("jobs-realaws") / "sandbox"
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "batchgui-sandbox"),
            "serve",
            "--data-dir",
            str(data_dir),
            "--latency-ms",
            str(LATENCY_MS),
            "--account-rate",
            str(ACCOUNT_RATE),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        served = json.loads(process.stdout.readline())  # the serve line: where and with which keys
        e = LocalEndpoint(**{field.name: served[field.name] for field in dataclasses.fields(LocalEndpoint)})
        jobs_bench._create_queue_and_fill(
            e.endpoint_url, e.region, e.access_key_id, e.secret_access_key, data_dir
        )
        _small_queue(e)
        yield e, data_dir
    finally:
        process.terminate()
        process.wait(timeout=60)


def _small_queue(endpoint: LocalEndpoint) -> None:
    _client(endpoint).create_job_queue(
        jobQueueName=SMALL_QUEUE,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "fargate-ce"}],
    )


def _profile_env(endpoint: LocalEndpoint, folder: Path) -> dict[str, str]:
    """An AWS profile holding the sandbox's keys: the app connects to it as to an account."""
    folder.mkdir(parents=True, exist_ok=True)
    credentials = folder / "credentials"
    credentials.write_text(
        f"[{PROFILE}]\naws_access_key_id = {endpoint.access_key_id}\n"
        f"aws_secret_access_key = {endpoint.secret_access_key}\n"
    )
    config = folder / "config"
    config.write_text(f"[profile {PROFILE}]\nregion = {endpoint.region}\n")
    return {"AWS_SHARED_CREDENTIALS_FILE": str(credentials), "AWS_CONFIG_FILE": str(config)}


def _spec(endpoint: LocalEndpoint) -> ConnectionSpec:
    return ConnectionSpec(
        ConnectionKind.PROFILE, endpoint.region, profile=PROFILE, endpoint_url=endpoint.endpoint_url
    )


def _make_app(qapp: QApplication, folder: Path, local: LocalEndpoint | None = None) -> Application:
    """An app on `folder`'s data (its job history), with settings of its own that start the Jobs
    panel on the small queue."""
    config = folder / f"config-{time.monotonic_ns()}"
    settings = AppSettings(config / "batchgui.ini")
    settings.set_str_value("panels/jobs/queues", SMALL_QUEUE)
    settings.sync()
    args = parse_args(["--config-dir", str(config), "--data-dir", str(folder / "data")])
    app = Application(args, qapp, start_local=None if local is None else (lambda: local))
    app.window.resize(1280, 800)
    monitor = app.facades.monitor
    monitor.apply_settings(replace(monitor.settings, requests_per_s=BUDGET_PER_S))
    return app


async def _until(predicate: Any, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.001)


async def _open(app: Application, spec: ConnectionSpec) -> JobsPanel:
    app.start(spec)
    panel = app.window.show_panel("jobs")
    assert isinstance(panel, JobsPanel)
    await _until(lambda: panel.load_count >= 1 and QUEUE in panel._queues)
    return panel


async def _open_queue(panel: JobsPanel) -> tuple[float, float]:
    """Choose the queue: seconds to the first rows painted, and to every row loaded."""
    loaded = panel.load_count
    started = time.perf_counter()
    panel.select_queues([QUEUE])
    await _until(lambda: panel.model.rowCount() > 0)
    panel.table.viewport().repaint()
    first = time.perf_counter() - started
    await _until(lambda: panel.load_count > loaded)
    panel.model.flush()
    panel.table.viewport().repaint()
    return first, time.perf_counter() - started


def _run_app(qapp: QApplication, folder: Path, scenario: Any, local: LocalEndpoint | None = None) -> Any:
    from batchgui.ui.event_loop import EventLoop

    loop = EventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    app = _make_app(qapp, folder, local)
    try:
        return loop.run_until_complete(scenario(app))
    finally:
        app.window.close()
        app.shutdown()
        loop.close()
        asyncio.set_event_loop(None)


# --- the two sides of the ratio, each run in its own process ------------------------------------
def ours_once(endpoint_json: str, folder: str) -> None:
    """Our first open of the queue (no history): prints the seconds to every row loaded."""
    endpoint = LocalEndpoint(**json.loads(endpoint_json))
    qapp = QApplication.instance() or QApplication([])

    async def scenario(app: Application) -> float:
        panel = await _open(app, _spec(endpoint))
        _first, loaded = await _open_queue(panel)
        assert panel.model.total() >= jobs_bench.JOBS
        return loaded

    print(json.dumps({"seconds": _run_app(qapp, Path(folder), scenario)}))  # type: ignore[arg-type]


def boto3_once(endpoint_json: str) -> None:
    """A plain boto3 paginator over the same statuses, one after another: prints its seconds."""
    endpoint = LocalEndpoint(**json.loads(endpoint_json))
    client = _client(endpoint)
    client.describe_job_queues(jobQueues=[QUEUE])  # the connection made, as the app's is
    started = time.perf_counter()
    count = 0
    paginator = client.get_paginator("list_jobs")
    for status in ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"):
        for page in paginator.paginate(jobQueue=QUEUE, jobStatus=status):
            count += len(page["jobSummaryList"])
    assert count >= jobs_bench.JOBS
    print(json.dumps({"seconds": time.perf_counter() - started}))


def _in_process(call: str, env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", f"from tests.benchmarks.test_jobs_scale_bench import *; {call}"],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env},
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


@pytest.mark.timeout(1800)
def test_first_open_against_boto3_alternated(
    realaws: tuple[LocalEndpoint, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, _data = realaws
    env = _profile_env(endpoint, tmp_path / "aws")
    endpoint_json = json.dumps(dataclasses.asdict(endpoint))
    ratios, ours_s, theirs_s = [], [], []
    for pair in range(PAIRS):
        ours = _in_process(f"ours_once({endpoint_json!r}, {str(tmp_path / f'app-{pair}')!r})", env)
        theirs = _in_process(f"boto3_once({endpoint_json!r})", env)
        ours_s.append(ours)
        theirs_s.append(theirs)
        ratios.append(ours / theirs)
    print(f"\n[bench] first open ours {ours_s} s, boto3 paginator {theirs_s} s, ratios {ratios}")
    record("jobs_list_100k_realaws_ratio_vs_boto3", median(ratios), "ratio", 1.0, "lower")


@pytest.mark.timeout(1800)
def test_first_rows_reopen_and_memory_realaws(
    realaws: tuple[LocalEndpoint, Path], qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, data_dir = realaws
    for name, value in _profile_env(endpoint, tmp_path / "aws").items():
        monkeypatch.setenv(name, value)
    spec = _spec(endpoint)
    folder = tmp_path / "app"

    async def first_open(app: Application) -> tuple[float, float]:
        panel = await _open(app, spec)
        opened = await _open_queue(panel)
        await panel.jobs.history_written()  # the app writes it behind the listing
        return opened

    first_rows, first_all = _run_app(qapp, folder, first_open)
    record("jobs_first_rows_realaws_s", first_rows, "s", 1.0, "lower")
    print(f"\n[bench] first open: first rows {first_rows:.2f} s, all rows {first_all:.2f} s")

    _fill(data_dir, _queue_arn(endpoint), NEW_JOBS)  # 1,000 new finished jobs, created just now

    async def reopen(app: Application) -> tuple[float, int]:
        panel = await _open(app, spec)
        _first, loaded = await _open_queue(panel)
        return loaded, panel.model.total()

    reopen_s, total = _run_app(qapp, folder, reopen)
    assert total == jobs_bench.JOBS + NEW_JOBS
    record("jobs_reopen_100k_realaws_s", reopen_s, "s", 1.5, "lower")

    async def held(app: Application) -> float:
        panel = await _open(app, spec)
        panel.model.clear()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        await _open_queue(panel)
        model = panel.model
        # Every column's sort keys, as the idle-time warming leaves them.
        for column in range(len(model.columns)):
            model._column_keys(column)
        await asyncio.sleep(0.5)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return (after - before) / model.total()

    per_job = _run_app(qapp, folder, held)
    record("jobs_app_bytes_per_job_100k", per_job, "bytes", 600, "lower")


@pytest.mark.timeout(1800)
def test_load_300k(qapp: QApplication, tmp_path: Path) -> None:
    from batchgui.sandbox import start_in_process

    sandbox_dir = tmp_path / "sandbox"
    running = start_in_process(sandbox_dir)
    local = LocalEndpoint(
        running.endpoint_url, running.region, running.access_key_id, running.secret_access_key
    )
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(jobs_bench, "JOBS", 300_000)
            jobs_bench._create_queue_and_fill(
                local.endpoint_url, local.region, local.access_key_id, local.secret_access_key, sandbox_dir
            )
        _small_queue(local)

        async def scenario(app: Application) -> float:
            panel = await _open(app, ConnectionSpec.local())
            _first, loaded = await _open_queue(panel)
            assert panel.model.total() == 300_000
            await panel.jobs.history_written()  # written behind the listing: not timed, but waited for
            return loaded

        record("jobs_load_300k_s", _run_app(qapp, tmp_path / "app", scenario, local), "s", 6.0, "lower")
    finally:
        running.stop()
