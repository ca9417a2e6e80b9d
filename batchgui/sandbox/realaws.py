"""Real-AWS mode: the latency and the account-wide request rate of the real service.

`SandboxSettings(latency_ms=N)` adds N milliseconds to every answer. The wait is a plain sleep on
the request's own connection thread, with no lock held, so concurrent requests overlap as they do
against AWS (ten requests in flight at 80 ms take about 80 ms, not 800).

`SandboxSettings(account_rate=R)` accepts at most R Batch requests per second over the whole
sandbox (one token bucket for every caller and operation, bursts up to R); requests above it are
answered as AWS answers them: HTTP 429, `x-amzn-ErrorType: TooManyRequestsException`, body
`{"message": "Too Many Requests"}`. botocore reads that as a throttling error and retries it (both
its legacy and standard retry modes list TooManyRequestsException and status 429).

`InFlight` counts the requests inside the front door at once (the latency's sleep included) and
the most there ever were: that requests overlap is a count the server keeps, not a stopwatch
reading (a timed bound flakes on a loaded machine).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable

from batchgui.domain import token_bucket

THROTTLED_STATUS = 429
THROTTLED_CODE = "TooManyRequestsException"
THROTTLED_BODY = json.dumps({"message": "Too Many Requests"}).encode()


def throttled_answer() -> tuple[str, list[tuple[str, str]], bytes]:
    """The status line, headers and body AWS Batch sends a throttled request."""
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(THROTTLED_BODY))),
        ("x-amzn-ErrorType", THROTTLED_CODE),
        ("x-amzn-RequestId", secrets.token_hex(16)),
    ]
    return f"{THROTTLED_STATUS} Too Many Requests", headers, THROTTLED_BODY


class AccountRate:
    """A thread-safe token bucket (domain/token_bucket.py): `admit()` is False when the request is
    over the rate."""

    def __init__(self, per_s: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        if not per_s > 0:
            raise ValueError("the account rate must be a positive number of requests per second")
        self.per_s = per_s
        self.burst = max(1.0, per_s)
        self._monotonic = monotonic
        self._tokens = self.burst
        self._at = monotonic()
        self._lock = threading.Lock()

    def admit(self) -> bool:
        with self._lock:
            now = self._monotonic()
            tokens = token_bucket.refilled(self._tokens, now - self._at, self.per_s, self.burst)
            self._at = now
            left = token_bucket.take_one(tokens)
            self._tokens = tokens if left is None else left
            return left is not None


class InFlight:
    """Requests inside the front door now, and the peak since start (or `reset_peak`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def enter(self) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self._lock:
            self.now -= 1

    def reset_peak(self) -> None:
        with self._lock:
            self.peak = self.now


class RealAws:
    """What the front door applies in real-AWS mode: a delay per answer, a Batch request rate."""

    def __init__(self, latency_ms: float = 0.0, account_rate: float = 0.0) -> None:
        self.latency_s = max(0.0, latency_ms) / 1000.0
        self.rate = AccountRate(account_rate) if account_rate > 0 else None

    @property
    def active(self) -> bool:
        return self.latency_s > 0 or self.rate is not None

    def admit(self, service: str) -> bool:
        """Whether a (signed) request to `service` is within the account's rate."""
        return self.rate is None or service != "batch" or self.rate.admit()

    def delay(self) -> None:
        """The round trip: called by the front door before each answer, holding no lock."""
        if self.latency_s > 0:
            time.sleep(self.latency_s)
