"""A sandbox database of an older layout opens, is migrated, and its jobs are found through boto3."""

from __future__ import annotations

import ast
import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from batchgui.sandbox import start_in_process
from batchgui.sandbox.store import SCHEMA_VERSION
from tests.sandbox.conftest import FAST, Clients

REPO = Path(__file__).resolve().parents[2]
# The sandbox's first layout (no PRAGMA user_version, no `share` column), as committed.
FIRST_LAYOUT_COMMIT = "1259bbb"
JOB_ID = "00000000-0000-4000-8000-000000000001"
QUEUE_ARN = "arn:aws:batch:us-east-1:123456789012:job-queue/old-queue"
JOBDEF_ARN = "arn:aws:batch:us-east-1:123456789012:job-definition/old-def:1"


def old_schema() -> str:
    try:
        text = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{FIRST_LAYOUT_COMMIT}:batchgui/sandbox/store.py"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs the git history of the sandbox's store")
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SCHEMA":
            return str(ast.literal_eval(node.value))
    raise AssertionError("no SCHEMA in the first store.py")


def write_old_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(old_schema())
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
    queue = {
        "jobQueueName": "old-queue",
        "jobQueueArn": QUEUE_ARN,
        "state": "ENABLED",
        "status": "VALID",
        "statusReason": "JobQueue is VALID",
        "priority": 1,
        "computeEnvironmentOrder": [],
        "jobQueueType": "ECS_FARGATE",
        "tags": {},
        "jobStateTimeLimitActions": [],
    }
    conn.execute(
        "INSERT INTO job_queues (name, arn, status, data) VALUES (?, ?, 'VALID', ?)",
        ("old-queue", QUEUE_ARN, json.dumps(queue)),
    )
    spec = {
        "jobArn": f"arn:aws:batch:us-east-1:123456789012:job/{JOB_ID}",
        "jobName": "from-the-old-layout",
        "jobId": JOB_ID,
        "jobQueue": QUEUE_ARN,
        "jobDefinition": JOBDEF_ARN,
        "parameters": {},
        "container": {"image": "x", "command": ["true"], "networkInterfaces": []},
        "dependsOn": [],
        "tags": {},
        "propagateTags": False,
        "platformCapabilities": ["FARGATE"],
    }
    conn.execute(
        "INSERT INTO jobs (job_id, name, queue, status, created_at, started_at, stopped_at, job_def, vcpus,"
        " memory, exit_code, spec) VALUES (?, ?, ?, 'SUCCEEDED', 1000, 2000, 3000, ?, 0.25, 512, 0, ?)",
        (JOB_ID, "from-the-old-layout", QUEUE_ARN, JOBDEF_ARN, json.dumps(spec)),
    )
    conn.commit()
    conn.close()


def test_a_database_of_the_first_layout_opens_with_its_jobs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_old_database(data / "sandbox.sqlite3")
    sb = start_in_process(data, seed=False, settings=FAST)
    try:
        batch = Clients(sb).batch
        (job,) = batch.describe_jobs(jobs=[JOB_ID])["jobs"]
        assert (job["jobName"], job["status"], job["container"]["exitCode"]) == (
            "from-the-old-layout",
            "SUCCEEDED",
            0,
        )
        listed = batch.list_jobs(jobQueue="old-queue", jobStatus="SUCCEEDED")["jobSummaryList"]
        assert [j["jobId"] for j in listed] == [JOB_ID]
    finally:
        sb.stop()
    conn = sqlite3.connect(data / "sandbox.sqlite3")
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert "share" in {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
    finally:
        conn.close()


def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    from batchgui.sandbox.store import Store

    path = tmp_path / "sandbox.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="layout"):
        Store(path)
