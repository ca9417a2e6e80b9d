"""Consumable resources through boto3: the six operations in botocore's shapes (conftest validates
every answer), and the scheduling they mean — a job that needs more than is free waits RUNNABLE and
starts when a holder ends."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from batchgui.sandbox import RunningSandbox, start_in_process
from batchgui.sandbox.consumables import WAITING_REASON
from tests.sandbox.conftest import FAST, Clients, wait_for
from tests.sandbox.test_aws_cli import AWS, aws

pytestmark = pytest.mark.timeout(90)
SIZE = [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def job_def(clients: Clients, command: list[str], resource: str, quantity: int) -> str:
    name = unique("jd")
    clients.batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={"image": "x", "command": command, "resourceRequirements": SIZE},
        consumableResourceProperties={
            "consumableResourceList": [{"consumableResource": resource, "quantity": quantity}]
        },
    )
    return name


def status(clients: Clients, job_id: str) -> Any:
    return clients.batch.describe_jobs(jobs=[job_id])["jobs"][0]


def test_create_describe_update_list_delete(clients: Clients) -> None:
    batch = clients.batch
    name = unique("licences")
    created = batch.create_consumable_resource(consumableResourceName=name, totalQuantity=3, tags={"a": "b"})
    assert created["consumableResourceArn"].endswith(f":consumable-resource/{name}")
    described = batch.describe_consumable_resource(consumableResource=name)
    assert (described["totalQuantity"], described["inUseQuantity"], described["availableQuantity"]) == (
        3,
        0,
        3,
    )
    assert described["resourceType"] == "REPLENISHABLE"
    assert (
        batch.update_consumable_resource(consumableResource=name, operation="ADD", quantity=2)[
            "totalQuantity"
        ]
        == 5
    )
    assert (
        batch.update_consumable_resource(
            consumableResource=created["consumableResourceArn"], operation="REMOVE", quantity=1
        )["totalQuantity"]
        == 4
    )
    listed = batch.list_consumable_resources(
        filters=[{"name": "CONSUMABLE_RESOURCE_NAME", "values": [name[:6] + "*"]}]
    )
    assert name in {r["consumableResourceName"] for r in listed["consumableResources"]}
    with pytest.raises(batch.exceptions.ClientException, match="already exists"):
        batch.create_consumable_resource(consumableResourceName=name, totalQuantity=1)
    with pytest.raises(batch.exceptions.ClientException, match="Can't remove"):
        batch.update_consumable_resource(consumableResource=name, operation="REMOVE", quantity=10)
    batch.delete_consumable_resource(consumableResource=name)
    with pytest.raises(batch.exceptions.ClientException, match="does not exist"):
        batch.describe_consumable_resource(consumableResource=name)


def test_a_job_waits_runnable_until_the_resource_frees(clients: Clients) -> None:
    batch = clients.batch
    resource = unique("licence")
    batch.create_consumable_resource(consumableResourceName=resource, totalQuantity=1)
    holder_def = job_def(clients, ["sleep", "3"], resource, 1)
    holder = batch.submit_job(jobName="holder", jobQueue="fargate-queue", jobDefinition=holder_def)["jobId"]
    clients.wait_job(holder, ("RUNNING",), timeout=20)
    assert batch.describe_consumable_resource(consumableResource=resource)["inUseQuantity"] == 1
    waiter = batch.submit_job(
        jobName="waiter",
        jobQueue="fargate-queue",
        jobDefinition=holder_def,
        containerOverrides={"command": ["true"]},
    )["jobId"]
    waiting = wait_for(
        lambda: (
            (j := status(clients, waiter))["status"] == "RUNNABLE" and j.get("statusReason") == WAITING_REASON
        ),
        10,
        "the waiter RUNNABLE, waiting for the resource",
    )
    assert waiting
    listed = batch.list_jobs_by_consumable_resource(consumableResource=resource)["jobs"]
    by_name = {j["jobName"]: j for j in listed}
    assert by_name["holder"]["jobStatus"] == "RUNNING"
    assert by_name["waiter"]["jobStatus"] == "RUNNABLE"
    assert by_name["waiter"]["quantity"] == 1
    running = batch.list_jobs_by_consumable_resource(
        consumableResource=resource, filters=[{"name": "JOB_STATUS", "values": ["RUNNING"]}]
    )["jobs"]
    assert [j["jobName"] for j in running] == ["holder"]
    with pytest.raises(batch.exceptions.ClientException, match="in use"):
        batch.delete_consumable_resource(consumableResource=resource)
    assert clients.wait_job(holder, timeout=20)["status"] == "SUCCEEDED"
    assert clients.wait_job(waiter, timeout=20)["status"] == "SUCCEEDED"
    assert batch.describe_consumable_resource(consumableResource=resource)["inUseQuantity"] == 0


def test_an_override_asks_for_more_and_a_non_replenishable_one_is_used_up(clients: Clients) -> None:
    batch = clients.batch
    resource = unique("tokens")
    batch.create_consumable_resource(
        consumableResourceName=resource, totalQuantity=5, resourceType="NON_REPLENISHABLE"
    )
    jd = job_def(clients, ["true"], resource, 1)
    job = batch.submit_job(
        jobName="takes-three",
        jobQueue="fargate-queue",
        jobDefinition=jd,
        consumableResourcePropertiesOverride={
            "consumableResourceList": [{"consumableResource": resource, "quantity": 3}]
        },
    )["jobId"]
    assert clients.wait_job(job, timeout=20)["status"] == "SUCCEEDED"
    detail = status(clients, job)
    assert detail["consumableResourceProperties"]["consumableResourceList"] == [
        {"consumableResource": resource, "quantity": 3}
    ]
    wait_for(
        lambda: batch.describe_consumable_resource(consumableResource=resource)["totalQuantity"] == 2, 10
    )


def test_unknown_resources_are_refused(clients: Clients) -> None:
    with pytest.raises(clients.batch.exceptions.ClientException, match="does not exist"):
        job_def(clients, ["true"], "no-such-resource", 1)


def test_an_older_database_gains_the_consumable_resources_table(tmp_path: Path) -> None:
    data = tmp_path / "data"
    sb = start_in_process(data, seed=False, settings=FAST)
    sb.stop()
    conn = sqlite3.connect(data / "sandbox.sqlite3")
    conn.execute("DROP TABLE consumable_resources")
    conn.execute("DROP TABLE service_objects")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    sb = start_in_process(data, seed=False, settings=FAST)
    try:
        clients = Clients(sb)
        clients.batch.create_consumable_resource(consumableResourceName="after-migration", totalQuantity=1)
        assert clients.batch.list_consumable_resources()["consumableResources"][0]["totalQuantity"] == 1
        assert clients.batch.describe_service_environments()["serviceEnvironments"] == []
    finally:
        sb.stop()


@pytest.mark.skipif(not Path(AWS).exists(), reason="AWS CLI not installed in this environment")
def test_the_cli_examples_for_consumable_resources(sandbox: RunningSandbox, tmp_path: Path) -> None:
    # docs.aws.amazon.com/cli/latest/reference/batch/create-consumable-resource.html and its siblings
    name = unique("my-consumable-resource")
    created = aws(
        sandbox,
        tmp_path,
        "batch",
        "create-consumable-resource",
        "--consumable-resource-name",
        name,
        "--total-quantity",
        "123",
        "--resource-type",
        "REPLENISHABLE",
    )
    assert created["consumableResourceName"] == name
    described = aws(sandbox, tmp_path, "batch", "describe-consumable-resource", "--consumable-resource", name)
    assert (described["totalQuantity"], described["availableQuantity"]) == (123, 123)
    updated = aws(
        sandbox,
        tmp_path,
        "batch",
        "update-consumable-resource",
        "--consumable-resource",
        name,
        "--operation",
        "ADD",
        "--quantity",
        "7",
    )
    assert updated["totalQuantity"] == 130
    listed = aws(sandbox, tmp_path, "batch", "list-consumable-resources")
    assert name in {r["consumableResourceName"] for r in listed["consumableResources"]}
    jobs = aws(sandbox, tmp_path, "batch", "list-jobs-by-consumable-resource", "--consumable-resource", name)
    assert jobs["jobs"] == []
    aws(sandbox, tmp_path, "batch", "delete-consumable-resource", "--consumable-resource", name)
