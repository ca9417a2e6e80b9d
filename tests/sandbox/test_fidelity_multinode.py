"""Multi-node parallel jobs run locally: one process per node, AWS's node variables, `jobId#N` nodes,
ListJobs by multiNodeJobId; the answers validate against botocore's output shapes (conftest)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from batchgui.sandbox import RunningSandbox
from tests.sandbox.conftest import Clients, wait_for
from tests.sandbox.test_aws_cli import AWS, aws

pytestmark = pytest.mark.timeout(90)

PROBE = (
    'echo "node=$AWS_BATCH_JOB_NODE_INDEX of=$AWS_BATCH_JOB_NUM_NODES main=$AWS_BATCH_JOB_MAIN_NODE_INDEX '
    "ip=${AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS:-none} role=$ROLE"
    ' array=${AWS_BATCH_JOB_ARRAY_INDEX:-none}"'
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def node_range(target: str, role: str, vcpus: str = "1", first: str = "") -> dict[str, Any]:
    return {
        "targetNodes": target,
        "container": {
            "image": "busybox",
            "command": ["sh", "-c", first + PROBE],
            "environment": [{"name": "ROLE", "value": role}],
            "resourceRequirements": [{"type": "VCPU", "value": vcpus}, {"type": "MEMORY", "value": "256"}],
        },
    }


def log_of(clients: Clients, job: dict[str, Any]) -> str:
    events = clients.logs.get_log_events(
        logGroupName="/aws/batch/job", logStreamName=job["container"]["logStreamName"], startFromHead=True
    )["events"]
    return "\n".join(e["message"] for e in events)


def submit_sleepers(clients: Clients, name: str, *, nodes: int, main: int, vcpus: str = "1") -> str:
    """A multi-node job on ec2-queue whose nodes sleep 30 s."""
    jd = unique("mnp")
    sleeper = node_range("0:", "any", vcpus=vcpus)
    sleeper["container"]["command"] = ["sleep", "30"]
    clients.batch.register_job_definition(
        jobDefinitionName=jd,
        type="multinode",
        nodeProperties={"numNodes": nodes, "mainNode": main, "nodeRangeProperties": [sleeper]},
    )
    return str(clients.batch.submit_job(jobName=name, jobQueue="ec2-queue", jobDefinition=jd)["jobId"])


def test_a_multinode_job_runs_one_process_per_node(clients: Clients) -> None:
    batch = clients.batch
    jd = unique("mnp")
    batch.register_job_definition(
        jobDefinitionName=jd,
        type="multinode",
        nodeProperties={
            "numNodes": 3,
            "mainNode": 0,
            # The main node outlasts the others: the job ends when it does.
            "nodeRangeProperties": [node_range("0", "main", first="sleep 2; "), node_range("1:", "worker")],
        },
    )
    (described,) = batch.describe_job_definitions(jobDefinitions=[f"{jd}:1"])["jobDefinitions"]
    assert described["type"] == "multinode"
    assert described["nodeProperties"]["numNodes"] == 3
    job_id = batch.submit_job(jobName="mnp", jobQueue="ec2-queue", jobDefinition=jd)["jobId"]
    job = clients.wait_job(job_id, timeout=60)
    assert job["status"] == "SUCCEEDED"
    assert job["nodeProperties"]["mainNode"] == 0
    assert "arrayProperties" not in job

    nodes = batch.list_jobs(multiNodeJobId=job_id, jobStatus="SUCCEEDED")["jobSummaryList"]
    assert sorted(n["jobId"] for n in nodes) == [f"{job_id}#{i}" for i in range(3)]
    assert {n["jobId"]: n["nodeProperties"]["isMainNode"] for n in nodes}[f"{job_id}#0"] is True
    details = batch.describe_jobs(jobs=[f"{job_id}#{i}" for i in range(3)])["jobs"]
    outputs = {}
    for detail in details:
        index = detail["nodeDetails"]["nodeIndex"]
        assert detail["nodeDetails"]["isMainNode"] == (index == 0)
        assert detail["status"] == "SUCCEEDED"
        outputs[index] = log_of(clients, detail)
    assert "node=0 of=3 main=0 ip=none role=main array=none" in outputs[0]
    assert "node=1 of=3 main=0 ip=127.0.0.1 role=worker array=none" in outputs[1]
    assert "node=2 of=3 main=0 ip=127.0.0.1 role=worker" in outputs[2]

    # The queue lists the job, not its nodes.
    listed = batch.list_jobs(jobQueue="ec2-queue", jobStatus="SUCCEEDED")["jobSummaryList"]
    ids = {s["jobId"]: s for s in listed}
    assert job_id in ids
    assert ids[job_id]["nodeProperties"] == {"numNodes": 3}
    assert not any("#" in i for i in ids)


def test_node_overrides_change_the_node_count_and_commands(clients: Clients) -> None:
    batch = clients.batch
    jd = unique("mnp")
    batch.register_job_definition(
        jobDefinitionName=jd,
        type="multinode",
        nodeProperties={"numNodes": 2, "mainNode": 0, "nodeRangeProperties": [node_range("0:", "any")]},
    )
    job_id = batch.submit_job(
        jobName="mnp-over",
        jobQueue="ec2-queue",
        jobDefinition=jd,
        nodeOverrides={
            "numNodes": 3,
            "nodePropertyOverrides": [
                {"targetNodes": "0", "containerOverrides": {"command": ["sh", "-c", "sleep 2; echo main"]}},
                {"targetNodes": "2", "containerOverrides": {"command": ["sh", "-c", "echo last; exit 3"]}},
            ],
        },
    )["jobId"]
    job = clients.wait_job(job_id, timeout=60)
    # The job ends with its main node: a worker's failure does not fail it.
    assert job["status"] == "SUCCEEDED"
    assert job["nodeProperties"]["numNodes"] == 3
    (last,) = batch.describe_jobs(jobs=[f"{job_id}#2"])["jobs"]
    assert last["status"] == "FAILED"
    assert last["container"]["exitCode"] == 3
    assert "last" in log_of(clients, last)
    (first,) = batch.describe_jobs(jobs=[f"{job_id}#1"])["jobs"]
    assert first["status"] == "SUCCEEDED"


def test_the_job_ends_with_its_main_node_and_stops_the_others(clients: Clients) -> None:
    batch = clients.batch
    jd = unique("mnp")
    worker = node_range("1", "worker")
    worker["container"]["command"] = ["sleep", "30"]
    main = node_range("0", "main")
    main["container"]["command"] = ["sh", "-c", "sleep 1; exit 5"]
    batch.register_job_definition(
        jobDefinitionName=jd,
        type="multinode",
        nodeProperties={"numNodes": 2, "mainNode": 0, "nodeRangeProperties": [main, worker]},
    )
    job_id = batch.submit_job(jobName="mnp-main", jobQueue="ec2-queue", jobDefinition=jd)["jobId"]
    job = clients.wait_job(job_id, timeout=30)
    assert job["status"] == "FAILED"
    assert job["container"]["exitCode"] == 5
    other = clients.wait_job(f"{job_id}#1", timeout=20)
    assert other["status"] == "FAILED"
    assert other["statusReason"] == "Main node exited"


def test_a_running_multinode_job_shows_running_and_terminates_its_nodes(clients: Clients) -> None:
    batch = clients.batch
    job_id = submit_sleepers(clients, "mnp-run", nodes=2, main=1)
    clients.wait_job(job_id, ("RUNNING",), timeout=30)
    batch.terminate_job(jobId=job_id, reason="enough")
    job = clients.wait_job(job_id, timeout=30)
    assert job["status"] == "FAILED"
    nodes = batch.describe_jobs(jobs=[f"{job_id}#0", f"{job_id}#1"])["jobs"]
    assert [n["status"] for n in nodes] == ["FAILED", "FAILED"]


def test_a_multinode_job_starts_only_when_all_its_nodes_fit(clients: Clients) -> None:
    """ec2-ce allows 16 vCPUs: two 8-vCPU nodes fit, three don't, and then none starts (AWS places a
    multi-node job's nodes all at once). Before, two of the three started and waited for the third."""
    batch = clients.batch
    job_id = submit_sleepers(clients, "mnp-big", nodes=3, main=0, vcpus="8")
    nodes = [f"{job_id}#{i}" for i in range(3)]
    try:
        wait_for(
            lambda: (
                batch.describe_compute_environments(computeEnvironments=["ec2-ce"])["computeEnvironments"][0][
                    "computeResources"
                ]["desiredvCpus"]
                >= 16
            ),
            20,
            "the fleet to scale for the nodes",
        )
        time.sleep(3.0)  # several engine passes with two instances' room ready
        statuses = [n["status"] for n in batch.describe_jobs(jobs=nodes)["jobs"]]
        assert statuses == ["RUNNABLE"] * 3
        assert batch.describe_jobs(jobs=[job_id])["jobs"][0]["status"] == "RUNNABLE"
    finally:
        batch.terminate_job(jobId=job_id, reason="test over")
    clients.wait_job(job_id, timeout=30)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"numNodes": 2, "mainNode": 2, "nodeRangeProperties": [node_range("0:", "x")]}, "mainNode"),
        ({"numNodes": 3, "mainNode": 0, "nodeRangeProperties": [node_range("0:1", "x")]}, "no node range"),
        (
            {
                "numNodes": 2,
                "mainNode": 0,
                "nodeRangeProperties": [node_range("0:", "x"), node_range("1", "y")],
            },
            "two node ranges",
        ),
        ({"numNodes": 2, "mainNode": 0, "nodeRangeProperties": [node_range("a:b", "x")]}, "targetNodes"),
    ],
)
def test_bad_node_properties_are_refused(clients: Clients, props: dict[str, Any], message: str) -> None:
    with pytest.raises(clients.batch.exceptions.ClientException, match=message):
        clients.batch.register_job_definition(
            jobDefinitionName=unique("bad"), type="multinode", nodeProperties=props
        )


