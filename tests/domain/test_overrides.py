"""Overrides written onto a SubmitJob request in one place: a new request and a resubmission's edits."""

from __future__ import annotations

from typing import Any

from batchgui.domain.csv_plan import Overrides, RetryChanges, apply_changes, merge_overrides, parse_pairs


def test_pairs_are_read_from_commas_or_lines_and_an_empty_value_is_kept() -> None:
    assert parse_pairs("A=1, B = 2\nC=\n=skipped, no-equals") == {"A": "1", "B": "2", "C": ""}


def test_merging_keeps_what_the_request_had_and_writes_the_overrides_over_it() -> None:
    request: dict[str, Any] = {
        "jobName": "j",
        "containerOverrides": {
            "environment": [{"name": "KEEP", "value": "1"}, {"name": "CHANGE", "value": "old"}],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
        },
        "tags": {"team": "data"},
    }
    merge_overrides(
        request,
        Overrides(environment={"CHANGE": "new"}, memory_mib=4096, retries=3, timeout_s=600, tags={"x": "y"}),
    )
    container = request["containerOverrides"]
    assert container["environment"] == [{"name": "KEEP", "value": "1"}, {"name": "CHANGE", "value": "new"}]
    assert container["resourceRequirements"] == [
        {"type": "VCPU", "value": "1"},
        {"type": "MEMORY", "value": "4096"},
    ]
    assert request["retryStrategy"] == {"attempts": 3}
    assert request["timeout"] == {"attemptDurationSeconds": 600}
    assert request["tags"] == {"team": "data", "x": "y"}


def test_a_resubmission_changes_a_copy_and_no_overrides_leave_the_container_alone() -> None:
    original: dict[str, Any] = {
        "jobDefinition": "d:1",
        "containerOverrides": {"environment": []},
        "parameters": {"a": "1"},
    }
    changed = apply_changes(original, RetryChanges({"a": ""}, None, "d:2"))
    assert changed == {"jobDefinition": "d:2", "containerOverrides": {"environment": []}}
    assert original["jobDefinition"] == "d:1"
