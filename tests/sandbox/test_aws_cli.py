"""The same API through the AWS CLI (`aws --endpoint-url ...`), as a user's scripts would call it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from batchgui.sandbox import RunningSandbox
from tests.sandbox.conftest import Clients

pytestmark = pytest.mark.timeout(90)
AWS = str(Path(sys.executable).with_name("aws"))


def aws(sandbox: RunningSandbox, home: Path, *args: str) -> Any:
    config = home / "empty-aws-config"
    config.write_text("")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": sandbox.access_key_id,
        "AWS_SECRET_ACCESS_KEY": sandbox.secret_access_key,
        "AWS_DEFAULT_REGION": sandbox.region,
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(config),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = subprocess.run(
        [AWS, "--endpoint-url", sandbox.endpoint_url, "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return json.loads(result.stdout) if result.stdout.strip() else None


@pytest.mark.skipif(not Path(AWS).exists(), reason="AWS CLI not installed in this environment")
def test_scenario_through_aws_cli(sandbox: RunningSandbox, tmp_path: Path) -> None:
    queues = aws(sandbox, tmp_path, "batch", "describe-job-queues")["jobQueues"]
    assert {"fargate-queue", "ec2-queue"} <= {q["jobQueueName"] for q in queues}
    submitted = aws(
        sandbox,
        tmp_path,
        "batch",
        "submit-job",
        "--job-name",
        "cli-job",
        "--job-queue",
        "fargate-queue",
        "--job-definition",
        "csv-row-processor",
        "--container-overrides",
        json.dumps({"command": ["sh", "-c", "echo from-cli"]}),
    )
    job_id = submitted["jobId"]
    job: dict[str, Any] = {}
    # Wait through boto3 (each CLI start costs a second), then read the result through the CLI.
    Clients(sandbox).wait_job(job_id, timeout=20)
    job = aws(sandbox, tmp_path, "batch", "describe-jobs", "--jobs", job_id)["jobs"][0]
    assert job["status"] == "SUCCEEDED", job
    listed = aws(
        sandbox, tmp_path, "batch", "list-jobs", "--job-queue", "fargate-queue", "--job-status", "SUCCEEDED"
    )
    assert job_id in [j["jobId"] for j in listed["jobSummaryList"]]
    events = aws(
        sandbox,
        tmp_path,
        "logs",
        "get-log-events",
        "--log-group-name",
        "/aws/batch/job",
        "--log-stream-name",
        job["container"]["logStreamName"],
        "--start-from-head",
    )["events"]
    assert [e["message"] for e in events] == ["from-cli"]
    head = aws(
        sandbox, tmp_path, "s3api", "head-object", "--bucket", "batchgui-demo", "--key", "input/sample.csv"
    )
    assert head["ContentLength"] > 1000


@pytest.mark.skipif(not Path(AWS).exists(), reason="AWS CLI not installed in this environment")
def test_aws_cli_sees_client_exception(sandbox: RunningSandbox, tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="ClientException"):
        aws(
            sandbox,
            tmp_path,
            "batch",
            "submit-job",
            "--job-name",
            "x",
            "--job-queue",
            "nope",
            "--job-definition",
            "csv-row-processor",
        )
