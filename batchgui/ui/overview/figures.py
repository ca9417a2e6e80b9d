"""What the Overview shows, worked out from a monitor sample and the failures it reported (no Qt).

Fargate and Fargate Spot count as "Fargate", EC2 and Spot as "EC2": the two families a person sizes
capacity for. Capacity is the sum of the environments' maxvCpus, as the monitor's sample reports them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from batchgui.domain.batch import JobStatus, Platform
from batchgui.domain.samples import Sample, memory_field, vcpu_field

QUEUE_STATUSES = (
    JobStatus.SUBMITTED,
    JobStatus.PENDING,
    JobStatus.RUNNABLE,
    JobStatus.STARTING,
    JobStatus.RUNNING,
)
FAMILIES: dict[str, tuple[Platform, ...]] = {
    "Fargate": (Platform.FARGATE, Platform.FARGATE_SPOT),
    "EC2": (Platform.EC2, Platform.SPOT),
}
FAILURE_WINDOW_S = 3600.0


@dataclass(frozen=True)
class QueueLine:
    queue: str
    counts: tuple[int, ...]  # QUEUE_STATUSES order
    oldest_age_s: float | None = None
    oldest_job: str = ""
    reason: str = ""

    def count(self, status: JobStatus) -> int:
        return self.counts[QUEUE_STATUSES.index(status)]


@dataclass(frozen=True)
class FamilyUse:
    family: str  # "Fargate" or "EC2"
    vcpus: float
    memory_mib: float
    capacity_vcpus: float | None  # None: no environment of this family


@dataclass(frozen=True)
class Failure:
    at: float  # epoch seconds the monitor saw it fail
    job_id: str
    name: str
    queue: str
    reason: str


@dataclass(frozen=True)
class OverviewFigures:
    queues: tuple[QueueLine, ...]
    families: tuple[FamilyUse, ...]
    failures: tuple[Failure, ...]  # newest first, last hour only
    top_reasons: tuple[tuple[str, int], ...]

    def total(self, status: JobStatus) -> int:
        return sum(q.count(status) for q in self.queues)

    def oldest_runnable(self) -> QueueLine | None:
        waiting = [q for q in self.queues if q.oldest_age_s is not None]
        return max(waiting, key=lambda q: q.oldest_age_s or 0.0) if waiting else None

    def family(self, name: str) -> FamilyUse:
        return next(f for f in self.families if f.family == name)


def queue_lines(sample: Sample | None, now: float) -> tuple[QueueLine, ...]:
    if sample is None:
        return ()
    lines = []
    for queue in sample.queues:
        lines.append(
            QueueLine(
                queue.queue,
                tuple(queue.count(s) for s in QUEUE_STATUSES),
                queue.oldest_runnable_age_s(now),
                queue.oldest_runnable_job,
                queue.oldest_runnable_reason,
            )
        )
    return tuple(sorted(lines, key=lambda q: q.queue))


def family_use(sample: Sample | None) -> tuple[FamilyUse, ...]:
    result = []
    for family, platforms in FAMILIES.items():
        vcpus = memory = 0.0
        capacity: float | None = None
        if sample is not None:
            for queue in sample.queues:
                vcpus += sum(queue.get(vcpu_field(p)) for p in platforms)
                memory += sum(queue.get(memory_field(p)) for p in platforms)
            for env in sample.capacity:
                if env.platform in platforms and math.isfinite(env.max_vcpus):
                    capacity = (capacity or 0.0) + env.max_vcpus
        result.append(FamilyUse(family, vcpus, memory, capacity))
    return tuple(result)


def recent_failures(
    failures: Iterable[Failure], now: float, window_s: float = FAILURE_WINDOW_S
) -> list[Failure]:
    """The failures of the last `window_s`, newest first."""
    return sorted((f for f in failures if now - f.at <= window_s), key=lambda f: -f.at)


def top_reasons(failures: Sequence[Failure], limit: int = 3) -> tuple[tuple[str, int], ...]:
    counted = Counter(f.reason.strip() or "(no reason given)" for f in failures)
    return tuple(counted.most_common(limit))


def overview_figures(sample: Sample | None, failures: Iterable[Failure], now: float) -> OverviewFigures:
    recent = recent_failures(failures, now)
    return OverviewFigures(queue_lines(sample, now), family_use(sample), tuple(recent), top_reasons(recent))
