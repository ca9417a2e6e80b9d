"""The one job store every panel reads: one entry per job id, array children included.

Qt-free. Fed by ONE poller (the monitor's loop drives it, services/job_monitor.py) that takes every
request from the connection's account-wide TokenBucket (`budget`, services/budget.py):
- ListJobs per watched queue and active status (`list_states_page`): the pages become entries here
  and the compact rows the monitor's book is merged from (domain/job_tracking.py `merge_poll`);
- for the array parents among the active jobs (and those the user expanded), DescribeJobs (100 per
  call) for their statusSummary and resources, then ListJobs `arrayJobId` pages of only the statuses
  that have children (`poll_arrays`); children that left the active lists are described (100 per
  call) for how they ended; the statusSummary deltas count the children that finished;
- DescribeJobs of what a view shows (`describe`).

Changes go to subscribers as `JobChanges(updated, gone)`: only what changed. Children that aged out
of AWS (finished jobs are kept about 7 days) are marked gone, never reported as errors.

Public API (panels code against these names): `get`, `children`, `progress`, `subscribe`, `put`,
`expand`, `collapse`, `describe`, `refresh`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from batchgui.aws.batch import DESCRIBE_JOBS_MAX, LIST_JOBS_PAGE, BatchGateway, chunks
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.job_resources import resources_from_description
from batchgui.domain.job_tracking import (
    ActiveRow,
    ArrayProgress,
    Resources,
    SeenRow,
    parent_of,
    summary_deltas,
)
from batchgui.services import job_nodes
from batchgui.services.bound import BoundService
from batchgui.services.budget import DEFAULT_REQUESTS_PER_S, TokenBucket
from batchgui.services.connections import ConnectionManager
from batchgui.services.runner import Runner

ACTIVE: tuple[JobStatus, ...] = JobStatus.active()
FIRST_PAGE = 100
# A budgeted call: `await call(fn, *args)` takes a token, counts the request and runs `fn` on a worker.
Call = Callable[..., Awaitable[Any]]
Listener = Callable[["JobChanges"], None]


@dataclass(frozen=True)
class JobChanges:
    """What changed in the store: new or changed entries, and ids that no longer exist."""

    updated: tuple[JobSummary, ...] = ()
    gone: tuple[str, ...] = ()


@dataclass
class ArrayEvents:
    """Children that finished in one queue since the last `take_events` (statusSummary deltas)."""

    succeeded: int = 0
    failed: int = 0
    failed_children: list[JobSummary] = field(default_factory=list)


@dataclass
class _Array:
    """What the store tracks of one array parent."""

    queue: str
    size: int
    summary: dict[str, int] | None = None
    # Children seen in an active list at the last poll, by status.
    active: dict[str, str] = field(default_factory=dict)
    # Children that left the active lists and are still to be described.
    leaving: set[str] = field(default_factory=set)


def _states_page(
    gateway: BatchGateway, queue: str, status: JobStatus, token: str | None, known: Mapping[str, JobSummary]
) -> tuple[list[SeenRow], list[JobSummary], str | None]:
    """One ListJobs page on a worker: the monitor's compact rows and the summaries that changed."""
    summaries, token = gateway.list_jobs_page(queue, status, token)
    rows = [(s.job_id, s.name, s.status.value, s.created_at, s.status_reason, queue) for s in summaries]
    changed = [s for s in summaries if known.get(s.job_id) != s]
    return rows, changed, token


def _child_page(  # noqa: PLR0917 - run through the runner, which passes arguments by position
    gateway: BatchGateway,
    parent: str,
    status: JobStatus,
    token: str | None,
    queue: str,
    known: Mapping[str, JobSummary],
    page_size: int = LIST_JOBS_PAGE,
) -> tuple[list[tuple[str, str]], list[JobSummary], str | None]:
    """One page of an array's children in one status: (id, status) pairs and the changed summaries
    (children's ListJobs rows do not name the queue: they get their parent's)."""
    summaries, token = gateway.list_array_children_page(parent, status, token, page_size)
    filled = [replace(s, queue=queue) if not s.queue else s for s in summaries]
    pairs = [(s.job_id, s.status.value) for s in filled]
    return pairs, [s for s in filled if known.get(s.job_id) != s], token


