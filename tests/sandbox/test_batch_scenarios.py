"""Batch behaviour through boto3: lifecycle, scheduling, execution, retries, arrays, dependencies."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from batchgui.sandbox import start_in_process
from tests.sandbox.conftest import FAST, Clients, wait_for

pytestmark = pytest.mark.timeout(60)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_fargate(clients: Clients, max_vcpus: int = 4) -> tuple[str, str]:
    batch = clients.batch
    ce = unique("ce")
    batch.create_compute_environment(
        computeEnvironmentName=ce,
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": max_vcpus, "subnets": ["subnet-1"]},
    )
    wait_for(lambda: _ce_status(clients, ce) == "VALID", 10, "CE VALID")
    queue = unique("q")
    batch.create_job_queue(
        jobQueueName=queue, priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}]
    )
    wait_for(lambda: batch.describe_job_queues(jobQueues=[queue])["jobQueues"][0]["status"] == "VALID", 10)
    return ce, queue


def _ce_status(clients: Clients, ce: str) -> str:
    return str(
        clients.batch.describe_compute_environments(computeEnvironments=[ce])["computeEnvironments"][0][
            "status"
        ]
    )


def register(clients: Clients, command: list[str], **extra: Any) -> str:
    name = unique("jd")
    clients.batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        platformCapabilities=extra.pop("platform", ["FARGATE"]),
        containerProperties={
            "image": "busybox",
            "command": command,
            "resourceRequirements": extra.pop(
                "resources", [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}]
            ),
            **extra.pop("container", {}),
        },
        **extra,
    )
    return name


@pytest.fixture
def slow_transitions(tmp_path: Path) -> Iterator[Clients]:
    """A sandbox whose CREATING/UPDATING/DELETING states last a second: long enough to be read on a
    loaded machine, where the shared sandbox's 50 ms can pass between two calls."""
    sandbox = start_in_process(tmp_path / "data", settings=replace(FAST, transition_delay_s=1.0))
    try:
        yield Clients(sandbox)
    finally:
        sandbox.stop()


def test_compute_environment_and_queue_lifecycle(slow_transitions: Clients) -> None:
    clients = slow_transitions
    batch = clients.batch
    ce, queue = make_fargate(clients)
    with pytest.raises(batch.exceptions.ClientException, match="ENABLED"):
        batch.delete_compute_environment(computeEnvironment=ce)
    batch.update_compute_environment(computeEnvironment=ce, state="DISABLED")
    assert _ce_status(clients, ce) == "UPDATING"
    wait_for(lambda: _ce_status(clients, ce) == "VALID", 10)
    with pytest.raises(batch.exceptions.ClientException, match="JobQueue relationship"):
        batch.delete_compute_environment(computeEnvironment=ce)
    with pytest.raises(batch.exceptions.ClientException, match="ENABLED"):
        batch.delete_job_queue(jobQueue=queue)
    batch.update_job_queue(jobQueue=queue, state="DISABLED")
    wait_for(lambda: batch.describe_job_queues(jobQueues=[queue])["jobQueues"][0]["status"] == "VALID", 10)
    batch.delete_job_queue(jobQueue=queue)
    wait_for(lambda: batch.describe_job_queues(jobQueues=[queue])["jobQueues"][0]["status"] == "DELETED", 10)
    batch.delete_compute_environment(computeEnvironment=ce)
    assert _ce_status(clients, ce) == "DELETING"
    wait_for(lambda: _ce_status(clients, ce) == "DELETED", 10)
    listed = [
        c["computeEnvironmentName"] for c in batch.describe_compute_environments()["computeEnvironments"]
    ]
    assert ce not in listed


