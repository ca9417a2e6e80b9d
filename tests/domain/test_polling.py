"""The polling plan: which queues a monitoring tick reads, within the account's request budget."""

from __future__ import annotations

import itertools

import pytest

from batchgui.domain.polling import (
    FULL_READ_REQUESTS,
    PlanSettings,
    QueueActivity,
    QueueKind,
    full_read_cost,
    plan_poll,
)

SETTINGS = PlanSettings(interval_s=5, idle_after_s=60, idle_interval_s=30)
NOW = 10_000.0


def busy(name: str, jobs: int = 3, read_at: float = NOW - 5, viewed: bool = False) -> QueueActivity:
    return QueueActivity(name, jobs, changed_at=NOW - 5, checked_at=read_at, read_at=read_at, viewed=viewed)


def idle(name: str, checked_at: float) -> QueueActivity:
    return QueueActivity(name, 0, changed_at=None, checked_at=checked_at, read_at=NOW - 600)


def simulate(
    queues: list[QueueActivity], ticks: int, allowance: float
) -> tuple[list[int], dict[str, list[float]]]:
    """Run the plan tick after tick as the poller would (every read or probe marks the queue checked)."""
    state = {q.queue: q for q in queues}
    per_tick: list[int] = []
    reads: dict[str, list[float]] = {q.queue: [] for q in queues}
    for tick in range(ticks):
        now = NOW + tick * SETTINGS.interval_s
        plan = plan_poll(state.values(), now, SETTINGS, allowance)
        per_tick.append(plan.requests)
        for name in (*plan.full, *plan.probe):
            old = state[name]
            full = name in plan.full
            state[name] = QueueActivity(
                name,
                old.active_jobs,
                old.changed_at,
                checked_at=now,
                read_at=now if full else old.read_at,
                viewed=old.viewed,
            )
            reads[name].append(now)
    return per_tick, reads


def test_fifty_queues_five_busy_stay_within_the_budget_and_busy_queues_are_read_every_tick() -> None:
    queues = [busy(f"busy-{i}") for i in range(5)]
    # Idle queues checked at spread-out times, as the poller leaves them after its first round.
    queues += [idle(f"idle-{i}", NOW - (i % 6) * 5) for i in range(45)]
    allowance = 10 * 5 * 0.8
    per_tick, reads = simulate(queues, ticks=24, allowance=allowance)
    assert max(per_tick) <= allowance
    assert sum(per_tick) / (24 * 5) <= 8  # requests/s, all 50 queues
    for i in range(5):
        assert len(reads[f"busy-{i}"]) == 24  # every tick: a change shows within one interval
    for i in range(45):
        times = reads[f"idle-{i}"]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert times
        assert max(gaps, default=0) <= SETTINGS.idle_interval_s + SETTINGS.interval_s


def test_an_idle_queue_is_probed_once_its_idle_interval_has_passed_and_not_before() -> None:
    plan = plan_poll([idle("old", NOW - 31), idle("fresh", NOW - 10)], NOW, SETTINGS, 50)
    assert plan.probe == ("old",)
    assert plan.full == ()
    assert plan.requests == 1
    assert plan.kinds == {"old": QueueKind.IDLE, "fresh": QueueKind.IDLE}


def test_the_viewed_queue_is_read_every_tick_even_when_idle_and_first() -> None:
    viewed = QueueActivity("shown", 0, None, NOW - 1, NOW - 1, viewed=True)
    others = [busy(f"b{i}", read_at=NOW - 100) for i in range(3)]
    plan = plan_poll([*others, viewed], NOW, SETTINGS, FULL_READ_REQUESTS)
    assert plan.full == ("shown",)
    assert set(plan.waiting) == {"b0", "b1", "b2"}
    assert plan.kinds["shown"] is QueueKind.VIEWED


def test_a_recent_change_keeps_a_queue_busy_until_it_has_been_quiet_for_the_idle_time() -> None:
    recent = QueueActivity("q", 0, changed_at=NOW - 30, checked_at=NOW - 5, read_at=NOW - 5)
    quiet = QueueActivity("q", 0, changed_at=NOW - 61, checked_at=NOW - 5, read_at=NOW - 5)
    assert plan_poll([recent], NOW, SETTINGS, 50).full == ("q",)
    assert plan_poll([quiet], NOW, SETTINGS, 50).full == ()


def test_busy_queues_beyond_the_allowance_take_turns_so_none_starves() -> None:
    queues = [busy(f"b{i}", read_at=NOW - 5) for i in range(10)]  # 60 requests, allowance 20
    per_tick, reads = simulate(queues, ticks=8, allowance=20)
    assert max(per_tick) <= 20
    counts = [len(times) for times in reads.values()]
    assert min(counts) >= 2
    assert max(counts) - min(counts) <= 1  # three a tick, in turn


def test_queues_never_read_are_read_fully_longest_waiting_first_and_at_least_one_per_tick() -> None:
    new = [QueueActivity(f"n{i}") for i in range(4)]
    plan = plan_poll(new, NOW, SETTINGS, 1)  # less than one full read
    assert plan.full == ("n0",)
    assert plan.kinds["n0"] is QueueKind.NEW
    assert plan.waiting == ("n1", "n2", "n3")


def test_a_throttled_budget_shrinks_the_tick() -> None:
    queues = [busy(f"b{i}") for i in range(5)]
    assert len(plan_poll(queues, NOW, SETTINGS, 40).full) == 5
    assert len(plan_poll(queues, NOW, SETTINGS, 14).full) == 2


def test_a_big_queue_costs_a_page_per_thousand_jobs_and_probes_are_spread() -> None:
    assert full_read_cost(0) == FULL_READ_REQUESTS
    assert full_read_cost(2500) == FULL_READ_REQUESTS + 2
    due = [idle(f"i{i}", NOW - 100) for i in range(60)]
    plan = plan_poll(due, NOW, SETTINGS, 100)
    assert len(plan.probe) == 10  # 60 idle queues over a 30 s idle interval at 5 s ticks
    assert len(plan.waiting) == 50


def test_an_allowance_of_nothing_still_makes_progress() -> None:
    plan = plan_poll([idle("i", NOW - 100)], NOW, SETTINGS, 0)
    assert plan.probe == ("i",)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_bad_plan_settings_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        PlanSettings(interval_s=bad)
