from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any, cast

import boto3
import pytest
from botocore.stub import Stubber

from batchgui.aws.batch import BatchGateway
from batchgui.aws.batch_admin import BatchAdminGateway
from batchgui.aws.errors import translate
from batchgui.domain.batch import JobStatus
from batchgui.domain.errors import NotFound
from batchgui.services.connections import Backend, ConnectionManager
from batchgui.services.inventory import DeletePlan, InventoryService, Step, StepKind, StepState
from batchgui.services.runner import Runner
from tests.support import MotoEndpoint, seed_batch

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def runner() -> Iterator[Runner]:
    made = Runner(workers=2, translate=translate)
    yield made
    made.close()


def connected_to(runner: Runner, client: Any) -> ConnectionManager:
    """A ConnectionManager whose current connection is the gateways over `client`."""
    manager = ConnectionManager(runner, start_local=lambda: pytest.fail("no sandbox here"))
    backend = SimpleNamespace(batch=BatchGateway(client), batch_admin=BatchAdminGateway(client))
    manager.backend = cast(Backend, backend)
    return manager


def bound_inventory(runner: Runner, client: Any, poll_interval_s: float = 2.0) -> InventoryService:
    """The facade, connected through `client`."""
    return InventoryService(runner, connected_to(runner, client), poll_interval_s=poll_interval_s)


def sandbox_batch(sandbox: Any) -> Any:
    return boto3.client(
        "batch",
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
    )


def test_deleting_a_queue_disables_it_first(
    moto: MotoEndpoint, runner: Runner, run_async: Callable[..., Any]
) -> None:
    seed_batch(moto)
    client = moto.client("batch")
    admin = BatchAdminGateway(client)
    inventory = bound_inventory(runner, client, poll_interval_s=0.05)
    plan = run_async(inventory.plan_delete_job_queue("demo-queue"))
    assert [s.kind for s in plan.steps] == [StepKind.DISABLE_QUEUE, StepKind.DELETE_QUEUE]
    assert "ENABLED" in plan.blockers[0]
    assert "Disable job queue demo-queue" in plan.summary()
    seen: list[tuple[int, StepState]] = []
    assert run_async(inventory.execute(plan, lambda i, s: seen.append((i, s.state))))
    assert (0, StepState.DONE) in seen
    assert (1, StepState.DONE) in seen
    assert admin.describe_job_queue("demo-queue") is None


def test_environment_delete_plan_detaches_or_deletes_queues(
    moto: MotoEndpoint, runner: Runner, run_async: Callable[..., Any]
) -> None:
    ids = seed_batch(moto)
    batch = moto.client("batch")
    second = batch.create_compute_environment(
        computeEnvironmentName="second",
        type="MANAGED",
        computeResources={
            "type": "FARGATE",
            "maxvCpus": 4,
            "subnets": [ids["subnet"]],
            "securityGroupIds": [
                batch.describe_compute_environments()["computeEnvironments"][0]["computeResources"][
                    "securityGroupIds"
                ][0]
            ],
        },
        serviceRole=ids["role"],
    )["computeEnvironmentArn"]
    batch.create_job_queue(
        jobQueueName="shared",
        priority=2,
        state="ENABLED",
        computeEnvironmentOrder=[
            {"order": 1, "computeEnvironment": ids["ce"]},
            {"order": 2, "computeEnvironment": second},
        ],
    )
    admin = BatchAdminGateway(batch)
    inventory = bound_inventory(runner, batch, poll_interval_s=0.05)
    plan = run_async(inventory.plan_delete_compute_environment("demo-fargate"))
    assert [(s.kind, s.target) for s in plan.steps] == [
        (StepKind.DISABLE_QUEUE, "demo-queue"),
        (StepKind.DELETE_QUEUE, "demo-queue"),
        (StepKind.DETACH_FROM_QUEUE, "shared"),
        (StepKind.DISABLE_ENVIRONMENT, "demo-fargate"),
        (StepKind.DELETE_ENVIRONMENT, "demo-fargate"),
    ]
    assert plan.steps[2].keep == (second,)
    assert any("uses only this environment" in b for b in plan.blockers)
    assert run_async(inventory.execute(plan))
    assert admin.describe_compute_environment("demo-fargate") is None
    shared = admin.describe_job_queue("shared")
    assert shared is not None
    assert [ce.arn for ce in shared.compute_environments] == [second]


def test_a_failing_step_stops_the_plan_with_its_error(
    moto: MotoEndpoint, runner: Runner, run_async: Callable[..., Any]
) -> None:
    seed_batch(moto)
    client = moto.client("batch")
    inventory = bound_inventory(runner, client, poll_interval_s=0.05)
    plan = run_async(inventory.plan_delete_job_queue("demo-queue"))
    moto.client("batch").delete_job_queue(jobQueue="demo-queue")  # gone behind our back
    assert not run_async(inventory.execute(plan))
    assert plan.steps[0].state is StepState.FAILED
    assert "no longer exists" in plan.steps[0].detail
    assert plan.steps[1].state is StepState.SKIPPED
    assert plan.failed_step is plan.steps[0]


