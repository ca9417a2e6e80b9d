from __future__ import annotations

import io
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError

from batchgui.aws.batch import BatchGateway, OutcomeUnknown, SubmittedJob, _no_blind_retry
from batchgui.aws.errors import translate
from batchgui.domain.batch import JobSummary
from batchgui.domain.csv_plan import (
    DefinitionInfo,
    PlanInput,
    QueueInfo,
    SplitMode,
    iter_rows,
    job_name_prefix,
    make_plan,
)
from batchgui.services.runner import Runner
from batchgui.services.submission import ItemState, Journal, SubmissionState, Submitter, new_submission_id

pytestmark = pytest.mark.timeout(120)

DEFINITION = DefinitionInfo(
    "csv-row-processor:1",
    "ACTIVE",
    "FARGATE",
    command=("python", "Ref::bucket", "Ref::key", "Ref::rows_per_child", "Ref::submission_id"),
    parameters={"bucket": "b", "key": "k", "rows_per_child": "50", "submission_id": "demo"},
)
PARKED_QUEUE = "parked-queue"


def batch_client(sandbox: Any, attempts: int = 1) -> Any:
    return boto3.client(
        "batch",
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
        config=Config(retries={"max_attempts": attempts, "mode": "standard"}),
    )


def park_queue(client: Any) -> None:
    """A queue over a DISABLED environment: jobs are accepted and stay RUNNABLE (nothing runs)."""
    client.create_compute_environment(
        computeEnvironmentName="parked",
        type="MANAGED",
        state="DISABLED",
        computeResources={
            "type": "FARGATE",
            "maxvCpus": 4,
            "subnets": ["subnet-1"],
            "securityGroupIds": ["sg-1"],
        },
    )
    client.create_job_queue(
        jobQueueName=PARKED_QUEUE,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "parked"}],
    )
    deadline = time.monotonic() + 10
    while client.describe_job_queues(jobQueues=[PARKED_QUEUE])["jobQueues"][0]["status"] != "VALID":
        assert time.monotonic() < deadline, "the parked queue never became VALID"
        time.sleep(0.1)


def csv_bytes(rows: int) -> bytes:
    return b"id,name\n" + b"".join(f"{i},name-{i}\n".encode() for i in range(rows))


def per_row_plan(rows: int, sid: str) -> Any:
    return make_plan(
        PlanInput(
            job_name="rows",
            queue=QueueInfo(PARKED_QUEUE),
            definition=DEFINITION,
            bucket="b",
            key="k.csv",
            rows=rows,
            columns=("id", "name"),
            submission_id=sid,
            mode=SplitMode.PER_ROW,
        )
    )


@pytest.fixture
def runner() -> Iterator[Runner]:
    made = Runner(workers=4, translate=translate)
    yield made
    made.close(timeout_s=2)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    made = Journal(tmp_path / "data" / "submissions.sqlite3")
    yield made
    made.close()


def create_per_row(run_async: Callable[..., Any], submitter: Submitter, rows: int) -> str:
    sid = new_submission_id()
    plan = per_row_plan(rows, sid)
    data = csv_bytes(rows)
    run_async(
        submitter.create(
            plan,
            "/tmp/rows.csv",
            len(data),
            "0" * 64,
            rows=lambda: iter_rows(io.BytesIO(data), "utf-8", ",", '"', has_header=True),
        )
    )
    return sid


def jobs_by_name(client: Any, prefix: str) -> list[str]:
    names: list[str] = []
    for page in client.get_paginator("list_jobs").paginate(
        jobQueue=PARKED_QUEUE, filters=[{"name": "JOB_NAME", "values": [f"{prefix}*"]}]
    ):
        names.extend(j["jobName"] for j in page["jobSummaryList"])
    return names


def test_array_submission_is_one_call_recorded_in_the_journal(
    sandbox: Any, runner: Runner, journal: Journal, run_async: Callable[..., Any]
) -> None:
    client = batch_client(sandbox)
    park_queue(client)
    submitter = Submitter(runner, journal)
    sid = new_submission_id()
    plan = make_plan(
        PlanInput(
            job_name="orders",
            queue=QueueInfo(PARKED_QUEUE),
            definition=DEFINITION,
            bucket="b",
            key="k.csv",
            rows=10_000,
            columns=("id",),
            submission_id=sid,
            rows_per_child=1,
        )
    )
    assert plan.ok, plan.errors
    run_async(submitter.create(plan, "/tmp/x.csv", 1, "0" * 64))
    outcome = run_async(submitter.submit(BatchGateway(client), sid))
    assert outcome.calls == 1
    assert outcome.submitted == 1
    sub = journal.submission(sid)
    assert sub.state == SubmissionState.SUBMITTED
    [job] = client.describe_jobs(jobs=journal.job_ids(sid))["jobs"]
    assert job["arrayProperties"]["size"] == 10_000
    assert job["tags"]["batchgui:submission"] == sid


