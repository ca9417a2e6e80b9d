""" "Why is it RUNNABLE?" for service jobs, on the real sandbox through boto3: a SAGEMAKER_TRAINING
queue's service job kept waiting by its quota share, by a DISABLED service environment, by a disabled
quota share; each explained with its numbers, and the fix applied."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from batchgui.domain.runnable import Check, FixKind, Outcome
from batchgui.services.runnable import RunnableService
from batchgui.services.runner import Runner
from batchgui.services.service_runnable import ServiceJobReport
from tests.services.runnable_support import batch_client, runnable_service, wait_for

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def client(quick: Any) -> Any:
    return batch_client(quick)


@pytest.fixture
def service(runner: Runner, client: Any) -> RunnableService:
    return runnable_service(runner, client)


def environment_valid(client: Any, name: str) -> bool:
    found = client.describe_service_environments(serviceEnvironments=[name])["serviceEnvironments"]
    return bool(found) and found[0]["status"] == "VALID"


def training_queue(client: Any, instances: int = 4) -> None:
    """Service environment `sm-env` (`instances` instances) behind the SAGEMAKER_TRAINING queue `sm-q`."""
    client.create_service_environment(
        serviceEnvironmentName="sm-env",
        serviceEnvironmentType="SAGEMAKER_TRAINING",
        capacityLimits=[{"maxCapacity": instances, "capacityUnit": "NUM_INSTANCES"}],
    )
    wait_for(lambda: environment_valid(client, "sm-env"), "sm-env VALID")
    client.create_job_queue(
        jobQueueName="sm-q",
        priority=1,
        jobQueueType="SAGEMAKER_TRAINING",
        serviceEnvironmentOrder=[{"order": 1, "serviceEnvironment": "sm-env"}],
    )
    wait_for(
        lambda: client.describe_job_queues(jobQueues=["sm-q"])["jobQueues"][0]["status"] == "VALID",
        "sm-q VALID",
    )


def quota_share(client: Any, name: str = "team-a", limit: int = 1) -> str:
    arn = str(
        client.create_quota_share(
            quotaShareName=name,
            jobQueue="sm-q",
            capacityLimits=[{"maxCapacity": limit, "capacityUnit": "ml.m5.large"}],
            resourceSharingConfiguration={"strategy": "RESERVE"},
            preemptionConfiguration={"inSharePreemption": "DISABLED"},
        )["quotaShareArn"]
    )
    wait_for(lambda: client.describe_quota_share(quotaShareArn=arn)["status"] == "VALID", f"{name} VALID")
    return arn


def submit(client: Any, name: str, seconds: float = 60, share: str = "", count: int = 1) -> str:
    payload = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": "x", "TrainingInputMode": "File"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": count, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "Environment": {"BATCHGUI_SIMULATED_SECONDS": str(seconds)},
    }
    extra = {"quotaShareName": share} if share else {}
    return str(
        client.submit_service_job(
            jobName=name,
            jobQueue="sm-q",
            serviceJobType="SAGEMAKER_TRAINING",
            serviceRequestPayload=json.dumps(payload),
            **extra,
        )["jobId"]
    )


def status_of(client: Any, job_id: str) -> str:
    return str(client.describe_service_job(jobId=job_id)["status"])


def check(report: ServiceJobReport, name: str) -> Check:
    return next(c for c in report.checks if c.name.startswith(name))


def test_a_service_job_waiting_on_its_quota_share_at_its_limit(
    client: Any, service: RunnableService, run_async: Callable[..., Any]
) -> None:
    training_queue(client)
    quota_share(client, "team-a", 1)
    first = submit(client, "first", share="team-a")
    wait_for(lambda: status_of(client, first) == "RUNNING", "the first to run")
    second = submit(client, "second", share="team-a")
    third = submit(client, "third", share="team-a")
    wait_for(lambda: status_of(client, third) == "RUNNABLE", "the third RUNNABLE")

    report: ServiceJobReport = run_async(service.explain_service_job(second))
    assert report.waiting
    assert (report.status_text, report.queue_name) == ("RUNNABLE", "sm-q")
    assert report.status_reason == "Waiting for capacity: quota share team-a has 1 of 1 ml.m5.large in use"
    quota = check(report, "Quota share within its limits")
    assert quota.outcome is Outcome.FAILED
    assert quota.detail == (
        "At its limit: quota share team-a uses 1 of 1 ml.m5.large; the job asks 1 ml.m5.large instance."
    )
    assert "raise the share's capacity limits" in quota.fix
    assert check(report, "Job queue enabled and valid").outcome is Outcome.PASSED
    assert check(report, "Service environments enabled and valid").outcome is Outcome.PASSED
    room = check(report, "Room under the instance limit")
    assert (room.outcome, room.detail) == (
        Outcome.PASSED,
        "sm-env: 1 of 4 instances in use — room for 1 ml.m5.large instance.",
    )
    position = check(report, "Position at the front of the queue")
    assert (position.outcome, position.detail) == (
        Outcome.PASSED,
        "First in line of quota share team-a: the scheduler looks at it next.",
    )
    behind: ServiceJobReport = run_async(service.explain_service_job(third))
    assert check(behind, "Position at the front").detail == (
        "Position 2 of the 2 RUNNABLE jobs of quota share team-a: 1 ahead of it."
    )
    assert report.fixes == ()  # nothing the app can switch on: it waits for capacity
    client.terminate_service_jobs(jobs=[first, second, third], reason="done")


def test_a_service_job_waiting_on_a_disabled_service_environment_and_the_fix(
    client: Any, service: RunnableService, run_async: Callable[..., Any]
) -> None:
    training_queue(client)
    client.update_service_environment(serviceEnvironment="sm-env", state="DISABLED")
    wait_for(lambda: environment_valid(client, "sm-env"), "sm-env updated")
    job = submit(client, "blocked", seconds=0.2)
    wait_for(lambda: status_of(client, job) == "RUNNABLE", "the job RUNNABLE")

    report: ServiceJobReport = run_async(service.explain_service_job(job))
    assert report.diagnosis.reason is not None
    assert report.diagnosis.reason.code == "MISCONFIGURATION:SERVICE_ENVIRONMENT_MAX_RESOURCE"
    environments = check(report, "Service environments enabled and valid")
    assert (environments.outcome, environments.detail) == (
        Outcome.FAILED,
        "None is usable: sm-env is DISABLED/VALID.",
    )
    assert check(report, "Room under the instance limit").outcome is Outcome.UNKNOWN
    assert check(report, "Quota share within its limits").detail == "The job names no quota share."
    [fix] = report.fixes
    assert (fix.kind, fix.target, fix.label) == (
        FixKind.ENABLE_SERVICE_ENVIRONMENT,
        "sm-env",
        "Enable service environment sm-env",
    )

    run_async(service.apply(fix))
    found = client.describe_service_environments(serviceEnvironments=["sm-env"])["serviceEnvironments"]
    assert found[0]["state"] == "ENABLED"
    wait_for(lambda: status_of(client, job) == "SUCCEEDED", "the job to run once enabled")
    after: ServiceJobReport = run_async(service.explain_service_job(job))
    assert not after.waiting
    assert check(after, "Service environments enabled and valid").outcome is Outcome.PASSED
    assert after.fixes == ()


def test_a_service_job_of_a_disabled_quota_share_offers_to_enable_it(
    client: Any, service: RunnableService, run_async: Callable[..., Any]
) -> None:
    training_queue(client)
    arn = quota_share(client, "team-b", 1)
    first = submit(client, "holder", share="team-b")
    wait_for(lambda: status_of(client, first) == "RUNNING", "the holder to run")
    waiting = submit(client, "waiting", share="team-b")
    wait_for(lambda: status_of(client, waiting) == "RUNNABLE", "the second RUNNABLE")
    share = client.describe_quota_share(quotaShareArn=arn)
    client.update_quota_share(
        quotaShareArn=arn,
        capacityLimits=share["capacityLimits"],
        resourceSharingConfiguration=share["resourceSharingConfiguration"],
        preemptionConfiguration=share["preemptionConfiguration"],
        state="DISABLED",
    )

    report: ServiceJobReport = run_async(service.explain_service_job(waiting))
    quota = check(report, "Quota share within its limits")
    assert (quota.outcome, quota.detail) == (Outcome.FAILED, "Quota share team-b is DISABLED.")
    [fix] = report.fixes
    assert (fix.kind, fix.target, fix.label) == (FixKind.ENABLE_QUOTA_SHARE, arn, "Enable quota share team-b")
    run_async(service.apply(fix))
    after = client.describe_quota_share(quotaShareArn=arn)
    assert after["state"] == "ENABLED"
    # Only the state changed: UpdateQuotaShare was given the share's own settings back.
    assert after["capacityLimits"] == [{"maxCapacity": 1, "capacityUnit": "ml.m5.large"}]
    assert after["resourceSharingConfiguration"] == {"strategy": "RESERVE"}
    client.terminate_service_jobs(jobs=[first, waiting], reason="done")