def test_unknown_targets_are_not_found(
    moto: MotoEndpoint, runner: Runner, run_async: Callable[..., Any]
) -> None:
    inventory = bound_inventory(runner, moto.client("batch"))
    with pytest.raises(NotFound):
        run_async(inventory.plan_delete_job_queue("nope"))
    with pytest.raises(NotFound):
        run_async(inventory.plan_delete_compute_environment("nope"))


def test_throttling_is_retried_not_reported(runner: Runner, run_async: Callable[..., Any]) -> None:
    client = boto3.client("batch", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    inventory = bound_inventory(runner, client, poll_interval_s=0.01)
    inventory.throttle_backoff_s = 0.01
    queue = {
        "jobQueueName": "q",
        "jobQueueArn": "arn:q",
        "state": "DISABLED",
        "status": "VALID",
        "priority": 1,
        "computeEnvironmentOrder": [],
    }
    with Stubber(client) as stub:
        stub.add_client_error("describe_job_queues", "TooManyRequestsException", http_status_code=429)
        stub.add_response("describe_job_queues", {"jobQueues": [queue]})
        stub.add_response("delete_job_queue", {})
        stub.add_response("describe_job_queues", {"jobQueues": []})
        plan = DeletePlan("job queue", "q", steps=[Step(StepKind.DELETE_QUEUE, "q")])
        assert run_async(inventory.execute(plan))
        stub.assert_no_pending_responses()
    client.close()


def test_cancel_stops_between_calls(sandbox: Any, runner: Runner, run_async: Callable[..., Any]) -> None:
    batch = sandbox_batch(sandbox)
    admin = BatchAdminGateway(batch)
    inventory = bound_inventory(runner, batch, poll_interval_s=0.05)
    plan = run_async(inventory.plan_delete_job_queue("fargate-queue"))

    async def cancel_soon() -> None:
        task = asyncio.ensure_future(inventory.execute(plan))
        while plan.steps[0].state is not StepState.RUNNING:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run_async(cancel_soon())
    assert plan.steps[0].state is StepState.CANCELLED
    assert plan.steps[1].state is StepState.SKIPPED
    queue = admin.describe_job_queue("fargate-queue")
    assert queue is not None
    batch.close()


def test_sandbox_environment_delete_waits_for_each_step(
    sandbox: Any, runner: Runner, run_async: Callable[..., Any]
) -> None:
    batch = sandbox_batch(sandbox)
    admin = BatchAdminGateway(batch)
    inventory = bound_inventory(runner, batch, poll_interval_s=0.1)
    plan = run_async(inventory.plan_delete_compute_environment("ec2-ce"))
    assert [s.kind for s in plan.steps] == [
        StepKind.DISABLE_QUEUE,
        StepKind.DELETE_QUEUE,
        StepKind.DISABLE_ENVIRONMENT,
        StepKind.DELETE_ENVIRONMENT,
    ]
    details: list[str] = []
    assert run_async(inventory.execute(plan, lambda _i, s: details.append(s.detail)), timeout=60)
    assert "DISABLED / UPDATING" in details  # it waited through the transition
    assert admin.describe_compute_environment("ec2-ce") is None
    assert admin.describe_job_queue("ec2-queue") is None
    counts = run_async(inventory.job_counts(["fargate-queue"]))
    assert set(counts["fargate-queue"]) == set(JobStatus)
    batch.close()


def test_queues_already_going_are_waited_for_not_deleted_again(
    moto: MotoEndpoint, runner: Runner, run_async: Callable[..., Any]
) -> None:
    from batchgui.domain.batch import ComputeEnvironmentOrder, JobQueue

    ids = seed_batch(moto)
    client = moto.client("batch")
    inventory = bound_inventory(runner, client, poll_interval_s=0.05)
    going = JobQueue(
        "going",
        "arn:q/going",
        "DISABLED",
        "DELETING",
        1,
        compute_environments=(ComputeEnvironmentOrder(1, ids["ce"]),),
    )
    gone = JobQueue(
        "gone",
        "arn:q/gone",
        "DISABLED",
        "DELETED",
        1,
        compute_environments=(ComputeEnvironmentOrder(1, ids["ce"]),),
    )
    plan = run_async(inventory.plan_delete_compute_environment("demo-fargate", [going, gone]))
    assert [(s.kind, s.target) for s in plan.steps] == [
        (StepKind.WAIT_QUEUE_GONE, "going"),
        (StepKind.DISABLE_ENVIRONMENT, "demo-fargate"),
        (StepKind.DELETE_ENVIRONMENT, "demo-fargate"),
    ]
    assert "already being deleted" in plan.summary()
    moto.client("batch").update_job_queue(jobQueue="demo-queue", state="DISABLED")
    moto.client("batch").delete_job_queue(jobQueue="demo-queue")
    assert run_async(inventory.execute(plan))
