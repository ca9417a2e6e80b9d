"""Containers as ECS makes them: AWS_EXECUTION_ENV, the task metadata endpoint v4 and the task-role
credentials endpoint, exercised by real boto3 inside jobs the sandbox runs."""

from __future__ import annotations

import json
import uuid
from typing import Any

import botocore.exceptions
import pytest

from tests.sandbox.conftest import Clients

pytestmark = pytest.mark.timeout(90)

FARGATE_SIZE = [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}]
EC2_SIZE = [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "512"}]

# What Metaflow's @batch does in its first step (batch_decorator.task_pre_step): read the Batch and
# ECS variables, read LogOptions from the v4 metadata endpoint, then talk to S3 with the SDK's own
# credential chain. It prints one JSON line the test reads back from the job's log.
METAFLOW_LIKE = r"""
import json, os, sys, urllib.request, urllib.error
import boto3
meta = {k: os.environ[k] for k in ("AWS_BATCH_JOB_ID", "AWS_BATCH_JOB_ATTEMPT", "AWS_BATCH_CE_NAME",
                                   "AWS_BATCH_JQ_NAME", "AWS_EXECUTION_ENV")}
v4 = os.environ["ECS_CONTAINER_METADATA_URI_V4"]
container = json.load(urllib.request.urlopen(v4, timeout=5))
task = json.load(urllib.request.urlopen(v4 + "/task", timeout=5))
stats = json.load(urllib.request.urlopen(v4 + "/stats", timeout=5))
v3 = json.load(urllib.request.urlopen(os.environ["ECS_CONTAINER_METADATA_URI"] + "/task", timeout=5))
try:
    urllib.request.urlopen(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], timeout=5)
    no_token = 200
except urllib.error.HTTPError as exc:
    no_token = exc.code
session = boto3.session.Session()
creds = session.get_credentials().get_frozen_credentials()
s3 = session.client("s3")
s3.put_object(Bucket="batchgui-demo", Key=sys.argv[1], Body=json.dumps(meta).encode())
identity = session.client("sts").get_caller_identity()["Account"]
print(json.dumps({
    "meta": meta, "container": container, "task": task, "v3_task_arn": v3["TaskARN"],
    "stats_keys": sorted(stats), "no_token_status": no_token, "method": session.get_credentials().method,
    "key": creds.access_key, "secret": creds.secret_key, "token": creds.token, "account": identity,
    "env_keys": sorted(k for k in os.environ if k.startswith(("AWS_", "ECS_"))),
    "region": session.region_name,
}))
"""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def run_probe(
    clients: Clients, queue: str, platform: str, size: list[dict[str, str]]
) -> tuple[Any, Any, str]:
    name = unique("metaflow-like")
    key = f"fidelity/{name}.json"
    clients.batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        platformCapabilities=[platform],
        containerProperties={
            "image": "python:3.11",
            "command": ["python", "-c", METAFLOW_LIKE, key],
            "resourceRequirements": size,
            "jobRoleArn": "arn:aws:iam::123456789012:role/flow-role",
        },
    )
    job_id = clients.batch.submit_job(jobName=name, jobQueue=queue, jobDefinition=name)["jobId"]
    job = clients.wait_job(job_id, timeout=60)
    events = clients.logs.get_log_events(
        logGroupName="/aws/batch/job", logStreamName=job["container"]["logStreamName"], startFromHead=True
    )["events"]
    output = "\n".join(e["message"] for e in events)
    assert job["status"] == "SUCCEEDED", output
    line = next(ln for ln in output.splitlines() if ln.startswith("{"))
    return job, json.loads(line), key


