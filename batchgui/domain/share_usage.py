"""Who gets the capacity: consumable resources, fair shares and quota shares, as typed values, and
the RUNNABLE pane's checks of them.

- A consumable resource (DescribeConsumableResource) has a total, an in-use and an available
  quantity; a job naming it (consumableResourceProperties) waits while less is available than it asks.
- A fair-share queue (a scheduling policy) gives each share identifier capacity in inverse proportion
  to its weightFactor among the shares that have work (a weight of 0.5 gets twice what 1 gets). A
  share using more than that waits behind the others. Usage is GetJobQueueSnapshot's
  `queueUtilization.fairshareUtilization` where the endpoint reports it, else the vCPUs of the
  running jobs of each share (DescribeJobs `shareIdentifier`).
- A quota share (SAGEMAKER_TRAINING queues) has capacity limits; its usage is the snapshot's
  `quotaShareUtilization`.
Pure: facts in, checks out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from batchgui.domain.runnable import Check, Outcome, ServiceJobNeeds

if TYPE_CHECKING:  # scheduling.py reads QueueUtilization from here
    from batchgui.domain.consumables import ConsumableResource
    from batchgui.domain.scheduling import SchedulingPolicy
    from batchgui.domain.training import QuotaShare

ApiDict = dict[str, Any]
VCPU = "VCPU"
Usage = Mapping[str, Mapping[str, float]]  # share (or quota share) -> capacity unit -> quantity


def _usage_list(items: Iterable[ApiDict]) -> dict[str, float]:
    return {str(u.get("capacityUnit", "")): float(u.get("quantity") or 0) for u in items}


@dataclass(frozen=True)
class QueueUtilization:
    """GetJobQueueSnapshot's `queueUtilization` (empty where the endpoint does not report it)."""

    total: Mapping[str, float] = field(default_factory=dict)
    fairshare: Usage = field(default_factory=dict)
    quota: Usage = field(default_factory=dict)
    reported: bool = False

    @classmethod
    def from_api(cls, data: ApiDict | None) -> QueueUtilization:
        if not data:
            return cls()
        fair = (data.get("fairshareUtilization") or {}).get("topCapacityUtilization") or ()
        quota = (data.get("quotaShareUtilization") or {}).get("topCapacityUtilization") or ()
        return cls(
            _usage_list(data.get("totalCapacityUsage") or ()),
            {str(s.get("shareIdentifier", "")): _usage_list(s.get("capacityUsage") or ()) for s in fair},
            {str(s.get("quotaShareName", "")): _usage_list(s.get("capacityUsage") or ()) for s in quota},
            reported=True,
        )


def share_usage_from_jobs(running: Iterable[tuple[str, float]]) -> dict[str, dict[str, float]]:
    """vCPUs in use per share identifier, from running jobs as (shareIdentifier, vCPUs)."""
    out: dict[str, dict[str, float]] = {}
    for share, vcpus in running:
        if share:
            unit = out.setdefault(share, {VCPU: 0.0})
            unit[VCPU] += vcpus
    return out


def requirements(raw: ApiDict) -> list[tuple[str, int]]:
    """The consumable resources a DescribeJobs entry names, with the quantity of each."""
    props = raw.get("consumableResourceProperties") or {}
    return [
        (str(i.get("consumableResource", "")), int(i.get("quantity") or 1))
        for i in props.get("consumableResourceList") or ()
    ]


