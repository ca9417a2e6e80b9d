"""Which queues one monitoring tick reads, within the account's request budget. Pure: no I/O.

AWS Batch answers about 50 requests/s per account across every caller, and reading one queue fully
takes a ListJobs per active status plus one of the jobs created since the last read (6 requests, a
page more per 1,000 jobs). So 50 queues cannot all be read every few seconds. Instead:

- a *busy* queue (active jobs, a change within `idle_after_s`, or a view showing it) is read fully
  every tick, so a change on it shows within one or two intervals;
- an *idle* queue (no active jobs and no change for `idle_after_s`) gets a *probe* every
  `idle_interval_s`: one ListJobs of the jobs created since it was last read (AFTER_CREATED_AT, all
  statuses). A probe that finds a job makes the queue busy (the poller reads it fully in the same tick);
- a queue never read yet is read fully, the longest-waiting first.

The tick's requests stay within `allowance` (the budget's current rate x the interval x the monitor's
share of it): probes first (capped so that the idle queues' probes spread evenly over the idle
interval), then the viewed queues, then the busy and new queues that waited longest. A busy queue
that does not fit waits for a later tick — it is then the longest-waiting, so none starves — and its
data says how old it is (`QueueKind`, `checked_at`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from batchgui.domain.batch import JobStatus

# ListJobs per active status plus the created-since listing.
FULL_READ_REQUESTS = len(JobStatus.active()) + 1
PROBE_REQUESTS = 1
# Jobs per ListJobs page by status: a full read of a big queue costs a page more per this many jobs.
JOBS_PER_PAGE = 1000


class QueueKind(StrEnum):
    NEW = "new"  # never read
    VIEWED = "viewed"  # a view shows it: read every tick
    BUSY = "busy"  # active jobs or a recent change: read every tick
    IDLE = "idle"  # probed every idle interval


@dataclass(frozen=True)
class QueueActivity:
    """What the poller knows of one queue (times on the monotonic clock, seconds)."""

    queue: str
    active_jobs: int = 0
    changed_at: float | None = None  # a job appeared, changed status or ended
    checked_at: float | None = None  # last full read or probe
    read_at: float | None = None  # last full read
    viewed: bool = False


@dataclass(frozen=True)
class PlanSettings:
    interval_s: float = 5.0
    idle_after_s: float = 60.0
    idle_interval_s: float = 30.0

    def __post_init__(self) -> None:
        for name in ("interval_s", "idle_after_s", "idle_interval_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number of seconds, not {value!r}.")


@dataclass(frozen=True)
class PollPlan:
    """One tick's requests: queues read fully, queues probed, and due queues left for later."""

    full: tuple[str, ...] = ()
    probe: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()
    requests: int = 0
    kinds: Mapping[str, QueueKind] = field(default_factory=dict)


def full_read_cost(active_jobs: int) -> int:
    return FULL_READ_REQUESTS + max(0, active_jobs) // JOBS_PER_PAGE


def classify(activity: QueueActivity, now: float, settings: PlanSettings) -> QueueKind:
    if activity.viewed:
        return QueueKind.VIEWED
    if activity.read_at is None:
        return QueueKind.NEW
    if activity.active_jobs > 0:
        return QueueKind.BUSY
    changed = activity.changed_at
    if changed is not None and now - changed < settings.idle_after_s:
        return QueueKind.BUSY
    return QueueKind.IDLE


def _age(at: float | None, now: float) -> float:
    return math.inf if at is None else now - at


def plan_poll(
    activities: Iterable[QueueActivity],
    now: float,
    settings: PlanSettings,
    allowance: float,
    *,
    eager: bool = False,
) -> PollPlan:
    """The queues this tick reads fully and probes, within `allowance` requests.

    Full reads first (viewed queues, then the busy and new ones that waited longest), then the
    probes of the idle queues that are due, as many as the spread and what is left allow. The first
    full read and the first due probe are made whatever the allowance (the token bucket still
    spaces their requests), so neither kind starves the other; every other request fits within it.
    An `eager` tick (someone asked for fresh data: F5, a one-off poll) probes every idle queue."""
    queues = list(activities)
    kinds = {a.queue: classify(a, now, settings) for a in queues}
    remaining = max(0.0, allowance)
    readers = sorted(
        (a for a in queues if kinds[a.queue] is not QueueKind.IDLE),
        key=lambda a: (not a.viewed, -_age(a.read_at, now), a.queue),
    )
    full: list[str] = []
    waiting: list[str] = []
    for activity in readers:
        cost = full_read_cost(activity.active_jobs)
        if cost <= remaining or not full:
            full.append(activity.queue)
            remaining -= cost
        else:
            waiting.append(activity.queue)
    idle = [a for a in queues if kinds[a.queue] is QueueKind.IDLE]
    # An idle queue is due once its probe would otherwise be more than half a tick late.
    due_idle = sorted(
        (
            a
            for a in idle
            if eager or _age(a.checked_at, now) + settings.interval_s / 2 >= settings.idle_interval_s
        ),
        key=lambda a: (-_age(a.checked_at, now), a.queue),
    )
    spread = len(idle) if eager else math.ceil(len(idle) * settings.interval_s / settings.idle_interval_s)
    probes: list[str] = []
    for activity in due_idle:
        if len(probes) < spread and (remaining >= PROBE_REQUESTS or eager or not probes):
            probes.append(activity.queue)
            remaining -= PROBE_REQUESTS
        else:
            waiting.append(activity.queue)
    requests = sum(full_read_cost(a.active_jobs) for a in readers if a.queue in full)
    return PollPlan(
        tuple(full), tuple(probes), tuple(waiting), requests + len(probes) * PROBE_REQUESTS, kinds
    )
