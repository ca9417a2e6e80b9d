"""The one rate limiter (services/budget.py TokenBucket), as the monitor and the submitter use it."""

from __future__ import annotations

import asyncio

import pytest

from batchgui.services.budget import MIN_RATE_PER_S, RECOVER_AFTER, TokenBucket


class FakeClock:
    """A clock that only moves when the bucket sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def paced(per_s: float, burst: float | None, calls: int) -> tuple[TokenBucket, list[float]]:
    clock = FakeClock()
    bucket = TokenBucket(per_s, burst, monotonic=clock.monotonic, sleep=clock.sleep)
    times: list[float] = []

    async def run() -> None:
        for _ in range(calls):
            await bucket.take()
            times.append(clock.now - 100.0)

    # A loop of its own, never set as the current one (asyncio.run would unset the qasync tests' loop).
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(run())
    finally:
        loop.close()
    return bucket, times


def test_burst_one_spaces_calls_evenly_at_the_rate() -> None:
    # The submitter's use: SubmitJob at 10/s, the first at once, then one every 0.1 s.
    bucket, times = paced(10.0, 1, 5)
    assert times == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4], abs=2e-3)
    assert bucket.total == 5


def test_a_burst_goes_at_once_then_the_rate_holds() -> None:
    _, times = paced(10.0, 3, 5)
    assert times[:3] == pytest.approx([0.0, 0.0, 0.0])
    assert times[3:] == pytest.approx([0.1, 0.2], abs=2e-3)


def test_throttling_slows_down_and_success_recovers_but_never_above_the_start() -> None:
    bucket = TokenBucket(10.0, 1)
    bucket.throttled()
    assert bucket.per_s == pytest.approx(7.0)
    for _ in range(RECOVER_AFTER):
        bucket.succeeded()
    assert bucket.per_s == pytest.approx(7.5)  # additive: a twentieth of the starting rate
    for _ in range(RECOVER_AFTER * 20):
        bucket.succeeded()
    assert bucket.per_s == pytest.approx(10.0)
    for _ in range(50):
        bucket.throttled()
    assert bucket.per_s == MIN_RATE_PER_S


@pytest.mark.parametrize("rate", [0.0, -1.0, float("nan"), float("inf")])
def test_a_rate_that_is_not_a_positive_number_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="positive number"):
        TokenBucket(rate)
