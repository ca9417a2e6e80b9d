"""Each bad input gets AWS's 4xx error and changes nothing."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError, ParamValidationError

from batchgui.sandbox import RunningSandbox
from tests.sandbox.conftest import Clients

pytestmark = pytest.mark.timeout(60)


def state(clients: Clients) -> tuple[Any, ...]:
    batch = clients.batch
    jobs = sorted(
        j["jobId"]
        for q in ("fargate-queue", "ec2-queue")
        for status in ("SUBMITTED", "PENDING", "RUNNABLE", "RUNNING", "SUCCEEDED", "FAILED")
        for j in batch.list_jobs(jobQueue=q, jobStatus=status)["jobSummaryList"]
    )
    return (
        json.dumps(batch.describe_compute_environments()["computeEnvironments"], sort_keys=True),
        json.dumps(batch.describe_job_queues()["jobQueues"], sort_keys=True),
        len(batch.describe_job_definitions()["jobDefinitions"]),
        jobs,
    )


def signed_raw(
    sandbox: RunningSandbox,
    path: str,
    body: bytes,
    service: str = "batch",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """A correctly signed request with an arbitrary body (what botocore's validator would stop)."""
    import botocore.credentials

    request = AWSRequest(method="POST", url=sandbox.endpoint_url + path, data=body, headers=headers or {})
    creds = botocore.credentials.Credentials(sandbox.access_key_id, sandbox.secret_access_key)
    SigV4Auth(creds, service, sandbox.region).add_auth(request)
    prepared = request.prepare()
    http = urllib.request.Request(prepared.url, data=body, method="POST", headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(http, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def submit(clients: Clients, **overrides: Any) -> Callable[[], Any]:
    params = {"jobName": "bad", "jobQueue": "fargate-queue", "jobDefinition": "csv-row-processor"}
    params.update(overrides)
    return lambda: clients.batch.submit_job(**params)


CASES: dict[str, Callable[[Clients], Callable[[], Any]]] = {
    "name breaks pattern": lambda c: submit(c, jobName="-bad name!"),
    "name too long": lambda c: submit(c, jobName="a" * 129),
    "array size 1": lambda c: submit(c, arrayProperties={"size": 1}),
    "array size 10001": lambda c: submit(c, arrayProperties={"size": 10001}),
    "21 dependencies": lambda c: submit(c, dependsOn=[{"jobId": f"id-{i}"} for i in range(21)]),
    "unknown dependency": lambda c: submit(c, dependsOn=[{"jobId": "00000000-0000-0000-0000-000000000000"}]),
    "missing queue": lambda c: submit(c, jobQueue="no-such-queue"),
    "missing job definition": lambda c: submit(c, jobDefinition="no-such-def"),
    "EC2 job on Fargate queue": lambda c: submit(c, jobDefinition="csv-row-processor-ec2"),
    "reserved env var": lambda c: submit(
        c, containerOverrides={"environment": [{"name": "AWS_BATCH_X", "value": "1"}]}
    ),
    "queue names missing CE": lambda c: (
        lambda: c.batch.create_job_queue(
            jobQueueName="q-bad",
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "no-such-ce"}],
        )
    ),
    "queue mixes Fargate and EC2": lambda c: (
        lambda: c.batch.create_job_queue(
            jobQueueName="q-mixed",
            priority=1,
            computeEnvironmentOrder=[
                {"order": 1, "computeEnvironment": "fargate-ce"},
                {"order": 2, "computeEnvironment": "ec2-ce"},
            ],
        )
    ),
    "CE name breaks pattern": lambda c: (
        lambda: c.batch.create_compute_environment(
            computeEnvironmentName="bad name",
            type="MANAGED",
            computeResources={"type": "FARGATE", "maxvCpus": 1},
        )
    ),
    "duplicate CE": lambda c: (
        lambda: c.batch.create_compute_environment(
            computeEnvironmentName="fargate-ce",
            type="MANAGED",
            computeResources={"type": "FARGATE", "maxvCpus": 1},
        )
    ),
    "EC2 CE without instance types": lambda c: (
        lambda: c.batch.create_compute_environment(
            computeEnvironmentName="ec2-bad", type="MANAGED", computeResources={"type": "EC2", "maxvCpus": 1}
        )
    ),
    "unknown instance type": lambda c: (
        lambda: c.batch.create_compute_environment(
            computeEnvironmentName="ec2-bad2",
            type="MANAGED",
            computeResources={"type": "EC2", "maxvCpus": 4, "instanceTypes": ["z9.huge"]},
        )
    ),
    "bad Fargate size": lambda c: (
        lambda: c.batch.register_job_definition(
            jobDefinitionName="bad-size",
            type="container",
            platformCapabilities=["FARGATE"],
            containerProperties={
                "image": "x",
                "resourceRequirements": [
                    {"type": "VCPU", "value": "0.25"},
                    {"type": "MEMORY", "value": "4096"},
                ],
            },
        )
    ),
    "delete enabled CE": lambda c: (
        lambda: c.batch.delete_compute_environment(computeEnvironment="fargate-ce")
    ),
    "too many ids to describe": lambda c: lambda: c.batch.describe_jobs(jobs=[f"x{i}" for i in range(101)]),
    "too many ids to cancel": lambda c: (
        lambda: c.batch.cancel_jobs(jobs=[f"x{i}" for i in range(51)], reason="r")
    ),
    "list jobs without queue": lambda c: lambda: c.batch.list_jobs(jobStatus="RUNNING"),
    "bad list filter": lambda c: (
        lambda: c.batch.list_jobs(jobQueue="fargate-queue", filters=[{"name": "COLOR", "values": ["x"]}])
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_a_client_exception_and_changes_nothing(clients: Clients, case: str) -> None:
    before = state(clients)
    with pytest.raises(ClientError) as info:
        CASES[case](clients)()
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ClientException"
    assert error["Error"]["Message"]
    assert state(clients) == before


def test_botocore_client_validates_types_before_sending(clients: Clients) -> None:
    with pytest.raises(ParamValidationError):
        clients.batch.submit_job(jobName=5, jobQueue="fargate-queue", jobDefinition="csv-row-processor")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "Could not parse"),
        (
            b'{"jobName": 5, "jobQueue": "fargate-queue", "jobDefinition": "csv-row-processor"}',
            "Invalid type",
        ),
        (b'{"jobName": "a", "jobQueue": "q", "jobDefinition": "d", "colour": "red"}', "Unknown parameter"),
        (b'{"jobQueue": "q", "jobDefinition": "d"}', "Missing required parameter"),
        (b"[1, 2]", "expected an object"),
    ],
)
def test_wire_level_bad_input(sandbox: RunningSandbox, clients: Clients, body: bytes, fragment: str) -> None:
    before = state(clients)
    status, headers, payload = signed_raw(
        sandbox, "/v1/submitjob", body, headers={"Content-Type": "application/json"}
    )
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "ClientException"
    assert fragment in json.loads(payload)["message"]
    assert state(clients) == before


def test_submit_body_over_30_kib(sandbox: RunningSandbox, clients: Clients) -> None:
    before = state(clients)
    body = json.dumps(
        {
            "jobName": "big",
            "jobQueue": "fargate-queue",
            "jobDefinition": "csv-row-processor",
            "parameters": {"blob": "x" * 31 * 1024},
        }
    ).encode()
    status, _headers, payload = signed_raw(sandbox, "/v1/submitjob", body)
    assert status == 400
    assert "30 KiB" in json.loads(payload)["message"]
    assert state(clients) == before


def test_unknown_and_unimplemented_operations(sandbox: RunningSandbox, clients: Clients) -> None:
    status, _headers, payload = signed_raw(sandbox, "/v1/makecoffee", b"{}")
    assert status == 404
    assert json.loads(payload)["__type"] == "UnknownOperationException"
    assert "makecoffee" in json.loads(payload)["message"]
    with pytest.raises(ClientError) as info:
        clients.logs.put_retention_policy(logGroupName="/aws/batch/job", retentionInDays=1)
    assert "PutRetentionPolicy" in info.value.response["Error"]["Message"]
