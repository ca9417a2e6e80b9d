"""The inventory's typed requests: what `to_api()` sends, and the rules checked before sending."""

from __future__ import annotations

import json

from batchgui.domain.batch import ComputeEnvironment
from batchgui.domain.definition_request import DefinitionFields, JobDefinitionRequest
from batchgui.domain.inventory_requests import (
    ComputeEnvironmentEdit,
    ComputeEnvironmentRequest,
    ComputeEnvironmentUpdate,
    FairsharePolicy,
    JobQueueRequest,
    JobQueueSettings,
    JobQueueUpdate,
    SchedulingPolicyRequest,
    SchedulingPolicyUpdate,
    StuckJobAction,
    is_instance_type_name,
    parse_shares,
    queue_environment_problems,
    split_ids,
)
from batchgui.domain.names import NAME_RULE_TEXT, name_problems
from batchgui.domain.problems import Problem, choice_problems
from batchgui.domain.scheduling import SchedulingPolicy, ShareAttribute


def env(name: str, platform: str | None) -> ComputeEnvironment:
    resources = {"type": platform, "maxvCpus": 8, "subnets": ["subnet-1"]} if platform else {}
    return ComputeEnvironment.from_api(
        {
            "computeEnvironmentName": name,
            "computeEnvironmentArn": f"arn:ce/{name}",
            "type": "MANAGED" if platform else "UNMANAGED",
            "state": "ENABLED",
            "status": "VALID",
            "computeResources": resources,
        }
    )


def test_fargate_environment_request_to_api() -> None:
    request = ComputeEnvironmentRequest(
        name="fg",
        platform="FARGATE",
        max_vcpus=16,
        subnets=("subnet-1",),
        security_group_ids=("sg-1",),
        tags={"team": "a"},
    )
    assert request.to_api() == {
        "computeEnvironmentName": "fg",
        "type": "MANAGED",
        "state": "ENABLED",
        "computeResources": {
            "type": "FARGATE",
            "maxvCpus": 16,
            "subnets": ["subnet-1"],
            "securityGroupIds": ["sg-1"],
        },
        "tags": {"team": "a"},
    }
    assert request.problems() == []
    # The EC2 fields are not sent for Fargate, whatever they hold.
    assert (
        "instanceTypes"
        not in ComputeEnvironmentRequest("fg", "FARGATE", 4, instance_types=("m5",)).to_api()[
            "computeResources"
        ]
    )


def test_spot_environment_request_to_api_and_its_rules() -> None:
    request = ComputeEnvironmentRequest(
        name="spot",
        platform="SPOT",
        max_vcpus=64,
        subnets=("subnet-1",),
        enabled=False,
        service_role="arn:aws:iam::1:role/batch",
        instance_types=("optimal", "c6i", "m5.large"),
        min_vcpus=0,
        desired_vcpus=4,
        instance_role="ecsInstanceRole",
        allocation_strategy="SPOT_PRICE_CAPACITY_OPTIMIZED",
        bid_percentage=60,
    )
    assert request.to_api() == {
        "computeEnvironmentName": "spot",
        "type": "MANAGED",
        "state": "DISABLED",
        "serviceRole": "arn:aws:iam::1:role/batch",
        "computeResources": {
            "type": "SPOT",
            "maxvCpus": 64,
            "subnets": ["subnet-1"],
            "securityGroupIds": [],
            "instanceTypes": ["optimal", "c6i", "m5.large"],
            "minvCpus": 0,
            "desiredvCpus": 4,
            "instanceRole": "ecsInstanceRole",
            "allocationStrategy": "SPOT_PRICE_CAPACITY_OPTIMIZED",
            "bidPercentage": 60,
        },
    }
    assert request.problems() == []
    bad = ComputeEnvironmentRequest("bad name!", "GPU", 4)
    assert [(p.path, p.message) for p in bad.problems()] == [
        ("computeEnvironmentName", NAME_RULE_TEXT),
        ("computeResources.type", "must be one of FARGATE, FARGATE_SPOT, EC2, SPOT"),
    ]


def test_names_are_fullmatched() -> None:
    # A `$` anchor would let a trailing newline through.
    assert ComputeEnvironmentRequest("ok\n", "FARGATE", 1, ("s",), ("g",)).problems()[0].path == (
        "computeEnvironmentName"
    )
    assert JobQueueRequest("-leading").problems({})[0].path == "jobQueueName"
    assert [str(p) for p in SchedulingPolicyRequest("x" * 129).problems()] == [f"name: {NAME_RULE_TEXT}"]


