"""Quota shares and service environments limit when simulated service jobs start: a job beyond its
share's capacity waits RUNNABLE with a reason and starts when capacity frees; one that can never fit
gets AWS's MISCONFIGURATION reason. Through boto3 against the sandbox, plus the pure replay."""

from __future__ import annotations

import json
from typing import Any

import pytest

from batchgui.sandbox.api import service_capacity
from tests.sandbox.conftest import Clients, wait_for
from tests.sandbox.test_fidelity_service_jobs import payload, training_queue

pytestmark = pytest.mark.timeout(90)


def _submit(
    batch: Any, queue: str, name: str, seconds: float, share: str | None = None, *, count: int = 1
) -> str:
    body = json.loads(payload(seconds))
    body["ResourceConfig"]["InstanceCount"] = count
    extra = {"quotaShareName": share} if share else {}
    return str(
        batch.submit_service_job(
            jobName=name,
            jobQueue=queue,
            serviceJobType="SAGEMAKER_TRAINING",
            serviceRequestPayload=json.dumps(body),
            **extra,
        )["jobId"]
    )


def _share(batch: Any, queue: str, name: str, limit: int, strategy: str = "RESERVE", **sharing: Any) -> None:
    arn = batch.create_quota_share(
        quotaShareName=name,
        jobQueue=queue,
        capacityLimits=[{"maxCapacity": limit, "capacityUnit": "ml.m5.large"}],
        resourceSharingConfiguration={"strategy": strategy, **sharing},
        preemptionConfiguration={"inSharePreemption": "DISABLED"},
    )["quotaShareArn"]
    wait_for(lambda: batch.describe_quota_share(quotaShareArn=arn)["status"] == "VALID", 10)


def test_a_job_beyond_its_share_waits_runnable_until_capacity_frees(clients: Clients) -> None:
    batch = clients.batch
    _env, queue = training_queue(clients)  # 4 instances in the environment
    _share(batch, queue, "team-a", 2)
    first = _submit(batch, queue, "first", 1.5, "team-a", count=2)
    second = _submit(batch, queue, "second", 0.5, "team-a", count=2)
    wait_for(lambda: batch.describe_service_job(jobId=first)["status"] == "RUNNING", 10, "the first to run")
    waiting = batch.describe_service_job(jobId=second)
    assert waiting["status"] == "RUNNABLE"
    assert waiting["statusReason"] == (
        "Waiting for capacity: quota share team-a has 2 of 2 ml.m5.large in use"
    )
    wait_for(lambda: batch.describe_service_job(jobId=second)["status"] == "SUCCEEDED", 20, "the second")
    one, two = (batch.describe_service_job(jobId=j) for j in (first, second))
    # The second started only once the first had given its instances back.
    assert two["startedAt"] >= one["stoppedAt"]
    summaries = batch.list_service_jobs(jobQueue=queue, jobStatus="SUCCEEDED")["jobSummaryList"]
    assert {s["jobId"] for s in summaries} == {first, second}


def test_a_job_larger_than_its_share_or_environment_gets_awss_misconfiguration_reason(
    clients: Clients,
) -> None:
    batch = clients.batch
    _env, queue = training_queue(clients)
    _share(batch, queue, "small", 1)
    too_big = _submit(batch, queue, "too-big", 0.2, "small", count=2)
    behind = _submit(batch, queue, "behind", 0.2, "small", count=1)
    huge = _submit(batch, queue, "huge", 0.2, count=5)
    wait_for(lambda: batch.describe_service_job(jobId=huge)["status"] == "RUNNABLE", 10)
    wait_for(lambda: "statusReason" in batch.describe_service_job(jobId=too_big), 10)
    assert batch.describe_service_job(jobId=too_big)["statusReason"].startswith(
        "MISCONFIGURATION:QUOTA_MANAGEMENT_LIMIT_EXCEEDED - "
    )
    assert batch.describe_service_job(jobId=huge)["statusReason"].startswith(
        "MISCONFIGURATION:SERVICE_ENVIRONMENT_MAX_RESOURCE - "
    )
    # The job at the share's front blocks the share until it is terminated, as AWS does.
    assert batch.describe_service_job(jobId=behind)["status"] == "RUNNABLE"
    batch.terminate_service_job(jobId=too_big, reason="never fits")
    wait_for(lambda: batch.describe_service_job(jobId=behind)["status"] == "SUCCEEDED", 20, "the one behind")