def test_a_multinode_job_is_refused_on_fargate(clients: Clients) -> None:
    jd = unique("mnp")
    clients.batch.register_job_definition(
        jobDefinitionName=jd,
        type="multinode",
        nodeProperties={"numNodes": 2, "mainNode": 0, "nodeRangeProperties": [node_range("0:", "x")]},
    )
    with pytest.raises(clients.batch.exceptions.ClientException, match="Fargate"):
        clients.batch.submit_job(jobName="x", jobQueue="fargate-queue", jobDefinition=jd)


@pytest.mark.skipif(not Path(AWS).exists(), reason="AWS CLI not installed in this environment")
def test_list_jobs_multi_node_job_id_through_the_cli(
    sandbox: RunningSandbox, clients: Clients, tmp_path: Path
) -> None:
    jd = unique("mnp")
    clients.batch.register_job_definition(
        jobDefinitionName=jd,
        type="multinode",
        nodeProperties={"numNodes": 2, "mainNode": 0, "nodeRangeProperties": [node_range("0:", "x")]},
    )
    job_id = clients.batch.submit_job(jobName="cli-mnp", jobQueue="ec2-queue", jobDefinition=jd)["jobId"]
    clients.wait_job(job_id, timeout=60)
    found = wait_for(
        lambda: aws(
            sandbox,
            tmp_path,
            "batch",
            "list-jobs",
            "--multi-node-job-id",
            job_id,
            "--filters",
            "name=JOB_NAME,values=cli-mnp",
        )["jobSummaryList"],
        20,
        "nodes listed",
    )
    assert sorted(s["jobId"] for s in found) == [f"{job_id}#0", f"{job_id}#1"]
