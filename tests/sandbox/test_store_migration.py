"""A sandbox database of an older layout opens, is migrated, and its jobs are found through boto3."""

from __future__ import annotations

import ast
import contextlib
import json
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


def committed(commit: str, path: str) -> str:
    """A file's text as committed (the test skips without the git history)."""
    try:
        return subprocess.run(
            ["git", "-C", str(REPO), "show", f"{commit}:{path}"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs the git history of the sandbox's store")


def old_schema() -> str:
    text = committed(FIRST_LAYOUT_COMMIT, "batchgui/sandbox/store.py")
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


@contextlib.contextmanager
def sandbox_on(data: Path, write: Callable[[Path], None]) -> Iterator[Any]:
    """A sandbox started on the database `write` made; yields its Batch client."""
    data.mkdir()
    write(data / "sandbox.sqlite3")
    sb = start_in_process(data, seed=False, settings=FAST)
    try:
        yield Clients(sb).batch
    finally:
        sb.stop()


def test_a_database_of_the_first_layout_opens_with_its_jobs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with sandbox_on(data, write_old_database) as batch:
        (job,) = batch.describe_jobs(jobs=[JOB_ID])["jobs"]
        assert (job["jobName"], job["status"], job["container"]["exitCode"]) == (
            "from-the-old-layout",
            "SUCCEEDED",
            0,
        )
        listed = batch.list_jobs(jobQueue="old-queue", jobStatus="SUCCEEDED")["jobSummaryList"]
        assert [j["jobId"] for j in listed] == [JOB_ID]
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


# The layout before the filtered-listing indexes (4), as committed.
LAYOUT_4_COMMIT = "ad54d7d"


def committed_layout(path: Path, commit: str, version: int) -> tuple[sqlite3.Connection, dict[str, Any]]:
    """A database made by an older layout's own statements (its sql.py from git), and them."""
    text = committed(commit, "batchgui/sandbox/sql.py")
    old: dict[str, Any] = {"__name__": "old_sql"}
    exec(compile(text, "old_sql.py", "exec"), old)  # our own committed source
    conn = sqlite3.connect(path)
    conn.executescript(str(old["BASE_SCHEMA"]))
    for _step, table, column, declaration in old["ADDED_COLUMNS"]:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    for _step, create in (*old["ADDED_TABLES"], *old.get("ADDED_INDEXES", ())):
        conn.execute(create)
    conn.execute(f"PRAGMA user_version = {version:d}")
    return conn, old


def write_layout_4_database(path: Path) -> None:
    """A database made by the layout-4 code's own statements (its sql.py from git)."""
    conn, _old = committed_layout(path, LAYOUT_4_COMMIT, 4)
    write_jobs(conn)
    conn.commit()
    conn.close()


def write_jobs(conn: sqlite3.Connection) -> None:
    queue: dict[str, object] = {
        "jobQueueName": "old-queue",
        "jobQueueArn": QUEUE_ARN,
        "state": "ENABLED",
        "status": "VALID",
    }
    queue |= {"statusReason": "", "priority": 1, "computeEnvironmentOrder": [], "tags": {}}
    conn.execute(
        "INSERT INTO job_queues (name, arn, status, data) VALUES (?, ?, 'VALID', ?)",
        ("old-queue", QUEUE_ARN, json.dumps(queue)),
    )
    for number in range(150):
        job_id = f"00000000-0000-4000-8000-{number:012d}"
        spec = {
            "jobArn": f"arn:aws:batch:us-east-1:123456789012:job/{job_id}",
            "jobName": f"Old-{number:03d}",
            "jobId": job_id,
            "jobQueue": QUEUE_ARN,
            "jobDefinition": JOBDEF_ARN,
            "container": {"image": "x", "command": ["true"]},
        }
        conn.execute(
            "INSERT INTO jobs (job_id, name, queue, status, created_at, job_def, vcpus, memory, spec)"
            " VALUES (?, ?, ?, 'SUCCEEDED', ?, ?, 0.25, 512, ?)",
            (job_id, f"Old-{number:03d}", QUEUE_ARN, 1000 + number, JOBDEF_ARN, json.dumps(spec)),
        )


def test_a_database_of_layout_4_gets_the_listing_indexes_and_keeps_its_jobs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with sandbox_on(data, write_layout_4_database) as batch:
        pages = batch.get_paginator("list_jobs").paginate(
            jobQueue="old-queue", filters=[{"name": "JOB_NAME", "values": ["old-1*"]}]
        )
        names = [j["jobName"] for page in pages for j in page["jobSummaryList"]]
        assert names == [f"Old-{number:03d}" for number in range(149, 99, -1)]
        after = batch.list_jobs(
            jobQueue="old-queue", filters=[{"name": "AFTER_CREATED_AT", "values": ["1139"]}]
        )["jobSummaryList"]
        assert [j["createdAt"] for j in after] == list(range(1149, 1139, -1))
    conn = sqlite3.connect(data / "sandbox.sqlite3")
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"jobs_queue_created", "jobs_queue_name"} <= indexes
        assert conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 150
    finally:
        conn.close()


# The layout before service jobs had an `open` column (5), as committed.
LAYOUT_5_COMMIT = "a7a0f40"
SERVICE_JOB_ARN = "arn:aws:batch:us-east-1:123456789012:service-job/{}"


def service_job(job_id: str, status: str) -> dict[str, object]:
    """A simulated training job admitted at once, long ago, with a 1 s run (stored as written then)."""
    return {
        "jobId": job_id,
        "jobArn": SERVICE_JOB_ARN.format(job_id),
        "jobName": f"old-{status.lower()}",
        "jobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/old-training",
        "serviceJobType": "SAGEMAKER_TRAINING",
        "serviceRequestPayload": "{}",
        "status": status,
        "createdAt": 1000,
        "isTerminated": False,
        "attempts": [],
        "tags": {},
        "_runS": 1.0,
        "_instances": 1,
        "_instanceType": "ml.m5.large",
        "_clock0": 1000,
        "_resource": {"name": "TrainingJobArn", "value": f"arn:aws:sagemaker:::training-job/{job_id}"},
    }


def write_layout_5_database(path: Path) -> None:
    """A layout-5 database (its sql.py from git) with two service jobs: one stored as submitted
    (it ended by its clock), one stored FAILED."""
    conn, old = committed_layout(path, LAYOUT_5_COMMIT, 5)
    for job_id, status in (("a", "SUBMITTED"), ("b", "FAILED")):
        row = (SERVICE_JOB_ARN.format(job_id), "service-job", f"old-{job_id}", 1000)
        conn.execute(str(old["SERVICE_SAVE"]), (*row, json.dumps(service_job(job_id, status))))
    conn.commit()
    conn.close()


def test_a_database_of_layout_5_keeps_settling_its_open_service_jobs(tmp_path: Path) -> None:
    from batchgui.sandbox import sql

    data = tmp_path / "data"

    def open_jobs() -> list[str]:
        conn = sqlite3.connect(data / "sandbox.sqlite3")
        try:
            return sorted(json.loads(text)["jobId"] for (text,) in conn.execute(sql.SERVICE_JOBS_OPEN))
        finally:
            conn.close()

    with sandbox_on(data, write_layout_5_database) as batch:
        assert open_jobs() == ["a"]  # what the old layout's query read: not stored as ended
        assert batch.describe_service_job(jobId="a")["status"] == "SUCCEEDED"
        assert open_jobs() == []  # ended long before now, and no job waits: closed
        assert batch.describe_service_job(jobId="b")["status"] == "FAILED"
    conn = sqlite3.connect(data / "sandbox.sqlite3")
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    finally:
        conn.close()
