"""Placement: which RUNNABLE jobs start where. Plain data in, decisions out: no SQL, no processes,
no clock (the caller passes `now` where time matters), so every rule is tested on its own.

The rules, as AWS Batch applies them:
- job queues by priority (highest first, then name), each queue's RUNNABLE jobs in FIFO order (or in
  fair-share order when the queue has a scheduling policy), each job onto the first compute
  environment in the queue's order that has room now;
- FARGATE / FARGATE_SPOT (and UNMANAGED) environments: the vCPUs of placed jobs stay within maxvCpus
  (unmanagedvCpus);
- EC2 / SPOT: the job goes onto a ready instance with room (best fit: the least free vCPUs that still
  fit); a job that fits no instance now is demand for the fleet (fleet.py launches instances for it);
- a job no environment of its queue could ever run, even empty, stays RUNNABLE with AWS's statusReason
  (`MISCONFIGURATION:...`), and the queue's jobStateTimeLimitActions may cancel it.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from batchgui.domain.instance_types import InstanceType
from batchgui.resources import instance_catalogue

Json = dict[str, Any]
FARGATE_TYPES = ("FARGATE", "FARGATE_SPOT")
EC2_TYPES = ("EC2", "SPOT")
MAX_RESOURCE_REASON = (
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job queue cannot meet the "
    "CPU requirement of the job."
)
MISCONFIG_REASON = (
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU) "
    "is higher than "
    "that can be met by the CE(s) attached to the job queue."
)


@functools.lru_cache(maxsize=256)
def _expanded(names: tuple[str, ...]) -> tuple[InstanceType, ...]:
    return tuple(instance_catalogue().expand(names))


def instance_types(res: Mapping[str, Any]) -> Sequence[InstanceType]:
    """The EC2 types an environment's `instanceTypes` let it launch, smallest first (the catalogue's
    rule, domain/instance_types.py; `optimal` included)."""
    return _expanded(tuple(res.get("instanceTypes") or ()))


# A queue's pass stops after this many jobs in a row that fit nowhere yet (the rest wait anyway).
MAX_MISSES = 64
# The smallest Fargate job: an environment with less room than this is full.
SMALLEST_FARGATE_VCPUS = 0.25
EPSILON = 1e-9


@dataclass(frozen=True)
class Candidate:
    """A RUNNABLE job as placement sees it."""

    job_id: str
    vcpus: float
    memory: int
    parent_id: str | None = None
    index: int | None = None
    status_reason: str | None = None
    share: str = ""


@dataclass
class Slot:
    """An EC2 instance's free room."""

    instance_id: str
    free_vcpus: float
    free_memory: int
    ready: bool = True


@dataclass
class Capacity:
    """What is in use now: Fargate/unmanaged vCPUs per environment, EC2 instances per environment,
    and how many more job processes the host allows."""

    used_vcpus: dict[str, float] = field(default_factory=dict)
    instances: dict[str, list[Slot]] = field(default_factory=dict)
    processes: int = 1 << 30


@dataclass(frozen=True)
class Decision:
    job: Candidate
    queue_arn: str
    ce_arn: str
    instance_id: str | None  # None on Fargate and unmanaged environments


@dataclass
class Decisions:
    placed: list[Decision] = field(default_factory=list)
    # job id -> the misconfiguration reason to record (only for jobs that have no reason yet)
    reasons: dict[str, str] = field(default_factory=dict)
    # EC2 environment arn -> (vCPUs, MiB) of jobs that wait for an instance
    demand: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    # True when the host's process cap stopped the pass (the caller keeps its previous demand)
    exhausted: bool = False


def resource_type(ce: Json) -> str | None:
    """FARGATE, FARGATE_SPOT, EC2, SPOT, or None for an unmanaged environment."""
    res = ce.get("computeResources")
    return None if res is None else str(res["type"])


def ce_usable(ce: Json) -> bool:
    return ce.get("state") == "ENABLED" and ce.get("status") in ("VALID", "UPDATING")


def queue_active(queue: Json) -> bool:
    return queue.get("state") == "ENABLED" and queue.get("status") in ("VALID", "UPDATING")


