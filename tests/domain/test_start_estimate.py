"""The estimated start of a RUNNABLE job, against figures worked out by hand."""

from __future__ import annotations

from batchgui.domain.start_estimate import (
    Load,
    RunTimes,
    estimate_start,
    format_wait,
    run_times,
)

NOW = 1_000_000_000  # ms
HISTORY = run_times([("d", 0, 90_000), ("d", 0, 100_000), ("d", 0, 110_000)])  # median 100 s


def test_a_job_ahead_takes_the_first_freed_room_and_the_job_the_second() -> None:
    # 4 vCPUs, all in use: A (2 vCPU) started 60 s ago ends in 40 s, B (2) started 10 s ago ends in
    # 90 s. C (2, ahead) starts at 40 s when A ends; the job (2) starts at 90 s when B ends.
    running = [Load(2, "d", NOW - 60_000), Load(2, "d", NOW - 10_000)]
    found = estimate_start(2, "d", 4, running, [Load(2, "d")], HISTORY, NOW)
    assert found.seconds == 90
    assert "1 job ahead, 2 jobs running (4 of 4 vCPUs)" in found.basis
    assert "median run time of 3 finished jobs (few: a rough guess)" in found.basis
    assert found.text.startswith("in about 2 min (estimate: ")


def test_a_job_ahead_that_needs_both_slots_waits_for_both_and_the_job_after_it() -> None:
    # C needs 4: it starts when B ends (90 s) and runs 100 s; the job (2) starts at 190 s.
    running = [Load(2, "d", NOW - 60_000), Load(2, "d", NOW - 10_000)]
    found = estimate_start(2, "d", 4, running, [Load(4, "d")], HISTORY, NOW)
    assert found.seconds == 190


def test_room_now_and_nothing_ahead_is_now() -> None:
    found = estimate_start(1, "d", 4, [Load(2, "d", NOW)], [], HISTORY, NOW)
    assert found.seconds == 0
    assert found.text.startswith("in under a minute (estimate: ")


def test_the_definitions_own_run_time_is_used_before_the_queues() -> None:
    history = run_times([("long", 0, 600_000), ("short", 0, 10_000), ("short", 0, 10_000)])
    assert history.expected("long") == 600
    assert history.expected("unknown") == 10  # the queue's median of 600, 10, 10
    found = estimate_start(2, "short", 2, [Load(2, "long", NOW)], [], history, NOW)
    assert found.seconds == 600
    assert format_wait(600) == "10 min"


def test_a_job_running_longer_than_expected_is_taken_to_end_now() -> None:
    found = estimate_start(2, "d", 2, [Load(2, "d", NOW - 500_000)], [], HISTORY, NOW)
    assert found.seconds == 0


def test_what_cannot_be_said_says_why() -> None:
    too_big = estimate_start(8, "d", 4, [], [], HISTORY, NOW)
    assert too_big.seconds is None
    assert "more than the 4" in too_big.basis
    no_history = estimate_start(2, "d", 2, [Load(2, "d", NOW)], [], RunTimes({}), NOW)
    assert no_history.seconds is None
    assert "no finished job" in no_history.text
    no_capacity = estimate_start(2, "d", 0, [], [], HISTORY, NOW)
    assert no_capacity.seconds is None


def test_format_wait() -> None:
    assert format_wait(30) == "under a minute"
    assert format_wait(3600 + 300) == "1 h 5 min"
    assert format_wait(7200) == "2 h"
    assert format_wait(4 * 86400) == "4 days"