_CHILD = """
import asyncio, sys, boto3
from pathlib import Path
from botocore.config import Config
from batchgui.aws.batch import BatchGateway
from batchgui.aws.errors import translate
from batchgui.services.runner import Runner
from batchgui.services.submission import Journal, Submitter
endpoint, region, key, secret, db, sid = sys.argv[1:]
client = boto3.client("batch", endpoint_url=endpoint, region_name=region, aws_access_key_id=key,
                      aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
submitter = Submitter(Runner(workers=4, translate=translate), Journal(Path(db)))
async def main():
    # Slow enough that the parent can kill it part-way.
    await submitter.submit(BatchGateway(client), sid, rate_per_s=150, concurrency=4)
asyncio.run(main())
"""


def test_crash_after_500_of_2000_resumes_without_duplicates_or_gaps(
    sandbox: Any, runner: Runner, journal: Journal, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    client = batch_client(sandbox)
    park_queue(client)
    submitter = Submitter(runner, journal)
    sid = create_per_row(run_async, submitter, 2000)
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _CHILD,
            sandbox.endpoint_url,
            sandbox.region,
            sandbox.access_key_id,
            sandbox.secret_access_key,
            str(journal.path),
            sid,
        ],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    watcher = sqlite3.connect(str(journal.path))
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            (done,) = watcher.execute(
                "SELECT COUNT(*) FROM items WHERE submission_id=? AND state='submitted'", (sid,)
            ).fetchone()
            if done >= 500:
                break
            assert child.poll() is None, "the submitting process ended before it was killed"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        watcher.close()
        if child.poll() is None:
            child.kill()
            child.wait(10)
    before = journal.submission(sid)
    assert 500 <= before.submitted < 2000
    assert before.state == SubmissionState.SUBMITTING  # it died mid-way

    outcome = run_async(submitter.submit(BatchGateway(client), sid, rate_per_s=2000), timeout=90)
    assert outcome.submitted == 2000
    ids = journal.job_ids(sid)
    assert len(ids) == len(set(ids)) == 2000
    names = jobs_by_name(client, job_name_prefix("rows", sid))
    assert len(names) == len(set(names)) == 2000  # none twice, none skipped
    assert journal.submission(sid).state == SubmissionState.SUBMITTED


class _Answer:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def test_throttled_calls_are_retried_until_every_row_is_submitted_once(
    sandbox: Any, runner: Runner, journal: Journal, run_async: Callable[..., Any]
) -> None:
    client = batch_client(sandbox)
    park_queue(client)
    chooser = random.Random(7)
    throttled: list[int] = []

    def maybe_429(request: Any, **_: Any) -> AWSResponse | None:
        if chooser.random() < 0.2:
            throttled.append(1)
            body = b'{"__type":"TooManyRequestsException","message":"Too Many Requests"}'
            return AWSResponse(request.url, 429, {"content-type": "application/json"}, _Answer(body))  # type: ignore[arg-type]
        return None

    client.meta.events.register("before-send.batch.SubmitJob", maybe_429)
    submitter = Submitter(runner, journal)
    sid = create_per_row(run_async, submitter, 100)
    progress: list[Any] = []
    outcome = run_async(
        submitter.submit(BatchGateway(client), sid, rate_per_s=2000, progress=progress.append), timeout=90
    )
    assert throttled
    assert 0 < outcome.throttled <= len(throttled)
    assert outcome.submitted == 100
    names = jobs_by_name(client, job_name_prefix("rows", sid))
    assert len(names) == len(set(names)) == 100
    assert progress[-1].submitted == 100


class _LostAnswers(BatchGateway):
    """Submits for real, then loses the answer of some calls (as a read timeout would)."""

    def __init__(self, client: Any, lose: set[int]) -> None:
        super().__init__(client)
        self.lose = lose
        self.count = 0

    def submit_job_once(self, request: dict[str, Any]) -> SubmittedJob:
        self.count += 1
        job = super().submit_job_once(request)
        if self.count in self.lose:
            raise OutcomeUnknown("read timeout", "")
        return job


