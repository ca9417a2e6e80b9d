"""The same control-plane scenario against the sandbox and against moto: response shapes agree.

Shape = the set of key paths in each response (list items merged). Every field moto returns must be
in ours too, except the few listed in MOTO_ONLY with the reason; both sides must parse into
botocore's output shapes (the sandbox's clients check that on every call).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from tests.sandbox.conftest import Clients, wait_for
from tests.sandbox.shapes import output_errors

pytestmark = pytest.mark.timeout(90)

# Fields moto returns that the sandbox leaves out on purpose, with the reason.
MOTO_ONLY: dict[str, set[str]] = {
    "describe_jobs_array": {
        "jobs[].container.environment[].name",
        "jobs[].container.environment[].value",
        "jobs[].container.memory",
        "jobs[].container.vcpus",
    },
    "describe_jobs": {
        # moto lists the AWS_BATCH_* variables it would inject; the sandbox reports only the
        # job's own environment (the injected ones are visible inside the process).
        "jobs[].container.environment[].name",
        "jobs[].container.environment[].value",
        # Legacy vcpus/memory fields: the sandbox answers with the resourceRequirements the
        # job asked for, as AWS does for jobs defined with resourceRequirements.
        "jobs[].container.memory",
        "jobs[].container.vcpus",
    },
}


def key_paths(value: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "ResponseMetadata":
                continue
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            if key in ("tags", "parameters", "statusSummary", "options"):
                continue  # maps: keys are data, not shape
            paths |= key_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, prefix + "[]")
    return paths


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # moto's configuration is process-wide: other tests turn Docker off (jobs succeed at once); this
    # comparison expects moto's default, where jobs without a Docker engine fail at once.
    requests.post(
        f"http://{host}:{port}/moto-api/config", json={"batch": {"use_docker": True}}, timeout=10
    ).raise_for_status()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def scenario(session: boto3.session.Session, endpoint: str, suffix: str) -> dict[str, Any]:
    config = Config(retries={"max_attempts": 1})
    batch = session.client("batch", endpoint_url=endpoint, config=config)
    ec2 = session.client("ec2", endpoint_url=endpoint, config=config)
    iam = session.client("iam", endpoint_url=endpoint, config=config)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName=f"sg-{suffix}", Description="d", VpcId=vpc)["GroupId"]
    role = iam.create_role(RoleName=f"batch-{suffix}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    out: dict[str, Any] = {}
    ce = f"diff-ce-{suffix}"
    out["create_compute_environment"] = batch.create_compute_environment(
        computeEnvironmentName=ce,
        type="MANAGED",
        state="ENABLED",
        serviceRole=role,
        computeResources={"type": "FARGATE", "maxvCpus": 4, "subnets": [subnet], "securityGroupIds": [sg]},
    )
    wait_for(
        lambda: (
            batch.describe_compute_environments(computeEnvironments=[ce])["computeEnvironments"][0]["status"]
            == "VALID"
        ),
        5,
    )
    out["describe_compute_environments"] = batch.describe_compute_environments(computeEnvironments=[ce])
    queue = f"diff-q-{suffix}"
    out["create_job_queue"] = batch.create_job_queue(
        jobQueueName=queue,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}],
    )
    wait_for(lambda: batch.describe_job_queues(jobQueues=[queue])["jobQueues"][0]["status"] == "VALID", 5)
    out["describe_job_queues"] = batch.describe_job_queues(jobQueues=[queue])
    jd = f"diff-jd-{suffix}"
    out["register_job_definition"] = batch.register_job_definition(
        jobDefinitionName=jd,
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={
            "image": "busybox",
            "command": ["sleep", "Ref::seconds"],
            "resourceRequirements": [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}],
            "executionRoleArn": role,
        },
        parameters={"seconds": "5"},
    )
    out["describe_job_definitions"] = batch.describe_job_definitions(jobDefinitionName=jd)
    out["submit_job"] = batch.submit_job(
        jobName="diff-job", jobQueue=queue, jobDefinition=jd, tags={"k": "v"}
    )
    job_id = out["submit_job"]["jobId"]
    out["describe_jobs"] = batch.describe_jobs(jobs=[job_id])
    out["list_jobs"] = batch.list_jobs(jobQueue=queue, filters=[{"name": "JOB_NAME", "values": ["diff-job"]}])
    array = batch.submit_job(
        jobName="diff-array", jobQueue=queue, jobDefinition=jd, arrayProperties={"size": 2}
    )
    out["describe_jobs_array"] = batch.describe_jobs(jobs=[array["jobId"]])
    out["describe_job_definitions_all"] = batch.describe_job_definitions(jobDefinitions=[f"{jd}:1"])
    out["describe_job_queues_all"] = batch.describe_job_queues()
    ce_arn = out["create_compute_environment"]["computeEnvironmentArn"]
    out["tag_resource"] = batch.tag_resource(resourceArn=ce_arn, tags={"a": "b"})
    out["list_tags_for_resource"] = batch.list_tags_for_resource(resourceArn=ce_arn)
    out["untag_resource"] = batch.untag_resource(resourceArn=ce_arn, tagKeys=["a"])
    out["terminate_job"] = batch.terminate_job(jobId=job_id, reason="done")
    out["update_job_queue"] = batch.update_job_queue(jobQueue=queue, state="DISABLED")
    out["update_compute_environment"] = batch.update_compute_environment(
        computeEnvironment=ce, state="DISABLED"
    )
    out["deregister_job_definition"] = batch.deregister_job_definition(jobDefinition=f"{jd}:1")
    out["create_scheduling_policy"] = batch.create_scheduling_policy(name=f"diff-sp-{suffix}")
    out["list_scheduling_policies"] = batch.list_scheduling_policies()
    time.sleep(0.1)
    return out


def test_control_plane_shapes_match_moto(clients: Clients, moto_endpoint: str) -> None:
    ours = scenario(clients.session, clients.sandbox.endpoint_url, "ours")
    moto_session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    theirs = scenario(moto_session, moto_endpoint, "moto")
    probe = clients.batch
    problems: list[str] = []
    for op, their_response in theirs.items():
        our_response = ours[op]
        missing = key_paths(their_response) - key_paths(our_response) - MOTO_ONLY.get(op, set())
        if missing:
            problems.append(f"{op}: moto returns {sorted(missing)} that the sandbox does not")
        name = "".join(part.title() for part in op.removesuffix("_array").removesuffix("_all").split("_"))
        assert not output_errors(probe, name, our_response), (op, output_errors(probe, name, our_response))
    assert not problems, "\n".join(problems)
