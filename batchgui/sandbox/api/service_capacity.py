"""Which simulated service jobs may start: the capacity of SAGEMAKER_TRAINING queues, as AWS documents it.

A service job needs `ResourceConfig.InstanceCount` instances of `ResourceConfig.InstanceType`. It holds
them from the moment it is admitted until it ends. It is admitted when:
- its queue's service environments have that many instances free (their `capacityLimits`, in
  NUM_INSTANCES);
- and, when it names a quota share, the share has them free under its own `capacityLimits` (a limit's
  `capacityUnit` is an instance type such as `ml.m5.large`, or NUM_INSTANCES for any type). A
  LEND_AND_BORROW share may go beyond its limits by its `borrowLimit` (a percentage; -1 means any
  amount), using only what LEND and LEND_AND_BORROW shares of the queue leave idle.

Each share is a virtual queue of its own (jobs without a share form one more): its jobs are taken by
`schedulingPriority` (highest first), then age. The job at its front that does not fit waits RUNNABLE
and keeps the others of its share behind it, with one of these reasons:
- it can never fit: AWS's MISCONFIGURATION reasons (SERVICE_ENVIRONMENT_MAX_RESOURCE,
  QUOTA_MANAGEMENT_LIMIT_EXCEEDED), and it stays until terminated;
- the capacity is in use: WAITING_REASON, and it starts when capacity frees.
Cross-share preemption (AWS reclaiming lent capacity) is not simulated: a borrowing job runs to its end.

`settle()` replays, in time order up to now, the moments jobs could start (a job becomes RUNNABLE, or
a running one ends), so a job starts when its capacity freed, not when someone next asked. It is a pure
function of the jobs' stored times and changes only the waiting jobs' `_waiting`, `_clock0` (when the
job was admitted, less the time from submission to SCHEDULED) and `_reason`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

ENVIRONMENT_EXCEEDED = (
    "MISCONFIGURATION:SERVICE_ENVIRONMENT_MAX_RESOURCE - Service environment(s) associated with the job "
    "queue cannot meet the capacity requirement of the job."
)
QUOTA_EXCEEDED = (
    "MISCONFIGURATION:QUOTA_MANAGEMENT_LIMIT_EXCEEDED - Quota share capacity limits cannot meet the "
    "capacity requirement of the job."
)
WAITING_REASON = "Waiting for capacity: {where} has {used} of {limit} {unit} in use"
ANY_TYPE = "NUM_INSTANCES"
LENDERS = ("LEND", "LEND_AND_BORROW")
# Milliseconds after a job's clock starts (its submission; once admitted, its admission less
# SCHEDULED_AFTER_MS) each simulated state begins.
PHASES_MS = (("SUBMITTED", 0), ("RUNNABLE", 100), ("SCHEDULED", 300), ("STARTING", 600), ("RUNNING", 1000))
RUNNABLE_AFTER_MS = dict(PHASES_MS)["RUNNABLE"]
SCHEDULED_AFTER_MS = dict(PHASES_MS)["SCHEDULED"]
RUNNING_AFTER_MS = dict(PHASES_MS)["RUNNING"]


def need(job: Json) -> tuple[str, int]:
    """(instance type, instance count) of a service job."""
    return str(job.get("_instanceType") or ANY_TYPE), int(job.get("_instances", 1))


def end_ms(job: Json) -> float:
    """When an admitted job gives its instances back (its stop time, known from its clock)."""
    if "stoppedAt" in job:
        return float(job["stoppedAt"])
    run = float(job["_runS"])
    limit = (job.get("timeoutConfig") or {}).get("attemptDurationSeconds")
    if limit is not None and limit < run:
        run = float(limit)
    return int(job["_clock0"] if "_clock0" in job else job["createdAt"]) + RUNNING_AFTER_MS + run * 1000


def limit_for(limits: list[Json], unit: str) -> int | None:
    """The maxCapacity of `limits` for an instance type (NUM_INSTANCES counts every type)."""
    found = [int(x["maxCapacity"]) for x in limits if x.get("capacityUnit") in (unit, ANY_TYPE)]
    return min(found) if found else None


@dataclass
class _Share:
    data: Json
    used: dict[str, int] = field(default_factory=dict)

    @property
    def strategy(self) -> str:
        return str((self.data.get("resourceSharingConfiguration") or {}).get("strategy", "RESERVE"))

    def limit(self, unit: str) -> int:
        return limit_for(list(self.data.get("capacityLimits") or []), unit) or 0

    def used_of(self, unit: str) -> int:
        if any(x.get("capacityUnit") == ANY_TYPE for x in self.data.get("capacityLimits") or []):
            return sum(self.used.values())
        return self.used.get(unit, 0)

    def most(self, unit: str) -> float:
        """The most of `unit` this share may ever hold (its limit, plus what it may borrow)."""
        own = self.limit(unit)
        if self.strategy != "LEND_AND_BORROW":
            return own
        borrow = int((self.data.get("resourceSharingConfiguration") or {}).get("borrowLimit", -1))
        return float("inf") if borrow < 0 else own * (1 + borrow / 100)


@dataclass
class Capacity:
    """What one queue has in use at one moment."""

    environment_limit: int
    shares: dict[str, _Share]
    used: int = 0

    def idle_to_lend(self, unit: str, borrower: str) -> int:
        lent = sum(max(0, s.used_of(unit) - s.limit(unit)) for s in self.shares.values())
        idle = sum(
            max(0, s.limit(unit) - s.used_of(unit))
            for name, s in self.shares.items()
            if name != borrower and s.strategy in LENDERS and s.data.get("state", "ENABLED") == "ENABLED"
        )
        return max(0, idle - lent)

    def verdict(self, job: Json) -> str | None:
        """None when the job fits now; else why it waits."""
        unit, count = need(job)
        if count > self.environment_limit:
            return ENVIRONMENT_EXCEEDED
        if self.used + count > self.environment_limit:
            where = "the service environments"
            return WAITING_REASON.format(
                where=where, used=self.used, limit=self.environment_limit, unit="instances"
            )
        share = self.shares.get(str(job.get("quotaShareName") or ""))
        if share is None:
            return None
        if count > share.most(unit):
            return QUOTA_EXCEEDED
        used, limit = share.used_of(unit), share.limit(unit)
        if used + count <= limit:
            return None
        if share.strategy == "LEND_AND_BORROW" and used + count <= share.most(unit):
            name = str(share.data["quotaShareName"])
            if used + count - limit <= self.idle_to_lend(unit, name):
                return None
        where = f"quota share {share.data['quotaShareName']}"
        return WAITING_REASON.format(where=where, used=used, limit=limit, unit=unit)

    def take(self, job: Json, sign: int = 1) -> None:
        unit, count = need(job)
        self.used += sign * count
        share = self.shares.get(str(job.get("quotaShareName") or ""))
        if share is not None:
            share.used[unit] = share.used.get(unit, 0) + sign * count


def _order(job: Json) -> tuple[int, int]:
    return -int(job.get("schedulingPriority", 0)), int(job["createdAt"])


def settle(
    jobs: list[Json], environment_limit: int, shares: list[Json], now: float, is_done: Callable[[Json], bool]
) -> list[Json]:
    """Admit the waiting jobs of one queue as capacity allowed them up to `now` (ms); the jobs changed.

    `jobs` are the queue's jobs that have not ended as stored (`is_done` says which stored ones ended).
    """
    capacity = Capacity(environment_limit, {str(s["quotaShareName"]): _Share(s) for s in shares})
    waiting = sorted((j for j in jobs if j.get("_waiting") and not is_done(j)), key=_order)
    if not waiting:
        return []
    holding = [j for j in jobs if not j.get("_waiting") and not is_done(j)]
    events: list[tuple[float, int, Json | None]] = [
        (float(j["createdAt"]) + RUNNABLE_AFTER_MS, 0, None) for j in waiting
    ]
    order = 0
    for job in holding:
        capacity.take(job)
        order += 1
        events.append((end_ms(job), order, job))
    heapq.heapify(events)
    changed: dict[str, Json] = {}
    while events and events[0][0] <= now:
        at, _, ended = heapq.heappop(events)
        if ended is not None:
            capacity.take(ended, -1)
        blocked: set[str] = set()
        for job in list(waiting):
            group = str(job.get("quotaShareName") or "")
            if group in blocked or float(job["createdAt"]) + RUNNABLE_AFTER_MS > at:
                continue
            reason = capacity.verdict(job)
            changed[job["jobId"]] = job
            if reason is not None:
                job["_reason"] = reason
                blocked.add(group)
                continue
            waiting.remove(job)
            job.pop("_waiting", None)
            job.pop("_reason", None)
            job["_clock0"] = max(int(job["createdAt"]), int(at) - SCHEDULED_AFTER_MS)
            capacity.take(job)
            order += 1
            heapq.heappush(events, (end_ms(job), order, job))
    return list(changed.values())