def _ended(summary: Mapping[str, int]) -> int:
    """Children a statusSummary counts as SUCCEEDED or FAILED (an ended parent is described until
    its summary says all of them, so the last children to finish are counted too)."""
    return summary.get(JobStatus.SUCCEEDED.value, 0) + summary.get(JobStatus.FAILED.value, 0)


class JobStore(BoundService):
    def __init__(
        self,
        runner: Runner,
        connections: ConnectionManager,
        *,
        requests_per_s: float = DEFAULT_REQUESTS_PER_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(runner, connections)
        self._monotonic = monotonic
        self.budget = TokenBucket(requests_per_s, monotonic=monotonic)
        self._listeners: list[Listener] = []
        self._driver: Callable[[], Awaitable[object]] | None = None
        self._driving: Callable[[], bool] = lambda: False
        self._polling: asyncio.Lock | None = None
        self._viewed: dict[str, frozenset[str]] = {}
        self.requests = 0
        self.forget()
        connections.changed.add(lambda _backend: self.forget())

    # --- state ------------------------------------------------------------------------------------
    def forget(self) -> None:
        """Another connection: nothing of the old one's jobs is kept."""
        self._jobs: dict[str, JobSummary] = {}
        self._kids: dict[str, set[str]] = {}
        self._arrays: dict[str, _Array] = {}
        self._resources: dict[str, Resources] = {}
        self._expanded: set[str] = set()
        self._events: dict[str, ArrayEvents] = {}
        # Arrays created from this time on (epoch ms) count every child that ends: set by the poller
        # once it has its baseline.
        self.counting_since_ms: float | None = None

    def set_rate(self, requests_per_s: float) -> None:
        """The preference changed: a new budget at that rate (everything shares it)."""
        if requests_per_s != self.budget.max_per_s:
            self.budget = TokenBucket(requests_per_s, monotonic=self._monotonic)

    # --- what the views show (the poller reads those queues every tick) -----------------------------
    def set_viewed(self, view: str, queues: Iterable[str]) -> None:
        """The queues `view` shows now (none: it shows none, or all of them without a choice)."""
        self._viewed[view] = frozenset(q for q in queues if q)

    @property
    def viewed(self) -> frozenset[str]:
        return frozenset().union(*self._viewed.values())

    # --- reading (the public API) -----------------------------------------------------------------
    def get(self, job_id: str) -> JobSummary | None:
        return self._jobs.get(job_id)

    def __len__(self) -> int:
        return len(self._jobs)

    def children(self, array_job_id: str) -> list[JobSummary]:
        """The known children of an array, in index order."""
        jobs = self._jobs
        found = [jobs[i] for i in self._kids.get(array_job_id, ()) if i in jobs]
        return sorted(found, key=lambda j: j.array_index if j.array_index is not None else -1)

    def progress(self, array_job_id: str) -> ArrayProgress | None:
        """The parent's children by status ("8 running · 42 runnable · 0 failed of 50")."""
        parent = self._jobs.get(array_job_id)
        array = self._arrays.get(array_job_id)
        size = array.size if array else (parent.array_size if parent else None)
        if size is None:
            return None
        jobs = self._jobs
        statuses = (jobs[i].status.value for i in self._kids.get(array_job_id, ()) if i in jobs)
        return ArrayProgress.build(size, (array.summary if array else None) or {}, statuses)

    def resources(self, job_id: str) -> Resources | None:
        """vCPUs, MiB and platform capabilities; a child has its parent's."""
        found = self._resources.get(job_id)
        if found is None:
            parent = parent_of(job_id)
            if parent is not None:
                found = self._resources.get(parent)
        return found

    def is_array(self, job_id: str) -> bool:
        job = self._jobs.get(job_id)
        return job_id in self._arrays or (job is not None and job.array_size is not None)

    @property
    def expanded(self) -> frozenset[str]:
        return frozenset(self._expanded)

    def active_children(self) -> dict[str, ActiveRow]:
        """Every child seen active at the last poll, in the monitor's compact form."""
        rows: dict[str, ActiveRow] = {}
        jobs = self._jobs
        for parent_id, array in self._arrays.items():
            resources = self._resources.get(parent_id)
            for child_id, status in array.active.items():
                child = jobs.get(child_id)
                if child is None:
                    continue
                reason = child.status_reason
                rows[child_id] = (child.name, array.queue, status, child.created_at, reason, resources)
        return rows

    def with_children(self, book: Mapping[str, ActiveRow]) -> Mapping[str, ActiveRow]:
        """The monitor's book of active jobs as a sample counts it: array parents stand aside for
        their active children."""
        parents = self._arrays
        children = self.active_children()
        if not parents and not children:
            return book
        counted = {job_id: row for job_id, row in book.items() if job_id not in parents}
        counted.update(children)
        return counted

    def array_parents(self) -> set[str]:
        """Ids of the array parents whose children are counted instead of them."""
        return set(self._arrays)

    # --- subscribing ------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every change set; returns the function that unsubscribes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _publish(self, updated: Sequence[JobSummary], gone: Sequence[str] = ()) -> None:
        if not updated and not gone:
            return
        changes = JobChanges(tuple(updated), tuple(gone))
        for listener in list(self._listeners):
            listener(changes)

    # --- writing ----------------------------------------------------------------------------------
    def put(self, jobs: Iterable[JobSummary]) -> None:
        """Entries from any listing or description; subscribers hear of those that changed."""
        changed: list[JobSummary] = []
        store = self._jobs
        for given in jobs:
            job = given
            parent = parent_of(job.job_id) if job.array_index is not None else None
            if parent is not None:
                if not job.queue:
                    array = self._arrays.get(parent)
                    owner = store.get(parent)
                    queue = array.queue if array else (owner.queue if owner else "")
                    if queue:
                        job = replace(job, queue=queue)
                self._kids.setdefault(parent, set()).add(job.job_id)
            elif job.array_size is not None and job.queue and job.job_id not in self._arrays:
                self._arrays[job.job_id] = _Array(job.queue, job.array_size)
            old = store.get(job.job_id)
            if old is not None and job.exit_code is None and old.exit_code is not None:
                job = replace(job, exit_code=old.exit_code)  # ListJobs rows may leave it out
            if old == job:
                continue
            store[job.job_id] = job
            changed.append(job)
        self._publish(changed)

    def mark_gone(self, job_ids: Iterable[str]) -> None:
        gone = [job_id for job_id in job_ids if self._jobs.pop(job_id, None) is not None]
        for job_id in gone:
            self._arrays.pop(job_id, None)
            self._expanded.discard(job_id)
            parent = parent_of(job_id)
            if parent is not None:
                self._kids.get(parent, set()).discard(job_id)
                array = self._arrays.get(parent)
                if array is not None:
                    array.active.pop(job_id, None)
                    array.leaving.discard(job_id)
        self._publish((), gone)

    def record_description(self, job: Mapping[str, Any]) -> JobSummary:
        """A DescribeJobs entry: the summary, resources, and an array parent's statusSummary (whose
        growth in SUCCEEDED/FAILED counts the children that finished)."""
        summary = JobSummary.from_api(dict(job))
        found = resources_from_description(job)
        if found.vcpus or found.memory_mib or summary.array_size is None:
            self._resources[summary.job_id] = (found.vcpus, found.memory_mib, found.platform_capabilities)
        if summary.array_size is not None and summary.array_index is None:
            array = self._arrays.get(summary.job_id)
            if array is None:
                array = self._arrays[summary.job_id] = _Array(summary.queue, summary.array_size)
            raw = (job.get("arrayProperties") or {}).get("statusSummary")
            if isinstance(raw, Mapping) and raw:
                counts = {str(k): int(v) for k, v in raw.items()}
                before = array.summary
                if before is None and self._new_since(summary):
                    before = {}  # created while counting: its first children to end count too
                if before is not None:
                    succeeded, failed = summary_deltas(before, counts)
                    if succeeded or failed:
                        events = self._events.setdefault(array.queue, ArrayEvents())
                        events.succeeded += succeeded
                        events.failed += failed
                array.summary = counts
            if summary.status.is_terminal:
                # Every child has ended: none is active any more.
                array.leaving.update(array.active)
                array.active.clear()
        return summary

    def _new_since(self, job: JobSummary) -> bool:
        since = self.counting_since_ms
        return since is not None and job.created_at is not None and job.created_at >= since

    def take_events(self) -> dict[str, ArrayEvents]:
        """Children finished per queue since the last call (the monitor's throughput)."""
        events, self._events = self._events, {}
        return events

    # --- the poll (driven by the monitor's loop) ----------------------------------------------------
    def drive(self, poll: Callable[[], Awaitable[object]], running: Callable[[], bool]) -> None:
        """The one poller registers itself: `refresh` runs its poll; `live` says its loop runs."""
        self._driver = poll
        self._driving = running

    @property
    def live(self) -> bool:
        """The poller's loop is running: views only subscribe."""
        return self._driving()

    async def refresh(self) -> None:
        """One poll now (a view's F5 or its auto-refresh while the loop is not running); a poll
        already under way counts as this one."""
        if self._driver is None:
            return
        lock = self._polling
        if lock is not None and lock.locked():
            async with lock:
                return
        await self._driver()

    def poll_lock(self) -> asyncio.Lock:
        if self._polling is None:
            self._polling = asyncio.Lock()
        return self._polling

    async def list_states_page(
        self, call: Call, gateway: BatchGateway, queue: str, status: JobStatus, token: str | None
    ) -> tuple[list[SeenRow], str | None]:
        """One ListJobs page of a queue's jobs in one status, as entries and as the monitor's rows."""
        rows, changed, token = await call(_states_page, gateway, queue, status, token, self._jobs)
        self.put(changed)
        return rows, token

    async def poll_arrays(
        self, call: Call, gateway: BatchGateway, describe_calls: int | None = None
    ) -> list[str]:
        """The children of the active (and expanded) arrays; returns the children described."""
        await job_nodes.poll_expanded(self, call, gateway)  # and the nodes of expanded multi-node jobs
        jobs = self._jobs
        wanted = [
            job_id
            for job_id, array in self._arrays.items()
            if (job_id in jobs and not jobs[job_id].status.is_terminal)
            or array.active
            or array.leaving
            or (array.summary is not None and _ended(array.summary) < array.size)
        ]
        wanted += [job_id for job_id in self._expanded if job_id not in wanted and job_id in self._arrays]
        if not wanted:
            return []
        for chunk in chunks(wanted, DESCRIBE_JOBS_MAX):
            described = await call(gateway.describe_jobs, list(chunk))
            self.put([self.record_description(job) for job in described])
            found = {str(job.get("jobId", "")) for job in described}
            self.mark_gone(job_id for job_id in chunk if job_id not in found)
        for parent_id in wanted:
            array = self._arrays.get(parent_id)
            parent = jobs.get(parent_id)
            if array is None or parent is None:
                continue
            await self._poll_children(call, gateway, parent_id, parent, array)
        leavers = [c for array in self._arrays.values() for c in array.leaving]
        limit = len(leavers) if describe_calls is None else max(1, describe_calls) * DESCRIBE_JOBS_MAX
        settled = leavers[:limit]
        for chunk in chunks(settled, DESCRIBE_JOBS_MAX):
            described = await call(gateway.describe_jobs, list(chunk))
            summaries = [self.record_description(job) for job in described]
            self.put(summaries)
            for child in summaries:
                if child.status is JobStatus.FAILED:
                    owner = parent_of(child.job_id) or ""
                    queue = self._arrays[owner].queue if owner in self._arrays else child.queue
                    self._events.setdefault(queue, ArrayEvents()).failed_children.append(child)
            found = {s.job_id for s in summaries}
            self.mark_gone(job_id for job_id in chunk if job_id not in found)
            for array in self._arrays.values():
                array.leaving.difference_update(chunk)
        return settled

    async def _poll_children(
        self, call: Call, gateway: BatchGateway, parent_id: str, parent: JobSummary, array: _Array
    ) -> None:
        summary = array.summary
        if summary is None and parent.status is JobStatus.SUBMITTED:
            return  # no children exist before the parent is PENDING
        if parent.status.is_terminal and not array.active:
            return
        statuses = [
            status
            for status in ACTIVE
            if summary is None or summary.get(status.value, 0) > 0 or status.value in array.active.values()
        ]
        seen: dict[str, str] = {}
        for status in statuses:
            token: str | None = None
            while True:
                pairs, changed, token = await call(
                    _child_page, gateway, parent_id, status, token, array.queue, self._jobs
                )
                self.put(changed)
                seen.update(pairs)
                if not token:
                    break
        # Active before (at the last poll, or as any listing left them) and in no active list now.
        jobs = self._jobs
        known = self._kids.get(parent_id, set())
        left = {child for child in array.active if child not in seen}
        left.update(c for c in known if c not in seen and c in jobs and not jobs[c].status.is_terminal)
        array.leaving.update(left)
        array.active = seen

    # --- on demand ----------------------------------------------------------------------------------
    async def _take(self, fn: Callable[..., Any], *args: Any) -> Any:
        """One request of a view's (describe, expand) within the account's budget."""

        async def counted(target: Callable[..., Any], *given: Any) -> Any:
            self.requests += 1
            return await self._run(target, *given)

        return await self.budget.call(counted, fn, *args)

    async def describe(self, job_ids: Sequence[str]) -> list[JobDetail]:
        """DescribeJobs of what a view shows (100 ids per call, within the budget); ids that no
        longer exist are marked gone."""
        ids = list(dict.fromkeys(job_ids))
        gateway = self._backend().batch
        details: list[JobDetail] = []
        for chunk in chunks(ids, DESCRIBE_JOBS_MAX):
            described: list[dict[str, Any]] = await self._take(gateway.describe_jobs, list(chunk))
            self.put([self.record_description(job) for job in described])
            details.extend(JobDetail.from_api(job) for job in described)
            found = {d.job_id for d in details}
            self.mark_gone(job_id for job_id in chunk if job_id not in found and job_id in self._jobs)
        return details

    async def expand(
        self, array_job_id: str, on_page: Callable[[list[JobSummary]], None] | None = None
    ) -> list[JobSummary]:
        """List every child of an array (each status's pages side by side; `on_page` hears each page
        as it arrives) and keep following it while it is expanded. Children that are no longer
        listed (aged out) are marked gone."""
        self._expanded.add(array_job_id)
        gateway = self._backend().batch
        parent = self._jobs.get(array_job_id)
        if job_nodes.is_multinode(parent):
            return await job_nodes.expand(self, self._take, gateway, array_job_id, on_page)
        queue = parent.queue if parent else ""
        if parent is not None and parent.array_size is not None and array_job_id not in self._arrays:
            self._arrays[array_job_id] = _Array(queue, parent.array_size)
        listed: set[str] = set()

        async def chain(status: JobStatus) -> None:
            token: str | None = None
            # A short first page: the first children are painted after a quick answer, the rest
            # come 1,000 at a time.
            size = FIRST_PAGE
            while True:
                _pairs, changed, token = await self._take(
                    _child_page, gateway, array_job_id, status, token, queue, {}, size
                )
                size = LIST_JOBS_PAGE
                listed.update(j.job_id for j in changed)
                self.put(changed)
                if on_page is not None and changed:
                    on_page(changed)
                if not token:
                    return

        await asyncio.gather(*(chain(status) for status in JobStatus))
        self.mark_gone([c for c in self._kids.get(array_job_id, set()) if c not in listed])
        return self.children(array_job_id)

    def collapse(self, array_job_id: str) -> None:
        self._expanded.discard(array_job_id)
