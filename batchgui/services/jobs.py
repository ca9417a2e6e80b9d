"""Jobs: stream a queue's jobs to the UI page by page, describe what the view shows, keep states live,
submit (then describe what was submitted), cancel/terminate many at once, and follow a job's log.

Bound to the connection (BoundService): no call takes a connection; each uses the current one.

Listing uses ListJobs by status with maxResults 1,000 (the API's maximum); each page goes to the UI
as soon as it arrives, so the first rows show after one round trip. DescribeJobs (100 ids per call)
is only asked for the jobs the view needs: the visible rows, the selected job, and active jobs that
left the active lists between two polls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from batchgui.aws.batch import DESCRIBE_JOBS_MAX, STOP_JOBS_MAX
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.errors import BatchGuiError
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.job_platforms import Platforms
from batchgui.domain.job_requests import JobFilters, StopResult, SubmitJobRequest, SubmittedJob
from batchgui.services.bound import BoundService
from batchgui.services.connections import ConnectionManager
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

OnJobs = Callable[[list[JobSummary]], None]
OnProgress = Callable[[int, int], None]
# Concurrent ListJobs chains: enough to overlap round trips, few enough to stay under Batch's
# ~50 requests/s account budget alongside everything else.
LIST_CONCURRENCY = 4
# A poll also lists jobs created since the last one, a little earlier to allow for clock skew.
NEW_JOBS_OVERLAP_MS = 5_000


@dataclass
class LoadResult:
    jobs: int = 0
    pages: int = 0
    seconds: float = 0.0


@dataclass
class LiveState:
    """What a poll needs to know from the previous one."""

    active_ids: set[str] = field(default_factory=set)
    newest_created_ms: int | None = None


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
    def __init__(self, runner: Runner, connections: ConnectionManager, freeze: Freeze = no_freeze) -> None:
        super().__init__(runner, connections)
        self._freeze = freeze

    # --- listing ------------------------------------------------------------------------------
    async def load(
        self,
        queues: Sequence[str],
        on_jobs: OnJobs,
        filters: JobFilters | None = None,
        statuses: Sequence[JobStatus] = tuple(JobStatus),
        *,
        may_freeze: bool = True,
    ) -> LoadResult:
        """List the queues' jobs, calling `on_jobs` with each page as it arrives.

        A big listing moves what is loaded so far out of the garbage collector's way every
        FREEZE_EVERY_ROWS rows (the freeze policy the app was given); small ones, and the live
        poll's listings (`may_freeze=False`), never touch it.
        """
        started = time.perf_counter()
        result = LoadResult()
        gate = asyncio.Semaphore(LIST_CONCURRENCY)
        gateway = self._backend().batch
        since_freeze = 0

        def on_page(rows: list[JobSummary]) -> None:
            nonlocal since_freeze
            on_jobs(rows)
            since_freeze += len(rows)
            if may_freeze and since_freeze >= FREEZE_EVERY_ROWS:
                since_freeze = 0
                self._freeze()

        async def chain(queue: str, status: JobStatus | None) -> None:
            token: str | None = None
            while True:
                async with gate:
                    if status is None:
                        assert filters is not None
                        rows, token = await self._run(gateway.list_jobs_filtered_page, queue, filters, token)
                    else:
                        rows, token = await self._run(gateway.list_jobs_page, queue, status, token)
                result.pages += 1
                result.jobs += len(rows)
                if rows:
                    on_page(rows)
                if not token:
                    return

        if filters is not None and filters.active:
            # With filters ListJobs ignores the status and returns every status.
            chains = [chain(queue, None) for queue in queues]
        else:
            chains = [chain(queue, status) for queue in queues for status in statuses]
        await asyncio.gather(*chains)
        if may_freeze and since_freeze and result.jobs >= FREEZE_EVERY_ROWS:
            self._freeze()
        result.seconds = time.perf_counter() - started
        return result

    async def describe(self, job_ids: Sequence[str]) -> list[JobDetail]:
        """DescribeJobs in batches of 100, run side by side; unknown ids are left out."""
        ids = list(dict.fromkeys(job_ids))
        gateway = self._backend().batch
        calls = [
            self._run(gateway.describe_job_details, ids[start : start + DESCRIBE_JOBS_MAX])
            for start in range(0, len(ids), DESCRIBE_JOBS_MAX)
        ]
        return [detail for batch in await asyncio.gather(*calls) for detail in batch]

    async def poll(self, queues: Sequence[str], state: LiveState, on_jobs: OnJobs) -> None:
        """One live update: the active jobs, jobs created since the last poll, and the final state of
        jobs that were active last time and are not any more."""
        seen: list[JobSummary] = []

        def collect(rows: list[JobSummary]) -> None:
            seen.extend(rows)
            on_jobs(rows)

        await self.load(queues, collect, statuses=JobStatus.active(), may_freeze=False)
        if state.newest_created_ms is not None:
            since = JobFilters(created_after_ms=state.newest_created_ms - NEW_JOBS_OVERLAP_MS)
            await self.load(queues, collect, filters=since, may_freeze=False)
        active_now = {j.job_id for j in seen if not j.status.is_terminal}
        left = [job_id for job_id in state.active_ids if job_id not in active_now]
        if left:
            finished = await self.describe(left)
            on_jobs([d.summary for d in finished])
        state.active_ids = active_now
        newest = max((j.created_at for j in seen if j.created_at is not None), default=None)
        if newest is not None:
            state.newest_created_ms = max(newest, state.newest_created_ms or 0)

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
            self._runner, logs, group, stream, on_events, on_state=on_state, interval_s=interval_s
        )

    def follow_log(self, job_id: str, hooks: LogHooks, interval_s: float = POLL_INTERVAL_S) -> JobLogFollow:
        """A job's log to read and follow: `await follow.run()` (again to resume after Follow is ticked)."""
        return JobLogFollow(self, job_id, hooks, interval_s)
