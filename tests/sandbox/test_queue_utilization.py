"""GetJobQueueSnapshot's queueUtilization on the sandbox, in botocore's shapes (conftest validates
every answer): the vCPUs a queue's running jobs hold, per share identifier on a fair-share queue."""

from __future__ import annotations

import uuid

import pytest

from tests.sandbox.conftest import Clients, wait_for

pytestmark = pytest.mark.timeout(90)
SIZE = [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}]


def test_usage_per_share_of_a_fair_share_queue(clients: Clients) -> None:
    batch = clients.batch
    name = f"fair-{uuid.uuid4().hex[:6]}"
    policy = batch.create_scheduling_policy(
        name=name, fairsharePolicy={"shareDistribution": [{"shareIdentifier": "teamA", "weightFactor": 1}]}
    )["arn"]
    environment = batch.describe_compute_environments(computeEnvironments=["fargate-ce"])[
        "computeEnvironments"
    ]
    batch.create_job_queue(
        jobQueueName=name,
        priority=5,
        schedulingPolicyArn=policy,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment[0]["computeEnvironmentArn"]}],
    )
    wait_for(lambda: batch.describe_job_queues(jobQueues=[name])["jobQueues"][0]["status"] == "VALID")
    definition = batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={"image": "x", "command": ["sleep", "5"], "resourceRequirements": SIZE},
    )["jobDefinitionArn"]
    jobs = [
        batch.submit_job(jobName=f"j{n}", jobQueue=name, jobDefinition=definition, shareIdentifier=share)[
            "jobId"
        ]
        for n, share in enumerate(["teamA", "teamA", "teamB"])
    ]
    for job in jobs:
        clients.wait_job(job, ("RUNNING",), timeout=20)
    usage = batch.get_job_queue_snapshot(jobQueue=name)["queueUtilization"]
    assert usage["totalCapacityUsage"] == [{"capacityUnit": "VCPU", "quantity": 0.75}]
    fair = usage["fairshareUtilization"]
    assert fair["activeShareCount"] == 2
    assert [
        (s["shareIdentifier"], s["capacityUsage"][0]["quantity"]) for s in fair["topCapacityUtilization"]
    ] == [
        ("teamA", 0.5),
        ("teamB", 0.25),
    ]
    fifo = batch.get_job_queue_snapshot(jobQueue="fargate-queue")["queueUtilization"]
    assert "fairshareUtilization" not in fifo
    for job in jobs:
        batch.terminate_job(jobId=job, reason="test over")
