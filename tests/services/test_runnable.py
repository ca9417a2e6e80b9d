"""The "Why is it RUNNABLE?" facade on the real sandbox: each cause reproduced, then explained (and fixed)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from batchgui.domain.batch import JobStatus
from batchgui.domain.runnable import Check, FixKind, Outcome
from batchgui.services.runnable import RunnableReport, RunnableService
from batchgui.services.runner import Runner
from tests.services.runnable_support import batch_client, runnable_service, wait_for

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def client(quick: Any) -> Any:
    return batch_client(quick)


@pytest.fixture
def service(runner: Runner, client: Any) -> RunnableService:
    return runnable_service(runner, client)


def status_of(client: Any, job_id: str) -> str:
    return str(client.describe_jobs(jobs=[job_id])["jobs"][0]["status"])


def valid(client: Any, name: str) -> bool:
    envs = client.describe_compute_environments(computeEnvironments=[name])["computeEnvironments"]
    return bool(envs) and envs[0]["status"] == "VALID"


def fargate(
    client: Any, name: str = "fg", max_vcpus: int = 4, state: str = "ENABLED", kind: str = "FARGATE"
) -> str:
    arn = client.create_compute_environment(
        computeEnvironmentName=name,
        type="MANAGED",
        state=state,
        computeResources={
            "type": kind,
            "maxvCpus": max_vcpus,
            "subnets": ["subnet-1"],
            "securityGroupIds": ["sg-1"],
        },
    )["computeEnvironmentArn"]
    wait_for(lambda: valid(client, name), f"{name} VALID")
    return str(arn)


def ec2(client: Any, name: str, types: list[str], max_vcpus: int = 8) -> str:
    arn = client.create_compute_environment(
        computeEnvironmentName=name,
        type="MANAGED",
        computeResources={
            "type": "EC2",
            "maxvCpus": max_vcpus,
            "minvCpus": 0,
            "instanceTypes": types,
            "subnets": ["subnet-1"],
            "securityGroupIds": ["sg-1"],
            "instanceRole": "ecsInstanceRole",
        },
    )["computeEnvironmentArn"]
    wait_for(lambda: valid(client, name), f"{name} VALID")
    return str(arn)


def queue(client: Any, ce_arn: str, name: str = "q", **more: Any) -> None:
    client.create_job_queue(
        jobQueueName=name,
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce_arn}],
        **more,
    )
    # CREATING passes within the sandbox's transition delay; the checks read the queue once it has.
    wait_for(
        lambda: client.describe_job_queues(jobQueues=[name])["jobQueues"][0]["status"] == "VALID",
        f"{name} VALID",
    )


def definition(client: Any, seconds: float = 30, vcpus: str = "1", memory: str = "2048", **more: Any) -> str:
    platform = more.pop("platformCapabilities", ["FARGATE"])
    return str(
        client.register_job_definition(
            jobDefinitionName=f"sleep-{vcpus}-{memory}",
            type="container",
            platformCapabilities=platform,
            containerProperties={
                "image": "busybox",
                "command": ["sleep", str(seconds)],
                "resourceRequirements": [
                    {"type": "VCPU", "value": vcpus},
                    {"type": "MEMORY", "value": memory},
                ],
            },
            **more,
        )["jobDefinitionArn"]
    )


def submit(client: Any, definition_arn: str, name: str = "job", **more: Any) -> str:
    return str(client.submit_job(jobName=name, jobQueue="q", jobDefinition=definition_arn, **more)["jobId"])


def check(report: RunnableReport, name: str) -> Check:
    return next(c for c in report.checks if c.name.startswith(name))


def test_a_job_larger_than_any_allowed_instance_type(
    client: Any, service: RunnableService, run_async: Callable[..., Any]
) -> None:
    queue(client, ec2(client, "small-ec2", ["m5.large"], max_vcpus=64))
    big = client.register_job_definition(
        jobDefinitionName="big",
        type="container",
        containerProperties={
            "image": "busybox",
            "command": ["true"],
            "resourceRequirements": [{"type": "VCPU", "value": "4"}, {"type": "MEMORY", "value": "16384"}],
        },
    )["jobDefinitionArn"]
    job = submit(client, big)

    def reason() -> str:
        return str(client.describe_jobs(jobs=[job])["jobs"][0].get("statusReason", ""))

    wait_for(lambda: reason().startswith("MISCONFIGURATION:"), "AWS's blocked-queue reason")
    report: RunnableReport = run_async(service.explain(job))
    assert report.diagnosis.reason is not None
    assert report.diagnosis.reason.code.startswith("MISCONFIGURATION:")
    size = check(report, "Job size")
    assert size.outcome is Outcome.FAILED
    assert "asks 4 vCPU, 16 GiB" in size.detail
    assert "the largest allowed, m5.large, offers 2 vCPU and 8 GiB" in size.detail
    assert "allow larger" in size.fix


def test_an_environment_disabled_is_found_and_enabled(
    client: Any, service: RunnableService, run_async: Callable[..., Any]
) -> None:
    queue(client, fargate(client, state="DISABLED"))
    job = submit(client, definition(client, seconds=0.1))
    wait_for(lambda: status_of(client, job) == "RUNNABLE", "RUNNABLE")
    report: RunnableReport = run_async(service.explain(job))
    environments = check(report, "Compute environments")
    assert environments.outcome is Outcome.FAILED
    assert "fg is DISABLED/VALID" in environments.detail
    assert check(report, "Job queue").outcome is Outcome.PASSED
    assert check(report, "Job size").outcome is Outcome.PASSED
    [fix] = report.fixes
    assert fix.kind is FixKind.ENABLE_ENVIRONMENT
    assert fix.label == "Enable compute environment fg"
    run_async(service.apply(fix))
    wait_for(lambda: status_of(client, job) == "SUCCEEDED", "the job to run once enabled")


def test_max_vcpus_exhausted_by_other_jobs(
    client: Any, service: RunnableService, run_async: Callable[..., Any]
) -> None:
    queue(client, fargate(client, max_vcpus=1))
    sleeper = definition(client, seconds=30)
    blockers = [submit(client, sleeper, f"blocker{n}") for n in range(1)]
    wait_for(lambda: status_of(client, blockers[0]) == "RUNNING", "the blocker to run")
    job = submit(client, sleeper, "waiting")
    wait_for(lambda: status_of(client, job) == "RUNNABLE", "RUNNABLE")
    report: RunnableReport = run_async(service.explain(job))
    room = check(report, "Room under maxvCpus")
    assert room.outcome is Outcome.FAILED
    assert "Full: fg: 1 of 1 vCPUs in use" in room.detail
    position = check(report, "Position")
    assert position.outcome is Outcome.PASSED, position.detail
    [fix] = report.fixes
    assert fix.kind is FixKind.RAISE_MAX_VCPUS
    assert (fix.previous, fix.max_vcpus) == (1, 2)
    run_async(service.apply(fix))
    wait_for(lambda: status_of(client, job) in ("STARTING", "RUNNING"), "the job to start once raised")
    client.terminate_job(jobId=blockers[0], reason="test over")
    client.terminate_job(jobId=job, reason="test over")


def test_a_dependency_still_running(
    client: Any, service: RunnableService, run_async: Callable[..., Any]
) -> None:
    queue(client, fargate(client))
    first = submit(client, definition(client, seconds=30), "first")
    wait_for(lambda: status_of(client, first) == "RUNNING", "the first job to run")
    second = submit(client, definition(client, seconds=0.1), "second", dependsOn=[{"jobId": first}])
    wait_for(lambda: status_of(client, second) == "PENDING", "PENDING")
    report: RunnableReport = run_async(service.explain(second))
    dependencies = check(report, "Dependencies")
    assert dependencies.outcome is Outcome.FAILED
    assert dependencies.detail == f"Still waiting: {first} is RUNNING."
    assert report.fixes == ()
    assert report.detail.status is JobStatus.PENDING
    client.terminate_job(jobId=first, reason="test over")


def test_a_queue_disabled_is_found_and_enabled(
    client: Any, service: RunnableService, run_async: Callable[..., Any]
) -> None:
    # Jobs cannot be submitted to a DISABLED queue: submit while nothing can run, then disable the queue.
    queue(client, fargate(client, state="DISABLED"))
    job = submit(client, definition(client, seconds=0.1))
    wait_for(lambda: status_of(client, job) == "RUNNABLE", "RUNNABLE")
    client.update_job_queue(jobQueue="q", state="DISABLED")
    client.update_compute_environment(computeEnvironment="fg", state="ENABLED")
    wait_for(lambda: valid(client, "fg"), "fg VALID again")
    time.sleep(0.3)
    assert status_of(client, job) == "RUNNABLE"
    report: RunnableReport = run_async(service.explain(job))
    queue_check = check(report, "Job queue")
    assert queue_check.outcome is Outcome.FAILED
    assert queue_check.detail.startswith("Queue q is DISABLED")
    assert check(report, "Compute environments").outcome is Outcome.PASSED
    assert [f.kind for f in report.fixes] == [FixKind.ENABLE_QUEUE]
    run_async(service.apply(report.fixes[0]))
    wait_for(lambda: status_of(client, job) == "SUCCEEDED", "the job to run once the queue is enabled")


def test_a_consumable_resource_exhausted(
    client: Any, service: RunnableService, run_async: Callable[..., Any]
) -> None:
    queue(client, fargate(client))
    client.create_consumable_resource(consumableResourceName="licence", totalQuantity=1)
    needs = {"consumableResourceList": [{"consumableResource": "licence", "quantity": 1}]}
    licensed = definition(client, seconds=30, consumableResourceProperties=needs)
    holder = submit(client, licensed, "holder")
    wait_for(lambda: status_of(client, holder) == "RUNNING", "the holder to run")
    job = submit(client, licensed, "waiting")
    wait_for(lambda: status_of(client, job) == "RUNNABLE", "RUNNABLE")
    report: RunnableReport = run_async(service.explain(job))
    consumables = check(report, "Consumable resources")
    assert consumables.outcome is Outcome.FAILED
    assert consumables.detail == "Exhausted: licence: asks 1, 0 of 1 available (1 in use)."
    assert "give the resource back" in consumables.fix
    assert check(report, "Room under maxvCpus").outcome is Outcome.PASSED  # vCPUs are not what it waits for
    assert report.start is not None
    assert report.start.basis.endswith(
        "it also waits on what this estimate does not replay (consumable resources available failed): "
        "it may start later"
    )
    client.terminate_job(jobId=holder, reason="test over")
    client.terminate_job(jobId=job, reason="test over")


def test_a_share_over_its_weight(
    client: Any, service: RunnableService, run_async: Callable[..., Any]
) -> None:
    policy = client.create_scheduling_policy(
        name="fair",
        fairsharePolicy={
            "shareDistribution": [
                {"shareIdentifier": "teamA", "weightFactor": 1.0},
                {"shareIdentifier": "teamB", "weightFactor": 1.0},
            ]
        },
    )["arn"]
    queue(client, fargate(client, max_vcpus=2), schedulingPolicyArn=policy)
    sleeper = definition(client, seconds=30)
    holders = [submit(client, sleeper, f"a{n}", shareIdentifier="teamA") for n in range(2)]
    wait_for(lambda: all(status_of(client, h) == "RUNNING" for h in holders), "team A to fill the queue")
    more_a = submit(client, sleeper, "a-more", shareIdentifier="teamA")
    first_b = submit(client, sleeper, "b-first", shareIdentifier="teamB")
    wait_for(lambda: status_of(client, first_b) == "RUNNABLE", "team B waiting")
    report: RunnableReport = run_async(service.explain(more_a))
    share = check(report, "Share within its weight")
    assert share.outcome is Outcome.FAILED
    assert share.detail.startswith("Over its weight: Share teamA (weight 1) uses 2 of the 2 vCPUs in use")
    assert "its weight gives it 50% among 2 active shares" in share.detail
    other: RunnableReport = run_async(service.explain(first_b))
    assert check(other, "Share within its weight").outcome is Outcome.PASSED
    for job in [*holders, more_a, first_b]:
        client.terminate_job(jobId=job, reason="test over")


def test_the_estimated_start_rests_on_the_running_jobs_expected_end(
    client: Any, service: RunnableService, run_async: Callable[..., Any]
) -> None:
    queue(client, fargate(client, max_vcpus=1))
    sleeper = definition(client, seconds=3)
    done = submit(client, sleeper, "history")
    wait_for(lambda: status_of(client, done) == "SUCCEEDED", "one run to learn from")
    run = client.describe_jobs(jobs=[done])["jobs"][0]
    median_s = (run["stoppedAt"] - run["startedAt"]) / 1000
    blocker = submit(client, sleeper, "blocker")
    wait_for(lambda: status_of(client, blocker) == "RUNNING", "the blocker to run")
    job = submit(client, sleeper, "waiting")
    wait_for(lambda: status_of(client, job) == "RUNNABLE", "RUNNABLE")
    report: RunnableReport = run_async(service.explain(job))
    assert report.start is not None
    assert report.start.seconds is not None
    started = client.describe_jobs(jobs=[blocker])["jobs"][0]["startedAt"]
    # The blocker is expected to run as long as the one finished run: it ends median - elapsed from now.
    assert 0 <= report.start.seconds <= median_s - (time.time() * 1000 - started) / 1000 + 1
    assert "0 jobs ahead, 1 job running (1 of 1 vCPUs)" in report.start.basis
    assert "median run time of 1 finished job (few: a rough guess)" in report.start.basis
