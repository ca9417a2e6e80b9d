"""How one monitoring tick reads the account: the tracked active jobs and the per-queue plan.

Each tick asks domain/polling.py `plan_poll` which queues to read, from what it knows of each
(active jobs, last change, last check, whether a view shows it) and what the account-wide budget
allows this tick:
- a *full read* of a queue: ListJobs with AFTER_CREATED_AT (every status) for the jobs created since
  its last read — so short jobs that finished between two reads are still counted — then ListJobs per
  active status (SUBMITTED … RUNNING, in that order, so a job moving on while the lists are read is
  seen again rather than lost);
- a *probe* of an idle queue: only the created-since listing. A probe that finds a job reads the
  queue fully in the same tick, and the queue is busy from then on.
Tracked jobs of the queues read fully that are in none of their active lists have finished:
DescribeJobs (100 ids per call) says how. Newly RUNNING jobs are described once for their
vCPUs/memory, within what is left of the tick's budget. Array children go through the job store.

Every request takes a token from the store's account-wide TokenBucket (`TokenBucket.call`): a
throttled answer slows the bucket down and is tried again.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ParamSpec, TypeVar

from batchgui.aws.batch import DESCRIBE_JOBS_MAX, BatchGateway, chunks
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_requests import JobFilters
from batchgui.domain.job_resources import resources_from_description
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
from batchgui.domain.polling import PollPlan, QueueActivity, classify, plan_poll
from batchgui.domain.samples import ACTIVE_STATUSES
from batchgui.services.job_store import JobStore
from batchgui.services.monitor_types import (
    MONITOR_SHARE,
    FinishedJob,
    MonitorSettings,
    PollCounters,
    PollTally,
    QueueFreshness,
)

P = ParamSpec("P")
T = TypeVar("T")
Run = Callable[..., Awaitable[Any]]

# Long lists applied on the GUI thread yield to the event loop after this many items (~1 ms of work).
_SLICE = 1000


def _resources(job: Mapping[str, Any]) -> Resources:
    found = resources_from_description(job)
    return (found.vcpus, found.memory_mib, found.platform_capabilities)


@dataclass
class _QueueTimes:
    """When the poller last saw a queue change, checked it, read it fully (monotonic s), and
    checked it on the wall clock (epoch s, for "checked 40 s ago")."""

    changed_at: float | None = None
    checked_at: float | None = None
    read_at: float | None = None
    checked_epoch: float | None = None


def merge_read_queues(  # noqa: PLR0917 - run through the runner, which passes arguments by position
    jobs: Mapping[str, ActiveRow],
    read: frozenset[str],
    known: frozenset[str],
    finished: Mapping[str, int],
    pages: Sequence[Sequence[SeenRow]],
    finished_now: Mapping[str, tuple[str, str]],
    count_submitted: bool,
    submitted_since_ms: float | None,
    forget_before_ms: float,
) -> tuple[PollChanges, set[str]]:
    """`merge_poll` over the jobs of the queues read this tick (and of queues that no longer
    exist), on a worker; also the queues in which something changed."""
    book = {job_id: row for job_id, row in jobs.items() if row[QUEUE] in read or row[QUEUE] not in known}
    changes = merge_poll(
        book,
        finished,
        pages,
        finished_now,
        count_submitted=count_submitted,
        submitted_since_ms=submitted_since_ms,
        forget_before_ms=forget_before_ms,
    )
    changed = {row[QUEUE] for row in changes.upserts.values()}
    changed.update(book[job_id][QUEUE] for job_id in changes.unknown)
    changed.update(book[job_id][QUEUE] for job_id, _status, _reason in changes.finished)
    return changes, changed


class QueueReader:
    """The tracked active jobs of one connection, and the reading of one tick (planned per queue)."""

    def __init__(
        self,
        run: Run,
        store: JobStore,
        settings: Callable[[], MonitorSettings],
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._run = run
        self.store = store
        self._settings = settings
        self._clock = clock
        self._monotonic = monotonic
        self.counters = PollCounters()
        self.jobs: dict[str, ActiveRow] = {}
        self.finished: dict[str, int] = {}  # job id -> createdAt ms, so no job is counted twice
        self.baseline_ms: float | None = None
        self._read_ms: dict[str, float] = {}  # queue -> epoch ms of its last created-since listing
        self._times: dict[str, _QueueTimes] = {}
        self.last_plan = PollPlan()

    # --- what the views read ------------------------------------------------------------------------
    def freshness(self, queues: Sequence[str], interval_s: float) -> dict[str, QueueFreshness]:
        settings = self._settings().plan_settings(interval_s)
        now = self._monotonic()
        out = {}
        for activity in self._activities(queues):
            times = self._times.get(activity.queue)
            kind = classify(activity, now, settings)
            out[activity.queue] = QueueFreshness(activity.queue, kind, times.checked_epoch if times else None)
        return out

    # --- one tick -------------------------------------------------------------------------------------
    async def call(self, tally: PollTally, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """One Batch request within the account's budget (throttled answers slow it and are retried)."""

        async def counted(target: Callable[..., Any], *given: Any, **named: Any) -> Any:
            tally.requests += 1
            self.counters.requests += 1
            return await self._run(target, *given, **named)

        return await self.store.budget.call(counted, fn, *args, **kwargs)

    def _activities(self, queues: Sequence[str]) -> list[QueueActivity]:
        active = Counter(row[QUEUE] for row in self.jobs.values())
        viewed = self.store.viewed
        activities = []
        for queue in queues:
            times = self._times.get(queue) or _QueueTimes()
            activities.append(
                QueueActivity(
                    queue, active[queue], times.changed_at, times.checked_at, times.read_at, queue in viewed
                )
            )
        return activities

    def plan(
        self, queues: Sequence[str], interval_s: float, tally: PollTally, *, eager: bool = False
    ) -> PollPlan:
        settings = self._settings().plan_settings(interval_s)
        allowance = self._share_left(tally, interval_s)
        activities = self._activities(queues)
        self.last_plan = plan_poll(activities, self._monotonic(), settings, allowance, eager=eager)
        return self.last_plan

    def _checked(self, queue: str, *, full: bool, changed: bool = False) -> None:
        times = self._times.setdefault(queue, _QueueTimes())
        now = self._monotonic()
        times.checked_at = now
        times.checked_epoch = self._clock()
        if full:
            times.read_at = now
        if changed:
            times.changed_at = now

    async def read(
        self, tally: PollTally, batch: BatchGateway, queues: Sequence[str], interval_s: float, *, eager: bool
    ) -> None:
        """Read the queues the plan picks (`eager`: every idle queue probed too); update the tracked
        jobs and the tally's events."""
        settings = self._settings()
        skew_ms = settings.clock_skew_s * 1000
        poll_ms = self._clock() * 1000
        baselined = self.baseline_ms is not None
        plan = self.plan(queues, interval_s, tally, eager=eager)
        finished_now: dict[str, tuple[str, str]] = {}
        full = list(plan.full)
        listed: set[str] = set()
        for queue in plan.probe:
            found = await self._read_created_since(
                tally, batch, queue, poll_ms, finished_now, count=baselined
            )
            listed.add(queue)
            self.counters.probes += 1
            self._checked(queue, full=False, changed=found)
            if found:
                full.append(queue)  # something happened on an idle queue: read it now
        pages: list[list[SeenRow]] = []
        for queue in full:
            if queue not in listed:
                # Also on the first read, so that jobs finished just before it are known and never counted.
                await self._read_created_since(tally, batch, queue, poll_ms, finished_now, count=baselined)
            for status in ACTIVE_STATUSES:
                token: str | None = None
                while True:
                    rows, token = await self.store.list_states_page(
                        partial(self.call, tally), batch, queue, status, token
                    )
                    pages.append(rows)
                    if not token:
                        break
            self.counters.full_reads += 1
        baseline = self.baseline_ms
        oldest_read = min((self._read_ms.get(q, poll_ms) for q in queues), default=poll_ms)
        changes, changed = await self._run(
            merge_read_queues,
            self.jobs,
            frozenset(full),
            frozenset(queues),
            self.finished,
            pages,
            finished_now,
            baselined,
            None if baseline is None else baseline - skew_ms,
            oldest_read - 2 * skew_ms,
        )
        del pages
        for queue in full:
            # A queue read for the first time has not been quiet "for a while" yet: it counts as
            # changed, so it turns idle only after the idle time of quiet reads.
            first = queue not in self._times or self._times[queue].read_at is None
            self._checked(queue, full=True, changed=first or queue in changed)
        await self._apply_changes(tally, changes)
        await self._settle_leavers(tally, batch, changes)
        await self._describe_new_running(tally, batch, changes.need_resources, interval_s)
        await self._poll_arrays(tally, batch, interval_s)
        if not baselined:
            self.baseline_ms = poll_ms
            self.store.counting_since_ms = poll_ms - skew_ms

    async def _read_created_since(
        self,
        tally: PollTally,
        batch: BatchGateway,
        queue: str,
        poll_ms: float,
        finished_now: dict[str, tuple[str, str]],
        *,
        count: bool,
    ) -> bool:
        """Jobs created since the queue's last read that already finished: counted even if no list saw
        them. Returns whether any job was new to the poller (a probe's answer)."""
        skew_ms = self._settings().clock_skew_s * 1000
        after_ms = int(self._read_ms.get(queue, self.baseline_ms or poll_ms) - skew_ms)
        self._read_ms[queue] = poll_ms
        token: str | None = None
        filters = JobFilters(created_after_ms=after_ms)
        found = False
        while True:
            rows, token = await self.call(tally, batch.list_jobs_filtered_page, queue, filters, token)
            self.store.put(rows)
            for row in rows:
                # Every row is noted (no short-circuit: a row after the first new one counts too).
                if self._note_created(tally, row, queue, after_ms, finished_now, count=count):
                    found = True
            if not token:
                return found

    def _note_created(
        self,
        tally: PollTally,
        row: JobSummary,
        queue: str,
        after_ms: int,
        finished_now: dict[str, tuple[str, str]],
        *,
        count: bool,
    ) -> bool:
        # Some endpoints ignore the filter: check the time here too.
        if row.created_at is not None and row.created_at <= after_ms:
            return False
        if row.job_id in self.finished:
            return False
        if not row.status.is_terminal:
            return row.job_id not in self.jobs
        if row.job_id in self.jobs:
            # A tracked job that finished: settled with the leavers.
            finished_now[row.job_id] = (row.status.value, row.status_reason)
            return True
        self.finished[row.job_id] = row.created_at or 0
        if count:
            self._count_submitted(tally, queue, row.created_at)
            self._count_finished(
                tally, queue, FinishedJob(row.job_id, row.name, queue, row.status, row.status_reason)
            )
        return True

    async def _apply_changes(self, tally: PollTally, changes: PollChanges) -> None:
        """Store what `merge_poll` found; long lists in slices so the GUI thread keeps drawing."""
        self.jobs.update(changes.upserts)
        for queue, count in changes.submitted.items():
            tally.event(queue).submitted += count
            self.counters.submitted += count
        finished = self.finished
        for index, job_id in enumerate(changes.stale_finished):
            finished.pop(job_id, None)
            if index % _SLICE == _SLICE - 1:
                await asyncio.sleep(0)
        for index, (job_id, status, reason) in enumerate(changes.finished):
            self._finish(tally, job_id, JobStatus(status), reason)
            if index % _SLICE == _SLICE - 1:
                await asyncio.sleep(0)

    def _count_submitted(self, tally: PollTally, queue: str, created_ms: int | None) -> None:
        # Jobs created before monitoring began were there already: not submitted "now".
        baseline = self.baseline_ms
        skew_ms = 1000 * self._settings().clock_skew_s
        if baseline is not None and created_ms is not None and created_ms < baseline - skew_ms:
            return
        tally.event(queue).submitted += 1
        self.counters.submitted += 1

    def _count_finished(self, tally: PollTally, queue: str, job: FinishedJob) -> None:
        status = job.status
        if status is JobStatus.SUCCEEDED:
            tally.event(queue).succeeded += 1
            self.counters.succeeded += 1
        elif status is JobStatus.FAILED:
            tally.event(queue).failed += 1
            self.counters.failed += 1
            tally.failed.append(job)

    async def _settle_leavers(self, tally: PollTally, batch: BatchGateway, changes: PollChanges) -> None:
        """Tracked jobs no active list showed: described (100 per call) to learn how they ended."""
        for chunk in chunks(changes.unknown, DESCRIBE_JOBS_MAX):
            described = await self.call(tally, batch.describe_jobs, list(chunk))
            self.counters.described += len(described)
            self.store.put([self.store.record_description(job) for job in described])
            found = set()
            for job in described:
                job_id = str(job.get("jobId", ""))
                found.add(job_id)
                status = JobStatus(job["status"])
                if status.is_terminal:
                    self._finish(tally, job_id, status, str(job.get("statusReason", "")))
                elif job_id in self.jobs:
                    # Moved between two lists while they were read: still active.
                    old = self.jobs[job_id]
                    created = job.get("createdAt")
                    self.jobs[job_id] = (
                        str(job.get("jobName") or old[NAME]),
                        old[QUEUE],
                        status.value,
                        int(created) if isinstance(created, int | float) else old[CREATED],
                        str(job.get("statusReason", "")),
                        _resources(job),
                    )
            for job_id in chunk:
                if job_id not in found:
                    self.jobs.pop(job_id, None)  # gone from the service (deleted / expired)

    def _finish(self, tally: PollTally, job_id: str, status: JobStatus, reason: str) -> None:
        tracked = self.jobs.pop(job_id, None)
        if tracked is None:
            return
        self.finished[job_id] = tracked[CREATED] or 0
        if job_id in self.store.array_parents():
            return  # its children were counted as they finished
        queue = tracked[QUEUE]
        self._count_finished(tally, queue, FinishedJob(job_id, tracked[NAME], queue, status, reason))

    def _share_left(self, tally: PollTally, interval_s: float) -> float:
        """Requests left in this tick's share of the budget."""
        return interval_s * self.store.budget.per_s * MONITOR_SHARE - tally.requests

    def _allowance(self, tally: PollTally, interval_s: float) -> int:
        return int(self._share_left(tally, interval_s))

    async def _describe_new_running(
        self, tally: PollTally, batch: BatchGateway, candidates: list[str], interval_s: float
    ) -> None:
        """vCPUs/memory of jobs that reached STARTING/RUNNING, within what is left of the budget."""
        jobs = self.jobs
        parents = self.store.array_parents()  # described with their children (_poll_arrays)
        waiting = [
            job_id
            for job_id in candidates
            if job_id in jobs and jobs[job_id][RESOURCES] is None and job_id not in parents
        ]
        if not waiting:
            return
        calls = max(1, self._allowance(tally, interval_s))
        for chunk in list(chunks(waiting, DESCRIBE_JOBS_MAX))[:calls]:
            described = await self.call(tally, batch.describe_jobs, list(chunk))
            self.counters.described += len(described)
            for job in described:
                old = jobs.get(str(job.get("jobId", "")))
                if old is not None:
                    job_id = str(job["jobId"])
                    jobs[job_id] = (
                        old[NAME],
                        old[QUEUE],
                        old[STATUS],
                        old[CREATED],
                        old[REASON],
                        _resources(job),
                    )

    async def _poll_arrays(self, tally: PollTally, batch: BatchGateway, interval_s: float) -> None:
        """The children of active arrays, through the store; those that finished are counted."""
        allowance = self._allowance(tally, interval_s)
        await self.store.poll_arrays(partial(self.call, tally), batch, max(1, allowance // 4))
        for queue, events in self.store.take_events().items():
            if not self.baseline_ms:
                continue
            happened = tally.event(queue)
            happened.succeeded += events.succeeded
            happened.failed += events.failed
            self.counters.succeeded += events.succeeded
            self.counters.failed += events.failed
            tally.failed.extend(
                FinishedJob(c.job_id, c.name, queue, c.status, c.status_reason)
                for c in events.failed_children
            )
            self._times.setdefault(queue, _QueueTimes()).changed_at = self._monotonic()