@pytest.mark.parametrize(
    ("queue", "platform", "size", "execution_env", "launch_type"),
    [
        ("fargate-queue", "FARGATE", FARGATE_SIZE, "AWS_ECS_FARGATE", "FARGATE"),
        ("ec2-queue", "EC2", EC2_SIZE, "AWS_ECS_EC2", "EC2"),
    ],
)
def test_a_metaflow_style_job_reads_ecs_variables_metadata_and_credentials(  # noqa: PLR0917
    clients: Clients,
    queue: str,
    platform: str,
    size: list[dict[str, str]],
    execution_env: str,
    launch_type: str,
) -> None:
    job, probe, key = run_probe(clients, queue, platform, size)
    meta = probe["meta"]
    assert meta["AWS_EXECUTION_ENV"] == execution_env
    assert meta["AWS_BATCH_JOB_ID"] == job["jobId"]
    assert meta["AWS_BATCH_JQ_NAME"] == queue
    # The metadata documents in ECS's shapes, naming this job's own log stream and task.
    container, task = probe["container"], probe["task"]
    assert container["LogDriver"] == "awslogs"
    assert container["LogOptions"] == {
        "awslogs-group": "/aws/batch/job",
        "awslogs-region": clients.sandbox.region,
        "awslogs-stream": job["container"]["logStreamName"],
    }
    assert container["KnownStatus"] == "RUNNING"
    assert container["Name"] == "default"
    assert container["Image"] == "python:3.11"
    assert task["TaskARN"] == job["container"]["taskArn"] == probe["v3_task_arn"]
    assert task["LaunchType"] == launch_type
    assert task["Containers"][0]["DockerId"] == container["DockerId"]
    assert task["Cluster"].startswith("arn:aws:ecs:us-east-1:123456789012:cluster/")
    assert {"read", "memory_stats", "cpu_stats"} <= set(probe["stats_keys"])
    if launch_type == "FARGATE":
        assert task["Limits"] == {"CPU": 0.25, "Memory": 512}
    # Credentials: from the container endpoint, short-lived session keys; none in the environment.
    assert probe["method"] == "container-role"
    assert probe["key"].startswith("ASIA")
    assert probe["token"]
    assert probe["no_token_status"] == 403
    assert "AWS_ACCESS_KEY_ID" not in probe["env_keys"]
    assert "AWS_SECRET_ACCESS_KEY" not in probe["env_keys"]
    wanted = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_FULL_URI"}
    assert wanted <= set(probe["env_keys"])
    assert probe["region"] == clients.sandbox.region
    assert probe["account"] == "123456789012"
    # What the job wrote with them is in the sandbox's S3.
    body = json.loads(clients.s3.get_object(Bucket="batchgui-demo", Key=key)["Body"].read())
    assert body["AWS_EXECUTION_ENV"] == execution_env


def test_a_jobs_session_keys_stop_working_when_it_ends(clients: Clients) -> None:
    _job, probe, _key = run_probe(clients, "fargate-queue", "FARGATE", FARGATE_SIZE)
    import boto3

    leftover = boto3.session.Session(
        aws_access_key_id=probe["key"],
        aws_secret_access_key=probe["secret"],
        aws_session_token=probe["token"],
        region_name=clients.sandbox.region,
    ).client("batch", endpoint_url=clients.sandbox.endpoint_url)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        leftover.describe_job_queues()
    assert caught.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_a_session_key_without_its_token_is_refused(clients: Clients) -> None:
    """A running job's key signed without (or with a wrong) session token is not accepted."""
    from batchgui.sandbox.ecs_metadata import Task, TaskEndpoints

    endpoints = TaskEndpoints()
    task = Task(
        job_id="job",
        task_arn="arn:task",
        cluster_arn="arn:cluster",
        family="fam",
        revision="1",
        fargate=True,
        vcpus=1.0,
        memory_mib=512,
        image="img",
        log_group="g",
        log_stream="s",
        region="us-east-1",
        role_arn="r",
    )
    endpoints.register(task)
    status, doc = endpoints.answer(f"/v2/credentials/{task.endpoint_id}", task.auth_token)
    assert status == 200
    key = doc["AccessKeyId"]
    header = f"AWS4-HMAC-SHA256 Credential={key}/20261202/us-east-1/batch/aws4_request, SignedHeaders=host"
    assert endpoints.keys_for({"HTTP_AUTHORIZATION": header}) is None
    assert endpoints.keys_for({"HTTP_AUTHORIZATION": header, "HTTP_X_AMZ_SECURITY_TOKEN": "x"}) is None
    good = {"HTTP_AUTHORIZATION": header, "HTTP_X_AMZ_SECURITY_TOKEN": doc["Token"]}
    assert endpoints.keys_for(good) == (key, doc["SecretAccessKey"])
    assert endpoints.answer(f"/v2/credentials/{task.endpoint_id}", "wrong")[0] == 403
    endpoints.forget("job")
    assert endpoints.keys_for(good) is None
    assert endpoints.answer(f"/v4/{task.endpoint_id}", None)[0] == 404
    endpoints.stop()
