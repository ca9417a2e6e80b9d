"""The demo every fresh sandbox starts with (idempotent; `seed=False` / `--no-seed` skips it).

Batch (persistent, created once, through the same validated code path as the API):
- compute environments `fargate-ce` (MANAGED FARGATE, maxvCpus 8) and `ec2-ce` (MANAGED EC2,
  instanceTypes m5/c5, minvCpus 0, maxvCpus 16)
- job queues `fargate-queue` (priority 10, fargate-ce) and `ec2-queue` (priority 5, ec2-ce): AWS
  refuses Fargate and EC2 environments in one queue, so each platform has its own queue
- job definitions `csv-row-processor` (FARGATE, 0.25 vCPU / 512 MiB) and `csv-row-processor-ec2`
  (EC2, 1 vCPU / 1024 MiB), both running `python -m batchgui.sandbox.demo.processor` with the
  parameters documented in processor.py (bucket, key, rows_per_child, first_row, table,
  submission_id, delay_ms)
- four finished jobs with logs (three SUCCEEDED, one FAILED) so every panel has rows at once

S3 and DynamoDB (moto, in memory, so re-created at every start):
- bucket `batchgui-demo` with resources/sample.csv at key `input/sample.csv`
- table `batchgui-demo-results`: partition key `submission_id` (S), sort key `row_number` (N),
  on-demand billing; one item per processed CSV row (see processor.py)
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchgui.sandbox import lifecycle, logs_api, sql

if TYPE_CHECKING:
    from batchgui.sandbox.batch_api import BatchApi
    from batchgui.sandbox.engine import Engine
    from batchgui.sandbox.store import Store

BUCKET = "batchgui-demo"
CSV_KEY = "input/sample.csv"
TABLE = "batchgui-demo-results"
FARGATE_CE = "fargate-ce"
EC2_CE = "ec2-ce"
FARGATE_QUEUE = "fargate-queue"
EC2_QUEUE = "ec2-queue"
JOB_DEFINITION = "csv-row-processor"
JOB_DEFINITION_EC2 = "csv-row-processor-ec2"
SEED_VERSION = "1"

PROCESSOR_COMMAND = [
    "python",
    "-m",
    "batchgui.sandbox.demo.processor",
    "--bucket",
    "Ref::bucket",
    "--key",
    "Ref::key",
    "--rows-per-child",
    "Ref::rows_per_child",
    "--first-row",
    "Ref::first_row",
    "--table",
    "Ref::table",
    "--submission-id",
    "Ref::submission_id",
    "--delay-ms",
    "Ref::delay_ms",
]
DEFAULT_PARAMETERS = {
    "bucket": BUCKET,
    "key": CSV_KEY,
    "rows_per_child": "50",
    "first_row": "0",
    "table": TABLE,
    "submission_id": "demo",
    "delay_ms": "20",
}


def sample_csv_path() -> Path:
    here = Path(__file__).resolve()
    for candidate in (
        here.parents[3] / "resources" / "sample.csv",
        here.parents[2] / "resources" / "sample.csv",
    ):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("resources/sample.csv is missing from this installation")


def seed_batch(batch: BatchApi, store: Store, engine: Engine) -> None:
    """Create the demo's Batch objects and finished jobs once; later starts change nothing."""
    if store.meta_get("seeded") == SEED_VERSION:
        return
    from batchgui.sandbox.batch_api import ClientError

    def call(op: str, params: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return batch.call(op, params)
        except ClientError as exc:
            if "already exists" in exc.message:
                return None
            raise

    call(
        "CreateComputeEnvironment",
        {
            "computeEnvironmentName": FARGATE_CE,
            "type": "MANAGED",
            "state": "ENABLED",
            "computeResources": {
                "type": "FARGATE",
                "maxvCpus": 8,
                "subnets": ["subnet-0sandbox"],
                "securityGroupIds": ["sg-0sandbox"],
            },
        },
    )
    call(
        "CreateComputeEnvironment",
        {
            "computeEnvironmentName": EC2_CE,
            "type": "MANAGED",
            "state": "ENABLED",
            "computeResources": {
                "type": "EC2",
                "minvCpus": 0,
                "maxvCpus": 16,
                "desiredvCpus": 0,
                "instanceTypes": ["m5", "c5"],
                "subnets": ["subnet-0sandbox"],
                "securityGroupIds": ["sg-0sandbox"],
                "allocationStrategy": "BEST_FIT_PROGRESSIVE",
            },
        },
    )
    call(
        "CreateJobQueue",
        {
            "jobQueueName": FARGATE_QUEUE,
            "state": "ENABLED",
            "priority": 10,
            "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": FARGATE_CE}],
        },
    )
    call(
        "CreateJobQueue",
        {
            "jobQueueName": EC2_QUEUE,
            "state": "ENABLED",
            "priority": 5,
            "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": EC2_CE}],
        },
    )
    with store.read() as conn:
        have_defs = {r[0] for r in conn.execute(sql.JOBDEF_NAMES)}
    container = {
        "image": "public.ecr.aws/docker/library/python:3.11-slim",
        "command": PROCESSOR_COMMAND,
        "environment": [{"name": "DEMO", "value": "batchgui"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {}},
    }
    if JOB_DEFINITION not in have_defs:
        batch.call(
            "RegisterJobDefinition",
            {
                "jobDefinitionName": JOB_DEFINITION,
                "type": "container",
                "platformCapabilities": ["FARGATE"],
                "parameters": DEFAULT_PARAMETERS,
                "containerProperties": {
                    **container,
                    "resourceRequirements": [
                        {"type": "VCPU", "value": "0.25"},
                        {"type": "MEMORY", "value": "512"},
                    ],
                    "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
                    "networkConfiguration": {"assignPublicIp": "ENABLED"},
                    "fargatePlatformConfiguration": {"platformVersion": "LATEST"},
                },
                "retryStrategy": {
                    "attempts": 2,
                    "evaluateOnExit": [
                        {"onStatusReason": "Task stopped*", "action": "RETRY"},
                        {"onReason": "*", "action": "EXIT"},
                    ],
                },
            },
        )
    if JOB_DEFINITION_EC2 not in have_defs:
        batch.call(
            "RegisterJobDefinition",
            {
                "jobDefinitionName": JOB_DEFINITION_EC2,
                "type": "container",
                "platformCapabilities": ["EC2"],
                "parameters": DEFAULT_PARAMETERS,
                "containerProperties": {
                    **container,
                    "resourceRequirements": [
                        {"type": "VCPU", "value": "1"},
                        {"type": "MEMORY", "value": "1024"},
                    ],
                },
            },
        )
    with store.write() as conn:
        # The demo's environments and queues are ready from the first screen.
        conn.executemany(sql.CE_TRANSITION_NOW, [(FARGATE_CE,), (EC2_CE,)])
        conn.executemany(sql.QUEUE_TRANSITION_NOW, [(FARGATE_QUEUE,), (EC2_QUEUE,)])
    _seed_history(batch, store)
    with store.write() as conn:
        store.meta_set(conn, "seeded", SEED_VERSION)
    engine.wake(resources_changed=True)


def _seed_history(batch: BatchApi, store: Store) -> None:
    now = int(time.time() * 1000)
    history = [
        (
            "demo-orders-0001",
            FARGATE_QUEUE,
            JOB_DEFINITION,
            0,
            95,
            ["rows 0..49", "processed 25 rows", "processed 50 rows", "done: 50 rows written"],
        ),
        (
            "demo-orders-0002",
            FARGATE_QUEUE,
            JOB_DEFINITION,
            0,
            70,
            ["rows 50..99", "processed 25 rows", "processed 50 rows", "done: 50 rows written"],
        ),
        (
            "demo-orders-ec2",
            EC2_QUEUE,
            JOB_DEFINITION_EC2,
            0,
            40,
            ["rows 100..149", "processed 50 rows", "done: 50 rows written"],
        ),
        (
            "demo-bad-input",
            FARGATE_QUEUE,
            JOB_DEFINITION,
            1,
            20,
            [
                "rows 0..49 of s3://batchgui-demo/input/missing.csv",
                "ERROR reading s3://batchgui-demo/input/missing.csv: An error occurred (NoSuchKey) "
                "when calling "
                "the GetObject operation: The specified key does not exist.",
            ],
        ),
    ]
    for name, queue, job_def, exit_code, minutes_ago, lines in history:
        params = {"submission_id": name}
        if exit_code:
            params["key"] = "input/missing.csv"
        out = batch.call(
            "SubmitJob", {"jobName": name, "jobQueue": queue, "jobDefinition": job_def, "parameters": params}
        )
        job_id = out["jobId"]
        created = now - minutes_ago * 60_000
        started = created + 4_000
        stopped = started + 9_000 + 1_000 * len(lines)
        prefix = job_def
        stream = f"{prefix}/default/{job_id.replace('-', '')}"
        reason = "Essential container in task exited"
        attempts: list[dict[str, Any]] = [
            {
                "container": {
                    "exitCode": exit_code,
                    "logStreamName": stream,
                    "networkInterfaces": [],
                    "taskArn": f"arn:aws:ecs:us-east-1:123456789012:task/{job_id.replace('-', '')}",
                },
                "startedAt": started,
                "stoppedAt": stopped,
                "statusReason": reason,
            }
        ]
        with store.write() as conn:
            lifecycle.set_status(
                conn,
                job_id,
                None,
                "SUBMITTED",
                "FAILED" if exit_code else "SUCCEEDED",
                created_at=created,
                runnable_at=created + 1_000,
                started_at=started,
                stopped_at=stopped,
                exit_code=exit_code,
                status_reason=reason,
                log_stream=stream,
                attempts=json.dumps(attempts),
                task_arn=attempts[0]["container"]["taskArn"],
            )
            sid = logs_api.ensure_stream(conn, "/aws/batch/job", stream, started)
            logs_api.append_events(
                conn, sid, [(started + 500 * i, line) for i, line in enumerate(lines)], stopped
            )


def seed_moto_services(  # noqa: PLR0917
    endpoint_url: str,
    region: str,
    access_key: str,
    secret_key: str,
    seed_token: str,
    stopped: Any = None,
) -> None:
    """Create the demo bucket (with the sample CSV) and results table in moto, through the front door."""
    import boto3
    from botocore.config import Config

    from batchgui.sandbox.settings import private_botocore_session

    session = boto3.session.Session(
        botocore_session=private_botocore_session(),
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
    )
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=3, read_timeout=30)
    s3 = session.client("s3", endpoint_url=endpoint_url, config=config)
    dynamodb = session.client("dynamodb", endpoint_url=endpoint_url, config=config)

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-batchgui-seed"] = seed_token

    for client in (s3, dynamodb):
        client.meta.events.register("before-sign.*.*", add_header)
    if stopped is not None and stopped.is_set():
        return
    # moto's backends are per process: a second sandbox in this process finds them already made.
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=CSV_KEY, Body=sample_csv_path().read_bytes(), ContentType="text/csv")
    if stopped is not None and stopped.is_set():
        return
    with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):
        dynamodb.create_table(
            TableName=TABLE,
            AttributeDefinitions=[
                {"AttributeName": "submission_id", "AttributeType": "S"},
                {"AttributeName": "row_number", "AttributeType": "N"},
            ],
            KeySchema=[
                {"AttributeName": "submission_id", "KeyType": "HASH"},
                {"AttributeName": "row_number", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    for client in (s3, dynamodb):
        client.close()
