"""Jobs: stream a queue's jobs to the UI page by page, describe what the view shows, keep states live,
submit (then describe what was submitted), cancel/terminate many at once, and follow a job's log.

Bound to the connection (BoundService): no call takes a connection; each uses the current one.

Listing uses ListJobs by status with maxResults 1,000 (the API's maximum); each page goes to the UI
as soon as it arrives, so the first rows show after one round trip. A status's pages come one after
another (each needs the token of the one before); separate statuses are listed side by side, each
page taking a token of the account-wide budget when one is given (real AWS).

With a history folder, finished jobs are kept on disk per queue (services/job_history.py): reopening
a queue shows them at once, then lists only the active statuses and the jobs created since the last
sync (ListJobs AFTER_CREATED_AT), and describes the jobs that were active then and are not now.

DescribeJobs (100 ids per call) is only asked for the jobs the view needs: the visible rows, the
selected job.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from batchgui.aws.batch import DESCRIBE_JOBS_MAX, STOP_JOBS_MAX
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.errors import BatchGuiError
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.job_platforms import Platforms
from batchgui.domain.job_requests import JobFilters, StopResult, SubmitJobRequest, SubmittedJob
from batchgui.services.bound import BoundService
from batchgui.services.budget import TokenBucket
from batchgui.services.connections import Backend, ConnectionManager
from batchgui.services.job_history import JobHistory, QueueHistory, history_path
from batchgui.services.log_follower import (
    POLL_INTERVAL_S,
    JobLogFollow,
    LogFollower,
    LogHooks,
    LogState,
    OnEvents,
)
from batchgui.services.memory import FREEZE_EVERY_ROWS, Freeze, no_freeze
from batchgui.services.runner import Runner
from batchgui.services.tasks import TaskSet

logger = logging.getLogger(__name__)
OnJobs = Callable[[list[JobSummary]], None]
OnProgress = Callable[[int, int], None]
# Jobs shown from the local history before any request returned: (how many, last sync epoch ms).
OnHistory = Callable[[int, int], None]
# Concurrent ListJobs chains: every status of a first open, or a reopen's active statuses and
# creation-time ranges, at once (against AWS the account-wide budget sets the rate).
LIST_CONCURRENCY = 8
# The jobs created since the last sync are listed as this many creation-time ranges side by side
# (filtered pages hold 100 jobs, so 1,000 new jobs are 10 pages one after another otherwise).
CREATED_RANGES = 4
# History rows handed to the view at a time (a page's worth of GUI work).
HISTORY_SLICE = 2000
# A sync also lists jobs created a little before the newest one seen last time: a job created just
# before it may become visible to ListJobs just after (AWS is eventually consistent).
NEW_JOBS_OVERLAP_MS = 5_000


Prepared = TypeVar("Prepared")


@dataclass(frozen=True)
class KnownRows(Generic[Prepared]):
    """How a view takes a queue's rows from the local history: `prepare` makes them into the view's
    own rows on a worker (Qt-free: 100,000 table rows cost the GUI thread ~400 ms), and `take` gets
    the result on the GUI thread, in one call."""

    prepare: Callable[[list[JobSummary]], Prepared]
    take: Callable[[Prepared], None]


def _read_prepared(
    history: JobHistory, queue: str, prepare: Callable[[list[JobSummary]], Prepared]
) -> tuple[QueueHistory, int, Prepared | None]:
    """On a worker: the history read and prepared; returned without its finished jobs (only their
    count), so that their 100,000 JobSummary objects are freed here, not on the GUI thread."""
    known = history.read(queue)
    shown = known.finished + known.active
    prepared = prepare(shown) if shown else None
    return replace(known, finished=[]), len(known.finished), prepared


@dataclass
class LoadResult:
    jobs: int = 0
    pages: int = 0
    seconds: float = 0.0
    # Rows shown from the local history, and the oldest last sync among the queues (epoch ms).
    from_history: int = 0
    synced_at_ms: int | None = None
    # The history file could not be read and was set aside: what to tell the person.
    history_problem: str = ""


@dataclass(frozen=True)
class SubmitResult:
    """One SubmitJob: the new job's id, or the error in a person's words."""

    job_id: str = ""
    name: str = ""
    error: str = ""


@dataclass(frozen=True)
class SubmitBatch:
    """Submitted requests, one result each, and the DescribeJobs of those that were accepted."""

    results: list[SubmitResult]
    details: list[JobDetail]

    @property
    def accepted(self) -> list[SubmitResult]:
        return [r for r in self.results if not r.error]

    @property
    def refused(self) -> list[SubmitResult]:
        return [r for r in self.results if r.error]


def write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


class JobsService(BoundService):
    def __init__(
        self,
        runner: Runner,
        connections: ConnectionManager,
        freeze: Freeze = no_freeze,
        history_dir: Path | None = None,
        new_jobs_overlap_ms: int = NEW_JOBS_OVERLAP_MS,
    ) -> None:
        super().__init__(runner, connections)
        self._freeze = freeze
        self._history_dir = history_dir
        self._overlap_ms = new_jobs_overlap_ms
        self._histories: dict[Path, JobHistory] = {}
        # History writes behind each listing; a failure is logged (the rows are on screen already).
        self._writes = TaskSet(lambda _what, _error: None)

    async def _history(self, backend: Backend) -> JobHistory | None:
        """The connection's history file, opened once (on a worker: it may migrate or set aside)."""
        if self._history_dir is None:
            return None
        path = history_path(self._history_dir, backend.spec)
        found = self._histories.get(path)
        if found is None:
            if not self._writes.count:
                self._close_histories()  # another connection's files: closed once nothing writes them
            found = self._histories[path] = await self._run(JobHistory, path)
        return found

    def _close_histories(self) -> None:
        histories, self._histories = self._histories, {}
        for history in histories.values():
            history.close()

    def close(self) -> None:
        """Close the history files (their lock waits for a write in progress to end)."""
        self._close_histories()

    # --- listing ------------------------------------------------------------------------------
    async def load(
        self,
        queues: Sequence[str],
        on_jobs: OnJobs,
        filters: JobFilters | None = None,
        statuses: Sequence[JobStatus] = tuple(JobStatus),
        *,
        budget: TokenBucket | None = None,
        on_history: OnHistory | None = None,
        on_known: OnJobs | None = None,
        known_rows: KnownRows[Any] | None = None,
    ) -> LoadResult:
        """List the queues' jobs, calling `on_jobs` with each page as it arrives.

        Every status of a queue with no filters goes through the local history when there is one
        (see the module's docstring). Against AWS each request takes a token of `budget` when given;
        the embedded sandbox has no account-wide limit to share, so its listing does not wait.
        A big listing moves what is loaded so far out of the garbage collector's way every
        FREEZE_EVERY_ROWS rows (the freeze policy the app was given); small ones never touch it.
        `on_known`, when given, takes a queue's rows from the history in one call (the view applies
        them as one reset); `known_rows` does too, with the rows made into the view's own on the
        worker that read them; without either they go to `on_jobs` in HISTORY_SLICE slices.
        """
        started = time.perf_counter()
        result = LoadResult()
        gate = asyncio.Semaphore(LIST_CONCURRENCY)
        backend = self._backend()
        gateway = backend.batch
        if backend.is_local:
            budget = None
        since_freeze = 0

        def shown_rows(count: int) -> None:
            nonlocal since_freeze
            since_freeze += count
            if since_freeze >= FREEZE_EVERY_ROWS:
                since_freeze = 0
                self._freeze()

        def on_page(rows: list[JobSummary]) -> None:
            on_jobs(rows)
            shown_rows(len(rows))

        async def call(fn: Callable[..., Any], *args: Any) -> Any:
            async with gate:
                if budget is not None:
                    await budget.take()
                return await self._run(fn, *args)

        async def chain(
            queue: str,
            status: JobStatus | None,
            chain_filters: JobFilters | None,
            seen: list[JobSummary],
            shown: asyncio.Event | None = None,
        ) -> None:
            token: str | None = None
            while True:
                if status is None:
                    rows, token = await call(gateway.list_jobs_filtered_page, queue, chain_filters, token)
                else:
                    rows, token = await call(gateway.list_jobs_page, queue, status, token)
                result.pages += 1
                result.jobs += len(rows)
                if rows:
                    if shown is not None:
                        await shown.wait()  # fresher than the history: shown after it
                    on_page(rows)
                    seen.extend(rows)
                if not token:
                    return

        async def show_history(queue: str, history: JobHistory, shown: asyncio.Event) -> QueueHistory:
            known: QueueHistory
            if known_rows is not None:
                known, finished, prepared = await self._run(
                    _read_prepared, history, queue, known_rows.prepare
                )
                if prepared is not None:
                    known_rows.take(prepared)
                    shown_rows(finished + len(known.active))
                rows: list[JobSummary] = []
            else:
                known = await self._run(history.read, queue)
                rows = known.finished + known.active
                finished = len(known.finished)
            if on_known is not None and rows:
                on_known(rows)
            else:
                for start in range(0, len(rows), HISTORY_SLICE):
                    on_page(rows[start : start + HISTORY_SLICE])
                    await asyncio.sleep(0)  # the event loop runs between slices
            shown.set()
            result.from_history += finished
            if known.synced_at_ms is not None:
                result.synced_at_ms = min(result.synced_at_ms or known.synced_at_ms, known.synced_at_ms)
                if on_history is not None:
                    on_history(finished, known.synced_at_ms)
            return known

        async def sync(queue: str, history: JobHistory) -> None:
            # What is new is listed while the history is read (its requests wait on AWS's latency,
            # the read on the disk); listed rows are shown after the history's.
            synced_at_ms, newest_known = await self._run(history.last_sync, queue)
            now_ms = int(time.time() * 1000)
            seen: list[JobSummary] = []
            shown = asyncio.Event()
            if synced_at_ms is None:
                listing = [chain(queue, status, None, seen, shown) for status in JobStatus]
            else:
                newest = newest_known or synced_at_ms
                ranges = created_ranges(max(0, newest - self._overlap_ms), now_ms)
                listing = [
                    *(chain(queue, status, None, seen, shown) for status in JobStatus.active()),
                    *(chain(queue, None, since, seen, shown) for since in ranges),
                ]
            reading = asyncio.ensure_future(show_history(queue, history, shown))
            await asyncio.gather(reading, *listing)
            known = reading.result()
            if known.synced:
                await self._describe_left(known.active, seen, on_page, budget)
            finished, active, newest_created = _split_sync(seen, known.newest_created_ms)
            # Written behind the listing (the rows are on screen already); the file's lock orders it
            # before the next read of this history.
            self._write_behind(history.record, queue, finished, active, now_ms, newest_created)

        everything = tuple(statuses) == tuple(JobStatus)
        history = await self._history(backend) if everything and not (filters and filters.active) else None
        if history is not None and history.problem:
            result.history_problem, history.problem = history.problem, ""
        if filters is not None and filters.active:
            # With filters ListJobs ignores the status and returns every status.
            chains = [chain(queue, None, filters, []) for queue in queues]
        elif history is not None:
            chains = [sync(queue, history) for queue in queues]
        else:
            chains = [chain(queue, status, None, []) for queue in queues for status in statuses]
        await asyncio.gather(*chains)
        if since_freeze and result.jobs >= FREEZE_EVERY_ROWS:
            self._freeze()
        result.seconds = time.perf_counter() - started
        return result

    def _write_behind(self, fn: Callable[..., None], *args: Any) -> None:
        self._writes.spawn(self._run(fn, *args), "Update the job history")

    async def history_written(self) -> None:
        """Wait for the history writes still running (tests, shutdown)."""
        await self._writes.wait()

    async def _describe_left(
        self,
        was_active: Sequence[JobSummary],
        seen: list[JobSummary],
        on_page: OnJobs,
        budget: TokenBucket | None,
    ) -> None:
        """Jobs active at the last sync and in no list now ended meanwhile: describe how."""
        listed = {job.job_id for job in seen}
        left = [job.job_id for job in was_active if job.job_id not in listed]
        if left:
            ended = [detail.summary for detail in await self.describe(left, budget)]
            if ended:
                on_page(ended)
                seen.extend(ended)

    async def describe(self, job_ids: Sequence[str], budget: TokenBucket | None = None) -> list[JobDetail]:
        """DescribeJobs in batches of 100, run side by side; unknown ids are left out."""
        ids = list(dict.fromkeys(job_ids))
        gateway = self._backend().batch

        async def call(chunk: list[str]) -> list[JobDetail]:
            if budget is not None:
                await budget.take()
            return await self._run(gateway.describe_job_details, chunk)

        calls = [
            call(ids[start : start + DESCRIBE_JOBS_MAX]) for start in range(0, len(ids), DESCRIBE_JOBS_MAX)
        ]
        return [detail for batch in await asyncio.gather(*calls) for detail in batch]

    async def children(self, array_job_id: str) -> list[JobSummary]:
        return await self._run(self._backend().batch.list_array_children, array_job_id)

    async def queue_names(self) -> list[str]:
        """The account's job queues, by name."""
        return sorted(q.name for q in await self._run(self._backend().batch.describe_job_queues))

    async def definition_names(self) -> list[str]:
        """The ACTIVE job definitions, one name each (SubmitJob runs a bare name's newest revision)."""
        definitions = await self._run(self._backend().batch.describe_job_definitions, "ACTIVE")
        return sorted({d.name for d in definitions})

    async def platforms(self) -> Platforms:
        """Platforms of the account's queues and definitions; empty (nothing checked) when not readable."""
        batch = self._backend().batch
        try:
            environments = await self._run(batch.describe_compute_environments)
            queues = await self._run(batch.describe_job_queues)
            definitions = await self._run(batch.describe_job_definitions, "ACTIVE")
        except BatchGuiError:
            return Platforms()
        return Platforms.build(queues, environments, definitions)

    # --- writing ------------------------------------------------------------------------------
    async def submit(self, request: SubmitJobRequest) -> SubmittedJob:
        return await self._run(self._backend().batch.submit_job, request)

    async def submit_all(self, requests: Sequence[SubmitJobRequest]) -> SubmitBatch:
        """Submit each request (one failing does not stop the others), then describe the new jobs."""
        results: list[SubmitResult] = []
        for request in requests:
            try:
                submitted = await self.submit(request)
                results.append(SubmitResult(submitted.job_id, submitted.job_name))
            except BatchGuiError as error:
                results.append(SubmitResult(name=request.job_name, error=error.message()))
        accepted = [r.job_id for r in results if not r.error]
        details = await self.describe(accepted) if accepted else []
        return SubmitBatch(results, details)

    async def tag_job(self, job_arn: str, tags: dict[str, str]) -> None:
        await self._run(self._backend().batch.tag_job, job_arn, tags)

    async def stop(
        self,
        job_ids: Sequence[str],
        reason: str,
        terminate: bool,
        on_progress: OnProgress | None = None,
    ) -> list[StopResult]:
        """Cancel or terminate jobs in batches of 50, reporting progress; one result per job."""
        ids = list(dict.fromkeys(job_ids))
        batch = self._backend().batch
        stop = batch.terminate_jobs if terminate else batch.cancel_jobs
        results: list[StopResult] = []
        for start in range(0, len(ids), STOP_JOBS_MAX):
            results.extend(await self._run(stop, ids[start : start + STOP_JOBS_MAX], reason))
            if on_progress is not None:
                on_progress(len(results), len(ids))
        return results

    async def save_text(self, path: Path, text: str) -> None:
        """Write a file (an export, a saved log) on a worker."""
        await self._run(write_text, path, text)

    # --- logs ---------------------------------------------------------------------------------
    async def log_group(self, detail: JobDetail) -> str:
        """The job's awslogs group: from its container's options, else from its job definition."""
        if detail.log_options.get("awslogs-group"):
            return detail.log_group
        definition_arn = str(detail.raw.get("jobDefinition") or detail.summary.job_definition)
        if definition_arn:
            definition = await self._run(self._backend().batch.job_definition, definition_arn)
            if definition is not None and definition.log_options.get("awslogs-group"):
                return definition.log_options["awslogs-group"]
        return detail.log_group

    def log_reader(
        self,
        group: str,
        stream: str,
        on_events: OnEvents,
        on_state: Callable[[LogState], None],
        interval_s: float = POLL_INTERVAL_S,
    ) -> LogFollower:
        """A reader of one stream on the current connection."""
        logs = self._backend().logs
        return LogFollower(
            self._runner,
            logs,
            group,
            stream,
            on_events,
            on_state=on_state,
            interval_s=interval_s,
            freeze=self._freeze,
        )

    def follow_log(self, job_id: str, hooks: LogHooks, interval_s: float = POLL_INTERVAL_S) -> JobLogFollow:
        """A job's log to read and follow: `await follow.run()` (again to resume after Follow is ticked)."""
        return JobLogFollow(self, job_id, hooks, interval_s)


