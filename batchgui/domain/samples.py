"""Live-monitoring samples: what one poll of the Batch API means, per queue and compute environment.

Pure: no I/O. The poller (services/job_monitor.py) feeds it the tracked active jobs; times are epoch
seconds (float) unless a name says `_ms`. A *sample* is one poll: per queue, the active jobs by
status, the jobs submitted / succeeded / failed since the previous poll, vCPUs and memory of RUNNING
jobs by platform, and the oldest RUNNABLE job; per compute environment, its capacity (maxvCpus,
desiredvCpus). History of samples: domain/history.py; drawing and export: domain/plot_data.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from batchgui.domain.batch import ComputeEnvironment, JobQueue, JobStatus, Platform
from batchgui.domain.job_resources import TrackedJob
from batchgui.domain.job_tracking import CREATED, QUEUE, REASON, RESOURCES, STATUS, ActiveRow

FloatArray = npt.NDArray[np.float64]


ACTIVE_STATUSES: tuple[JobStatus, ...] = JobStatus.active()
PLATFORMS: tuple[Platform, ...] = tuple(Platform)
PLATFORM_LABELS = {
    Platform.FARGATE: "Fargate",
    Platform.FARGATE_SPOT: "Fargate Spot",
    Platform.EC2: "EC2",
    Platform.SPOT: "Spot",
}

# The per-queue columns of a sample, in storage order.
STATUS_FIELDS = tuple(f"status_{s.value}" for s in ACTIVE_STATUSES)
EVENT_FIELDS = ("submitted", "succeeded", "failed")
VCPU_FIELDS = tuple(f"vcpus_{p.value}" for p in PLATFORMS)
MEMORY_FIELDS = tuple(f"memory_{p.value}" for p in PLATFORMS)
OLDEST_FIELD = "oldest_runnable_created"
QUEUE_FIELDS: tuple[str, ...] = (*STATUS_FIELDS, *EVENT_FIELDS, *VCPU_FIELDS, *MEMORY_FIELDS, OLDEST_FIELD)
FIELD_INDEX = {name: i for i, name in enumerate(QUEUE_FIELDS)}
OLDEST_INDEX = FIELD_INDEX[OLDEST_FIELD]


def status_field(status: JobStatus) -> str:
    return f"status_{status.value}"


def vcpu_field(platform: Platform) -> str:
    return f"vcpus_{platform.value}"


def memory_field(platform: Platform) -> str:
    return f"memory_{platform.value}"


# --- platforms ---------------------------------------------------------------------------------------
def _family_matches(platform: Platform, capabilities: tuple[str, ...]) -> bool:
    if not capabilities:
        return True
    wants_fargate = "FARGATE" in capabilities
    return platform.is_fargate == wants_fargate


def attribute_platforms(
    running: Sequence[TrackedJob],
    queues: Mapping[str, JobQueue],
    environments: Mapping[str, ComputeEnvironment],
) -> dict[str, Platform]:
    """Which platform each RUNNING job is on.

    The Batch API does not name the compute environment a job runs in, so: take the environments of
    the job's queue in their order, keep those of the job's family (FARGATE jobs on FARGATE /
    FARGATE_SPOT, EC2 jobs on EC2 / SPOT), and fill them in order up to each one's maxvCpus — which is
    how the scheduler places work. When all are full (or capacity is unknown) the first one is used.
    """
    used: dict[str, float] = {}
    placed: dict[str, Platform] = {}
    # Oldest first: they were placed first.
    for job in sorted(running, key=lambda j: (j.created_at_ms or 0, j.job_id)):
        queue = queues.get(job.queue)
        capabilities = job.resources.platform_capabilities if job.resources else ()
        vcpus = job.resources.vcpus if job.resources else 0.0
        candidates = []
        if queue is not None:
            for order in queue.compute_environments:
                ce = environments.get(order.name)
                if ce is not None and ce.platform is not None and _family_matches(ce.platform, capabilities):
                    candidates.append(ce)
        if not candidates:
            if capabilities:
                placed[job.job_id] = Platform.FARGATE if "FARGATE" in capabilities else Platform.EC2
            continue
        chosen = candidates[0]
        for ce in candidates:
            limit = ce.max_vcpus if ce.max_vcpus is not None else math.inf
            if used.get(ce.name, 0.0) + vcpus <= limit:
                chosen = ce
                break
        used[chosen.name] = used.get(chosen.name, 0.0) + vcpus
        assert chosen.platform is not None
        placed[job.job_id] = chosen.platform
    return placed


# --- samples -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueSample:
    queue: str
    values: tuple[float, ...]  # aligned with QUEUE_FIELDS
    oldest_runnable_job: str = ""
    oldest_runnable_reason: str = ""

    def get(self, name: str) -> float:
        return self.values[FIELD_INDEX[name]]

    def count(self, status: JobStatus) -> int:
        return int(self.get(status_field(status)))

    def oldest_runnable_age_s(self, now: float) -> float | None:
        """How long the oldest RUNNABLE job has waited (None when none waits); never below 0, as
        the job's creation time comes from AWS's clock, which may run ahead of this one."""
        created = self.get(OLDEST_FIELD)
        return None if math.isnan(created) else max(0.0, now - created)


@dataclass(frozen=True)
class CapacitySample:
    environment: str
    platform: Platform | None
    max_vcpus: float
    desired_vcpus: float  # NaN for Fargate: it has no provisioned fleet
    queues: tuple[str, ...] = ()  # the queues that use it, to follow the queue selection


@dataclass(frozen=True)
class Sample:
    t: float
    interval_s: float
    queues: tuple[QueueSample, ...]
    capacity: tuple[CapacitySample, ...] = ()


@dataclass
class QueueEvents:
    """Jobs submitted and finished in one queue since the previous poll."""

    submitted: int = 0
    succeeded: int = 0
    failed: int = 0


def build_sample(
    t: float,
    interval_s: float,
    *,
    jobs: Iterable[TrackedJob] = (),
    queues: Sequence[JobQueue],
    environments: Sequence[ComputeEnvironment],
    events: Mapping[str, QueueEvents] | None = None,
    active: Mapping[str, ActiveRow] | None = None,
) -> Sample:
    """Aggregate the active jobs (`jobs`, and/or the poller's compact `active` book) into one sample."""
    events = events or {}
    rows: dict[str, ActiveRow] = {job.job_id: job.row() for job in jobs}
    book: Mapping[str, ActiveRow] = rows if active is None else ({**active, **rows} if rows else active)
    status_index = {s.value: FIELD_INDEX[status_field(s)] for s in ACTIVE_STATUSES}
    counts: dict[str, list[float]] = {q.name: [0.0] * len(QUEUE_FIELDS) for q in queues}
    oldest: dict[str, tuple[int, str, str]] = {}  # queue -> (createdAt ms, job id, reason)
    running: list[TrackedJob] = []
    runnable = JobStatus.RUNNABLE.value
    for job_id, row in book.items():
        queue_name = row[QUEUE]
        values = counts.get(queue_name)
        if values is None:
            values = counts[queue_name] = [0.0] * len(QUEUE_FIELDS)
        status = row[STATUS]
        index = status_index.get(status)
        if index is not None:
            values[index] += 1
        if status == runnable:
            created = row[CREATED]
            if created is not None:
                best = oldest.get(queue_name)
                if best is None or created < best[0]:
                    oldest[queue_name] = (created, job_id, row[REASON])
        elif status == "RUNNING" and row[RESOURCES] is not None:
            running.append(TrackedJob.from_row(job_id, row))
    queue_map = {q.name: q for q in queues}
    env_map = {ce.name: ce for ce in environments}
    platforms = attribute_platforms(running, queue_map, env_map)
    for job in running:
        platform = platforms.get(job.job_id)
        if platform is not None and job.resources is not None:
            values = counts[job.queue]
            values[FIELD_INDEX[vcpu_field(platform)]] += job.resources.vcpus
            values[FIELD_INDEX[memory_field(platform)]] += job.resources.memory_mib
    samples = []
    for name in sorted(counts):
        values = counts[name]
        happened = events.get(name) or QueueEvents()
        values[FIELD_INDEX["submitted"]] = happened.submitted
        values[FIELD_INDEX["succeeded"]] = happened.succeeded
        values[FIELD_INDEX["failed"]] = happened.failed
        first = oldest.get(name)
        values[OLDEST_INDEX] = first[0] / 1000 if first is not None else math.nan
        samples.append(QueueSample(name, tuple(values), first[1] if first else "", first[2] if first else ""))
    users: dict[str, list[str]] = {}
    for queue in queues:
        for order in queue.compute_environments:
            users.setdefault(order.name, []).append(queue.name)
    capacity = tuple(
        CapacitySample(
            ce.name,
            ce.platform,
            float(ce.max_vcpus) if ce.max_vcpus is not None else math.nan,
            math.nan
            if ce.platform is None or ce.platform.is_fargate or ce.desired_vcpus is None
            else float(ce.desired_vcpus),
            tuple(users.get(ce.name, ())),
        )
        for ce in sorted(environments, key=lambda e: e.name)
        if ce.type == "MANAGED" or ce.platform is not None
    )
    return Sample(t, interval_s, tuple(samples), capacity)


# --- export ------------------------------------------------------------------------------------------
def format_number(value: float) -> str:
    """A whole number without decimals, others with up to two."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")