def test_job_runs_with_environment_and_refs(clients: Clients) -> None:
    _, queue = make_fargate(clients)
    jd = register(
        clients,
        [
            "sh",
            "-c",
            "echo Ref::greeting $AWS_BATCH_JQ_NAME $AWS_BATCH_JOB_ATTEMPT $MY_VAR $AWS_ENDPOINT_URL",
        ],
        parameters={"greeting": "hello"},
        container={"environment": [{"name": "MY_VAR", "value": "from-def"}]},
    )
    job = clients.batch.submit_job(
        jobName="env-job",
        jobQueue=queue,
        jobDefinition=jd,
        parameters={"greeting": "hi"},
        containerOverrides={"environment": [{"name": "MY_VAR", "value": "from-override"}]},
    )
    done = clients.wait_job(job["jobId"])
    assert done["status"] == "SUCCEEDED"
    assert done["container"]["exitCode"] == 0
    assert done["startedAt"] <= done["stoppedAt"]
    stream = done["container"]["logStreamName"]
    assert stream.startswith(f"{jd}/default/")
    events = clients.logs.get_log_events(
        logGroupName="/aws/batch/job", logStreamName=stream, startFromHead=True
    )
    assert [e["message"] for e in events["events"]] == [
        f"hi {queue} 1 from-override {clients.sandbox.endpoint_url}"
    ]
    assert len(done["attempts"]) == 1


def test_logs_stream_while_job_runs(clients: Clients) -> None:
    _, queue = make_fargate(clients)
    jd = register(clients, ["sh", "-c", "echo first; sleep 3; echo second"])
    job = clients.batch.submit_job(jobName="streamer", jobQueue=queue, jobDefinition=jd)
    running = clients.wait_job(job["jobId"], ("RUNNING",))
    stream = running["container"]["logStreamName"]

    def first_line() -> Any:
        events = clients.logs.get_log_events(
            logGroupName="/aws/batch/job", logStreamName=stream, startFromHead=True
        )["events"]
        return events if events else None

    events = wait_for(first_line, 3, "first line while running")
    assert [e["message"] for e in events] == ["first"]
    assert clients.batch.describe_jobs(jobs=[job["jobId"]])["jobs"][0]["status"] == "RUNNING"
    forward = clients.logs.get_log_events(
        logGroupName="/aws/batch/job", logStreamName=stream, startFromHead=True
    )
    token = forward["nextForwardToken"]
    again = clients.logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=stream, nextToken=token)
    assert again["events"] == []
    assert again["nextForwardToken"] == token
    clients.wait_job(job["jobId"])
    rest = clients.logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=stream, nextToken=token)
    assert [e["message"] for e in rest["events"]] == ["second"]
    found = clients.logs.filter_log_events(
        logGroupName="/aws/batch/job", logStreamNames=[stream], filterPattern="sec"
    )
    assert [e["message"] for e in found["events"]] == ["second"]
    streams = clients.logs.describe_log_streams(logGroupName="/aws/batch/job", logStreamNamePrefix=jd)
    assert [s["logStreamName"] for s in streams["logStreams"]] == [stream]
    groups = clients.logs.describe_log_groups(logGroupNamePrefix="/aws/batch")["logGroups"]
    assert groups[0]["logGroupName"] == "/aws/batch/job"


def test_missing_command_fails_job_not_sandbox(clients: Clients) -> None:
    _, queue = make_fargate(clients)
    jd = register(clients, ["definitely-not-a-command-xyz"])
    job = clients.batch.submit_job(jobName="nocmd", jobQueue=queue, jobDefinition=jd)
    done = clients.wait_job(job["jobId"])
    assert done["status"] == "FAILED"
    assert "executable file not found" in done["statusReason"]
    assert clients.batch.describe_job_queues(jobQueues=[queue])["jobQueues"]


def test_retry_strategy_and_evaluate_on_exit(clients: Clients) -> None:
    _, queue = make_fargate(clients)
    jd = register(
        clients,
        ["sh", "-c", "exit $((3 + AWS_BATCH_JOB_ATTEMPT - AWS_BATCH_JOB_ATTEMPT))"],
        retryStrategy={"attempts": 3},
    )
    job = clients.batch.submit_job(jobName="retry", jobQueue=queue, jobDefinition=jd)
    done = clients.wait_job(job["jobId"])
    assert done["status"] == "FAILED"
    assert [a["container"]["exitCode"] for a in done["attempts"]] == [3, 3, 3]
    # EXIT on exit code 3: no retries even with attempts left.
    job2 = clients.batch.submit_job(
        jobName="retry-exit",
        jobQueue=queue,
        jobDefinition=jd,
        retryStrategy={"attempts": 3, "evaluateOnExit": [{"onExitCode": "3", "action": "EXIT"}]},
    )
    done2 = clients.wait_job(job2["jobId"])
    assert len(done2["attempts"]) == 1
    # Succeeds on the second attempt.
    jd_flaky = register(
        clients, ["sh", "-c", 'test "$AWS_BATCH_JOB_ATTEMPT" = 2'], retryStrategy={"attempts": 2}
    )
    job3 = clients.batch.submit_job(jobName="flaky", jobQueue=queue, jobDefinition=jd_flaky)
    done3 = clients.wait_job(job3["jobId"])
    assert done3["status"] == "SUCCEEDED"
    assert [a["container"]["exitCode"] for a in done3["attempts"]] == [1, 0]