def test_a_lend_and_borrow_share_borrows_what_a_lender_leaves_idle(clients: Clients) -> None:
    batch = clients.batch
    _env, queue = training_queue(clients)
    _share(batch, queue, "lender", 2, "LEND")
    _share(batch, queue, "borrower", 1, "LEND_AND_BORROW", borrowLimit=100)
    first = _submit(batch, queue, "own", 5, "borrower", count=1)
    borrowed = _submit(batch, queue, "borrowed", 5, "borrower", count=1)
    over = _submit(batch, queue, "over-limit", 5, "borrower", count=1)  # 3 > 1 + 100 %
    wait_for(lambda: batch.describe_service_job(jobId=borrowed)["status"] == "RUNNING", 10, "the borrower")
    assert batch.describe_service_job(jobId=first)["status"] == "RUNNING"
    assert batch.describe_service_job(jobId=over)["status"] == "RUNNABLE"
    batch.terminate_service_jobs(jobs=[first, borrowed, over], reason="done")


def _job(job_id: str, created: int, count: int, share: str | None, run_s: float = 1.0) -> dict[str, Any]:
    job: dict[str, Any] = {
        "jobId": job_id,
        "createdAt": created,
        "status": "SUBMITTED",
        "_runS": run_s,
        "_instances": count,
        "_instanceType": "ml.m5.large",
        "_waiting": True,
    }
    if share:
        job["quotaShareName"] = share
    return job


def test_the_replay_starts_a_waiting_job_when_the_one_ahead_ended_not_when_asked() -> None:
    share = {
        "quotaShareName": "a",
        "capacityLimits": [{"maxCapacity": 2, "capacityUnit": "ml.m5.large"}],
        "resourceSharingConfiguration": {"strategy": "RESERVE"},
    }
    jobs = [_job("1", 0, 2, "a", 1.0), _job("2", 10, 2, "a", 1.0), _job("3", 20, 1, None)]
    service_capacity.settle(jobs, 4, [share], 60_000, lambda j: False)
    by_id = {j["jobId"]: j for j in jobs}
    assert by_id["1"]["_clock0"] == 0
    assert by_id["3"]["_clock0"] == 20
    # Job 1 ends at 0 + 1000 (RUNNING) + 1000 (its run): job 2 is admitted then, SCHEDULED at once.
    assert by_id["2"]["_clock0"] == 2000 - service_capacity.SCHEDULED_AFTER_MS
    assert not any(j.get("_waiting") for j in jobs)


def test_the_replay_orders_a_share_by_priority_then_age() -> None:
    jobs = [_job("old", 0, 1, None), _job("urgent", 0, 1, None)]
    jobs[1]["schedulingPriority"] = 10
    service_capacity.settle(jobs, 1, [], 200, lambda j: False)
    assert "_waiting" not in jobs[1]
    assert jobs[0]["_waiting"]
    assert jobs[0]["_reason"].startswith("Waiting for capacity: the service environments")


def test_the_queue_snapshot_reports_each_quota_shares_instances_in_use(clients: Clients) -> None:
    # GetJobQueueSnapshot's quotaShareUtilization, in botocore's shape: what the RUNNABLE pane's
    # quota-share check and a share's "in use against its limits" read on AWS.
    batch = clients.batch
    _env, queue = training_queue(clients)
    _share(batch, queue, "team-a", 2)
    _share(batch, queue, "team-b", 2)
    running = _submit(batch, queue, "a-two", 3.0, "team-a", count=2)
    other = _submit(batch, queue, "b-one", 3.0, "team-b", count=1)
    _submit(batch, queue, "a-waits", 0.2, "team-a", count=1)  # beyond team-a's 2: holds nothing yet
    wait_for(
        lambda: all(batch.describe_service_job(jobId=j)["status"] == "RUNNING" for j in (running, other)),
        10,
        "both admitted jobs to run",
    )
    utilization = batch.get_job_queue_snapshot(jobQueue=queue)["queueUtilization"]
    assert utilization["totalCapacityUsage"] == [{"capacityUnit": "ml.m5.large", "quantity": 3.0}]
    shares = {
        s["quotaShareName"]: s["capacityUsage"]
        for s in utilization["quotaShareUtilization"]["topCapacityUtilization"]
    }
    assert shares == {
        "team-a": [{"capacityUnit": "ml.m5.large", "quantity": 2.0}],
        "team-b": [{"capacityUnit": "ml.m5.large", "quantity": 1.0}],
    }
    assert "fairshareUtilization" not in utilization
