"""The local history of finished jobs, against the real sandbox: reopening shows the history before
any request returns and then lists only what is new; a job that finished while the app was closed
shows how it ended; an older file layout opens; a damaged file is set aside and nothing else lost."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from batchgui.aws.batch import BatchGateway
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.connection import ConnectionSpec
from batchgui.domain.job_requests import JobFilters
from batchgui.services.job_history import MIGRATIONS, SCHEMA_VERSION, JobHistory, history_path
from batchgui.services.jobs import JobsService, KnownRows, created_ranges
from batchgui.services.runner import Runner

# The monitor tests' fixtures: a runner and a sandbox with quick transitions.
from tests.services.jobs_fakes import FakeBackend, connections_for
from tests.support import fargate_queues

pytestmark = pytest.mark.timeout(120)


class CountingGateway:
    """The real gateway, noting each ListJobs/DescribeJobs answer as it returns."""

    def __init__(self, gateway: BatchGateway, events: list[str]) -> None:
        self._gateway = gateway
        self.events = events
        self.listed: list[JobSummary] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._gateway, name)
        if not name.startswith(("list_jobs", "describe_job_details")):
            return found

        def call(*args: Any) -> Any:
            answer = found(*args)
            self.events.append(f"answer {name}")
            if name.startswith("list_jobs"):
                self.listed.extend(answer[0])
            return answer

        return call


def submit(gateway: BatchGateway, count: int, name: str = "job") -> list[str]:
    client = gateway.client
    return [
        client.submit_job(jobName=f"{name}-{n}", jobQueue="q", jobDefinition="one")["jobId"]
        for n in range(count)
    ]


def wait_finished(gateway: BatchGateway, ids: list[str], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        jobs = gateway.client.describe_jobs(jobs=ids)["jobs"]
        if all(j["status"] in ("SUCCEEDED", "FAILED") for j in jobs):
            return
        time.sleep(0.2)
    raise AssertionError("jobs did not finish")


def load(
    run_async: Callable[..., Any], jobs: JobsService, on_jobs: Callable[[list[JobSummary]], None]
) -> Any:
    """One listing of queue `q`, and its history written (the app writes it behind the listing)."""
    result = run_async(jobs.load(["q"], on_jobs))
    run_async(jobs.history_written())
    return result


def service(runner: Runner, gateway: Any, data_dir: Path) -> JobsService:
    # No overlap with the last sync's newest job (the app's 5 s would list these seconds-old jobs again).
    return JobsService(
        runner, connections_for(FakeBackend(gateway)), history_dir=data_dir, new_jobs_overlap_ms=0
    )


def test_reopen_shows_history_before_any_listed_row_then_lists_only_new_jobs(
    sandbox_batch: BatchGateway, runner: Runner, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    gateway = sandbox_batch
    fargate_queues(gateway.client, seconds=0.1)
    old = submit(gateway, 6, "old")
    wait_finished(gateway, old)
    first: list[JobSummary] = []
    load(run_async, service(runner, gateway, tmp_path), first.extend)
    assert {j.job_id for j in first} == set(old)

    new = submit(gateway, 3, "new")
    wait_finished(gateway, new)
    events: list[str] = []
    counting = CountingGateway(gateway, events)
    shown: dict[str, JobSummary] = {}

    def on_jobs(rows: list[JobSummary]) -> None:
        events.append(f"rows {len(rows)}")
        shown.update({j.job_id: j for j in rows})

    reopened = service(runner, counting, tmp_path)  # a new app: the history is read from disk
    result = load(run_async, reopened, on_jobs)
    # The history first, before any listed row (the listing runs while the history is read: an
    # answer may come back first, its rows are shown after the history's).
    assert next(e for e in events if e.startswith("rows")) == "rows 6", events
    assert result.from_history == 6
    assert result.synced_at_ms is not None
    assert set(shown) == set(old) | set(new)
    assert all(shown[i].status is JobStatus.SUCCEEDED for i in new)
    # Only the new jobs were listed again, not the finished ones the history had.
    assert {j.job_id for j in counting.listed} == set(new)


def test_a_job_that_finished_while_the_app_was_closed_shows_how_it_ended(
    sandbox_batch: BatchGateway, runner: Runner, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    gateway = sandbox_batch
    fargate_queues(gateway.client, seconds=1.5)
    (job_id,) = submit(gateway, 1, "slow")
    first: dict[str, JobSummary] = {}
    run_async(
        service(runner, gateway, tmp_path).load(["q"], lambda rows: first.update({j.job_id: j for j in rows}))
    )
    assert not first[job_id].status.is_terminal  # active when the app closed
    wait_finished(gateway, [job_id])

    pages: list[list[JobSummary]] = []
    load(run_async, service(runner, gateway, tmp_path), pages.append)
    assert not pages[0][0].status.is_terminal  # shown at once as it was last seen...
    assert pages[-1][-1].job_id == job_id
    assert pages[-1][-1].status is JobStatus.SUCCEEDED  # ...then as it ended
    history = JobHistory(history_path(tmp_path, ConnectionSpec.local()))
    known = history.read("q")
    assert [j.job_id for j in known.finished] == [job_id]
    assert known.active == []


def _version_1_file(path: Path) -> None:
    """The first layout: finished jobs and sync times, no table of the jobs active at a sync."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(MIGRATIONS[0][1] + "\nPRAGMA user_version = 1;")
        db.execute(
            "INSERT INTO jobs VALUES ('q', 'j1', 'one', 'SUCCEEDED', 'arn:j1', '', 'def:1', "
            "1000, 1100, 1200, 0, NULL, NULL)"
        )
        db.execute("INSERT INTO syncs VALUES ('q', 5000, 1000)")


