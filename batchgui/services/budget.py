"""The one request-rate limiter: a token bucket.

At most `per_s` requests per second on average, bursts up to `burst`. The account's polling (the
monitor's loop, the job store's refreshes and descriptions) takes a token before every Batch call
through `call`, and a submission before every SubmitJob (with `burst=1`: evenly spaced).

Throttling is AIMD-like, as TCP answers congestion: a TooManyRequestsException cuts the rate to
BACKOFF of itself at once (multiplicative decrease, tokens in hand dropped), and every RECOVER_AFTER
calls in a row that went through add RECOVERY_STEP of the rate it was made with (additive increase),
never above it. `slowed` says the rate is below its ceiling: the UI says "polling slower".
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from batchgui.domain import token_bucket
from batchgui.domain.errors import Throttled

P = ParamSpec("P")
T = TypeVar("T")

# After a throttled call the rate drops to this fraction; this many calls in a row that were not
# throttled raise it again by RECOVERY_STEP of the starting rate.
BACKOFF = 0.7
RECOVERY_STEP = 0.05
RECOVER_AFTER = 20
MIN_RATE_PER_S = 1.0
# A throttled call is tried again this many times (each after a token at the slower rate).
THROTTLE_RETRIES = 3
# The account's budget for Batch calls when nothing else is set (the monitor and the job store).
DEFAULT_REQUESTS_PER_S = 10.0


class TokenBucket:
    def __init__(
        self,
        per_s: float,
        burst: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not (math.isfinite(per_s) and per_s > 0):
            raise ValueError("The request budget must be a positive number of requests per second.")
        self.per_s = per_s
        self.max_per_s = per_s
        self.burst = max(1.0, burst if burst is not None else per_s)
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = self.burst
        self._at = monotonic()
        self._good = 0
        # How quickly the rate comes back after throttling (a test may hurry it).
        self.recover_after = RECOVER_AFTER
        self.total = 0
        self.throttles = 0
        self.recent: deque[float] = deque(maxlen=10_000)

    def _refill(self) -> None:
        now = self._monotonic()
        self._tokens = token_bucket.refilled(self._tokens, now - self._at, self.per_s, self.burst)
        self._at = now

    @property
    def available(self) -> float:
        self._refill()
        return self._tokens

    async def take(self) -> None:
        """Wait for a token and take it."""
        while True:
            self._refill()
            left = token_bucket.take_one(self._tokens)
            if left is not None:
                self._tokens = left
                self.total += 1
                self.recent.append(self._at)
                return
            await self._sleep(max(0.001, (1 - self._tokens) / self.per_s))

    def rate(self, window_s: float = 10.0) -> float:
        """Requests per second over the last `window_s` seconds."""
        now = self._monotonic()
        return sum(1 for at in self.recent if at >= now - window_s) / window_s

    @property
    def slowed(self) -> bool:
        """Throttling has lowered the rate and it has not recovered yet."""
        return self.per_s < self.max_per_s - 1e-9

    def throttled(self) -> None:
        """The service said "too many requests": go slower at once."""
        self._refill()
        self.per_s = max(MIN_RATE_PER_S, self.per_s * BACKOFF)
        self._tokens = 0.0
        self._good = 0
        self.throttles += 1

    def succeeded(self) -> None:
        """A call went through: after enough of them in a row, speed up again, a step at a time."""
        self._good += 1
        if self._good >= self.recover_after and self.per_s < self.max_per_s:
            self._refill()
            self.per_s = min(self.max_per_s, self.per_s + RECOVERY_STEP * self.max_per_s)
            self._good = 0

    async def call(
        self,
        run: Callable[..., Awaitable[Any]],
        fn: Callable[P, T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`await run(fn, *args)` after taking a token; a throttled answer slows the bucket and is
        tried again (THROTTLE_RETRIES times) before it is raised."""
        for attempt in range(THROTTLE_RETRIES + 1):
            await self.take()
            try:
                result: T = await run(fn, *args, **kwargs)
            except Throttled:
                self.throttled()
                if attempt == THROTTLE_RETRIES:
                    raise
                continue
            self.succeeded()
            return result
        raise AssertionError("unreachable")
