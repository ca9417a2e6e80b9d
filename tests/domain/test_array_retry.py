from __future__ import annotations

import pytest

from batchgui.domain.array_retry import (
    ORIGINAL_INDICES_VAR,
    RETRIED_BY_TAG,
    RETRY_OF_TAG,
    can_retry_children,
    decode_indices,
    encode_indices,
    failed_indices,
    original_index,
    plan_child_retry,
    retried_by_value,
    retry_name,
)
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.job_requests import ContainerOverrides, SubmitJobRequest


def parent(
    size: int = 50, environment: dict[str, str] | None = None, tags: dict[str, str] | None = None
) -> JobDetail:
    env = [{"name": k, "value": v} for k, v in (environment or {"MODE": "fast"}).items()]
    return JobDetail.from_api(
        {
            "jobId": "p-1",
            "jobName": "nightly",
            "jobArn": "arn:aws:batch:us-east-1:123456789012:job/p-1",
            "jobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/q",
            "jobDefinition": "arn:aws:batch:us-east-1:123456789012:job-definition/d:3",
            "status": "FAILED",
            "arrayProperties": {"size": size, "statusSummary": {"FAILED": 3, "SUCCEEDED": size - 3}},
            "container": {"command": ["run.sh"], "environment": env},
            "tags": tags or {"team": "data"},
        }
    )


def child(index: int, status: JobStatus) -> JobSummary:
    return JobSummary(f"p-1:{index}", "nightly", status, array_index=index, array_size=50)


def test_indices_round_trip_as_ranges() -> None:
    assert encode_indices([14, 3, 12, 13, 7, 7]) == "3,7,12-14"
    assert decode_indices("3,7,12-14") == [3, 7, 12, 13, 14]
    assert encode_indices(range(10_000)) == "0-9999"
    alternate = list(range(0, 10_000, 2))
    assert decode_indices(encode_indices(alternate)) == alternate
    with pytest.raises(ValueError, match="range"):
        decode_indices("5-2")


def test_original_index_maps_the_new_childs_position() -> None:
    env = {ORIGINAL_INDICES_VAR: "3,7,12-14", "AWS_BATCH_JOB_ARRAY_INDEX": "3"}
    assert original_index(env) == 13
    assert original_index({ORIGINAL_INDICES_VAR: "7"}) == 7  # one failed child: a single job
    assert original_index({"AWS_BATCH_JOB_ARRAY_INDEX": "4"}) == 4  # not a retry
    with pytest.raises(ValueError, match="beyond"):
        original_index({ORIGINAL_INDICES_VAR: "1,2", "AWS_BATCH_JOB_ARRAY_INDEX": "2"})


def test_plan_covers_only_the_failed_indices_with_the_edits() -> None:
    children = [child(i, JobStatus.FAILED if i in (4, 9, 10) else JobStatus.SUCCEEDED) for i in range(50)]
    failed = failed_indices(children)
    assert failed == [4, 9, 10]
    edited = SubmitJobRequest(overrides=ContainerOverrides(command=("fixed.sh",), vcpus="2"), timeout_s=600)
    plan = plan_child_retry(parent(), failed, edited)
    api = plan.request.to_api()
    assert api["arrayProperties"] == {"size": 3}
    assert api["containerOverrides"]["command"] == ["fixed.sh"]
    assert {"type": "VCPU", "value": "2"} in api["containerOverrides"]["resourceRequirements"]
    assert {"name": ORIGINAL_INDICES_VAR, "value": "4,9-10"} in api["containerOverrides"]["environment"]
    assert {"name": "MODE", "value": "fast"} in api["containerOverrides"]["environment"]
    assert api["tags"] == {"team": "data", RETRY_OF_TAG: "p-1"}
    assert api["timeout"] == {"attemptDurationSeconds": 600}
    assert api["jobName"] == "nightly-retry"
    assert plan.indices == (4, 9, 10)


def test_one_failed_child_becomes_a_single_job() -> None:
    plan = plan_child_retry(parent(), [17])
    api = plan.request.to_api()
    assert "arrayProperties" not in api
    assert {"name": ORIGINAL_INDICES_VAR, "value": "17"} in api["containerOverrides"]["environment"]
    assert not plan.is_array


def test_a_retry_of_a_retry_names_the_first_arrays_indices() -> None:
    first_retry = parent(3, {ORIGINAL_INDICES_VAR: "4,9-10", "AWS_BATCH_JOB_ID": "x"}, {RETRY_OF_TAG: "p-0"})
    plan = plan_child_retry(first_retry, [1, 2])
    environment = dict(plan.request.overrides.environment)
    assert environment[ORIGINAL_INDICES_VAR] == "9-10"
    assert "AWS_BATCH_JOB_ID" not in environment  # AWS refuses AWS_BATCH_ variables in overrides
    assert plan.request.tags[RETRY_OF_TAG] == "p-1"
    assert plan.request.job_name == "nightly-retry"


def test_bad_plans_are_refused_in_words() -> None:
    with pytest.raises(ValueError, match="no failed children"):
        plan_child_retry(parent(), [])
    with pytest.raises(ValueError, match="outside the array"):
        plan_child_retry(parent(5), [7])


def test_retryable_and_tag_values() -> None:
    assert can_retry_children(parent())
    assert not can_retry_children(child(3, JobStatus.FAILED))
    assert retry_name("x" * 128) == "x" * 122 + "-retry"
    value = retried_by_value("", "a" * 36)
    for n in range(10):
        value = retried_by_value(value, f"{n}" * 36)
    assert len(value) <= 256
    assert value.split()[-1] == "9" * 36
    assert RETRIED_BY_TAG not in plan_child_retry(parent(tags={RETRIED_BY_TAG: "old"}), [1]).request.tags