def test_name_problems_say_the_rule_at_the_path() -> None:
    assert name_problems("jobQueueName", "queue-1") == []
    assert name_problems("jobQueueName", "-queue") == [Problem("jobQueueName", NAME_RULE_TEXT)]
    assert name_problems("jobName", "x" * 129, job=True) == [Problem("jobName", NAME_RULE_TEXT)]


def test_choice_problems_name_the_choices() -> None:
    from batchgui.domain.consumables import ConsumableResourceUpdate
    from batchgui.domain.training import ShareSettings

    assert choice_problems("operation", "SET", ("SET", "ADD")) == []
    wrong = choice_problems("operation", "PUT", ("SET", "ADD"))
    assert wrong == [Problem("operation", "must be one of SET, ADD")]
    assert ConsumableResourceUpdate("r", "PUT", 1).problems() == [
        Problem("operation", "must be one of SET, ADD, REMOVE")
    ]
    (strategy,) = ShareSettings((), strategy="SHARE").problems()[1:]
    assert strategy == Problem(
        "resourceSharingConfiguration.strategy", "must be one of RESERVE, LEND, LEND_AND_BORROW"
    )


def test_instance_type_names() -> None:
    for good in ("optimal", "default_x86_64", "default_arm64", "c6i", "m5.large", "g4dn.xlarge"):
        assert is_instance_type_name(good), good
    for bad in ("M5.large", "NOT OK", "m5.", "m5.large\n", ""):
        assert not is_instance_type_name(bad), bad
    assert split_ids("a, b\nc,,") == ["a", "b", "c"]


def test_environment_update_sends_only_what_changed() -> None:
    current = ComputeEnvironment.from_api(
        {
            "computeEnvironmentName": "ec2",
            "computeEnvironmentArn": "arn:ce/ec2",
            "type": "MANAGED",
            "state": "ENABLED",
            "status": "VALID",
            "serviceRole": "arn:role/old",
            "computeResources": {
                "type": "EC2",
                "minvCpus": 0,
                "desiredvCpus": 0,
                "maxvCpus": 8,
                "instanceTypes": ["optimal"],
                "subnets": ["subnet-1", "subnet-2"],
                "securityGroupIds": ["sg-1"],
            },
        }
    )
    same = ComputeEnvironmentEdit(
        enabled=True,
        max_vcpus=8,
        instance_types=("optimal",),
        subnets=("subnet-2", "subnet-1"),  # another order is the same set
        security_group_ids=("sg-1",),
    )
    assert same.update_for(current).to_api() == {"computeEnvironment": "ec2"}
    assert same.problems(current) == ["Nothing changed."]
    changed = ComputeEnvironmentEdit(
        enabled=False,
        max_vcpus=32,
        min_vcpus=2,
        desired_vcpus=1,
        instance_types=("m5", "NOT OK"),
        subnets=(),
        security_group_ids=("sg-1",),
        service_role="arn:role/new",
    )
    assert changed.update_for(current) == ComputeEnvironmentUpdate(
        "ec2",
        state="DISABLED",
        max_vcpus=32,
        min_vcpus=2,
        desired_vcpus=1,
        instance_types=("m5", "NOT OK"),
        subnets=(),
        service_role="arn:role/new",
    )
    assert changed.update_for(current).to_api() == {
        "computeEnvironment": "ec2",
        "state": "DISABLED",
        "computeResources": {
            "maxvCpus": 32,
            "minvCpus": 2,
            "desiredvCpus": 1,
            "instanceTypes": ["m5", "NOT OK"],
            "subnets": [],
        },
        "serviceRole": "arn:role/new",
    }
    texts = [str(p) for p in changed.problems(current)]
    assert "computeResources: need min ≤ desired ≤ max vCPUs" in texts
    assert "computeResources.instanceTypes[1]: 'NOT OK' is not an instance type" in texts
    assert "computeResources.subnets: keep at least one subnet" in texts


