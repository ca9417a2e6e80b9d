"""Stub facades for the Jobs and Monitor panels (qutebrowser's stubs.py habit): no server, no runner.

`FakeJobs` stands in for services.jobs.JobsService, `FakeStore` for services.job_store.JobStore and
`FakeMonitor` for services.job_monitor.JobMonitor;
each records the typed requests it is given. `panel_services()` gives what a Panel needs (tasks,
settings, a connection that is "open") without any AWS endpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.connection import ConnectionInfo, ConnectionSpec
from batchgui.domain.history import History
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.job_logs import LogEvent, LogPage
from batchgui.domain.job_platforms import Platforms
from batchgui.domain.job_requests import JobFilters, StopResult, SubmitJobRequest
from batchgui.domain.job_tracking import ArrayProgress
from batchgui.domain.samples import Sample
from batchgui.services.budget import TokenBucket
from batchgui.services.events import Listeners
from batchgui.services.job_monitor import FinishedJob, MonitorSettings, MonitorStatus, RunnableAlert
from batchgui.services.job_store import JobChanges
from batchgui.services.jobs import LoadResult, SubmitBatch, SubmitResult
from batchgui.services.log_follower import LogHooks, LogState, LogStatus
from batchgui.services.tasks import TaskSet
from batchgui.ui.settings import AppSettings
from batchgui.ui.widgets.panel import PanelServices


class FakeConnections:
    """An open local connection as the UI sees it (ConnectionInfo only)."""

    def __init__(self) -> None:
        self.current: ConnectionInfo | None = ConnectionInfo(ConnectionSpec.local())
        self.info_changed: Listeners[ConnectionInfo | None] = Listeners()
        self.changed: Listeners[Any] = Listeners()
        self.backend = None

    @property
    def connected(self) -> bool:
        return self.current is not None


def panel_services(tmp_path: Path, errors: list[BaseException]) -> PanelServices:
    """What the composition root gives a panel, with no server behind it."""
    tasks = TaskSet(lambda _what, error: errors.append(error))
    return PanelServices(
        tasks,
        cast(Any, FakeConnections()),
        AppSettings(tmp_path / "stub.ini"),
        cast(Any, None),  # no exports in these tests
    )


def job(job_id: str, status: JobStatus = JobStatus.SUCCEEDED, queue: str = "q1") -> JobSummary:
    return JobSummary(job_id, f"job-{job_id}", status, queue=queue, job_definition="def:1", created_at=1000)


class FakeLogFollow:
    """A log that has two lines and is then done."""

    def __init__(self, hooks: LogHooks, job_id: str = "") -> None:
        self.job_id = job_id
        self._on_events = hooks.on_events
        self._on_status = hooks.on_status
        self.stream = "job/stream"
        self.reader = None
        self.runs = 0

    async def run(self) -> None:
        self.runs += 1
        self._on_events(
            LogPage.of([LogEvent(1000, "hello"), LogEvent(2000, "world")], "f/2", "b/1", tail=True)
        )
        self._on_status(LogStatus(LogState.DONE, "/aws/batch/job", self.stream))


class FakeJobs:
    """The jobs facade over a fixed list of jobs; records what it is asked to do."""

    def __init__(self, jobs: Sequence[JobSummary], queues: Sequence[str] = ("q1", "q2")) -> None:
        self.jobs = {j.job_id: j for j in jobs}
        self.queues = list(queues)
        self.connected = True
        self.loads: list[tuple[list[str], JobFilters | None]] = []
        self.submitted: list[SubmitJobRequest] = []
        self.stopped: list[tuple[list[str], bool]] = []
        self.saved: list[tuple[Path, str]] = []
        self.follows: list[FakeLogFollow] = []

    async def queue_names(self) -> list[str]:
        return list(self.queues)

    async def load(
        self,
        queues: Sequence[str],
        on_jobs: Callable[[list[JobSummary]], None],
        filters: JobFilters | None = None,
        statuses: Sequence[JobStatus] = tuple(JobStatus),
        **_options: Any,
    ) -> LoadResult:
        self.loads.append((list(queues), filters))
        rows = [j for j in self.jobs.values() if j.queue in queues]
        on_jobs(rows)
        return LoadResult(jobs=len(rows), pages=1)

    async def describe(self, job_ids: Sequence[str]) -> list[JobDetail]:
        return [JobDetail(self.jobs[i], log_stream="job/stream") for i in job_ids if i in self.jobs]

    async def children(self, array_job_id: str) -> list[JobSummary]:
        return []

    async def definition_names(self) -> list[str]:
        return ["def"]

    async def platforms(self) -> Platforms:
        return Platforms()

    async def submit_all(self, requests: Sequence[SubmitJobRequest]) -> SubmitBatch:
        self.submitted.extend(requests)
        results = []
        for number, request in enumerate(requests):
            job_id = f"new-{len(self.jobs) + number}"
            self.jobs[job_id] = JobSummary(
                job_id, request.job_name, JobStatus.SUBMITTED, queue=request.job_queue
            )
            results.append(SubmitResult(job_id, request.job_name))
        return SubmitBatch(results, await self.describe([r.job_id for r in results]))

    async def stop(
        self,
        job_ids: Sequence[str],
        reason: str,
        terminate: bool,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> list[StopResult]:
        self.stopped.append((list(job_ids), terminate))
        return [StopResult(i, True) for i in job_ids]

    async def save_text(self, path: Path, text: str) -> None:
        self.saved.append((path, text))

    def follow_log(self, job_id: str, hooks: LogHooks, interval_s: float = 1.0) -> FakeLogFollow:
        follow = FakeLogFollow(hooks, job_id)
        self.follows.append(follow)
        return follow


class Viewed:
    """What the job store hears of the queues views show."""

    def __init__(self) -> None:
        self.viewed: dict[str, frozenset[str]] = {}

    def set_viewed(self, view: str, queues: Iterable[str]) -> None:
        self.viewed[view] = frozenset(queues)


class FakeMonitor:
    """The monitor facade: listeners the panel subscribes to, and a record of the calls it makes."""

    def __init__(self, queues: Sequence[str] = ("q1", "q2")) -> None:
        self.queues = list(queues)
        self.samples: Listeners[Sample] = Listeners()
        self.history_replaced: Listeners[History] = Listeners()
        self.status: Listeners[MonitorStatus] = Listeners()
        self.jobs_failed: Listeners[list[FinishedJob]] = Listeners()
        self.runnable_waiting: Listeners[RunnableAlert] = Listeners()
        self.history = History()
        self.settings: list[MonitorSettings] = []
        self.calls: list[str] = []
        self.exports: list[tuple[Path, float]] = []
        # What the Monitor's cost view reads (ui/monitor/cost.py): no connection, no environments.
        self.connections = SimpleNamespace(current=None)
        self.environments: list[Any] = []
        self.store = Viewed()
        self.fresh: dict[str, str] = {}  # what freshness_texts says

    def freshness_texts(self) -> dict[str, str]:
        return dict(self.fresh)

    def apply_settings(self, settings: MonitorSettings) -> None:
        self.settings.append(settings)

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")

    def set_suspended(self, suspended: bool) -> None:
        self.calls.append(f"suspended={suspended}")

    async def queue_names(self) -> list[str]:
        await asyncio.sleep(0)
        return list(self.queues)

    async def export_csv(self, path: Path, start: float) -> None:
        self.exports.append((path, start))


class FakeStore(Viewed):
    """The job store over a FakeJobs: entries, change sets, and a refresh that lists the fake's jobs."""

    def __init__(self, jobs: FakeJobs) -> None:
        super().__init__()
        self._fake = jobs
        self._jobs: dict[str, JobSummary] = {}
        self._listeners: list[Callable[[JobChanges], None]] = []
        self.live = False
        self.expanded: set[str] = set()
        self.budget = TokenBucket(10.0)  # the account budget the panel hands to listings

    def get(self, job_id: str) -> JobSummary | None:
        return self._jobs.get(job_id)

    def children(self, array_job_id: str) -> list[JobSummary]:
        kids = [j for j in self._jobs.values() if j.job_id.startswith(f"{array_job_id}:")]
        return sorted(kids, key=lambda j: j.array_index or 0)

    def progress(self, array_job_id: str) -> ArrayProgress | None:
        parent = self._jobs.get(array_job_id)
        if parent is None or parent.array_size is None:
            return None
        statuses = [j.status.value for j in self.children(array_job_id)]
        return ArrayProgress.build(parent.array_size, {}, statuses)

    def subscribe(self, listener: Callable[[JobChanges], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def put(self, jobs: Sequence[JobSummary]) -> None:
        changed = [j for j in jobs if self._jobs.get(j.job_id) != j]
        self._jobs.update((j.job_id, j) for j in changed)
        if changed:
            for listener in list(self._listeners):
                listener(JobChanges(tuple(changed)))

    async def refresh(self) -> None:
        self.put(list(self._fake.jobs.values()))

    async def describe(self, job_ids: Sequence[str]) -> list[JobDetail]:
        return await self._fake.describe(job_ids)

    async def expand(
        self, array_job_id: str, on_page: Callable[[list[JobSummary]], None] | None = None
    ) -> list[JobSummary]:
        self.expanded.add(array_job_id)
        self.put([j for j in self._fake.jobs.values() if j.job_id.startswith(f"{array_job_id}:")])
        kids = self.children(array_job_id)
        if on_page is not None and kids:
            on_page(kids)
        return kids

    def collapse(self, array_job_id: str) -> None:
        self.expanded.discard(array_job_id)