def test_lost_answers_are_looked_up_by_name_not_resubmitted(
    sandbox: Any, runner: Runner, journal: Journal, run_async: Callable[..., Any]
) -> None:
    client = batch_client(sandbox)
    park_queue(client)
    submitter = Submitter(runner, journal)
    sid = create_per_row(run_async, submitter, 30)
    outcome = run_async(submitter.submit(_LostAnswers(client, {3, 10, 11}), sid, rate_per_s=2000))
    assert outcome.submitted == 30
    names = jobs_by_name(client, job_name_prefix("rows", sid))
    assert len(names) == len(set(names)) == 30


class _LostWhileAnotherIsInFlight(BatchGateway):
    """The first answer is lost; the second call is held in flight until the first has been looked
    up by name, then its answer is lost too."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.lock = threading.Lock()
        self.count = 0
        self.looked_up = threading.Event()

    def submit_job_once(self, request: dict[str, Any]) -> SubmittedJob:
        with self.lock:
            self.count += 1
            number = self.count
        if number == 2:
            self.looked_up.wait(10)
        job = super().submit_job_once(request)
        if number in (1, 2):
            raise OutcomeUnknown("read timeout", "")
        return job

    def jobs_named(self, queue: str, name_prefix: str) -> list[JobSummary]:
        found = super().jobs_named(queue, name_prefix)
        self.looked_up.set()
        return found


def test_a_lost_answer_does_not_reset_a_call_still_in_flight(
    sandbox: Any, runner: Runner, journal: Journal, run_async: Callable[..., Any]
) -> None:
    client = batch_client(sandbox)
    park_queue(client)
    submitter = Submitter(runner, journal)
    sid = create_per_row(run_async, submitter, 3)
    gateway = _LostWhileAnotherIsInFlight(client)
    outcome = run_async(submitter.submit(gateway, sid, rate_per_s=2000))
    assert outcome.submitted == 3
    names = jobs_by_name(client, job_name_prefix("rows", sid))
    assert sorted(names) == sorted(set(names))
    assert len(names) == 3


def test_refused_rows_are_recorded_and_the_rest_go_on(
    sandbox: Any, runner: Runner, journal: Journal, run_async: Callable[..., Any]
) -> None:
    client = batch_client(sandbox)
    park_queue(client)
    submitter = Submitter(runner, journal)
    sid = create_per_row(run_async, submitter, 5)
    client.update_job_queue(jobQueue=PARKED_QUEUE, state="DISABLED")
    outcome = run_async(submitter.submit(BatchGateway(client), sid, rate_per_s=2000))
    assert outcome.failed == 5
    failed = journal.items(sid, [ItemState.FAILED])
    assert "DISABLED" in failed[0]["error"]


def test_no_blind_retry_after_the_request_may_have_arrived() -> None:
    with pytest.raises(OutcomeUnknown):
        _no_blind_retry(caught_exception=ReadTimeoutError(endpoint_url="http://x"))

    class Http:
        status_code = 503

    with pytest.raises(OutcomeUnknown):
        _no_blind_retry(response=(Http(), {}))
    Http.status_code = 429
    _no_blind_retry(response=(Http(), {}))  # a 429 is left to the standard retry: no error


def test_a_job_pointed_at_a_missing_object_fails_fast_with_a_clear_log(sandbox: Any) -> None:
    """The demo processor must not retry a missing object: FAILED, exit 1, the reason in its log."""
    client = batch_client(sandbox, attempts=3)
    logs = boto3.client(
        "logs",
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
    )
    assert sandbox.wait_services(60)
    job_id = client.submit_job(
        jobName="missing-object",
        jobQueue="fargate-queue",
        jobDefinition="csv-row-processor",
        parameters={"bucket": "batchgui-demo", "key": "input/no-such-file.csv", "delay_ms": "0"},
    )["jobId"]
    deadline = time.monotonic() + 60
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = client.describe_jobs(jobs=[job_id])["jobs"][0]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            break
        time.sleep(0.2)
    assert job["status"] == "FAILED", job["status"]
    assert job["container"]["exitCode"] == 1
    stream = job["container"]["logStreamName"]
    messages = [
        e["message"]
        for e in logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=stream)["events"]
    ]
    assert any(
        "ERROR reading s3://batchgui-demo/input/no-such-file.csv" in m and "NoSuchKey" in m for m in messages
    ), messages


def test_the_journal_file_is_opened_on_first_use_not_when_built(tmp_path: Path) -> None:
    path = tmp_path / "data" / "submissions.sqlite3"
    journal = Journal(path)  # what the application does while it builds its window

    def opened() -> bool:
        return journal.opened

    assert not opened()
    assert not path.parent.exists()
    assert journal.submissions() == []  # first use (on a runner thread in the app) opens it
    assert opened()
    assert path.exists()
    journal.close()