def test_one_platform_per_queue() -> None:
    fargate, spot, ec2, unmanaged = (
        env("fg", "FARGATE"),
        env("fg-spot", "FARGATE_SPOT"),
        env("ec2", "EC2"),
        env("own", None),
    )
    assert queue_environment_problems([fargate, spot]) == []
    assert queue_environment_problems([ec2, unmanaged]) == []  # unmanaged environments run EC2 jobs
    [mixed] = queue_environment_problems([fargate, ec2, spot])
    assert mixed.path == "computeEnvironmentOrder"
    assert "does not allow mixing Fargate (fg, fg-spot) and EC2 (ec2)" in mixed.message
    messages = [p.message for p in queue_environment_problems([])]
    assert messages == ["add at least one compute environment"]
    messages = [p.message for p in queue_environment_problems([ec2, ec2, unmanaged, env("x", "SPOT")])]
    assert messages == ["at most 3 compute environments per queue", "an environment is listed twice"]


def test_queue_requests_to_api() -> None:
    settings = JobQueueSettings(
        priority=5,
        compute_environments=("arn:ce/a", "arn:ce/b"),
        scheduling_policy_arn="arn:sp/fair",
        stuck_job_actions=(StuckJobAction("CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", 1800, "TERMINATE"),),
    )
    order = [{"order": 1, "computeEnvironment": "arn:ce/a"}, {"order": 2, "computeEnvironment": "arn:ce/b"}]
    action = {
        "reason": "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
        "state": "RUNNABLE",
        "maxTimeSeconds": 1800,
        "action": "TERMINATE",
    }
    assert JobQueueRequest("q", settings, tags={"t": "1"}).to_api() == {
        "jobQueueName": "q",
        "priority": 5,
        "state": "ENABLED",
        "computeEnvironmentOrder": order,
        "schedulingPolicyArn": "arn:sp/fair",
        "jobStateTimeLimitActions": [action],
        "tags": {"t": "1"},
    }
    assert StuckJobAction.from_api(action) == settings.stuck_job_actions[0]
    assert (
        StuckJobAction.from_api(action).describe()
        == "TERMINATE after 1800 s (INSUFFICIENT_INSTANCE_CAPACITY)"
    )
    # An update replaces the actions: none given removes them.
    update = JobQueueUpdate(
        "q", JobQueueSettings(priority=1, enabled=False, compute_environments=("arn:ce/a",))
    )
    assert update.to_api() == {
        "jobQueue": "q",
        "priority": 1,
        "state": "DISABLED",
        "computeEnvironmentOrder": order[:1],
        "jobStateTimeLimitActions": [],
    }
    known = {"arn:ce/a": env("a", "FARGATE")}
    assert [str(p) for p in update.problems(known)] == []
    assert [str(p) for p in JobQueueRequest("q", settings).problems(known)] == [
        "computeEnvironmentOrder: arn:ce/b no longer exists"
    ]


def test_scheduling_policy_requests_round_trip() -> None:
    shares, problems = parse_shares([("team-a*", "0.5"), ("team-b", ""), ("team-c", "heavy")])
    assert shares == (ShareAttribute("team-a*", 0.5), ShareAttribute("team-b", 1.0))
    assert problems == ["Weight of 'team-c' must be a number ('heavy' given)."]
    fair = FairsharePolicy(3600, 10, shares)
    sent = SchedulingPolicyRequest("fair", fair).to_api()
    assert sent == {
        "name": "fair",
        "fairsharePolicy": {
            "shareDecaySeconds": 3600,
            "computeReservation": 10,
            "shareDistribution": [
                {"shareIdentifier": "team-a*", "weightFactor": 0.5},
                {"shareIdentifier": "team-b", "weightFactor": 1.0},
            ],
        },
    }
    # What AWS answers describes the same policy.
    back = SchedulingPolicy.from_api(sent | {"arn": "arn:sp/fair"})
    assert FairsharePolicy(back.share_decay_s, back.compute_reservation, back.shares) == fair
    assert SchedulingPolicyUpdate("arn:sp/fair", FairsharePolicy()).to_api() == {
        "arn": "arn:sp/fair",
        "fairsharePolicy": {"shareDistribution": []},
    }
    assert SchedulingPolicyRequest("fair", FairsharePolicy(700_000)).problems()


