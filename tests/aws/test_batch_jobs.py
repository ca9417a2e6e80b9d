from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from batchgui.aws.batch import BatchGateway
from batchgui.aws.logs import LogsGateway
from batchgui.domain.batch import JobStatus
from batchgui.domain.job_requests import JobFilters
from tests.support import MotoEndpoint, seed_batch

pytestmark = pytest.mark.timeout(60)


def _submit(client: Any, name: str, **extra: Any) -> str:
    return str(
        client.submit_job(jobName=name, jobQueue="demo-queue", jobDefinition="demo-definition", **extra)[
            "jobId"
        ]
    )


def _count_calls(client: Any) -> dict[str, int]:
    calls: dict[str, int] = {}

    def count(model: Any, **_: Any) -> None:
        calls[model.name] = calls.get(model.name, 0) + 1

    client.meta.events.register("before-call.batch", count)
    return calls


def test_filters_build_the_api_filters() -> None:
    filters = JobFilters(name_prefix="night*", created_after_ms=5, created_before_ms=9)
    assert filters.active
    assert filters.api_filters() == [
        {"name": "JOB_NAME", "values": ["night*"]},
        {"name": "AFTER_CREATED_AT", "values": ["5"]},
        {"name": "BEFORE_CREATED_AT", "values": ["9"]},
    ]
    assert not JobFilters().active


def test_name_prefix_search_on_moto(moto: MotoEndpoint) -> None:
    seed_batch(moto)
    client = moto.client("batch")
    for name in ("nightly-a", "nightly-b", "daily-a"):
        _submit(client, name)
    gateway = BatchGateway(client)
    rows, token = gateway.list_jobs_filtered_page("demo-queue", JobFilters(name_prefix="nightly"))
    assert sorted(r.name for r in rows) == ["nightly-a", "nightly-b"]
    assert token is None


def test_terminate_falls_back_to_one_call_per_job_without_the_bulk_operation(moto: MotoEndpoint) -> None:
    seed_batch(moto)
    client = moto.client("batch")
    ids = [_submit(client, f"j{n}") for n in range(3)]
    gateway = BatchGateway(client)
    calls = _count_calls(client)
    results = gateway.terminate_jobs(ids, "test")
    assert [r.job_id for r in results] == ids
    assert all(r.ok for r in results)
    assert calls == {"TerminateJobs": 1, "TerminateJob": 3}
    gateway.terminate_jobs(ids[:1], "again")
    assert calls["TerminateJobs"] == 1  # remembered: no second bulk attempt


def test_bulk_terminate_of_120_jobs_uses_three_calls(sandbox: Any) -> None:
    client = boto3.client(
        "batch",
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
    )
    ids = [
        str(
            client.submit_job(
                jobName=f"sleepy-{n}",
                jobQueue="fargate-queue",
                jobDefinition="csv-row-processor",
                containerOverrides={"command": ["sleep", "30"]},
            )["jobId"]
        )
        for n in range(120)
    ]
    calls = _count_calls(client)
    results = BatchGateway(client).terminate_jobs([*ids, "no-such-job"], "bulk test")
    assert calls == {"TerminateJobs": 3}
    assert sum(r.ok for r in results) == 120
    missing = [r for r in results if not r.ok]
    assert [r.job_id for r in missing] == ["no-such-job"]
    assert "does not exist" in missing[0].message
    statuses = {j["status"] for j in client.describe_jobs(jobs=ids[:100])["jobs"]}
    assert statuses <= {"FAILED"} or statuses <= {"FAILED", "RUNNING", "STARTING"}


