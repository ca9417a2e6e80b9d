from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from batchgui.aws.batch_admin import (
    BatchAdminGateway,
    OperationNotOffered,
    validate_register_job_definition,
)
from batchgui.aws.errors import translate
from batchgui.domain.batch import JobStatus
from batchgui.domain.definition_request import JobDefinitionRequest
from batchgui.domain.errors import InvalidInput
from batchgui.domain.inventory_requests import (
    FairsharePolicy,
    JobQueueRequest,
    JobQueueSettings,
    SchedulingPolicyRequest,
    SchedulingPolicyUpdate,
)
from batchgui.domain.scheduling import ShareAttribute
from tests.support import MotoEndpoint, seed_batch

pytestmark = pytest.mark.timeout(60)


def good_request() -> dict[str, Any]:
    return {
        "jobDefinitionName": "ok",
        "type": "container",
        "platformCapabilities": ["FARGATE"],
        "containerProperties": {
            "image": "busybox",
            "command": ["echo", "hi"],
            "resourceRequirements": [{"type": "VCPU", "value": "0.5"}, {"type": "MEMORY", "value": "1024"}],
            "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
        },
        "timeout": {"attemptDurationSeconds": 600},
        "retryStrategy": {"attempts": 2},
    }


def test_a_good_request_validates_clean() -> None:
    assert validate_register_job_definition(good_request()) == []


def test_shape_problems_carry_json_paths() -> None:
    request = good_request()
    request["containerProperties"]["image"] = 7
    request["containerProperties"]["comand"] = ["typo"]
    request["containerProperties"]["resourceRequirements"][0] = {"type": "VCPU"}
    request["timeout"] = {"attemptDurationSeconds": "ten"}
    request["type"] = "kontainer"
    del request["jobDefinitionName"]
    problems = {p.path: p.message for p in validate_register_job_definition(request)}
    assert "wrong type int" in problems["containerProperties.image"]
    assert problems["containerProperties.comand"].startswith("unknown field; valid fields: image")
    everything = [(p.path, p.message) for p in validate_register_job_definition(request)]
    assert ("containerProperties.resourceRequirements[0].value", "required field is missing") in everything
    assert "expected int" in problems["timeout.attemptDurationSeconds"]
    assert problems["jobDefinitionName"] == "required field is missing"
    assert any(path == "type" and "'kontainer' is not one of" in text for path, text in everything)


def test_limits_botocore_does_not_check() -> None:
    request = good_request()
    request["timeout"] = {"attemptDurationSeconds": 30}
    request["retryStrategy"] = {"attempts": 11}
    request["platformCapabilities"] = ["FARGATE", "MAINFRAME"]
    problems = {p.path: p.message for p in validate_register_job_definition(request)}
    assert problems["timeout.attemptDurationSeconds"] == "must be at least 60 seconds"
    assert problems["retryStrategy.attempts"] == "must be between 1 and 10"
    assert "MAINFRAME" in problems["platformCapabilities[1]"]


def test_environments_queues_and_definitions_on_moto(moto: MotoEndpoint) -> None:
    ids = seed_batch(moto)
    admin = BatchAdminGateway(moto.client("batch"))
    env = admin.describe_compute_environment("demo-fargate")
    assert env is not None
    assert env.state == "ENABLED"
    admin.set_compute_environment_state("demo-fargate", "DISABLED")
    env = admin.describe_compute_environment(ids["ce"])
    assert env is not None
    assert env.state == "DISABLED"
    admin.set_job_queue_state("demo-queue", "DISABLED")
    queue = admin.describe_job_queue("demo-queue")
    assert queue is not None
    assert queue.state == "DISABLED"
    admin.delete_job_queue("demo-queue")
    assert admin.describe_job_queue("demo-queue") is None
    admin.delete_compute_environment("demo-fargate")
    assert admin.describe_compute_environment("demo-fargate") is None

    registered = admin.register_job_definition(
        JobDefinitionRequest.from_api(good_request() | {"jobDefinitionName": "demo-definition"})
    )
    assert registered.revision == 2
    revisions = admin.job_definition_revisions("demo-definition")
    assert [d.revision for d in revisions] == [2, 1]
    admin.deregister_job_definition(registered.arn)
    assert [d.status for d in admin.job_definition_revisions("demo-definition")] == ["INACTIVE", "ACTIVE"]