def test_a_history_file_of_the_older_layout_opens(tmp_path: Path) -> None:
    _version_1_file(tmp_path / "old.sqlite3")
    history = JobHistory(tmp_path / "old.sqlite3")
    assert history.version == SCHEMA_VERSION == 3
    known = history.read("q")
    assert [(j.job_id, j.status, j.exit_code) for j in known.finished] == [("j1", JobStatus.SUCCEEDED, 0)]
    assert known.synced_at_ms == 5000
    assert known.active == []
    assert history.problem == ""


def test_a_damaged_history_file_is_set_aside_with_a_message_and_nothing_else_is_lost(
    sandbox_batch: BatchGateway, runner: Runner, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    gateway = sandbox_batch
    fargate_queues(gateway.client, seconds=0.1)
    ids = submit(gateway, 2)
    wait_finished(gateway, ids)
    path = history_path(tmp_path, ConnectionSpec.local())
    path.parent.mkdir(parents=True)
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    neighbour = path.parent / "other-connection.sqlite3"
    neighbour.write_bytes(b"kept")

    shown: list[JobSummary] = []
    result = load(run_async, service(runner, gateway, tmp_path), shown.extend)
    assert "could not be read" in result.history_problem
    assert "moved to" in result.history_problem
    (aside,) = path.parent.glob(f"{path.name}.corrupt-*")
    assert aside.name in result.history_problem
    assert aside.read_bytes() == garbage  # kept as it was, to look at
    assert neighbour.read_bytes() == b"kept"
    assert {j.job_id for j in shown} == set(ids)  # listed from AWS as usual
    assert {j.job_id for j in JobHistory(path).read("q").finished} == set(ids)  # and a new history kept


def test_created_ranges_cover_everything_since_and_the_sandbox_lists_each_once(
    sandbox_batch: BatchGateway, tmp_path: Path
) -> None:
    assert created_ranges(1_000, 1_500) == [JobFilters(created_after_ms=1_000)]  # too short to split
    ranges = created_ranges(0, 40_000)
    assert [(r.created_after_ms, r.created_before_ms) for r in ranges] == [
        (-1, 10_001),
        (9_999, 20_001),
        (19_999, 30_001),
        (29_999, None),
    ]
    gateway = sandbox_batch
    fargate_queues(gateway.client, seconds=0.1)
    ids = submit(gateway, 12)
    jobs = gateway.client.describe_jobs(jobs=ids)["jobs"]
    created = sorted(int(j["createdAt"]) for j in jobs)
    listed: list[str] = []
    for since in created_ranges(created[0] - 1, created[-1], count=3):
        token: str | None = None
        while True:
            rows, token = gateway.list_jobs_filtered_page("q", since, token)
            listed.extend(j.job_id for j in rows)
            if not token:
                break
    assert set(listed) == set(ids)


def test_a_finished_multinode_job_keeps_its_node_count_in_the_history(tmp_path: Path) -> None:
    """So reopening a queue from the history still offers to expand a multi-node job into nodes."""
    history = JobHistory(tmp_path / "history.sqlite")
    job = JobSummary("mnp", "mnp-job", JobStatus.SUCCEEDED, "arn:mnp", queue="q", created_at=1, num_nodes=3)
    node = JobSummary(
        "mnp#0", "mnp-job", JobStatus.SUCCEEDED, "arn:mnp#0", queue="q", array_index=0, is_main_node=True
    )
    history.record("q", [job, node], [], synced_at_ms=10, newest_created_ms=1)
    history.close()
    again = JobHistory(tmp_path / "history.sqlite").read("q")
    assert [(j.job_id, j.num_nodes, j.is_main_node) for j in again.finished] == [
        ("mnp", 3, False),
        ("mnp#0", None, True),
    ]
    assert again.finished == [job, node]


def listed_once(
    gateway: BatchGateway, runner: Runner, run_async: Callable[..., Any], data_dir: Path, count: int
) -> JobsService:
    """`count` finished jobs in queue `q`, listed once into the history; a new service to reopen it."""
    fargate_queues(gateway.client, seconds=0.1)
    wait_finished(gateway, submit(gateway, count, "old"))
    load(run_async, service(runner, gateway, data_dir), lambda rows: None)
    return service(runner, gateway, data_dir)


def test_history_rows_go_to_on_known_in_one_call_and_close_closes_the_file(
    sandbox_batch: BatchGateway, runner: Runner, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    reopened = listed_once(sandbox_batch, runner, run_async, tmp_path, 5)
    known: list[list[JobSummary]] = []
    run_async(reopened.load(["q"], lambda rows: None, on_known=known.append))
    run_async(reopened.history_written())
    assert [len(rows) for rows in known] == [5]  # the whole history at once
    (history,) = reopened._histories.values()
    reopened.close()
    assert reopened._histories == {}
    with pytest.raises(sqlite3.ProgrammingError):
        history.read("q")  # closed


def test_history_rows_are_prepared_on_a_worker_and_taken_on_the_loop_thread(
    sandbox_batch: BatchGateway, runner: Runner, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    reopened = listed_once(sandbox_batch, runner, run_async, tmp_path, 4)
    threads: dict[str, threading.Thread] = {}
    taken: list[tuple[int, str]] = []

    def prepare(rows: list[JobSummary]) -> tuple[int, str]:
        threads["prepare"] = threading.current_thread()
        return len(rows), "prepared"

    def take(prepared: tuple[int, str]) -> None:
        threads["take"] = threading.current_thread()
        taken.append(prepared)

    loaded = run_async(reopened.load(["q"], lambda rows: None, known_rows=KnownRows(prepare, take)))
    run_async(reopened.history_written())
    reopened.close()
    assert taken == [(4, "prepared")]  # the whole history, in one call
    assert loaded.from_history == 4
    assert threads["prepare"] is not threading.main_thread()
    assert threads["take"] is threading.main_thread()
