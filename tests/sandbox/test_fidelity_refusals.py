"""What the sandbox once refused though AWS accepts it: every catalogued instance type, families and
AWS's default choices; a bare-name DeregisterJobDefinition (the AWS CLI's own example); queues that
pass through UPDATING and DELETING."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from batchgui.sandbox import RunningSandbox, start_in_process
from tests.sandbox.conftest import FAST, Clients, wait_for
from tests.sandbox.test_aws_cli import AWS, aws

pytestmark = pytest.mark.timeout(90)

DOCUMENTED = ["p2", "p3", "g4dn.xlarge", "g5", "m6g", "c7i", "c5a", "default_x86_64", "default_arm64"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("instance_type", DOCUMENTED)
def test_compute_environments_take_any_catalogued_instance_type(clients: Clients, instance_type: str) -> None:
    name = unique("ce")
    clients.batch.create_compute_environment(
        computeEnvironmentName=name,
        type="MANAGED",
        computeResources={
            "type": "EC2",
            "maxvCpus": 64,
            "instanceTypes": [instance_type],
            "subnets": ["subnet-1"],
            "instanceRole": "ecsInstanceRole",
        },
    )
    (ce,) = clients.batch.describe_compute_environments(computeEnvironments=[name])["computeEnvironments"]
    assert ce["computeResources"]["instanceTypes"] == [instance_type]


def test_every_type_of_the_catalogue_is_accepted(clients: Clients) -> None:
    from batchgui.resources import instance_catalogue

    names = sorted(instance_catalogue().types)
    assert len(names) > 500
    for start in range(0, len(names), 200):
        chunk = names[start : start + 200]
        name = unique("ce-all")
        clients.batch.create_compute_environment(
            computeEnvironmentName=name,
            type="MANAGED",
            computeResources={"type": "EC2", "maxvCpus": 4, "instanceTypes": chunk, "subnets": ["s"]},
        )


def test_a_job_runs_on_a_gpu_family_environment(clients: Clients) -> None:
    batch = clients.batch
    ce, queue, jd = unique("ce-p3"), unique("q-p3"), unique("jd")
    batch.create_compute_environment(
        computeEnvironmentName=ce,
        type="MANAGED",
        computeResources={"type": "EC2", "maxvCpus": 16, "instanceTypes": ["p3"], "subnets": ["s"]},
    )
    wait_for(
        lambda: (
            batch.describe_compute_environments(computeEnvironments=[ce])["computeEnvironments"][0]["status"]
            == "VALID"
        ),
        10,
    )
    batch.create_job_queue(
        jobQueueName=queue, priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}]
    )
    batch.register_job_definition(
        jobDefinitionName=jd,
        type="container",
        containerProperties={
            "image": "x",
            "command": ["true"],
            "resourceRequirements": [{"type": "VCPU", "value": "4"}, {"type": "MEMORY", "value": "30000"}],
        },
    )
    wait_for(lambda: batch.describe_job_queues(jobQueues=[queue])["jobQueues"][0]["status"] == "VALID", 10)
    job_id = batch.submit_job(jobName="on-p3", jobQueue=queue, jobDefinition=jd)["jobId"]
    assert clients.wait_job(job_id, timeout=30)["status"] == "SUCCEEDED"


def test_a_bare_name_deregisters_the_latest_active_revision(clients: Clients) -> None:
    batch = clients.batch
    name = unique("jd")
    for _ in range(2):
        batch.register_job_definition(
            jobDefinitionName=name,
            type="container",
            containerProperties={"image": "x", "vcpus": 1, "memory": 64},
        )
    batch.deregister_job_definition(jobDefinition=name)
    revisions = {
        d["revision"]: d["status"]
        for d in batch.describe_job_definitions(jobDefinitionName=name)["jobDefinitions"]
    }
    assert revisions == {1: "ACTIVE", 2: "INACTIVE"}
    batch.deregister_job_definition(jobDefinition=name)
    with pytest.raises(batch.exceptions.ClientException, match="does not exist"):
        batch.deregister_job_definition(jobDefinition=name)


@pytest.mark.skipif(not Path(AWS).exists(), reason="AWS CLI not installed in this environment")
def test_the_cli_example_deregister_job_definition_sleep10(sandbox: RunningSandbox, tmp_path: Path) -> None:
    # docs.aws.amazon.com/cli/latest/reference/batch/deregister-job-definition.html
    aws(
        sandbox,
        tmp_path,
        "batch",
        "register-job-definition",
        "--job-definition-name",
        "sleep10",
        "--type",
        "container",
        "--container-properties",
        '{"image": "busybox", "vcpus": 1, "memory": 128, "command": ["sleep", "10"]}',
    )
    aws(sandbox, tmp_path, "batch", "deregister-job-definition", "--job-definition", "sleep10")
    found = aws(sandbox, tmp_path, "batch", "describe-job-definitions", "--job-definition-name", "sleep10")
    assert [d["status"] for d in found["jobDefinitions"]] == ["INACTIVE"]


@pytest.fixture
def slow_transitions(tmp_path: Path) -> Iterator[Clients]:
    from dataclasses import replace

    sb = start_in_process(tmp_path / "data", seed=False, settings=replace(FAST, transition_delay_s=1.0))
    try:
        yield Clients(sb)
    finally:
        sb.stop()


def test_queues_pass_through_updating_and_deleting(slow_transitions: Clients) -> None:
    batch = slow_transitions.batch

    def status(name: str) -> Any:
        queues = batch.describe_job_queues(jobQueues=[name])["jobQueues"]
        return queues[0]["status"] if queues else None

    batch.create_compute_environment(
        computeEnvironmentName="ce", type="MANAGED", computeResources={"type": "FARGATE", "maxvCpus": 4}
    )
    batch.create_job_queue(
        jobQueueName="q", priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "ce"}]
    )
    assert status("q") == "CREATING"
    wait_for(lambda: status("q") == "VALID", 10, "queue VALID")
    batch.update_job_queue(jobQueue="q", state="DISABLED")
    assert status("q") == "UPDATING"
    wait_for(lambda: status("q") == "VALID", 10, "queue VALID after the update")
    batch.delete_job_queue(jobQueue="q")
    assert status("q") == "DELETING"
    wait_for(lambda: status("q") == "DELETED", 10, "queue DELETED")


def test_every_operation_of_botocores_batch_model_is_answered(clients: Clients) -> None:
    """Each of the installed botocore's Batch operations is implemented; one botocore adds later
    answers AWS's ClientException saying the sandbox does not build it yet (never a 500)."""
    from batchgui.sandbox.batch_api import IMPLEMENTED

    model = clients.batch.meta.service_model
    for name in model.operation_names:
        if name in IMPLEMENTED:
            continue
        operation = model.operation_model(name)
        params = _minimal(operation.input_shape)
        method = getattr(clients.batch, _snake(name))
        with pytest.raises(clients.batch.exceptions.ClientException) as caught:
            method(**params)
        assert f"{name} is not implemented by the local sandbox" in str(caught.value)
    assert set(model.operation_names) <= IMPLEMENTED, sorted(set(model.operation_names) - IMPLEMENTED)


def _snake(name: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _minimal(shape: Any) -> dict[str, Any]:
    """The required members of an input shape, filled with the smallest valid values."""
    out: dict[str, Any] = {}
    for member in shape.required_members if shape is not None else []:
        sub = shape.members[member]
        out[member] = _value(sub)
    return out


def _value(shape: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _minimal(shape)
    if kind == "list":
        return []
    if kind == "map":
        return {}
    if kind in ("integer", "long"):
        return 1
    if kind == "boolean":
        return False
    if shape.enum:
        return shape.enum[0]
    return "x"


def test_a_service_the_sandbox_does_not_serve_is_named_in_the_error(clients: Clients) -> None:
    from botocore.config import Config

    # AWS Health: neither the sandbox nor moto has a backend for it.
    health = clients.session.client(
        "health", endpoint_url=clients.sandbox.endpoint_url, config=Config(retries={"max_attempts": 1})
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        health.describe_events()
    error = caught.value.response["Error"]
    assert error["Code"] == "UnknownServiceException"
    assert "health" in error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