def test_job_counts_by_status(moto: MotoEndpoint) -> None:
    ids = seed_batch(moto)
    batch = moto.client("batch")
    for n in range(3):
        batch.submit_job(jobName=f"j{n}", jobQueue=ids["queue"], jobDefinition=ids["definition"])
    admin = BatchAdminGateway(batch)
    assert admin.count_jobs("demo-queue", JobStatus.SUCCEEDED).count == 3
    assert admin.count_jobs("demo-queue", JobStatus.RUNNABLE).count == 0
    assert admin.count_jobs("demo-queue", JobStatus.SUCCEEDED).text() == "3"


def test_scheduling_policies_and_tags(moto: MotoEndpoint) -> None:
    ids = seed_batch(moto)
    admin = BatchAdminGateway(moto.client("batch"))
    fair = FairsharePolicy(3600, 10, (ShareAttribute("a*", 2.0),))
    arn = admin.create_scheduling_policy(SchedulingPolicyRequest("fair", fair, tags={"team": "x"}))
    [policy] = admin.list_scheduling_policies()
    assert (policy.name, policy.share_decay_s, policy.compute_reservation) == ("fair", 3600, 10)
    assert policy.shares[0].identifier == "a*"
    assert policy.tags == {"team": "x"}
    admin.update_scheduling_policy(SchedulingPolicyUpdate(arn, FairsharePolicy(share_decay_s=60)))
    assert admin.list_scheduling_policies()[0].share_decay_s == 60
    admin.delete_scheduling_policy(arn)
    assert admin.list_scheduling_policies() == []

    admin.set_tags(ids["queue"], {"a": "1", "b": "2"})
    admin.set_tags(ids["queue"], {"b": "3"})
    assert admin.list_tags(ids["queue"]) == {"b": "3"}


def test_snapshot_missing_from_moto_is_said_plainly(moto: MotoEndpoint) -> None:
    seed_batch(moto)
    admin = BatchAdminGateway(moto.client("batch"))
    with pytest.raises(OperationNotOffered) as caught:
        admin.job_queue_snapshot("demo-queue")
    assert "does not implement GetJobQueueSnapshot" in caught.value.message()


def test_sandbox_refuses_what_aws_refuses_and_offers_the_snapshot(sandbox: Any) -> None:
    import boto3

    batch = boto3.client(
        "batch",
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
    )
    admin = BatchAdminGateway(batch)
    with pytest.raises(ClientError) as caught:
        admin.delete_compute_environment("fargate-ce")
    error = translate(caught.value)
    assert isinstance(error, InvalidInput)
    assert "ENABLED" in error.detail
    with pytest.raises(ClientError, match="mix") as mixed:
        admin.create_job_queue(
            JobQueueRequest(
                "mixed", JobQueueSettings(priority=1, compute_environments=("fargate-ce", "ec2-ce"))
            )
        )
    assert "mix" in str(mixed.value)
    snapshot = admin.job_queue_snapshot("fargate-queue")
    assert snapshot.last_updated_at is not None
    batch.close()


def test_scheduling_policies_page_and_chunk_past_100(sandbox: Any) -> None:
    import boto3

    batch = boto3.client(
        "batch",
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
    )
    admin = BatchAdminGateway(batch)
    for n in range(105):
        admin.create_scheduling_policy(SchedulingPolicyRequest(f"p{n:03d}"))
    calls: list[str] = []
    batch.meta.events.register("before-send.batch.*", lambda request, **_: calls.append(request.url))
    policies = admin.list_scheduling_policies()
    assert len(policies) == 105
    assert sum("describeschedulingpolicies" in c for c in calls) == 2  # 100 ARNs per call
    assert sum("listschedulingpolicies" in c for c in calls) == 2  # two pages
    batch.close()
