"""The live-monitoring poller: one sample of every queue per interval, within a request budget.

How a poll works (Batch API only, so it works on any account):
- ListJobs per queue and active status (SUBMITTED … RUNNING, in that order, so a job moving on while
  the lists are read is seen again rather than lost) gives the status of every active job.
- A job tracked as active that is in none of those lists has finished: DescribeJobs (100 ids per call)
  says whether it SUCCEEDED or FAILED. Newly RUNNING jobs are described once for their vCPUs/memory.
  Nothing else is described, so requests grow with how many jobs change, not with how many exist.
- ListJobs with AFTER_CREATED_AT (all statuses) finds jobs created since the previous poll that
  already finished before any list saw them, so short jobs are still counted.
- Array jobs: ListJobs by queue shows parents only, so the job store (services/job_store.py) lists
  the children of active arrays by the statuses their statusSummary has; samples count those
  children (running, runnable, their vCPUs/memory by platform, the oldest RUNNABLE) instead of the
  parent, and throughput counts children finishing (statusSummary growth), not the parent.
- This loop is the store's one poller: every page also becomes a store entry, so the Jobs panel
  and the others read states from the store instead of polling.
- Every request waits for a token from the store's account-wide TokenBucket (default 10/s). On
  429 the poller backs off and reports "data delayed"; a poll slower than the interval stretches the
  interval, and it shrinks back when polls are quick again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from batchgui.aws.batch import DESCRIBE_JOBS_MAX, chunks
from batchgui.domain.batch import ComputeEnvironment, JobQueue, JobStatus
from batchgui.domain.connection import ConnectionSpec
from batchgui.domain.errors import BatchGuiError, Throttled
from batchgui.domain.job_requests import JobFilters
from batchgui.domain.job_resources import TrackedJob, resources_from_description
from batchgui.domain.job_tracking import (
    CREATED,
    NAME,
    QUEUE,
    REASON,
    RESOURCES,
    STATUS,
    ActiveRow,
    PollChanges,
    Resources,
    SeenRow,
    merge_poll,
)
from batchgui.domain.metrics import ACTIVE_STATUSES, History, QueueEvents, Sample, build_sample, history_csv
from batchgui.services.bound import BoundService
from batchgui.services.budget import TokenBucket
from batchgui.services.connections import Backend, ConnectionManager
from batchgui.services.events import Listeners
from batchgui.services.job_store import JobStore
from batchgui.services.memory import FREEZE_EVERY_ROWS, Freeze, no_freeze
from batchgui.services.runner import Runner, RunnerClosed
from batchgui.services.sample_store import SampleStore, open_store

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

# Long lists applied on the GUI thread yield to the event loop after this many items (~1 ms of work).
_SLICE = 1000

DEFAULT_INTERVAL_S = 5.0
DEFAULT_REQUESTS_PER_S = 10.0


@dataclass(frozen=True)
class MonitorSettings:
    interval_s: float = DEFAULT_INTERVAL_S
    requests_per_s: float = DEFAULT_REQUESTS_PER_S
    # The interval never stretches beyond this, however slow polls get.
    max_interval_s: float = 120.0
    # A queue whose oldest RUNNABLE job has waited longer than this raises an alert (once per job).
    runnable_alert_s: float = 600.0
    # DescribeJobQueues this often (queues change rarely); compute environments every poll
    # because desiredvCpus is what the capacity lines plot.
    queues_every_s: float = 60.0
    # Margin for the difference between this machine's clock and the service's createdAt.
    clock_skew_s: float = 15.0
    # Longest wait after repeated throttling or errors.
    max_backoff_s: float = 60.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.interval_s) and self.interval_s > 0):
            raise ValueError("The sampling interval must be a positive number of seconds.")
        if not (math.isfinite(self.requests_per_s) and self.requests_per_s > 0):
            raise ValueError("The request budget must be a positive number of requests per second.")


def _resources(job: dict[str, Any]) -> Resources:
    found = resources_from_description(job)
    return (found.vcpus, found.memory_mib, found.platform_capabilities)


class MonitorState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    LIVE = "live"
    DELAYED = "delayed"
    PAUSED = "paused"
    SUSPENDED = "suspended"
    ERROR = "error"


@dataclass(frozen=True)
class MonitorStatus:
    state: MonitorState
    message: str
    interval_s: float = DEFAULT_INTERVAL_S
    requests_last_poll: int = 0
    poll_s: float = 0.0


@dataclass(frozen=True)
class FinishedJob:
    job_id: str
    name: str
    queue: str
    status: JobStatus
    reason: str = ""


@dataclass(frozen=True)
class RunnableAlert:
    queue: str
    job_id: str
    age_s: float
    reason: str


@dataclass
class PollCounters:
    """What the poller has counted since it started (tests and benchmarks read these)."""

    polls: int = 0
    requests: int = 0
    submitted: int = 0
    succeeded: int = 0
    failed: int = 0
    throttled: int = 0
    last_poll_requests: int = 0
    last_poll_s: float = 0.0
    described: int = 0


@dataclass
class _Poll:
    requests: int = 0
    events: dict[str, QueueEvents] = field(default_factory=dict)
    failed: list[FinishedJob] = field(default_factory=list)

    def event(self, queue: str) -> QueueEvents:
        return self.events.setdefault(queue, QueueEvents())


class JobMonitor(BoundService):
    """Polls the current connection; samples go to `history`, the store and the `samples` listeners.

    Bound to the ConnectionManager: when the connection changes it forgets the old one's jobs and
    history and, if it was polling, polls the new one.
    """

    def __init__(
        self,
        runner: Runner,
        connections: ConnectionManager,
        data_dir: Path | None = None,
        *,
        settings: MonitorSettings | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        store_opener: Callable[[Path, ConnectionSpec], SampleStore] = open_store,
        spawn: Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None]] | None = None,
        freeze: Freeze = no_freeze,
        store: JobStore | None = None,
    ) -> None:
        super().__init__(runner, connections)
        self._spawn = spawn
        self._freeze = freeze
        self._data_dir = data_dir
        self.settings = settings or MonitorSettings()
        self._clock = clock
        self._monotonic = monotonic
        self._store_opener = store_opener
        self.samples: Listeners[Sample] = Listeners()
        self.history_replaced: Listeners[History] = Listeners()
        self.status: Listeners[MonitorStatus] = Listeners()
        self.jobs_failed: Listeners[list[FinishedJob]] = Listeners()
        self.runnable_waiting: Listeners[RunnableAlert] = Listeners()
        self.history = History()
        self.counters = PollCounters()
        # The one job store: this loop is its poller, and its budget is the account's.
        self.store = store or JobStore(
            runner, connections, requests_per_s=self.settings.requests_per_s, monotonic=monotonic
        )
        self.store.set_rate(self.settings.requests_per_s)
        self.store.drive(self._poll_for_views, lambda: self.running)
        self.last_status = MonitorStatus(MonitorState.STOPPED, "Not monitoring")
        self.queues: list[JobQueue] = []
        self.environments: list[ComputeEnvironment] = []
        # The connection being polled: a switch re-binds (attach) before the UI hears of it.
        self._bound: Backend | None = connections.require() if connections.connected else None
        connections.changed.add(self.attach)
        self._store: SampleStore | None = None
        self._task: asyncio.Task[None] | None = None
        self._paused = False
        self._suspended = False
        self._wake = asyncio.Event()
        self._interval_s = self.settings.interval_s
        self._reset_tracking()

    # --- state ------------------------------------------------------------------------------------
    def _reset_tracking(self) -> None:
        self._jobs: dict[str, ActiveRow] = {}
        self._finished: dict[str, int] = {}  # job id -> createdAt ms, so no job is counted twice
        self._baseline_ms: float | None = None
        self._last_poll_ms: float | None = None
        self._queues_read_at: float | None = None
        self._alerted: set[tuple[str, str]] = set()
        self.counters = PollCounters()

    @property
    def budget(self) -> TokenBucket:
        """The account-wide request budget (the store's: every Batch request takes a token)."""
        return self.store.budget

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def interval_s(self) -> float:
        """The current sampling interval (stretched while polls take longer than the setting)."""
        return self._interval_s

    @property
    def active_jobs(self) -> int:
        return len(self._jobs)

    def tracked(self) -> list[TrackedJob]:
        """The active jobs as objects (built on each call: 10,000 take ~30 ms; see tracked_ids)."""
        return [TrackedJob.from_row(job_id, row) for job_id, row in self._jobs.items()]

    def tracked_ids(self) -> list[str]:
        return list(self._jobs)

    def _set_status(self, state: MonitorState, message: str) -> None:
        self.last_status = MonitorStatus(
            state,
            message,
            self._interval_s,
            self.counters.last_poll_requests,
            self.counters.last_poll_s,
        )
        self.status.emit(self.last_status)

    # --- control ----------------------------------------------------------------------------------
    def attach(self, backend: Backend | None) -> None:
        """Follow another connection: stop, forget the old one's jobs, start again if we were running.

        Called by the ConnectionManager's `changed`."""
        was_running = self.running
        self.stop()
        self._bound = backend
        self._reset_tracking()
        self.store.forget()
        self.store.budget = TokenBucket(self.settings.requests_per_s, monotonic=self._monotonic)
        self.history = History(keep_s=self.history.keep_s)
        self.history_replaced.emit(self.history)
        if was_running and backend is not None:
            self.start()

    @property
    def bound(self) -> bool:
        """A connection is there to poll."""
        return self._bound is not None

    def start(self) -> None:
        if self.running or self._bound is None:
            return
        if self._spawn is not None:
            self._task = self._spawn(self._loop(self._bound), "Monitor jobs")
        else:
            self._task = asyncio.ensure_future(self._loop(self._bound))

    def apply_settings(self, settings: MonitorSettings) -> None:
        """New interval, budget or alert threshold; takes effect from the next poll."""
        self.settings = settings
        self._interval_s = settings.interval_s
        self.store.set_rate(settings.requests_per_s)

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        if self._store is not None:
            self._store.close()
            self._store = None
        self._set_status(MonitorState.STOPPED, "Not monitoring")

    def pause(self) -> None:
        self._paused = True
        self._wake.clear()
        self._set_status(MonitorState.PAUSED, "Paused: no requests are made until you resume")

    def resume(self) -> None:
        self._paused = False
        self._update_wake()

    def set_suspended(self, suspended: bool) -> None:
        """The window is minimised (and no notifications are wanted): stop polling until restored."""
        self._suspended = suspended
        self._update_wake()
        if suspended and self.running:
            self._set_status(MonitorState.SUSPENDED, "Not polling while the window is minimised")

    def _update_wake(self) -> None:
        if self._paused or self._suspended:
            self._wake.clear()
        else:
            self._wake.set()

    # --- the loop ---------------------------------------------------------------------------------
    async def _loop(self, backend: Backend) -> None:
        self._update_wake()
        self._set_status(MonitorState.STARTING, "Reading history…")
        try:
            await self._run(self._freeze)
            await self._restore_history(backend)
        except RunnerClosed:
            return
        backoff = 0.0
        while True:
            if not self._wake.is_set():
                await self._wake.wait()
            started = self._monotonic()
            wait_s = self._interval_s
            try:
                await self._poll(backend)
                backoff = 0.0
                took = self._monotonic() - started
                self._adapt_interval(took)
                wait_s = self._interval_s - took
                if took > self.settings.interval_s:
                    self._set_status(
                        MonitorState.DELAYED,
                        f"Data delayed: a poll took {took:.1f} s; sampling every {self._interval_s:.0f} s",
                    )
                else:
                    self._set_status(MonitorState.LIVE, f"Live: sampling every {self._interval_s:.0f} s")
            except (asyncio.CancelledError, RunnerClosed):
                raise
            except Throttled:
                self.counters.throttled += 1
                backoff = min(self.settings.max_backoff_s, max(self._interval_s, backoff * 2 or 1.0))
                wait_s = backoff
                self._set_status(
                    MonitorState.DELAYED,
                    f"Data delayed: AWS is throttling requests; retrying in {backoff:.0f} s",
                )
            except BatchGuiError as error:
                backoff = min(self.settings.max_backoff_s, max(self._interval_s, backoff * 2 or 1.0))
                wait_s = backoff
                self._set_status(MonitorState.ERROR, f"{error.message()} (retrying in {backoff:.0f} s)")
            except Exception as error:
                log.exception("monitor poll failed")
                backoff = min(self.settings.max_backoff_s, max(self._interval_s, backoff * 2 or 1.0))
                wait_s = backoff
                self._set_status(
                    MonitorState.ERROR, f"Monitoring failed: {error} (retrying in {backoff:.0f} s)"
                )
            if wait_s > 0:
                await asyncio.sleep(wait_s)

    def _adapt_interval(self, took_s: float) -> None:
        base = self.settings.interval_s
        if took_s > self._interval_s * 0.8:
            self._interval_s = min(self.settings.max_interval_s, max(base, took_s * 1.25))
        else:
            self._interval_s = max(base, min(self._interval_s, max(base, took_s * 1.25)))

    async def _restore_history(self, backend: Backend) -> None:
        if self._data_dir is None:
            return
        store = await self._run(self._store_opener, self._data_dir, backend.spec)
        self._store = store
        samples = await self._run(store.load, self._clock() - self.history.keep_s)
        history = History(keep_s=self.history.keep_s)
        history.extend(samples)
        self.history = history
        self.history_replaced.emit(history)

    async def _call(self, poll: _Poll, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        await self.budget.take()
        poll.requests += 1
        self.counters.requests += 1
        return await self._run(fn, *args, **kwargs)

    # --- one poll ---------------------------------------------------------------------------------
    async def poll_once(self) -> Sample:
        """Read every queue of the bound connection once, update the tracked jobs, record one sample."""
        if self._bound is None:
            raise RuntimeError("no connection to monitor")
        return await self._poll(self._bound)

    async def _poll_for_views(self) -> None:
        """A view asked the store for fresh states (F5, or its refresh while the loop is off)."""
        if self._bound is not None:
            await self._poll(self._bound)

    async def _poll(self, backend: Backend) -> Sample:
        async with self.store.poll_lock():
            return await self._poll_locked(backend)

    async def _poll_locked(self, backend: Backend) -> Sample:
        """One poll. The GUI thread only sends requests and applies what changed: pages are parsed
        into tuples on the worker that read them, and the comparison with 10,000 tracked jobs
        (`merge_poll`) and the sample's aggregation run on a worker too.
        """
        batch = backend.batch
        poll = _Poll()
        started = self._monotonic()
        poll_ms = self._clock() * 1000
        skew_ms = self.settings.clock_skew_s * 1000
        if self._queues_read_at is None or started - self._queues_read_at >= self.settings.queues_every_s:
            self.queues = await self._call(poll, batch.describe_job_queues)
            self._queues_read_at = started
        self.environments = await self._call(poll, batch.describe_compute_environments)
        baselined = self._baseline_ms is not None
        after_ms = int((self._last_poll_ms or poll_ms) - skew_ms)
        finished_now: dict[str, tuple[str, str]] = {}
        pages: list[list[SeenRow]] = []
        for queue in self.queues:
            # Also on the first poll, so that jobs finished just before it are known and never counted.
            await self._read_created_since(poll, backend, queue.name, after_ms, finished_now, count=baselined)
            for status in ACTIVE_STATUSES:
                token: str | None = None
                while True:
                    rows, token = await self.store.list_states_page(
                        partial(self._call, poll), batch, queue.name, status, token
                    )
                    pages.append(rows)
                    if not token:
                        break
        baseline = self._baseline_ms
        changes = await self._run(
            partial(
                merge_poll,
                self._jobs,
                self._finished,
                pages,
                finished_now,
                count_submitted=baselined,
                submitted_since_ms=None if baseline is None else baseline - skew_ms,
                forget_before_ms=after_ms - skew_ms,
            )
        )
        del pages
        await self._apply_changes(poll, changes)
        await self._settle_leavers(poll, backend, changes)
        await self._describe_new_running(poll, backend, changes.need_resources)
        await self._poll_arrays(poll, backend)
        if not baselined:
            self._baseline_ms = poll_ms
            self.store.counting_since_ms = poll_ms - skew_ms
        self._last_poll_ms = poll_ms
        sample = await self._run(
            partial(
                build_sample,
                self._clock(),
                self._interval_s,
                active=self.store.with_children(self._jobs),
                queues=list(self.queues),
                environments=list(self.environments),
                events=dict(poll.events),
            )
        )
        self.counters.polls += 1
        self.counters.last_poll_requests = poll.requests
        self.counters.last_poll_s = self._monotonic() - started
        self.history.append(sample)
        if self._store is not None:
            await self._run(self._store.append, sample)
        self.samples.emit(sample)
        if poll.failed:
            self.jobs_failed.emit(poll.failed)
        self._check_runnable(sample)
        if not baselined and (self.running or len(self._jobs) >= FREEZE_EVERY_ROWS):
            # A poll a view asked for (the loop not running) on a small account leaves the GC alone.
            await self._run(self._freeze)
        return sample

    async def _read_created_since(
        self,
        poll: _Poll,
        backend: Backend,
        queue: str,
        after_ms: int,
        finished_now: dict[str, tuple[str, str]],
        *,
        count: bool,
    ) -> None:
        """Jobs created since the last poll that already finished: counted even if no list saw them."""
        token: str | None = None
        filters = JobFilters(created_after_ms=after_ms)
        while True:
            rows, token = await self._call(poll, backend.batch.list_jobs_filtered_page, queue, filters, token)
            self.store.put(rows)
            for row in rows:
                # Some endpoints ignore the filter: check the time here too.
                if row.created_at is not None and row.created_at <= after_ms:
                    continue
                if not row.status.is_terminal or row.job_id in self._finished:
                    continue
                if row.job_id in self._jobs:
                    # A tracked job that finished: settled with the leavers.
                    finished_now[row.job_id] = (row.status.value, row.status_reason)
                    continue
                self._finished[row.job_id] = row.created_at or 0
                if not count:
                    continue
                self._count_submitted(poll, queue, row.created_at)
                self._count_finished(
                    poll, queue, FinishedJob(row.job_id, row.name, queue, row.status, row.status_reason)
                )
            if not token:
                return

    async def _apply_changes(self, poll: _Poll, changes: PollChanges) -> None:
        """Store what `merge_poll` found; long lists in slices so the GUI thread keeps drawing."""
        self._jobs.update(changes.upserts)
        for queue, count in changes.submitted.items():
            poll.event(queue).submitted += count
            self.counters.submitted += count
        finished = self._finished
        for index, job_id in enumerate(changes.stale_finished):
            finished.pop(job_id, None)
            if index % _SLICE == _SLICE - 1:
                await asyncio.sleep(0)
        for index, (job_id, status, reason) in enumerate(changes.finished):
            self._finish(poll, job_id, JobStatus(status), reason)
            if index % _SLICE == _SLICE - 1:
                await asyncio.sleep(0)

    def _count_submitted(self, poll: _Poll, queue: str, created_ms: int | None) -> None:
        # Jobs created before monitoring began were there already: not submitted "now".
        baseline = self._baseline_ms
        if (
            baseline is not None
            and created_ms is not None
            and created_ms < baseline - 1000 * self.settings.clock_skew_s
        ):
            return
        poll.event(queue).submitted += 1
        self.counters.submitted += 1

    def _count_finished(self, poll: _Poll, queue: str, job: FinishedJob) -> None:
        status = job.status
        if status is JobStatus.SUCCEEDED:
            poll.event(queue).succeeded += 1
            self.counters.succeeded += 1
        elif status is JobStatus.FAILED:
            poll.event(queue).failed += 1
            self.counters.failed += 1
            poll.failed.append(job)

    async def _settle_leavers(self, poll: _Poll, backend: Backend, changes: PollChanges) -> None:
        """Tracked jobs no active list showed: described (100 per call) to learn how they ended."""
        for chunk in chunks(changes.unknown, DESCRIBE_JOBS_MAX):
            described = await self._call(poll, backend.batch.describe_jobs, list(chunk))
            self.counters.described += len(described)
            self.store.put([self.store.record_description(job) for job in described])
            found = set()
            for job in described:
                job_id = str(job.get("jobId", ""))
                found.add(job_id)
                status = JobStatus(job["status"])
                if status.is_terminal:
                    self._finish(poll, job_id, status, str(job.get("statusReason", "")))
                elif job_id in self._jobs:
                    # Moved between two lists while they were read: still active.
                    old = self._jobs[job_id]
                    created = job.get("createdAt")
                    self._jobs[job_id] = (
                        str(job.get("jobName") or old[NAME]),
                        old[QUEUE],
                        status.value,
                        int(created) if isinstance(created, int | float) else old[CREATED],
                        str(job.get("statusReason", "")),
                        _resources(job),
                    )
            for job_id in chunk:
                if job_id not in found:
                    self._jobs.pop(job_id, None)  # gone from the service (deleted / expired)

    def _finish(self, poll: _Poll, job_id: str, status: JobStatus, reason: str) -> None:
        tracked = self._jobs.pop(job_id, None)
        if tracked is None:
            return
        self._finished[job_id] = tracked[CREATED] or 0
        if job_id in self.store.array_parents():
            return  # its children were counted as they finished
        queue = tracked[QUEUE]
        self._count_finished(poll, queue, FinishedJob(job_id, tracked[NAME], queue, status, reason))

    async def _describe_new_running(self, poll: _Poll, backend: Backend, candidates: list[str]) -> None:
        """vCPUs/memory of jobs that reached STARTING/RUNNING, within what is left of the budget."""
        jobs = self._jobs
        parents = self.store.array_parents()  # described with their children (_poll_arrays)
        waiting = [
            job_id
            for job_id in candidates
            if job_id in jobs and jobs[job_id][RESOURCES] is None and job_id not in parents
        ]
        if not waiting:
            return
        allowance = self._interval_s * self.budget.per_s - poll.requests
        calls = max(1, int(allowance))
        for chunk in list(chunks(waiting, DESCRIBE_JOBS_MAX))[:calls]:
            described = await self._call(poll, backend.batch.describe_jobs, list(chunk))
            self.counters.described += len(described)
            for job in described:
                job_id = str(job.get("jobId", ""))
                old = jobs.get(job_id)
                if old is not None:
                    jobs[job_id] = (
                        old[NAME],
                        old[QUEUE],
                        old[STATUS],
                        old[CREATED],
                        old[REASON],
                        _resources(job),
                    )

    async def _poll_arrays(self, poll: _Poll, backend: Backend) -> None:
        """The children of active arrays, through the store; those that finished are counted."""
        allowance = int(self._interval_s * self.budget.per_s - poll.requests)
        await self.store.poll_arrays(partial(self._call, poll), backend.batch, max(1, allowance // 4))
        for queue, events in self.store.take_events().items():
            if not self._baseline_ms:
                continue
            happened = poll.event(queue)
            happened.succeeded += events.succeeded
            happened.failed += events.failed
            self.counters.succeeded += events.succeeded
            self.counters.failed += events.failed
            poll.failed.extend(
                FinishedJob(c.job_id, c.name, queue, c.status, c.status_reason)
                for c in events.failed_children
            )

    def _check_runnable(self, sample: Sample) -> None:
        limit = self.settings.runnable_alert_s
        current = {(q.queue, q.oldest_runnable_job) for q in sample.queues if q.oldest_runnable_job}
        self._alerted &= current  # alerts are remembered only while that job is still the oldest
        for queue in sample.queues:
            if not queue.oldest_runnable_job:
                continue
            age = sample.t - queue.get("oldest_runnable_created")
            key = (queue.queue, queue.oldest_runnable_job)
            if age >= limit and key not in self._alerted:
                self._alerted.add(key)
                self.runnable_waiting.emit(
                    RunnableAlert(queue.queue, queue.oldest_runnable_job, age, queue.oldest_runnable_reason)
                )

    def requests_per_s(self, window_s: float = 10.0) -> float:
        return self.budget.rate(window_s)

    # --- for the monitor's view ---------------------------------------------------------------------
    async def queue_names(self) -> list[str]:
        """The current connection's queues, to name them before the first sample arrives."""
        return [q.name for q in await self._run(self._backend().batch.describe_job_queues)]

    async def export_csv(self, path: Path, start: float) -> None:
        """Write the plotted data (selected queues summed) from `start` on as CSV, on a worker."""
        text = history_csv(self.history.view(), start)
        await self._run(path.write_text, text, "utf-8")
