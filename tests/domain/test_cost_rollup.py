"""Costs added up per array, submission, queue, share and day, and the Monitor's rate, by hand.

Prices: the shipped snapshot's us-east-1 figures — Fargate $0.04048 per vCPU-hour and $0.004445 per
GB-hour; m5.large $0.096 an hour (2 vCPU, 8 GiB)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from batchgui import resources
from batchgui.domain.cost_rollup import (
    ARRAY,
    QUEUE,
    SHARE,
    SUBMISSION,
    PricedRun,
    by_day,
    rate_series,
    rollup,
    split_by_day,
)
from batchgui.domain.pricing import CostEstimate, PriceBook


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def run(job: str, cost: tuple[float, float], start: str, stop: str, **groups: str) -> PricedRun:
    return PricedRun(job, CostEstimate(*cost, "Fargate"), _ms(start), _ms(stop), groups)


RUNS = [
    run(
        "a:0",
        (1.0, 1.0),
        "2026-12-01T10:00",
        "2026-12-01T11:00",
        queue="q1",
        share="teamA",
        array="a",
        submission="sub1",
    ),
    run(
        "a:1",
        (2.0, 2.0),
        "2026-12-01T23:00",
        "2026-12-02T01:00",
        queue="q1",
        share="teamB",
        array="a",
        submission="sub1",
    ),
    run(
        "b", (0.5, 1.5), "2026-12-02T05:00", "2026-12-02T06:00", queue="q2", share="teamA", submission="sub2"
    ),
]


def test_rollups_by_hand() -> None:
    assert {k: v.low for k, v in rollup(RUNS, QUEUE).items()} == {"q1": 3.0, "q2": 0.5}
    shares = {k: (v.low, v.high) for k, v in rollup(RUNS, SHARE).items()}
    assert shares == {"teamA": (1.5, 2.5), "teamB": (2.0, 2.0)}
    assert {k: v.low for k, v in rollup(RUNS, ARRAY).items()} == {"a": 3.0}  # b is no array
    submissions = {k: v.text for k, v in rollup(RUNS, SUBMISSION).items()}
    assert submissions == {"sub1": "$3.00", "sub2": "$0.50\u20131.50"}


def test_a_run_over_midnight_is_split_by_its_time_on_each_day() -> None:
    # a:1 costs $2 from 23:00 to 01:00: $1 on each day.
    days = by_day(RUNS, UTC)
    assert {d: (c.low, c.high) for d, c in days.items()} == {
        date(2026, 12, 1): (2.0, 2.0),
        date(2026, 12, 2): (1.5, 2.5),
    }
    parts = split_by_day(_ms("2026-12-01T18:00") / 1000, _ms("2026-12-03T06:00") / 1000, UTC)
    assert parts == {date(2026, 12, 1): 0.5 / 3, date(2026, 12, 2): 2 / 3, date(2026, 12, 3): 0.5 / 3}


def test_monitor_rate_by_hand(book: PriceBook) -> None:
    times = np.array([0.0, 600.0])
    use = {
        # 2 vCPU and 4 GiB on Fargate: 2 x 0.04048 + 4 x 0.004445 = $0.09874 an hour.
        "FARGATE": (np.array([0.0, 2.0]), np.array([0.0, 4096.0])),
        # 1 vCPU and 2 GiB on EC2 allowed only m5.large: half of $0.096 = $0.048 an hour.
        "EC2": (np.array([1.0, 1.0]), np.array([2048.0, 2048.0])),
    }
    series = rate_series(book, resources.instance_catalogue(), times, use, ["m5.large"])
    assert series.now() == pytest.approx((0.09874 + 0.048, 0.09874 + 0.048))
    assert series.low[0] == pytest.approx(0.048)
    assert "Fargate (x86_64 rates)" in series.basis
    assert "range over 1 allowed types" in series.basis
    # Ten minutes at each rate, all on 1 January 1970 (UTC).
    day = series.per_day(np.array([600.0, 600.0]), UTC)
    low, _high = day[date(1970, 1, 1)]
    assert low == pytest.approx((0.048 + 0.09874 + 0.048) / 6)
