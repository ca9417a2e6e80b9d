"""AWS Batch gateway: paginated calls that return domain objects."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from batchgui.domain.batch import ComputeEnvironment, JobDefinition, JobQueue, JobStatus, JobSummary

if TYPE_CHECKING:
    from mypy_boto3_batch import BatchClient

# DescribeJobs takes at most 100 IDs per call; CancelJobs/TerminateJobs 50.
DESCRIBE_JOBS_MAX = 100
# ListJobs returns up to 1,000 per page when filtering by status only, 100 with filters.
LIST_JOBS_PAGE = 1000


@dataclass(frozen=True)
class SubmittedJob:
    job_id: str
    job_name: str
    job_arn: str


def chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BatchGateway:
    def __init__(self, client: BatchClient) -> None:
        self._client = client

    @property
    def client(self) -> BatchClient:
        return self._client

    def describe_compute_environments(self) -> list[ComputeEnvironment]:
        paginator = self._client.get_paginator("describe_compute_environments")
        return [
            ComputeEnvironment.from_api(dict(item))
            for page in paginator.paginate()
            for item in page["computeEnvironments"]
        ]

    def describe_job_queues(self) -> list[JobQueue]:
        paginator = self._client.get_paginator("describe_job_queues")
        return [JobQueue.from_api(dict(item)) for page in paginator.paginate() for item in page["jobQueues"]]

    def describe_job_definitions(self, status: str | None = "ACTIVE") -> list[JobDefinition]:
        paginator = self._client.get_paginator("describe_job_definitions")
        kwargs: dict[str, Any] = {"status": status} if status else {}
        return [
            JobDefinition.from_api(dict(item))
            for page in paginator.paginate(**kwargs)
            for item in page["jobDefinitions"]
        ]

    def list_jobs_page(
        self, queue: str, status: JobStatus, next_token: str | None = None, page_size: int = LIST_JOBS_PAGE
    ) -> tuple[list[JobSummary], str | None]:
        """One ListJobs page for a queue and status; returns the rows and the next token."""
        kwargs: dict[str, Any] = {"jobQueue": queue, "jobStatus": status.value, "maxResults": page_size}
        if next_token:
            kwargs["nextToken"] = next_token
        response = self._client.list_jobs(**kwargs)
        rows = [JobSummary.from_api(dict(item), queue=queue) for item in response["jobSummaryList"]]
        return rows, response.get("nextToken")

    def list_jobs(self, queue: str, status: JobStatus) -> list[JobSummary]:
        rows: list[JobSummary] = []
        token: str | None = None
        while True:
            page, token = self.list_jobs_page(queue, status, token)
            rows.extend(page)
            if not token:
                return rows

    def submit_job(self, request: dict[str, Any]) -> SubmittedJob:
        """SubmitJob with the request's fields as the API names them (jobName, jobQueue, …)."""
        response = self._client.submit_job(**request)
        return SubmittedJob(response["jobId"], response["jobName"], response.get("jobArn", ""))

    def describe_jobs(self, job_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Full job descriptions (raw dicts: the details pane shows every field)."""
        described: list[dict[str, Any]] = []
        for chunk in chunks(job_ids, DESCRIBE_JOBS_MAX):
            described.extend(dict(job) for job in self._client.describe_jobs(jobs=list(chunk))["jobs"])
        return described