def test_access_denied_for_some_jobs_is_a_per_job_result() -> None:
    client = boto3.client("batch", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    gateway = BatchGateway(client)
    with Stubber(client) as stub:
        stub.add_response(
            "terminate_jobs",
            {
                "successful": ["a"],
                "errors": [{"job": "b", "code": "AccessDeniedException", "message": "not allowed on b"}],
            },
            {"jobs": ["a", "b"], "reason": "r"},
        )
        results = gateway.terminate_jobs(["a", "b"], "r")
    assert [(r.job_id, r.ok) for r in results] == [("a", True), ("b", False)]
    assert results[1].message == "not allowed on b"


def test_access_denied_on_single_terminate_calls(moto: MotoEndpoint) -> None:
    client = boto3.client("batch", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    gateway = BatchGateway(client)
    with Stubber(client) as stub:
        stub.add_client_error("terminate_jobs", "UnknownOperationException", http_status_code=400)
        stub.add_response("terminate_job", {}, {"jobId": "a", "reason": "r"})
        stub.add_client_error("terminate_job", "AccessDeniedException", "User is not authorized", 403)
        results = gateway.terminate_jobs(["a", "b"], "r")
    assert results[0].ok
    assert not results[1].ok
    assert "Access denied" in results[1].message
    assert "TerminateJob" in results[1].message


def test_describe_details_leaves_out_unknown_ids(moto: MotoEndpoint) -> None:
    seed_batch(moto)
    client = moto.client("batch")
    job_id = _submit(
        client,
        "with-env",
        containerOverrides={"environment": [{"name": "DB_PASSWORD", "value": "hunter2"}]},
        parameters={"p": "v"},
    )
    details = BatchGateway(client).describe_job_details([job_id, "00000000-dead-beef-0000-000000000000"])
    assert [d.job_id for d in details] == [job_id]
    assert details[0].parameters == {"p": "v"}
    assert ("DB_PASSWORD", "••••••") in details[0].masked_environment()
    assert ("DB_PASSWORD", "hunter2") in details[0].masked_environment(reveal=True)


def test_log_stream_not_yet_created_is_a_state(moto: MotoEndpoint) -> None:
    logs = moto.client("logs")
    logs.create_log_group(logGroupName="/aws/batch/job")
    gateway = LogsGateway(logs)
    page = gateway.read_forward("/aws/batch/job", "not/there/yet")
    assert page.stream_missing
    assert page.events == []
    logs.create_log_stream(logGroupName="/aws/batch/job", logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/aws/batch/job", logStreamName="s", logEvents=[{"timestamp": now, "message": "one"}]
    )
    page = gateway.read_forward("/aws/batch/job", "s")
    assert [e.message for e in page.events] == ["one"]
    assert not page.stream_missing
    logs.put_log_events(
        logGroupName="/aws/batch/job", logStreamName="s", logEvents=[{"timestamp": now + 1, "message": "two"}]
    )
    again = gateway.read_forward("/aws/batch/job", "s", page.next_forward_token)
    assert [e.message for e in again.events] == ["two"]


def test_list_array_children_by_status(sandbox: Any) -> None:
    client = boto3.client(
        "batch",
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
    )
    parent = client.submit_job(
        jobName="arr",
        jobQueue="fargate-queue",
        jobDefinition="csv-row-processor",
        arrayProperties={"size": 3},
        containerOverrides={"command": ["true"]},
    )["jobId"]
    gateway = BatchGateway(client)
    children = gateway.list_array_children(parent)
    deadline = time.monotonic() + 20
    while len(children) < 3 and time.monotonic() < deadline:
        # The sandbox creates the children when its engine picks the parent up, a moment later.
        time.sleep(0.05)
        children = gateway.list_array_children(parent)
    assert [c.array_index for c in children] == [0, 1, 2]
    assert all(c.job_id.startswith(parent + ":") for c in children)
    assert {c.status for c in children} <= set(JobStatus)


def test_list_jobs_pages_decoded_by_json_match_botocore_parsing(moto: MotoEndpoint) -> None:
    """The gateway decodes ListJobs summaries itself; the rows must equal botocore's own parse."""
    seed_batch(moto)
    plain = moto.client("batch")
    for n in range(5):
        _submit(plain, f"same-{n}", arrayProperties={"size": 2} if n == 0 else {})
    expected = plain.list_jobs(jobQueue="demo-queue", jobStatus="SUCCEEDED")
    fast = moto.client("batch")
    gateway = BatchGateway(fast)
    BatchGateway(fast)  # a second gateway on the same client registers nothing twice
    decoded: list[int] = []

    def seen(customized_response_dict: dict[str, Any], **_: Any) -> None:
        decoded.append(len(customized_response_dict.get("jobSummaryList", ())))

    fast.meta.events.register("before-parse.batch.ListJobs", seen)
    response = fast.list_jobs(jobQueue="demo-queue", jobStatus="SUCCEEDED")
    assert decoded == [len(expected["jobSummaryList"])]
    assert response["jobSummaryList"] == expected["jobSummaryList"]
    assert response.get("nextToken") == expected.get("nextToken")
    rows, _token = gateway.list_jobs_page("demo-queue", JobStatus.SUCCEEDED)
    assert sorted(r.job_id for r in rows) == sorted(j["jobId"] for j in expected["jobSummaryList"])


def test_list_jobs_errors_still_come_from_botocore(sandbox: Any) -> None:
    client = boto3.client(
        "batch",
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
    )
    gateway = BatchGateway(client)
    with pytest.raises(client.exceptions.ClientException, match="does not exist"):
        gateway.list_jobs_page("no-such-queue", JobStatus.RUNNING)
    queue = client.describe_job_queues()["jobQueues"][0]["jobQueueName"]
    for status in JobStatus:
        rows, _token = gateway.list_jobs_page(queue, status)
        assert all(row.status is status for row in rows)