def by_priority(queues: Iterable[Json]) -> list[Json]:
    """Highest priority first; equal priorities by name."""
    return sorted(queues, key=lambda q: (-int(q["priority"]), q["jobQueueName"]))


def queue_ces(queue: Json, ces: Mapping[str, Json]) -> list[Json]:
    """The queue's environments in its computeEnvironmentOrder (deleted ones left out)."""
    order = sorted(queue["computeEnvironmentOrder"], key=lambda o: o.get("order", 0))
    return [ces[o["computeEnvironment"]] for o in order if o["computeEnvironment"] in ces]


def fargate_full(ce: Json, capacity: Capacity) -> bool:
    res = ce.get("computeResources")
    if res is None or res["type"] not in FARGATE_TYPES:
        return False
    used = capacity.used_vcpus.get(ce["computeEnvironmentArn"], 0.0)
    return used + SMALLEST_FARGATE_VCPUS > float(res["maxvCpus"]) + EPSILON


def queues_to_fill(queues: Iterable[Json], ces: Mapping[str, Json], capacity: Capacity) -> list[Json]:
    """Queues, by priority, that can take a job now: active, with a usable environment with room."""
    out: list[Json] = []
    for queue in by_priority(queues):
        if not queue_active(queue):
            continue
        usable = [ce for ce in queue_ces(queue, ces) if ce_usable(ce)]
        if usable and not all(fargate_full(ce, capacity) for ce in usable):
            out.append(queue)
    return out


def ce_could_ever_run(ce: Json, vcpus: float, memory: int) -> bool:
    """Could the environment run this job if it were empty and at maxvCpus?"""
    res = ce.get("computeResources")
    if res is None:
        return vcpus <= float(ce.get("unmanagedvCpus", 0))
    if res["type"] in FARGATE_TYPES:
        return vcpus <= float(res["maxvCpus"])
    return any(
        t.vcpus >= vcpus and t.usable_memory_mib >= memory and t.vcpus <= res["maxvCpus"]
        for t in instance_types(res)
    )


def misfit_reason(ces: Sequence[Json], vcpus: float, memory: int) -> str | None:
    """AWS's RUNNABLE statusReason for a job no environment of its queue could ever run, else None."""
    if any(ce_could_ever_run(ce, vcpus, memory) for ce in ces):
        return None
    for ce in ces:
        res = ce.get("computeResources")
        if res is None:
            continue
        if res["type"] in FARGATE_TYPES:
            return MAX_RESOURCE_REASON
        if any(t.vcpus >= vcpus and t.usable_memory_mib >= memory for t in instance_types(res)):
            return MAX_RESOURCE_REASON  # an instance type would do, but maxvCpus is too small
    return MISCONFIG_REASON


def fit(ce: Json, job: Candidate, capacity: Capacity) -> tuple[bool, str | None]:
    """Room for `job` in `ce` now: (True, instance id or None), taken from `capacity`; else (False, None)."""
    ce_arn = ce["computeEnvironmentArn"]
    res = ce.get("computeResources")
    if res is None or res["type"] in FARGATE_TYPES:
        cap = float(res["maxvCpus"]) if res is not None else float(ce.get("unmanagedvCpus", 0))
        used = capacity.used_vcpus.get(ce_arn, 0.0)
        if used + job.vcpus > cap + EPSILON:
            return False, None
        capacity.used_vcpus[ce_arn] = used + job.vcpus
        return True, None
    best: Slot | None = None
    for slot in capacity.instances.get(ce_arn, []):
        if not slot.ready:
            continue
        if (
            slot.free_vcpus + EPSILON >= job.vcpus
            and slot.free_memory >= job.memory
            and (best is None or slot.free_vcpus < best.free_vcpus)
        ):
            best = slot
    if best is None:
        return False, None
    best.free_vcpus -= job.vcpus
    best.free_memory -= job.memory
    return True, best.instance_id


