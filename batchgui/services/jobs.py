"""Jobs: stream a queue's jobs to the UI page by page, describe what the view shows, keep states live,
submit, and cancel/terminate many at once.

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
from typing import Any

from batchgui.aws.batch import DESCRIBE_JOBS_MAX, STOP_JOBS_MAX, JobFilters, StopResult, SubmittedJob
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.services.connections import Backend
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


class JobsService:
    def __init__(self, runner: Runner) -> None:
        self._runner = runner

    async def load(
        self,
        backend: Backend,
        queues: Sequence[str],
        on_jobs: OnJobs,
        filters: JobFilters | None = None,
        statuses: Sequence[JobStatus] = tuple(JobStatus),
    ) -> LoadResult:
        """List the queues' jobs, calling `on_jobs` with each page as it arrives."""
        started = time.perf_counter()
        result = LoadResult()
        gate = asyncio.Semaphore(LIST_CONCURRENCY)
        gateway = backend.batch

        async def chain(queue: str, status: JobStatus | None) -> None:
            token: str | None = None
            while True:
                async with gate:
                    if status is None:
                        assert filters is not None
                        rows, token = await self._runner.run(
                            gateway.list_jobs_filtered_page, queue, filters, token
                        )
                    else:
                        rows, token = await self._runner.run(gateway.list_jobs_page, queue, status, token)
                result.pages += 1
                result.jobs += len(rows)
                if rows:
                    on_jobs(rows)
                if not token:
                    return

        if filters is not None and filters.active:
            # With filters ListJobs ignores the status and returns every status.
            chains = [chain(queue, None) for queue in queues]
        else:
            chains = [chain(queue, status) for queue in queues for status in statuses]
        await asyncio.gather(*chains)
        result.seconds = time.perf_counter() - started
        return result

    async def describe(self, backend: Backend, job_ids: Sequence[str]) -> list[JobDetail]:
        """DescribeJobs in batches of 100, run side by side; unknown ids are left out."""
        ids = list(dict.fromkeys(job_ids))
        calls = [
            self._runner.run(backend.batch.describe_job_details, ids[start : start + DESCRIBE_JOBS_MAX])
            for start in range(0, len(ids), DESCRIBE_JOBS_MAX)
        ]
        return [detail for batch in await asyncio.gather(*calls) for detail in batch]

    async def poll(self, backend: Backend, queues: Sequence[str], state: LiveState, on_jobs: OnJobs) -> None:
        """One live update: the active jobs, jobs created since the last poll, and the final state of
        jobs that were active last time and are not any more."""
        seen: list[JobSummary] = []

        def collect(rows: list[JobSummary]) -> None:
            seen.extend(rows)
            on_jobs(rows)

        await self.load(backend, queues, collect, statuses=JobStatus.active())
        if state.newest_created_ms is not None:
            since = JobFilters(created_after_ms=state.newest_created_ms - NEW_JOBS_OVERLAP_MS)
            await self.load(backend, queues, collect, filters=since)
        active_now = {j.job_id for j in seen if not j.status.is_terminal}
        left = [job_id for job_id in state.active_ids if job_id not in active_now]
        if left:
            finished = await self.describe(backend, left)
            on_jobs([d.summary for d in finished])
        state.active_ids = active_now
        newest = max((j.created_at for j in seen if j.created_at is not None), default=None)
        if newest is not None:
            state.newest_created_ms = max(newest, state.newest_created_ms or 0)

    async def children(self, backend: Backend, array_job_id: str) -> list[JobSummary]:
        return await self._runner.run(backend.batch.list_array_children, array_job_id)

    async def log_group(self, backend: Backend, detail: JobDetail) -> str:
        """The job's awslogs group: from its container's options, else from its job definition."""
        if detail.log_options.get("awslogs-group"):
            return detail.log_group
        definition_arn = str(detail.raw.get("jobDefinition") or detail.summary.job_definition)
        if definition_arn:
            definition = await self._runner.run(backend.batch.job_definition, definition_arn)
            if definition is not None and definition.log_options.get("awslogs-group"):
                return definition.log_options["awslogs-group"]
        return detail.log_group

    async def submit(self, backend: Backend, request: dict[str, Any]) -> SubmittedJob:
        return await self._runner.run(backend.batch.submit_job, request)

    async def stop(
        self,
        backend: Backend,
        job_ids: Sequence[str],
        reason: str,
        terminate: bool,
        on_progress: OnProgress | None = None,
    ) -> list[StopResult]:
        """Cancel or terminate jobs in batches of 50, reporting progress; one result per job."""
        ids = list(dict.fromkeys(job_ids))
        stop = backend.batch.terminate_jobs if terminate else backend.batch.cancel_jobs
        results: list[StopResult] = []
        for start in range(0, len(ids), STOP_JOBS_MAX):
            results.extend(await self._runner.run(stop, ids[start : start + STOP_JOBS_MAX], reason))
            if on_progress is not None:
                on_progress(len(results), len(ids))
        return results