def test_timeout_kills_attempt(clients: Clients) -> None:
    _, queue = make_fargate(clients)
    jd = register(clients, ["sleep", "30"], timeout={"attemptDurationSeconds": 1})
    job = clients.batch.submit_job(jobName="slow", jobQueue=queue, jobDefinition=jd)
    done = clients.wait_job(job["jobId"], timeout=10)
    assert done["status"] == "FAILED"
    assert done["statusReason"] == "Job attempt duration exceeded timeout"
    assert done["attempts"][0]["container"]["exitCode"] == 128 + 15


def test_terminate_kills_process_group_and_cancel_only_before_start(clients: Clients) -> None:
    _, queue = make_fargate(clients, max_vcpus=1)
    jd = register(
        clients,
        ["sh", "-c", "sleep 30 & sleep 30"],
        resources=[{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
    )
    first = clients.batch.submit_job(jobName="long", jobQueue=queue, jobDefinition=jd)
    second = clients.batch.submit_job(jobName="queued", jobQueue=queue, jobDefinition=jd)
    clients.wait_job(first["jobId"], ("RUNNING",))
    assert clients.batch.describe_jobs(jobs=[second["jobId"]])["jobs"][0]["status"] == "RUNNABLE"
    clients.batch.cancel_job(jobId=first["jobId"], reason="too late to cancel")
    clients.batch.cancel_job(jobId=second["jobId"], reason="not needed")
    cancelled = clients.batch.describe_jobs(jobs=[second["jobId"]])["jobs"][0]
    assert cancelled["status"] == "FAILED"
    assert cancelled["statusReason"] == "not needed"
    assert cancelled["isCancelled"] is True
    time.sleep(0.3)
    assert clients.batch.describe_jobs(jobs=[first["jobId"]])["jobs"][0]["status"] == "RUNNING"
    clients.batch.terminate_job(jobId=first["jobId"], reason="stop it")
    done = clients.wait_job(first["jobId"], timeout=5)
    assert done["status"] == "FAILED"
    assert done["statusReason"] == "stop it"
    assert done["isTerminated"]


def test_array_job_statuses_and_list_children(clients: Clients) -> None:
    _, queue = make_fargate(clients)
    jd = register(clients, ["sh", "-c", 'test "$AWS_BATCH_JOB_ARRAY_INDEX" != 3'])
    job = clients.batch.submit_job(
        jobName="arr", jobQueue=queue, jobDefinition=jd, arrayProperties={"size": 5}
    )
    described = clients.batch.describe_jobs(jobs=[job["jobId"]])["jobs"][0]
    assert described["status"] in ("SUBMITTED", "PENDING")
    done = clients.wait_job(job["jobId"])
    assert done["status"] == "FAILED"
    summary = done["arrayProperties"]["statusSummary"]
    assert summary["SUCCEEDED"] == 4
    assert summary["FAILED"] == 1
    children = clients.batch.list_jobs(arrayJobId=job["jobId"], jobStatus="SUCCEEDED")["jobSummaryList"]
    assert [c["arrayProperties"]["index"] for c in children] == [0, 1, 2, 4]
    child = clients.batch.describe_jobs(jobs=[f"{job['jobId']}:3"])["jobs"][0]
    assert child["status"] == "FAILED"
    assert child["arrayProperties"] == {"index": 3}
    listed = clients.batch.list_jobs(jobQueue=queue, jobStatus="FAILED")["jobSummaryList"]
    assert [j["jobId"] for j in listed] == [job["jobId"]]


def test_dependencies_sequential_n_to_n_and_failure(clients: Clients) -> None:
    _, queue = make_fargate(clients)
    ok = register(clients, ["sh", "-c", "date +%s%N"])
    bad = register(clients, ["false"])
    seq = clients.batch.submit_job(
        jobName="seq",
        jobQueue=queue,
        jobDefinition=ok,
        arrayProperties={"size": 3},
        dependsOn=[{"type": "SEQUENTIAL"}],
    )
    n2n = clients.batch.submit_job(
        jobName="n2n",
        jobQueue=queue,
        jobDefinition=ok,
        arrayProperties={"size": 3},
        dependsOn=[{"jobId": seq["jobId"], "type": "N_TO_N"}],
    )
    after = clients.batch.submit_job(
        jobName="after", jobQueue=queue, jobDefinition=ok, dependsOn=[{"jobId": n2n["jobId"]}]
    )
    done = clients.wait_job(after["jobId"], timeout=30)
    assert done["status"] == "SUCCEEDED"
    children = clients.batch.describe_jobs(jobs=[f"{seq['jobId']}:{i}" for i in range(3)])["jobs"]
    starts = [c["startedAt"] for c in children]
    stops = [c["stoppedAt"] for c in children]
    assert starts[1] >= stops[0]
    assert starts[2] >= stops[1]
    assert children[1]["dependsOn"] == [{"jobId": f"{seq['jobId']}:0", "type": "SEQUENTIAL"}]
    n2n_child = clients.batch.describe_jobs(jobs=[f"{n2n['jobId']}:2"])["jobs"][0]
    assert n2n_child["startedAt"] >= stops[2]
    # A failed dependency fails its dependents, transitively.
    failing = clients.batch.submit_job(jobName="fails", jobQueue=queue, jobDefinition=bad)
    child1 = clients.batch.submit_job(
        jobName="child1", jobQueue=queue, jobDefinition=ok, dependsOn=[{"jobId": failing["jobId"]}]
    )
    child2 = clients.batch.submit_job(
        jobName="child2", jobQueue=queue, jobDefinition=ok, dependsOn=[{"jobId": child1["jobId"]}]
    )
    for job_id in (child1["jobId"], child2["jobId"]):
        failed = clients.wait_job(job_id)
        assert failed["status"] == "FAILED"
        assert failed["statusReason"] == "Dependent Job failed"


def test_fargate_capacity_limits_concurrency(clients: Clients) -> None:
    _, queue = make_fargate(clients, max_vcpus=1)
    jd = register(
        clients,
        ["sleep", "1"],
        resources=[{"type": "VCPU", "value": "0.5"}, {"type": "MEMORY", "value": "1024"}],
    )
    ids = [
        clients.batch.submit_job(jobName=f"cap{i}", jobQueue=queue, jobDefinition=jd)["jobId"]
        for i in range(4)
    ]
    jobs = {job_id: clients.wait_job(job_id) for job_id in ids}
    assert all(job["status"] == "SUCCEEDED" for job in jobs.values())
    # Judge by the recorded run times, not by polling for a moment with exactly two running (a
    # loaded machine can miss that moment): 1 vCPU of capacity fits two 0.5-vCPU jobs, never three.
    events = sorted(
        [(job["startedAt"], 1) for job in jobs.values()] + [(job["stoppedAt"], -1) for job in jobs.values()],
        key=lambda event: (event[0], event[1]),
    )
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    assert peak == 2
    first_two_started = max(jobs[i]["startedAt"] for i in ids[:2])
    assert all(jobs[i]["startedAt"] >= first_two_started for i in ids[2:])  # FIFO


def test_ec2_fleet_scales_up_and_drains(clients: Clients) -> None:
    batch = clients.batch
    ce = unique("ec2")
    batch.create_compute_environment(
        computeEnvironmentName=ce,
        type="MANAGED",
        computeResources={
            "type": "EC2",
            "minvCpus": 0,
            "maxvCpus": 8,
            "instanceTypes": ["m5.large"],
            "subnets": ["subnet-1"],
            "instanceRole": "ecsInstanceRole",
        },
    )
    queue = unique("ec2q")
    wait_for(lambda: _ce_status(clients, ce) == "VALID", 10)
    batch.create_job_queue(
        jobQueueName=queue, priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}]
    )
    jd = register(
        clients,
        ["sleep", "0.5"],
        platform=["EC2"],
        resources=[{"type": "VCPU", "value": "2"}, {"type": "MEMORY", "value": "2048"}],
    )
    ids = [batch.submit_job(jobName=f"e{i}", jobQueue=queue, jobDefinition=jd)["jobId"] for i in range(3)]

    def desired() -> int:
        res = batch.describe_compute_environments(computeEnvironments=[ce])["computeEnvironments"][0]
        return int(res["computeResources"]["desiredvCpus"])

    wait_for(lambda: desired() == 6, 10, "three m5.large instances")
    for job_id in ids:
        done = clients.wait_job(job_id)
        assert done["status"] == "SUCCEEDED"
        assert done["container"]["containerInstanceArn"].startswith("arn:aws:ecs:")
    wait_for(lambda: desired() == 0, 10, "fleet drained to minvCpus")
    # A job bigger than any allowed instance stays RUNNABLE with AWS's reason.
    huge = register(
        clients,
        ["true"],
        platform=["EC2"],
        resources=[{"type": "VCPU", "value": "4"}, {"type": "MEMORY", "value": "2048"}],
    )
    stuck = batch.submit_job(jobName="huge", jobQueue=queue, jobDefinition=huge)
    job = wait_for(
        lambda: (j := batch.describe_jobs(jobs=[stuck["jobId"]])["jobs"][0]).get("statusReason") and j, 10
    )
    assert job["status"] == "RUNNABLE"
    assert job["statusReason"].startswith("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT")
    batch.update_job_queue(
        jobQueue=queue,
        jobStateTimeLimitActions=[
            {
                "reason": "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
                "state": "RUNNABLE",
                "maxTimeSeconds": 1,
                "action": "CANCEL",
            }
        ],
    )
    failed = clients.wait_job(stuck["jobId"], timeout=10)
    assert failed["status"] == "FAILED"
    assert failed["statusReason"] == "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"


