"""Scheduling policies (fair share) and the front-of-queue snapshot, as typed values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batchgui.domain.batch import tags_and_raw
from batchgui.domain.share_usage import QueueUtilization

ApiDict = dict[str, Any]


@dataclass(frozen=True)
class ShareAttribute:
    """One share identifier (a prefix ends with `*`) and its weight (0.0001-999.9999)."""

    identifier: str
    weight: float = 1.0

    def to_api(self) -> ApiDict:
        return {"shareIdentifier": self.identifier, "weightFactor": self.weight}


@dataclass(frozen=True)
class SchedulingPolicy:
    name: str
    arn: str
    share_decay_s: int | None = None
    compute_reservation: int | None = None
    shares: tuple[ShareAttribute, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    raw: ApiDict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: ApiDict) -> SchedulingPolicy:
        fair: ApiDict = data.get("fairsharePolicy") or {}
        shares = tuple(
            ShareAttribute(str(s.get("shareIdentifier", "")), float(s.get("weightFactor", 1.0)))
            for s in fair.get("shareDistribution") or ()
        )
        return cls(
            name=data.get("name", ""),
            arn=data.get("arn", ""),
            share_decay_s=fair.get("shareDecaySeconds"),
            compute_reservation=fair.get("computeReservation"),
            shares=shares,
            **tags_and_raw(data),
        )


def fairshare_policy(
    share_decay_s: int | None, compute_reservation: int | None, shares: list[ShareAttribute]
) -> ApiDict:
    """The fairsharePolicy object of Create/UpdateSchedulingPolicy."""
    policy: ApiDict = {"shareDistribution": [s.to_api() for s in shares]}
    if share_decay_s is not None:
        policy["shareDecaySeconds"] = share_decay_s
    if compute_reservation is not None:
        policy["computeReservation"] = compute_reservation
    return policy


def fairshare_problems(
    share_decay_s: int | None, compute_reservation: int | None, shares: list[ShareAttribute]
) -> list[str]:
    """The limits AWS documents for FairsharePolicy, checked before the call."""
    problems: list[str] = []
    if share_decay_s is not None and not 0 <= share_decay_s <= 604800:
        problems.append("Share decay must be between 0 and 604,800 seconds (one week).")
    if compute_reservation is not None and not 0 <= compute_reservation <= 99:
        problems.append("Compute reservation must be between 0 and 99 (percent, as an exponent).")
    seen: set[str] = set()
    for share in shares:
        ident = share.identifier
        if not ident:
            problems.append("A share identifier is empty.")
        elif len(ident) > 255:
            problems.append(f"Share identifier {ident[:20]}… is longer than 255 characters.")
        elif "*" in ident[:-1]:
            problems.append(f"Share identifier {ident!r}: '*' may only end a prefix.")
        if ident in seen:
            problems.append(f"Share identifier {ident!r} is listed twice.")
        seen.add(ident)
        if not 0.0001 <= share.weight <= 999.9999:
            problems.append(f"Weight of {ident!r} must be between 0.0001 and 999.9999.")
    if len(shares) > 500:
        problems.append("At most 500 share identifiers.")
    return problems


@dataclass(frozen=True)
class QueuedJob:
    job_arn: str
    earliest_time_at_position: int | None

    @property
    def job_id(self) -> str:
        return self.job_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class QueueSnapshot:
    """GetJobQueueSnapshot: the first RUNNABLE jobs, in dispatch order."""

    jobs: tuple[QueuedJob, ...]
    last_updated_at: int | None
    utilization: QueueUtilization = field(default_factory=QueueUtilization)

    @classmethod
    def from_api(cls, data: ApiDict) -> QueueSnapshot:
        front: ApiDict = data.get("frontOfQueue") or {}
        jobs = tuple(
            QueuedJob(str(j.get("jobArn", "")), j.get("earliestTimeAtPosition"))
            for j in front.get("jobs") or ()
        )
        return cls(jobs, front.get("lastUpdatedAt"), QueueUtilization.from_api(data.get("queueUtilization")))