def test_job_definition_json_round_trips_every_field() -> None:
    body = {
        "jobDefinitionName": "d",
        "type": "container",
        "platformCapabilities": ["EC2"],
        "parameters": {"kept": "yes"},
        "retryStrategy": {"attempts": 3, "evaluateOnExit": [{"onExitCode": "1", "action": "RETRY"}]},
        "containerProperties": {"image": "busybox", "linuxParameters": {"sharedMemorySize": 64}},
        "propagateTags": True,
    }
    request, problems = JobDefinitionRequest.from_json(json.dumps(body))
    assert problems == []
    assert request is not None
    assert request.to_api() == body
    assert JobDefinitionRequest.from_api(body).to_api() == body
    # Through the form's fields and back: the fields the form does not show are kept.
    again, problems = request.with_fields(request.fields())
    assert problems == []
    sent = again.to_api()
    assert sent["parameters"] == {"kept": "yes"}
    assert sent["retryStrategy"]["evaluateOnExit"] == body["retryStrategy"]["evaluateOnExit"]  # type: ignore[index]
    assert sent["containerProperties"]["linuxParameters"] == {"sharedMemorySize": 64}


def test_job_definition_form_fields() -> None:
    fields = DefinitionFields(
        name=" formed ",
        fargate=False,
        image="busybox",
        command="sh -c 'echo hi'",
        vcpus=2,
        memory_mib=4096,
        gpus=1,
        timeout_s=120,
        attempts=2,
        log_driver="awslogs",
        environment="A=1\n\nB = two",
    )
    request, problems = JobDefinitionRequest().with_fields(fields)
    assert problems == []
    assert request.to_api() == {
        "jobDefinitionName": "formed",
        "type": "container",
        "platformCapabilities": ["EC2"],
        "containerProperties": {
            "image": "busybox",
            "command": ["sh", "-c", "echo hi"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "2"},
                {"type": "MEMORY", "value": "4096"},
                {"type": "GPU", "value": "1"},
            ],
            "logConfiguration": {"logDriver": "awslogs"},
            "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "two"}],
        },
        "timeout": {"attemptDurationSeconds": 120},
        "retryStrategy": {"attempts": 2},
    }
    shown = request.fields()
    assert (shown.name, shown.command, shown.vcpus, shown.memory_mib, shown.gpus) == (
        "formed",
        "sh -c 'echo hi'",
        2.0,
        4096,
        1,
    )
    _request, problems = JobDefinitionRequest().with_fields(
        DefinitionFields(command="echo 'x", environment="=1")
    )
    assert [p.path for p in problems] == ["containerProperties.command", "containerProperties.environment"]


def test_job_definition_json_errors_say_where() -> None:
    request, problems = JobDefinitionRequest.from_json('{\n  "image": "busybox"\n  "command": ["echo"]\n}')
    assert request is None
    assert (problems[0].path, problems[0].message) == ("@line:2:21", "Line 2: expected ',' after this value")
    assert JobDefinitionRequest.from_json("[1]")[1][0].message == "the request must be a JSON object ({ … })"


def test_environment_lines_skip_blanks_strip_and_say_which_line_is_not_name_value() -> None:
    from batchgui.domain.definition_request import parse_environment

    pairs, problems = parse_environment(" A = 1 \n\nB=\n=x\nplain\nC=a=b")
    assert pairs == [("A", "1"), ("B", ""), ("C", "a=b")]
    assert [p.message for p in problems] == [
        "line 4: write it as NAME=value",
        "line 5: write it as NAME=value",
    ]


def test_consumable_requirements_round_trip_and_bad_lines_say_which() -> None:
    from batchgui.domain.definition_request import parse_consumables

    request, problems = JobDefinitionRequest().with_fields(
        DefinitionFields(
            name="d", image="busybox", consumables="licence = 2\n\narn:aws:batch:r:1:consumable-resource/x=1"
        )
    )
    assert problems == []
    assert request.to_api()["consumableResourceProperties"] == {
        "consumableResourceList": [
            {"consumableResource": "licence", "quantity": 2},
            {"consumableResource": "arn:aws:batch:r:1:consumable-resource/x", "quantity": 1},
        ]
    }
    assert request.fields().consumables == "licence=2\narn:aws:batch:r:1:consumable-resource/x=1"
    # Emptied in the form: the property is dropped, not sent empty.
    cleared, _ = request.with_fields(DefinitionFields(name="d", image="busybox"))
    assert "consumableResourceProperties" not in cleared.to_api()
    _wanted, bad = parse_consumables("licence\nlicence=1\nlicence=3\ngpu=-1\ngpu=1.5")
    assert [p.message for p in bad] == [
        "line 1: write it as resource=quantity, e.g. licence=1",
        "line 3: licence is named twice",
        "line 4: the quantity of gpu must be a whole number ≥ 1",
        "line 5: the quantity of gpu must be a whole number ≥ 1",
    ]
