"""AWS Batch gateway: paginated calls that return domain objects."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from batchgui.aws.errors import error_code
from batchgui.aws.gateway import Gateway, every_page
from batchgui.domain.batch import ComputeEnvironment, JobDefinition, JobQueue, JobStatus, JobSummary
from batchgui.domain.errors import EndpointUnreachable
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.job_requests import JobFilters, StopResult, SubmitJobRequest, SubmittedJob
from batchgui.domain.job_tracking import SeenRow, seen_row

if TYPE_CHECKING:
    from mypy_boto3_batch import BatchClient

# The request and result types live in domain; they are named here too for the gateway's callers.
__all__ = [
    "DESCRIBE_JOBS_MAX",
    "LIST_JOBS_FILTERED_PAGE",
    "LIST_JOBS_PAGE",
    "STOP_JOBS_MAX",
    "BatchGateway",
    "JobFilters",
    "OutcomeUnknown",
    "StopResult",
    "SubmitJobRequest",
    "SubmittedJob",
    "chunks",
]

# DescribeJobs takes at most 100 IDs per call; CancelJobs/TerminateJobs 50.
DESCRIBE_JOBS_MAX = 100
# ListJobs returns up to 1,000 per page when filtering by status only, 100 with filters.
LIST_JOBS_PAGE = 1000
LIST_JOBS_FILTERED_PAGE = 100
STOP_JOBS_MAX = 50
# What an endpoint answers for an operation it does not have (moto answers a bare 404).
_UNKNOWN_OPERATION = {
    "UnknownOperationException",
    "UnknownOperation",
    "InvalidAction",
    "NotImplemented",
    "404",
}


def chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _decode_job_summaries(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    """Decode a ListJobs page's job summaries with json.loads instead of botocore's shape walker.

    botocore parses every member of every summary through its generic model walker: about half
    the client's time on a 1,000-job page. A job summary is plain JSON (strings, integers and
    nested objects; times are epoch milliseconds, no timestamps or blobs), so json.loads gives
    the same dicts; botocore still parses the rest (nextToken, metadata) and errors as usual.
    """
    body = response_dict.get("body")
    if response_dict.get("status_code", 500) >= 300 or not isinstance(body, bytes) or not body:
        return
    try:
        data = json.loads(body)
    except ValueError:
        return  # botocore's own parser says what is wrong
    summaries = data.pop("jobSummaryList", None) if isinstance(data, dict) else None
    if not isinstance(summaries, list):
        return
    customized_response_dict["jobSummaryList"] = summaries
    response_dict["body"] = json.dumps(data).encode()


class BatchGateway(Gateway["BatchClient"]):
    def __init__(
        self, client: BatchClient | None = None, *, make: Callable[[], BatchClient] | None = None
    ) -> None:
        # Bulk operations an endpoint answered "unknown operation" for: use the one-job calls.
        self._missing_operations: set[str] = set()
        super().__init__(client, make=make)

    def _attach(self, client: BatchClient) -> None:
        client.meta.events.register(
            "before-parse.batch.ListJobs", _decode_job_summaries, unique_id="batchgui-decode-job-summaries"
        )

    def describe_compute_environments(self) -> list[ComputeEnvironment]:
        found = self._paged("describe_compute_environments", "computeEnvironments")
        return [ComputeEnvironment.from_api(item) for item in found]

    def describe_job_queues(self) -> list[JobQueue]:
        return [JobQueue.from_api(item) for item in self._paged("describe_job_queues", "jobQueues")]

    def describe_job_definitions(self, status: str | None = "ACTIVE") -> list[JobDefinition]:
        kwargs: dict[str, Any] = {"status": status} if status else {}
        found = self._paged("describe_job_definitions", "jobDefinitions", **kwargs)
        return [JobDefinition.from_api(item) for item in found]

    def list_jobs_page(
        self, queue: str, status: JobStatus, next_token: str | None = None, page_size: int = LIST_JOBS_PAGE
    ) -> tuple[list[JobSummary], str | None]:
        """One ListJobs page for a queue and status; returns the rows and the next token."""
        kwargs = {"jobQueue": queue, "jobStatus": status.value, "maxResults": page_size}
        return self._summaries_page(kwargs, next_token, queue)

    def list_job_states_page(
        self, queue: str, status: JobStatus, next_token: str | None = None, page_size: int = LIST_JOBS_PAGE
    ) -> tuple[list[SeenRow], str | None]:
        """list_jobs_page as compact tuples (id, name, status, createdAt, reason, queue): for pollers of
        thousands of jobs, which need no dataclass per job."""
        kwargs: dict[str, Any] = {"jobQueue": queue, "jobStatus": status.value, "maxResults": page_size}
        if next_token:
            kwargs["nextToken"] = next_token
        response = self._client.list_jobs(**kwargs)
        return [seen_row(item, queue) for item in response["jobSummaryList"]], response.get("nextToken")

    def list_jobs(self, queue: str, status: JobStatus) -> list[JobSummary]:
        return every_page(partial(self.list_jobs_page, queue, status))

    def submit_job(self, request: SubmitJobRequest | dict[str, Any]) -> SubmittedJob:
        """SubmitJob: a typed request, or its fields as the API names them (jobName, jobQueue, …)."""
        wire = request.to_api() if isinstance(request, SubmitJobRequest) else request
        response = self._client.submit_job(**wire)
        return SubmittedJob(response["jobId"], response["jobName"], response.get("jobArn", ""))

    def submit_job_once(self, request: dict[str, Any]) -> SubmittedJob:
        """SubmitJob without botocore's blind retries after the request may have reached Batch.

        A read timeout or a 5xx answer may come after Batch created the job; retrying then could
        create it twice. Those raise OutcomeUnknown instead, so the caller can look the job up by
        name first. Throttling (429) and connection failures before sending are still retried.
        """
        if not getattr(self, "_guarded", False):
            self._client.meta.events.register_first("needs-retry.batch.SubmitJob", _no_blind_retry)
            self._guarded = True
        return self.submit_job(request)

    def jobs_named(self, queue: str, name_prefix: str) -> list[JobSummary]:
        """Every job in `queue` whose name starts with `name_prefix` (ListJobs' JOB_NAME filter)."""
        named = [{"name": "JOB_NAME", "values": [f"{name_prefix}*"]}]
        found = self._paged("list_jobs", "jobSummaryList", jobQueue=queue, filters=named)
        rows = [JobSummary.from_api(item, queue=queue) for item in found]
        return [row for row in rows if row.name.startswith(name_prefix)]

    def describe_jobs(self, job_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Full job descriptions (raw dicts: the details pane shows every field)."""
        described: list[dict[str, Any]] = []
        for chunk in chunks(job_ids, DESCRIBE_JOBS_MAX):
            described.extend(dict(job) for job in self._client.describe_jobs(jobs=list(chunk))["jobs"])
        return described

    # --- jobs: filtered listing, array children, details, cancel/terminate -----------------------
    def list_jobs_filtered_page(
        self, queue: str, filters: JobFilters, next_token: str | None = None
    ) -> tuple[list[JobSummary], str | None]:
        """One ListJobs page with filters (name prefix, created range): every status, 100 per page."""
        kwargs: dict[str, Any] = {
            "jobQueue": queue,
            "filters": filters.api_filters(),
            "maxResults": LIST_JOBS_FILTERED_PAGE,
        }
        return self._summaries_page(kwargs, next_token, queue)

    def list_array_children_page(
        self,
        array_job_id: str,
        status: JobStatus,
        next_token: str | None = None,
        page_size: int = LIST_JOBS_PAGE,
        parent_key: str = "arrayJobId",
    ) -> tuple[list[JobSummary], str | None]:
        """One ListJobs page of an array's children in one status (arrayJobId, up to 1,000), or of
        a multi-node job's nodes (parent_key="multiNodeJobId")."""
        kwargs: dict[str, Any] = {
            parent_key: array_job_id,
            "jobStatus": status.value,
            "maxResults": page_size,
        }
        return self._summaries_page(kwargs, next_token)

    def _summaries_page(
        self, kwargs: dict[str, Any], next_token: str | None, queue: str = ""
    ) -> tuple[list[JobSummary], str | None]:
        """One ListJobs call with `kwargs` (+ the token), its rows read as summaries of `queue`."""
        if next_token:
            kwargs = {**kwargs, "nextToken": next_token}
        response = self._client.list_jobs(**kwargs)
        rows = [JobSummary.from_api(dict(item), queue=queue) for item in response["jobSummaryList"]]
        return rows, response.get("nextToken")

    def list_array_children(self, array_job_id: str, status: JobStatus | None = None) -> list[JobSummary]:
        """The children of an array job (ListJobs arrayJobId), in index order where the endpoint keeps it."""
        rows = [
            row
            for one in ([status] if status is not None else list(JobStatus))
            for row in every_page(partial(self.list_array_children_page, array_job_id, one))
        ]
        unique = {row.job_id: row for row in rows}
        return sorted(unique.values(), key=lambda r: (r.array_index is None, r.array_index or 0))

    def describe_job_details(self, job_ids: Sequence[str]) -> list[JobDetail]:
        """DescribeJobs as domain objects; ids that no longer exist are simply absent."""
        return [JobDetail.from_api(job) for job in self.describe_jobs(job_ids)]

    def job_definition(self, arn_or_name: str) -> JobDefinition | None:
        response = self._client.describe_job_definitions(jobDefinitions=[arn_or_name])
        found = [JobDefinition.from_api(dict(d)) for d in response["jobDefinitions"]]
        return found[0] if found else None

    def tag_job(self, job_arn: str, tags: dict[str, str]) -> None:
        """TagResource on a job (adds or replaces these tags, keeps the others)."""
        self._client.tag_resource(resourceArn=job_arn, tags=tags)

    def cancel_jobs(self, job_ids: Sequence[str], reason: str) -> list[StopResult]:
        """CancelJobs in batches of 50 where the endpoint has it, else CancelJob per job."""
        return self._stop_jobs(job_ids, reason, "cancel_jobs", "CancelJobs", self._client.cancel_job)

    def terminate_jobs(self, job_ids: Sequence[str], reason: str) -> list[StopResult]:
        """TerminateJobs in batches of 50 where the endpoint has it, else TerminateJob per job."""
        return self._stop_jobs(job_ids, reason, "terminate_jobs", "TerminateJobs", self._client.terminate_job)

    def _has_operation(self, operation: str) -> bool:
        if operation in self._missing_operations:
            return False
        return operation in self._client.meta.service_model.operation_names

    def _stop_jobs(
        self,
        job_ids: Sequence[str],
        reason: str,
        bulk_method: str,
        bulk_operation: str,
        one: Callable[..., Any],
    ) -> list[StopResult]:
        from botocore.exceptions import ClientError

        results: list[StopResult] = []
        remaining = list(dict.fromkeys(job_ids))
        if self._has_operation(bulk_operation):
            bulk = getattr(self._client, bulk_method)
            while remaining:
                chunk = remaining[:STOP_JOBS_MAX]
                try:
                    response = bulk(jobs=chunk, reason=reason)
                except ClientError as exc:
                    if error_code(exc) in _UNKNOWN_OPERATION:
                        self._missing_operations.add(bulk_operation)
                        break
                    # The whole batch was refused (access denied, throttled past retries…).
                    text = _error_text(exc)
                    results.extend(StopResult(job_id, False, text) for job_id in chunk)
                    remaining = remaining[STOP_JOBS_MAX:]
                    continue
                failed = {
                    str(e.get("job", "")): str(e.get("message") or e.get("code", ""))
                    for e in response.get("errors") or ()
                }
                for job_id in chunk:
                    if job_id in failed:
                        results.append(StopResult(job_id, False, failed[job_id]))
                    else:
                        results.append(StopResult(job_id, True))
                remaining = remaining[STOP_JOBS_MAX:]
        for job_id in remaining:
            try:
                one(jobId=job_id, reason=reason)
                results.append(StopResult(job_id, True))
            except ClientError as exc:
                results.append(StopResult(job_id, False, _error_text(exc)))
        return results


def _error_text(exc: Exception) -> str:
    from batchgui.aws.errors import translate

    error = translate(exc)
    message = getattr(error, "message", None)
    return str(message()) if callable(message) else str(error)


class OutcomeUnknown(EndpointUnreachable):
    """A SubmitJob whose answer was lost: the job may or may not exist."""

    title = "No answer from AWS Batch"


def _no_blind_retry(caught_exception: BaseException | None = None, response: Any = None, **_: Any) -> None:
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

    if isinstance(caught_exception, ReadTimeoutError | ConnectionClosedError):
        raise OutcomeUnknown(
            str(caught_exception), "The job may have been created: it is looked up by name before a retry."
        ) from caught_exception
    if caught_exception is None and response is not None:
        status = getattr(response[0], "status_code", 0)
        if status >= 500:
            raise OutcomeUnknown(
                f"AWS Batch answered HTTP {status}",
                "The job may have been created: it is looked up by name before a retry.",
            )