def _split_sync(
    seen: Sequence[JobSummary], newest_before: int | None
) -> tuple[list[JobSummary], list[JobSummary], int | None]:
    """One sync's listed jobs as (finished, still active, newest creation time). A job listed twice
    (active list, then the created-since listing after it ended) keeps its finished state."""
    latest: dict[str, JobSummary] = {}
    for job in seen:
        old = latest.get(job.job_id)
        if old is None or not old.status.is_terminal:
            latest[job.job_id] = job
    finished = [job for job in latest.values() if job.status.is_terminal]
    active = [job for job in latest.values() if not job.status.is_terminal]
    created = [job.created_at for job in latest.values() if job.created_at is not None]
    newest = max([*created, *([newest_before] if newest_before is not None else [])], default=None)
    return finished, active, newest


def created_ranges(since_ms: int, now_ms: int, count: int = CREATED_RANGES) -> list[JobFilters]:
    """Creation-time filters that together cover `since_ms` onwards: `count` ranges up to now, the
    last open-ended. Neighbouring ranges share their edge (a job there is listed twice, kept once)."""
    span = max(0, now_ms - since_ms)
    if span < count * 1000:
        return [JobFilters(created_after_ms=since_ms)]
    edges = [since_ms + span * n // count for n in range(count)]
    ranges = [
        JobFilters(created_after_ms=a - 1, created_before_ms=b + 1) for a, b in itertools.pairwise(edges)
    ]
    return [*ranges, JobFilters(created_after_ms=edges[-1] - 1)]