def test_queue_priority_wins_shared_capacity(clients: Clients) -> None:
    batch = clients.batch
    ce, low = make_fargate(clients, max_vcpus=1)
    high = unique("high")
    batch.create_job_queue(
        jobQueueName=high, priority=100, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}]
    )
    wait_for(lambda: batch.describe_job_queues(jobQueues=[high])["jobQueues"][0]["status"] == "VALID", 10)
    jd = register(
        clients,
        ["sleep", "0.4"],
        resources=[{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
    )
    blocker = batch.submit_job(jobName="blocker", jobQueue=low, jobDefinition=jd)
    clients.wait_job(blocker["jobId"], ("RUNNING", "SUCCEEDED"))
    low_job = batch.submit_job(jobName="low", jobQueue=low, jobDefinition=jd)
    high_job = batch.submit_job(jobName="high", jobQueue=high, jobDefinition=jd)
    done_low = clients.wait_job(low_job["jobId"], timeout=20)
    done_high = clients.wait_job(high_job["jobId"], timeout=20)
    assert done_high["startedAt"] < done_low["startedAt"]


def test_list_jobs_filters_pagination_and_snapshot(clients: Clients) -> None:
    batch = clients.batch
    ce, queue = make_fargate(clients)
    batch.update_compute_environment(computeEnvironment=ce, state="DISABLED")  # keep jobs RUNNABLE
    jd = register(clients, ["true"])
    ids = [
        batch.submit_job(jobName=f"page-{i:02d}", jobQueue=queue, jobDefinition=jd)["jobId"] for i in range(7)
    ]
    other = batch.submit_job(jobName="other", jobQueue=queue, jobDefinition=jd)["jobId"]
    wait_for(lambda: len(batch.list_jobs(jobQueue=queue, jobStatus="RUNNABLE")["jobSummaryList"]) == 8, 10)
    assert batch.list_jobs(jobQueue=queue)["jobSummaryList"] == []  # default status is RUNNING
    seen: list[str] = []
    token = None
    for _ in range(10):
        kwargs: dict[str, Any] = {"jobQueue": queue, "jobStatus": "RUNNABLE", "maxResults": 3}
        if token:
            kwargs["nextToken"] = token
        page = batch.list_jobs(**kwargs)
        seen += [j["jobId"] for j in page["jobSummaryList"]]
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(seen) == sorted([*ids, other])
    assert len(seen) == 8
    named = batch.list_jobs(jobQueue=queue, filters=[{"name": "JOB_NAME", "values": ["page-*"]}])[
        "jobSummaryList"
    ]
    assert sorted(j["jobId"] for j in named) == sorted(ids)
    exact = batch.list_jobs(jobQueue=queue, filters=[{"name": "JOB_NAME", "values": ["other"]}])[
        "jobSummaryList"
    ]
    assert [j["jobId"] for j in exact] == [other]
    by_def = batch.list_jobs(jobQueue=queue, filters=[{"name": "JOB_DEFINITION", "values": [jd]}])[
        "jobSummaryList"
    ]
    assert len(by_def) == 8
    future = str(int(time.time() * 1000) + 60_000)
    assert (
        batch.list_jobs(jobQueue=queue, filters=[{"name": "AFTER_CREATED_AT", "values": [future]}])[
            "jobSummaryList"
        ]
        == []
    )
    assert (
        len(
            batch.list_jobs(jobQueue=queue, filters=[{"name": "BEFORE_CREATED_AT", "values": [future]}])[
                "jobSummaryList"
            ]
        )
        == 8
    )
    snapshot = batch.get_job_queue_snapshot(jobQueue=queue)["frontOfQueue"]
    assert [j["jobArn"].rsplit("/", 1)[1] for j in snapshot["jobs"]] == [*ids, other]
    result = batch.cancel_jobs(jobs=[*ids, "no-such-job"], reason="cleanup")
    assert sorted(result["successful"]) == sorted(ids)
    assert result["errors"][0]["job"] == "no-such-job"
    result = batch.terminate_jobs(jobs=[other], reason="cleanup")
    assert result["successful"] == [other]
    assert batch.list_jobs(jobQueue=queue, jobStatus="RUNNABLE")["jobSummaryList"] == []


def test_job_definitions_revisions_and_filters(clients: Clients) -> None:
    batch = clients.batch
    name = unique("rev")
    for _ in range(3):
        register_same = batch.register_job_definition(
            jobDefinitionName=name,
            type="container",
            containerProperties={"image": "x", "command": ["true"], "vcpus": 1, "memory": 128},
        )
    assert register_same["revision"] == 3
    batch.deregister_job_definition(jobDefinition=f"{name}:2")
    active = batch.describe_job_definitions(jobDefinitionName=name, status="ACTIVE")["jobDefinitions"]
    assert [d["revision"] for d in active] == [1, 3]
    inactive = batch.describe_job_definitions(jobDefinitions=[f"{name}:2"])["jobDefinitions"]
    assert inactive[0]["status"] == "INACTIVE"
    by_arn = batch.describe_job_definitions(jobDefinitions=[active[0]["jobDefinitionArn"]])["jobDefinitions"]
    assert by_arn[0]["revision"] == 1
    everything = batch.describe_job_definitions(jobDefinitionName=name)["jobDefinitions"]
    assert len(everything) == 3


def test_tags_and_scheduling_policies(clients: Clients) -> None:
    batch = clients.batch
    ce, _ = make_fargate(clients)
    ce_arn = batch.describe_compute_environments(computeEnvironments=[ce])["computeEnvironments"][0][
        "computeEnvironmentArn"
    ]
    batch.tag_resource(resourceArn=ce_arn, tags={"team": "data", "env": "dev"})
    batch.untag_resource(resourceArn=ce_arn, tagKeys=["env"])
    assert batch.list_tags_for_resource(resourceArn=ce_arn)["tags"] == {"team": "data"}
    name = unique("fair")
    created = batch.create_scheduling_policy(
        name=name, fairsharePolicy={"shareDecaySeconds": 60}, tags={"a": "b"}
    )
    batch.update_scheduling_policy(arn=created["arn"], fairsharePolicy={"shareDecaySeconds": 120})
    described = batch.describe_scheduling_policies(arns=[created["arn"]])["schedulingPolicies"][0]
    assert described["fairsharePolicy"]["shareDecaySeconds"] == 120
    assert described["tags"] == {"a": "b"}
    assert created["arn"] in [p["arn"] for p in batch.list_scheduling_policies()["schedulingPolicies"]]
    batch.delete_scheduling_policy(arn=created["arn"])
    assert batch.describe_scheduling_policies(arns=[created["arn"]])["schedulingPolicies"] == []


def test_job_larger_than_fargate_max_vcpus_reports_ce_max_resource(clients: Clients) -> None:
    _, queue = make_fargate(clients, max_vcpus=1)
    jd = register(
        clients, ["true"], resources=[{"type": "VCPU", "value": "2"}, {"type": "MEMORY", "value": "4096"}]
    )
    job = clients.batch.submit_job(jobName="too-big", jobQueue=queue, jobDefinition=jd)
    described = wait_for(
        lambda: (j := clients.batch.describe_jobs(jobs=[job["jobId"]])["jobs"][0]).get("statusReason") and j,
        10,
    )
    assert described["status"] == "RUNNABLE"
    assert described["statusReason"].startswith("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE")
    clients.batch.cancel_job(jobId=job["jobId"], reason="cleanup")


def test_fair_share_queue_interleaves_shares(clients: Clients) -> None:
    batch = clients.batch
    ce, fifo = make_fargate(clients, max_vcpus=1)
    policy = batch.create_scheduling_policy(
        name=unique("fs"),
        fairsharePolicy={
            "shareDecaySeconds": 60,
            "shareDistribution": [
                {"shareIdentifier": "A", "weightFactor": 1.0},
                {"shareIdentifier": "B*", "weightFactor": 1.0},
            ],
        },
    )["arn"]
    queue = unique("fsq")
    batch.create_job_queue(
        jobQueueName=queue,
        priority=1,
        schedulingPolicyArn=policy,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}],
    )
    wait_for(lambda: batch.describe_job_queues(jobQueues=[queue])["jobQueues"][0]["status"] == "VALID", 10)
    jd = register(
        clients,
        ["sleep", "0.2"],
        resources=[{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
    )
    with pytest.raises(batch.exceptions.ClientException, match="shareIdentifier is required"):
        batch.submit_job(jobName="no-share", jobQueue=queue, jobDefinition=jd)
    with pytest.raises(batch.exceptions.ClientException, match="no fair-share"):
        batch.submit_job(jobName="share-on-fifo", jobQueue=fifo, jobDefinition=jd, shareIdentifier="A")
    batch.update_compute_environment(computeEnvironment=ce, state="DISABLED")  # queue everything first
    wait_for(lambda: _ce_status(clients, ce) == "VALID", 10)
    ids = [
        batch.submit_job(jobName=f"a{i}", jobQueue=queue, jobDefinition=jd, shareIdentifier="A")["jobId"]
        for i in range(3)
    ]
    ids += [
        batch.submit_job(jobName=f"b{i}", jobQueue=queue, jobDefinition=jd, shareIdentifier="B1")["jobId"]
        for i in range(3)
    ]
    batch.update_compute_environment(computeEnvironment=ce, state="ENABLED")
    jobs = [clients.wait_job(job_id, timeout=20) for job_id in ids]
    order = [j["jobName"][0] for j in sorted(jobs, key=lambda j: j["startedAt"])]
    assert order[:4] in (["a", "b", "a", "b"], ["b", "a", "b", "a"]), order
    assert jobs[3]["shareIdentifier"] == "B1"


def test_desired_vcpus_update_launches_then_drains(clients: Clients) -> None:
    batch = clients.batch
    ce = unique("ec2d")
    batch.create_compute_environment(
        computeEnvironmentName=ce,
        type="MANAGED",
        computeResources={"type": "EC2", "minvCpus": 0, "maxvCpus": 8, "instanceTypes": ["m5.large"]},
    )
    wait_for(lambda: _ce_status(clients, ce) == "VALID", 10)

    def desired() -> int:
        res = batch.describe_compute_environments(computeEnvironments=[ce])["computeEnvironments"][0]
        return int(res["computeResources"]["desiredvCpus"])

    assert desired() == 0
    batch.update_compute_environment(computeEnvironment=ce, computeResources={"desiredvCpus": 4})
    wait_for(lambda: _ce_status(clients, ce) == "VALID" and desired() == 4, 10, "two instances")
    wait_for(lambda: desired() == 0, 10, "idle fleet drained to minvCpus")