def place(
    queues: Iterable[Json],
    ces: Mapping[str, Json],
    runnable: Mapping[str, Sequence[Candidate]],
    capacity: Capacity,
) -> Decisions:
    """One scheduling pass. `runnable` maps a queue arn to its RUNNABLE jobs in the order they are
    to be considered (FIFO, or `fair_share_order`). `capacity` is not changed."""
    room = copy.deepcopy(capacity)
    out = Decisions()
    for queue in by_priority(queues):
        if not queue_active(queue):
            continue
        all_ces = queue_ces(queue, ces)
        usable = [ce for ce in all_ces if ce_usable(ce)]
        if not usable or all(fargate_full(ce, room) for ce in usable):
            continue
        misses = 0
        for job in runnable.get(queue["jobQueueArn"], ()):
            if room.processes <= 0:
                out.exhausted = True
                return out
            decision = _first_fit(queue, usable, job, room)
            if decision is not None:
                out.placed.append(decision)
                room.processes -= 1
                misses = 0
                continue
            reason = misfit_reason(all_ces, job.vcpus, job.memory)
            if reason is not None:
                if not job.status_reason:
                    out.reasons[job.job_id] = reason
                continue
            ec2 = next((ce for ce in usable if resource_type(ce) in EC2_TYPES), None)
            if ec2 is not None:
                out.demand.setdefault(ec2["computeEnvironmentArn"], []).append((job.vcpus, job.memory))
            misses += 1
            if misses >= MAX_MISSES:
                break
    return out


def _first_fit(queue: Json, usable: Sequence[Json], job: Candidate, room: Capacity) -> Decision | None:
    for ce in usable:
        placed, instance_id = fit(ce, job, room)
        if placed:
            return Decision(job, queue["jobQueueArn"], ce["computeEnvironmentArn"], instance_id)
    return None


# ---- fair share ---------------------------------------------------------------------------------
def share_weight(distribution: Sequence[Json], share: str) -> float:
    """A share's weightFactor (a trailing * in shareIdentifier matches a prefix); 1 when unlisted."""
    for entry in distribution:
        ident = str(entry["shareIdentifier"])
        if share == ident or (ident.endswith("*") and share.startswith(ident[:-1])):
            return float(entry.get("weightFactor", 1.0)) or 1.0
    return 1.0


def fair_share_order(
    jobs: Sequence[Candidate], usage: Mapping[str, float], distribution: Sequence[Json]
) -> list[Candidate]:
    """The next job comes from the share with the least usage times its weightFactor (a smaller
    weight gets more), FIFO within a share; each job taken counts as usage for its share."""
    used = dict(usage)
    lanes: dict[str, list[tuple[int, Candidate]]] = {}
    for position, job in enumerate(jobs):  # jobs come in FIFO order
        lanes.setdefault(job.share, []).append((position, job))
    heads = dict.fromkeys(lanes, 0)
    ordered: list[Candidate] = []
    while len(ordered) < len(jobs):
        share = min(
            (s for s in lanes if heads[s] < len(lanes[s])),
            key=lambda s: (used.get(s, 0.0) * share_weight(distribution, s), lanes[s][heads[s]][0]),
        )
        job = lanes[share][heads[share]][1]
        heads[share] += 1
        ordered.append(job)
        used[share] = used.get(share, 0.0) + job.vcpus
    return ordered


class ShareUsage:
    """vCPUs placed recently per (queue, share), decaying over the policy's shareDecaySeconds."""

    def __init__(self) -> None:
        self._usage: dict[tuple[str, str], tuple[float, float]] = {}

    def note(self, queue_arn: str, share: str, vcpus: float, now: float) -> None:
        value, stamp = self._usage.get((queue_arn, share), (0.0, now))
        self._usage[(queue_arn, share)] = (value + vcpus, stamp)

    def decayed(self, queue_arn: str, decay_s: float, now: float) -> dict[str, float]:
        out: dict[str, float] = {}
        for (owner, share), (value, stamp) in list(self._usage.items()):
            if owner != queue_arn:
                continue
            decayed = value * math.exp(-(now - stamp) / decay_s)
            self._usage[(owner, share)] = (decayed, now)
            out[share] = decayed
        return out