def _short(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def consumable_check(needs: Sequence[tuple[str, int]], known: Mapping[str, ConsumableResource]) -> Check:
    """Is enough of every consumable resource the job names available?"""
    name = "Consumable resources available"
    if not needs:
        return Check(name, Outcome.PASSED, "The job needs no consumable resource.")
    short: list[str] = []
    unknown: list[str] = []
    parts: list[str] = []
    for ref, quantity in needs:
        found = known.get(ref) or known.get(_short(ref))
        if found is None:
            unknown.append(_short(ref))
            continue
        line = f"{found.name}: asks {quantity}, {found.free} of {found.total} available"
        line += f" ({found.in_use} in use)"
        if found.free < quantity:
            kind = (
                " and it does not come back (NON_REPLENISHABLE)"
                if found.resource_type == "NON_REPLENISHABLE"
                else ""
            )
            short.append(line + kind)
        parts.append(line)
    if short:
        return Check(
            name,
            Outcome.FAILED,
            "Exhausted: " + "; ".join(short) + ".",
            "It starts when running jobs give the resource back; or raise its total quantity "
            "(Consumable resources → Update).",
        )
    if unknown:
        return Check(name, Outcome.UNKNOWN, "Not known to the app: " + ", ".join(unknown) + ".")
    return Check(name, Outcome.PASSED, "; ".join(parts) + ".")


def _weight(policy: SchedulingPolicy, share: str) -> float:
    """A share's weightFactor (a trailing * matches a prefix); 1 when the policy does not list it."""
    for entry in policy.shares:
        ident = entry.identifier
        if share == ident or (ident.endswith("*") and share.startswith(ident[:-1])):
            return entry.weight
    return 1.0


def fair_shares(policy: SchedulingPolicy, active: Iterable[str]) -> dict[str, float]:
    """Each active share's part of the capacity: 1/weight over the sum of 1/weight."""
    inverse = {s: 1.0 / _weight(policy, s) for s in dict.fromkeys(active)}
    whole = sum(inverse.values())
    return {s: v / whole for s, v in inverse.items()} if whole else {}


def fair_share_check(
    share: str, policy: SchedulingPolicy | None, usage: Usage, source: str, waiting: Iterable[str] = ()
) -> Check:
    """Is the job's share using more than its weight gives it, among the shares with work (running
    or waiting)?"""
    name = "Share within its weight"
    if policy is None:
        return Check(name, Outcome.PASSED, "The queue has no scheduling policy: first in, first out.")
    if not share:
        return Check(name, Outcome.UNKNOWN, "The job names no share identifier.")
    used = {s: u.get(VCPU, 0.0) for s, u in usage.items()}
    whole = sum(used.values())
    parts = fair_shares(policy, [*used, *(w for w in waiting if w), share])
    mine = used.get(share, 0.0)
    fair = parts.get(share, 1.0)
    detail = (
        f"Share {share} (weight {_weight(policy, share):g}) uses {mine:g} of the {whole:g} vCPUs in use "
        f"({source}); its weight gives it {fair:.0%} among {len(parts)} active share"
        + ("s" if len(parts) != 1 else "")
    )
    if whole and mine / whole > fair + 1e-9:
        return Check(
            name,
            Outcome.FAILED,
            f"Over its weight: {detail}. Jobs of the other shares go first.",
            "Wait for the share's running jobs to finish, or lower its weightFactor in the scheduling "
            "policy (a lower weight gets more).",
        )
    return Check(name, Outcome.PASSED, detail + ".")


def _share_used(used: Mapping[str, float], unit: str) -> float:
    """What a share holds against a limit in `unit`: a NUM_INSTANCES limit counts every type."""
    from batchgui.domain.training import NUM_INSTANCES  # training -> scheduling -> here: not at the top

    return sum(used.values()) if unit == NUM_INSTANCES else used.get(unit, 0.0)


def quota_share_check(
    share_name: str,
    share: QuotaShare | None,
    utilization: QueueUtilization,
    asks: ServiceJobNeeds | None = None,
) -> Check:
    """Is the job's quota share at one of its capacity limits? With what the job `asks`, only the
    limits of its instance type (and NUM_INSTANCES) count, and the share is full when they have
    less free than the job asks."""
    from batchgui.domain.training import NUM_INSTANCES, limits_text

    name = "Quota share within its limits"
    if not share_name:
        return Check(name, Outcome.PASSED, "The job names no quota share.")
    if share is None:
        return Check(name, Outcome.UNKNOWN, f"Quota share {share_name} is not known to the app.")
    if share.state != "ENABLED":
        return Check(
            name, Outcome.FAILED, f"Quota share {share.name} is {share.state}.", "Enable the quota share."
        )
    limits = {x.unit: x.max_capacity for x in share.limits}
    count = 0
    if asks is not None:
        count = asks.instances
        limits = {u: n for u, n in limits.items() if u in (asks.instance_type, NUM_INSTANCES)}
        if not limits:
            return Check(
                name,
                Outcome.FAILED,
                f"Quota share {share.name} has no capacity limit for {asks.instance_type or 'any type'}"
                f" ({limits_text(share.limits)}); the job asks {asks.text}.",
                "Add a limit for this instance type to the quota share, or submit the job to another share.",
            )
        too_big = [f"{n} {u}" for u, n in sorted(limits.items()) if count > n]
        if too_big and share.strategy != "LEND_AND_BORROW":
            return Check(
                name,
                Outcome.FAILED,
                f"Never fits: the job asks {asks.text}, more than quota share {share.name}'s limit of "
                + ", ".join(too_big)
                + f" (its strategy, {share.strategy}, does not borrow).",
                "Raise the share's capacity limits, or ask for fewer instances.",
            )
    if not utilization.reported:
        return Check(name, Outcome.UNKNOWN, "This endpoint does not report the quota shares' usage.")
    used = utilization.quota.get(share.name, {})
    parts = [f"{_share_used(used, unit):g} of {limit} {unit}" for unit, limit in sorted(limits.items())]
    # Without the job's ask, "full" is every unit of a limit taken; with it, too few left for it.
    full = [
        unit
        for unit, limit in limits.items()
        if (_share_used(used, unit) + count > limit if asks is not None else _share_used(used, unit) >= limit)
    ]
    asked = f"; the job asks {asks.text}" if asks is not None else ""
    if full:
        borrows = share.strategy == "LEND_AND_BORROW"
        return Check(
            name,
            Outcome.FAILED,
            f"At its limit: quota share {share.name} uses " + "; ".join(parts) + asked + ".",
            "It starts when the share's jobs finish"
            + (" or it can borrow what lending shares leave idle" if borrows else "")
            + "; or raise the share's capacity limits.",
        )
    return Check(name, Outcome.PASSED, f"Quota share {share.name} uses " + "; ".join(parts) + asked + ".")


@dataclass
class ShareHistory:
    """Fair-share usage over time: vCPUs per share (named "share (queue)" when several fair-share
    queues are watched), NaN before a share was first seen; at most `keep_s` back."""

    keep_s: float = 24 * 3600.0
    times: list[float] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=dict)

    def add(self, t: float, usage: Mapping[str, Mapping[str, float]]) -> None:
        several = len(usage) > 1
        point = {
            (f"{share} ({queue})" if several else share): vcpus
            for queue, shares in usage.items()
            for share, vcpus in shares.items()
        }
        for name in point.keys() - self.series.keys():
            self.series[name] = [math.nan] * len(self.times)
        self.times.append(t)
        for name, values in self.series.items():
            values.append(point.get(name, 0.0))  # not listed: using nothing (AWS lists those using some)
        drop = sum(1 for x in self.times if x < t - self.keep_s)
        if drop:
            del self.times[:drop]
            for values in self.series.values():
                del values[:drop]

    def latest(self) -> dict[str, float]:
        """Each share's usage at the last sample (those with a number)."""
        if not self.times:
            return {}
        return {name: v[-1] for name, v in self.series.items() if not math.isnan(v[-1])}
