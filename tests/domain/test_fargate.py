from __future__ import annotations

from typing import Any

import pytest

from batchgui.domain.fargate import (
    VALID_MEMORY_MIB,
    fargate_definition_problems,
    fargate_problems,
    nearest_valid_memory,
)


@pytest.mark.parametrize(
    ("vcpus", "memory"),
    [
        (0.25, 512),
        (0.25, 2048),
        (0.5, 4096),
        (1, 2048),
        (1, 8192),
        (2, 16384),
        (4, 30720),
        (8, 61440),
        (16, 122880),
    ],
)
def test_valid_combinations_have_no_problems(vcpus: float, memory: int) -> None:
    assert fargate_problems(vcpus, memory) == []


def test_every_listed_combination_is_valid() -> None:
    for vcpus, sizes in VALID_MEMORY_MIB.items():
        for size in sizes:
            assert fargate_problems(vcpus, size) == []


@pytest.mark.parametrize(
    ("vcpus", "memory", "words"),
    [
        (0.25, 4096, "With 0.25 vCPU"),
        (1, 1024, "2048-8192 MiB in steps of 1024"),
        (8, 17000, "16384-61440 MiB in steps of 4096"),
        (3, 8192, "must be one of 0.25, 0.5, 1, 2, 4, 8, 16"),
        (32, 8192, "at most 16 vCPU"),
        (16, 130000, "120 GiB"),
    ],
)
def test_invalid_combinations_say_why(vcpus: float, memory: int, words: str) -> None:
    problems = fargate_problems(vcpus, memory)
    assert problems
    assert any(words in p for p in problems), problems


def test_nearest_valid_memory() -> None:
    assert nearest_valid_memory(1, 3000) == 3072
    assert nearest_valid_memory(1, 9000) is None
    assert nearest_valid_memory(3, 1024) is None


def fargate_request(**container: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "image": "busybox",
        "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
        "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
    }
    base.update(container)
    return {
        "jobDefinitionName": "d",
        "type": "container",
        "platformCapabilities": ["FARGATE"],
        "containerProperties": base,
    }


def test_a_good_fargate_definition_passes() -> None:
    assert fargate_definition_problems(fargate_request()) == []


def test_ec2_definitions_are_not_checked_against_fargate_rules() -> None:
    request = fargate_request(executionRoleArn=None)
    request["platformCapabilities"] = ["EC2"]
    assert fargate_definition_problems(request) == []


def test_fargate_definition_problems_name_their_paths() -> None:
    request = fargate_request(
        resourceRequirements=[
            {"type": "VCPU", "value": "1"},
            {"type": "MEMORY", "value": "512"},
            {"type": "GPU", "value": "1"},
        ],
        executionRoleArn="",
        networkConfiguration={"assignPublicIp": "YES"},
        privileged=True,
    )
    paths = {p.path: p.message for p in fargate_definition_problems(request)}
    assert "GPU" in paths["containerProperties.resourceRequirements[2]"]
    assert "2048-8192" in paths["containerProperties.resourceRequirements[0]"]
    assert "execution role" in paths["containerProperties.executionRoleArn"]
    assert paths["containerProperties.networkConfiguration.assignPublicIp"] == "must be ENABLED or DISABLED"
    assert "containerProperties.privileged" in paths


def test_missing_and_malformed_requirements() -> None:
    request = fargate_request(resourceRequirements=[{"type": "VCPU", "value": "lots"}], vcpus=1)
    messages = [str(p) for p in fargate_definition_problems(request)]
    assert any("VCPU must be a number" in m for m in messages)
    assert any("MEMORY requirement is required" in m for m in messages)
    assert any("use resourceRequirements" in m for m in messages)
    assert fargate_definition_problems({"platformCapabilities": ["FARGATE"]})[0].path == "containerProperties"
