"""What the monitor is set to, says and counts: its settings, status, alerts and counters."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from batchgui.domain.batch import JobStatus
from batchgui.domain.polling import PlanSettings, QueueKind
from batchgui.domain.samples import QueueEvents
from batchgui.services.budget import DEFAULT_REQUESTS_PER_S

DEFAULT_INTERVAL_S = 5.0
# The monitor plans its ticks within this share of the budget; the rest is left for what views ask
# (details, the Jobs panel's listings, F5).
MONITOR_SHARE = 0.8
IDLE_AFTER_TICKS = 12
IDLE_EVERY_TICKS = 6


@dataclass(frozen=True)
class MonitorSettings:
    interval_s: float = DEFAULT_INTERVAL_S
    requests_per_s: float = DEFAULT_REQUESTS_PER_S
    # The interval never stretches beyond this, however slow polls get.
    max_interval_s: float = 120.0
    # A queue whose oldest RUNNABLE job has waited longer than this raises an alert (once per job).
    runnable_alert_s: float = 600.0
    # DescribeJobQueues this often (queues change rarely); compute environments every poll
    # because desiredvCpus is what the capacity lines plot.
    queues_every_s: float = 60.0
    # Margin for the difference between this machine's clock and the service's createdAt.
    clock_skew_s: float = 15.0
    # Longest wait after repeated throttling or errors.
    max_backoff_s: float = 60.0
    # A queue with no active jobs and no change for this long is idle: probed every idle interval.
    # None: IDLE_AFTER_TICKS and IDLE_EVERY_TICKS sampling intervals (60 s and 30 s at 5 s).
    idle_after_s: float | None = None
    idle_interval_s: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.interval_s) and self.interval_s > 0):
            raise ValueError("The sampling interval must be a positive number of seconds.")
        if not (math.isfinite(self.requests_per_s) and self.requests_per_s > 0):
            raise ValueError("The request budget must be a positive number of requests per second.")
        self.plan_settings()  # refuses bad idle times

    def plan_settings(self, interval_s: float | None = None) -> PlanSettings:
        return PlanSettings(interval_s or self.interval_s, self.idle_after(), self.idle_every())

    def idle_after(self) -> float:
        return self.idle_after_s or IDLE_AFTER_TICKS * self.interval_s

    def idle_every(self) -> float:
        return self.idle_interval_s or IDLE_EVERY_TICKS * self.interval_s


class MonitorState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    LIVE = "live"
    DELAYED = "delayed"
    THROTTLED = "throttled"  # AWS said "too many requests": the budget runs slower for a while
    PAUSED = "paused"
    SUSPENDED = "suspended"
    ERROR = "error"


@dataclass(frozen=True)
class MonitorStatus:
    state: MonitorState
    message: str
    interval_s: float = DEFAULT_INTERVAL_S
    requests_last_poll: int = 0
    poll_s: float = 0.0


@dataclass(frozen=True)
class QueueFreshness:
    """How fresh one queue's numbers are: its kind (busy, idle, …) and when it was last checked
    (epoch seconds; None: not read yet)."""

    queue: str
    kind: QueueKind
    checked_at: float | None

    def text(self, now: float, interval_s: float) -> str:
        """ "idle queue, checked 40 s ago" when that differs from the live interval; "" otherwise."""
        if self.checked_at is None:
            return "not checked yet"
        age = max(0.0, now - self.checked_at)
        if self.kind is not QueueKind.IDLE and age < 2 * interval_s:
            return ""
        ago = f"{age:.0f} s" if age < 90 else f"{age / 60:.0f} min"
        what = "idle queue" if self.kind is QueueKind.IDLE else "waiting for the budget"
        return f"{what}, checked {ago} ago"


@dataclass(frozen=True)
class FinishedJob:
    job_id: str
    name: str
    queue: str
    status: JobStatus
    reason: str = ""


@dataclass(frozen=True)
class RunnableAlert:
    queue: str
    job_id: str
    age_s: float
    reason: str


@dataclass
class PollCounters:
    """What the poller has counted since it started (tests and benchmarks read these)."""

    polls: int = 0
    requests: int = 0
    submitted: int = 0
    succeeded: int = 0
    failed: int = 0
    throttled: int = 0
    probes: int = 0
    full_reads: int = 0
    last_poll_requests: int = 0
    last_poll_s: float = 0.0
    described: int = 0


@dataclass
class PollTally:
    """One poll's requests and what happened in it, per queue."""

    requests: int = 0
    events: dict[str, QueueEvents] = field(default_factory=dict)
    failed: list[FinishedJob] = field(default_factory=list)

    def event(self, queue: str) -> QueueEvents:
        return self.events.setdefault(queue, QueueEvents())
