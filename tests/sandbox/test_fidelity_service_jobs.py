"""Service environments and service jobs (SageMaker Training through Batch, simulated by the
sandbox) through boto3; every answer validates against botocore's output shapes (conftest)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

import pytest

from batchgui.sandbox import sql
from tests.sandbox.conftest import Clients, wait_for

pytestmark = pytest.mark.timeout(90)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def training_queue(clients: Clients) -> tuple[str, str]:
    batch = clients.batch
    env = unique("sm-env")
    batch.create_service_environment(
        serviceEnvironmentName=env,
        serviceEnvironmentType="SAGEMAKER_TRAINING",
        capacityLimits=[{"maxCapacity": 4, "capacityUnit": "NUM_INSTANCES"}],
    )
    queue = unique("sm-queue")
    batch.create_job_queue(
        jobQueueName=queue,
        priority=1,
        jobQueueType="SAGEMAKER_TRAINING",
        serviceEnvironmentOrder=[{"order": 1, "serviceEnvironment": env}],
    )
    wait_for(lambda: batch.describe_job_queues(jobQueues=[queue])["jobQueues"][0]["status"] == "VALID", 10)
    return env, queue


def payload(seconds: float, **extra: Any) -> str:
    return json.dumps(
        {
            "TrainingJobName": unique("train"),
            "AlgorithmSpecification": {"TrainingImage": "x", "TrainingInputMode": "File"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "Environment": {"BATCHGUI_SIMULATED_SECONDS": str(seconds)},
            **extra,
        }
    )


def test_service_environment_lifecycle(clients: Clients) -> None:
    batch = clients.batch
    env, _queue = training_queue(clients)
    (detail,) = batch.describe_service_environments(serviceEnvironments=[env])["serviceEnvironments"]
    assert detail["serviceEnvironmentType"] == "SAGEMAKER_TRAINING"
    wait_for(
        lambda: (
            batch.describe_service_environments(serviceEnvironments=[env])["serviceEnvironments"][0]["status"]
            == "VALID"
        ),
        10,
    )
    batch.update_service_environment(
        serviceEnvironment=env, capacityLimits=[{"maxCapacity": 8, "capacityUnit": "NUM_INSTANCES"}]
    )
    (updated,) = batch.describe_service_environments(serviceEnvironments=[env])["serviceEnvironments"]
    assert updated["capacityLimits"][0]["maxCapacity"] == 8
    with pytest.raises(batch.exceptions.ClientException, match="ENABLED"):
        batch.delete_service_environment(serviceEnvironment=env)
    batch.update_service_environment(serviceEnvironment=env, state="DISABLED")
    batch.delete_service_environment(serviceEnvironment=env)
    wait_for(
        lambda: (
            batch.describe_service_environments(serviceEnvironments=[env])["serviceEnvironments"][0]["status"]
            == "DELETED"
        ),
        10,
    )
    assert env not in {
        e["serviceEnvironmentName"] for e in batch.describe_service_environments()["serviceEnvironments"]
    }


def test_a_service_job_runs_its_simulated_lifecycle(clients: Clients) -> None:
    batch = clients.batch
    _env, queue = training_queue(clients)
    job_id = batch.submit_service_job(
        jobName="train",
        jobQueue=queue,
        serviceJobType="SAGEMAKER_TRAINING",
        serviceRequestPayload=payload(1.0),
    )["jobId"]
    seen: set[str] = set()

    def done() -> bool:
        job = batch.describe_service_job(jobId=job_id)
        seen.add(job["status"])
        return job["status"] in ("SUCCEEDED", "FAILED")

    wait_for(done, 20, "the service job to finish")
    job = batch.describe_service_job(jobId=job_id)
    assert job["status"] == "SUCCEEDED"
    assert "simulated" in job["statusReason"]
    assert job["attempts"][0]["serviceResourceId"]["name"] == "TrainingJobArn"
    assert job["attempts"][0]["serviceResourceId"]["value"].startswith(
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/"
    )
    assert {"RUNNING", "SUCCEEDED"} <= seen
    listed = batch.list_service_jobs(jobQueue=queue, jobStatus="SUCCEEDED")["jobSummaryList"]
    assert [s["jobId"] for s in listed] == [job_id]
    batch.update_service_job(jobId=job_id, schedulingPriority=5)
    assert batch.describe_service_job(jobId=job_id)["schedulingPriority"] == 5


def test_terminating_and_timing_out_service_jobs(clients: Clients) -> None:
    batch = clients.batch
    _env, queue = training_queue(clients)
    long_job = batch.submit_service_job(
        jobName="long", jobQueue=queue, serviceJobType="SAGEMAKER_TRAINING", serviceRequestPayload=payload(60)
    )["jobId"]
    timed = batch.submit_service_job(
        jobName="timed",
        jobQueue=queue,
        serviceJobType="SAGEMAKER_TRAINING",
        serviceRequestPayload=payload(60),
        timeoutConfig={"attemptDurationSeconds": 1},
    )["jobId"]
    result = batch.terminate_service_jobs(jobs=[long_job, "no-such-job"], reason="stop it")
    assert result["successful"] == [long_job]
    assert result["errors"][0]["job"] == "no-such-job"
    stopped = batch.describe_service_job(jobId=long_job)
    assert (stopped["status"], stopped["isTerminated"], stopped["statusReason"]) == (
        "FAILED",
        True,
        "stop it",
    )
    wait_for(lambda: batch.describe_service_job(jobId=timed)["status"] == "FAILED", 20, "the timeout")
    assert "timeout" in batch.describe_service_job(jobId=timed)["statusReason"]


def test_container_jobs_and_service_jobs_keep_to_their_queues(clients: Clients) -> None:
    batch = clients.batch
    _env, queue = training_queue(clients)
    with pytest.raises(batch.exceptions.ClientException, match="SAGEMAKER_TRAINING"):
        batch.submit_job(jobName="x", jobQueue=queue, jobDefinition="csv-row-processor")
    with pytest.raises(batch.exceptions.ClientException, match="not a SAGEMAKER_TRAINING"):
        batch.submit_service_job(
            jobName="x",
            jobQueue="fargate-queue",
            serviceJobType="SAGEMAKER_TRAINING",
            serviceRequestPayload="{}",
        )
    with pytest.raises(batch.exceptions.ClientException, match="JSON"):
        batch.submit_service_job(
            jobName="x", jobQueue=queue, serviceJobType="SAGEMAKER_TRAINING", serviceRequestPayload="not json"
        )


def test_quota_shares_of_a_training_queue(clients: Clients) -> None:
    batch = clients.batch
    _env, queue = training_queue(clients)
    created = batch.create_quota_share(
        quotaShareName="team-a",
        jobQueue=queue,
        capacityLimits=[{"maxCapacity": 2, "capacityUnit": "ml.m5.large"}],
        resourceSharingConfiguration={"strategy": "LEND_AND_BORROW", "borrowLimit": 50},
        preemptionConfiguration={"inSharePreemption": "DISABLED"},
    )
    share = created["quotaShareArn"]
    assert batch.describe_quota_share(quotaShareArn=share)["status"] == "CREATING"
    wait_for(lambda: batch.describe_quota_share(quotaShareArn=share)["status"] == "VALID", 10)
    assert [s["quotaShareName"] for s in batch.list_quota_shares(jobQueue=queue)["quotaShares"]] == ["team-a"]
    batch.update_quota_share(
        quotaShareArn=share, capacityLimits=[{"maxCapacity": 3, "capacityUnit": "ml.m5.large"}]
    )
    assert batch.describe_quota_share(quotaShareArn=share)["capacityLimits"][0]["maxCapacity"] == 3
    job = batch.submit_service_job(
        jobName="shared",
        jobQueue=queue,
        serviceJobType="SAGEMAKER_TRAINING",
        serviceRequestPayload=payload(0.5),
        quotaShareName="team-a",
    )["jobId"]
    assert batch.describe_service_job(jobId=job)["quotaShareName"] == "team-a"
    with pytest.raises(batch.exceptions.ClientException, match="does not exist"):
        batch.submit_service_job(
            jobName="x",
            jobQueue=queue,
            serviceJobType="SAGEMAKER_TRAINING",
            serviceRequestPayload="{}",
            quotaShareName="no-such-share",
        )
    with pytest.raises(batch.exceptions.ClientException, match="SAGEMAKER_TRAINING"):
        batch.create_quota_share(
            quotaShareName="x",
            jobQueue="fargate-queue",
            capacityLimits=[{"maxCapacity": 1, "capacityUnit": "ml.m5.large"}],
            resourceSharingConfiguration={"strategy": "RESERVE"},
            preemptionConfiguration={"inSharePreemption": "DISABLED"},
        )
    with pytest.raises(batch.exceptions.ClientException, match="ENABLED"):
        batch.delete_quota_share(quotaShareArn=share)
    batch.update_quota_share(quotaShareArn=share, state="DISABLED")
    batch.delete_quota_share(quotaShareArn=share)
    wait_for(lambda: batch.list_quota_shares(jobQueue=queue)["quotaShares"] == [], 10, "the share gone")


def _open_service_jobs(clients: Clients, queue_arn: str) -> list[str]:
    """The service jobs of a queue that settling reads (sql.SERVICE_JOBS_OPEN), by name."""
    conn = sqlite3.connect(clients.sandbox.data_dir / "sandbox.sqlite3")
    try:
        rows = conn.execute(sql.SERVICE_JOBS_OPEN).fetchall()
        plan = " ".join(str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql.SERVICE_JOBS_OPEN))
    finally:
        conn.close()
    assert "USING INDEX service_jobs_open" in plan, plan  # not a scan of every service job
    jobs = [json.loads(text) for (text,) in rows]
    return sorted(job["jobName"] for job in jobs if job["jobQueue"] == queue_arn)


def test_settling_reads_only_the_service_jobs_that_can_still_change(clients: Clients) -> None:
    # Every read of service jobs settles the waiting ones under the write lock: it must not read
    # every job the queue ever ran, only those still running or waiting (or that a waiting one's
    # replay still needs).
    batch = clients.batch
    _env, queue = training_queue(clients)  # 4 instances; each job takes 2
    queue_arn = batch.describe_job_queues(jobQueues=[queue])["jobQueues"][0]["jobQueueArn"]

    def submit(name: str, seconds: float) -> str:
        return str(
            batch.submit_service_job(
                jobName=name,
                jobQueue=queue,
                serviceJobType="SAGEMAKER_TRAINING",
                serviceRequestPayload=payload(seconds),
            )["jobId"]
        )

    quick = [submit(f"quick-{n}", 0.2) for n in range(4)]  # two at a time: two of them wait

    def all_done() -> bool:
        return all(batch.describe_service_job(jobId=j)["status"] == "SUCCEEDED" for j in quick)

    wait_for(all_done, 30, "the quick jobs to end")
    long_job = submit("long", 60)
    stopped = submit("stopped", 60)
    batch.terminate_service_job(jobId=stopped, reason="not needed")
    wait_for(lambda: batch.describe_service_job(jobId=long_job)["status"] == "RUNNING", 20, "long to run")
    assert _open_service_jobs(clients, queue_arn) == ["long"]
    listed = batch.list_service_jobs(jobQueue=queue, jobStatus="SUCCEEDED")["jobSummaryList"]
    assert sorted(s["jobName"] for s in listed) == [f"quick-{n}" for n in range(4)]
    batch.terminate_service_job(jobId=long_job, reason="done")
    batch.list_service_jobs(jobQueue=queue)
    assert _open_service_jobs(clients, queue_arn) == []
