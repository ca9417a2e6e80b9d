"""The capacity jobs are placed on: Fargate (and unmanaged) vCPUs in use per environment, and a
simulated fleet of EC2 instances per EC2/SPOT environment.

EC2 / SPOT environments launch instances of their types (the catalogue's, domain/instance_types.py:
`optimal` = its default x86_64 families) for demand that fits no ready instance, up to maxvCpus; a
launched instance becomes ready after `ec2_provision_delay_s`; idle instances are drained after
`ec2_idle_drain_s`, down to minvCpus; an explicit desiredvCpus above the fleet launches up to it.
`desiredvCpus` reports the fleet.
Time is `time.monotonic()`, passed in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from batchgui.domain.instance_types import InstanceType
from batchgui.sandbox.placement import EC2_TYPES, EPSILON, Capacity, Slot, instance_types, resource_type
from batchgui.sandbox.settings import SandboxSettings

Json = dict[str, Any]
# At most this many instances launched for one environment in one pass.
MAX_LAUNCHES = 50


@dataclass
class Instance:
    instance_id: str
    itype: InstanceType
    ready_at: float
    used_vcpus: float = 0.0
    used_mem: int = 0
    jobs: set[str] = field(default_factory=set)
    idle_since: float = 0.0

    def free(self) -> tuple[float, int]:
        return self.itype.vcpus - self.used_vcpus, self.itype.usable_memory_mib - self.used_mem


@dataclass
class Placed:
    """A job holding room (STARTING or RUNNING): where, how much, and when its process may start."""

    job_id: str
    parent_id: str | None
    index: int | None
    queue_arn: str
    ce_arn: str
    vcpus: float
    memory: int
    ready_at: float
    instance: Instance | None = None


class Fleet:
    def __init__(self, settings: SandboxSettings) -> None:
        self._settings = settings
        self._instances: dict[str, list[Instance]] = {}
        self.launched: dict[str, str] = {}  # instance id -> type, of every launch (ecs_api.py)
        self._used_vcpus: dict[str, float] = {}  # Fargate / unmanaged CE arn -> vCPUs of placed jobs
        self._requested_desired: dict[str, int] = {}

    # ---- what placement sees --------------------------------------------------------------------
    def capacity(self, now: float, processes: int) -> Capacity:
        return Capacity(
            used_vcpus=dict(self._used_vcpus),
            instances={
                ce_arn: [Slot(i.instance_id, *i.free(), ready=i.ready_at <= now) for i in fleet]
                for ce_arn, fleet in self._instances.items()
            },
            processes=processes,
        )

    def reserve(
        self, ce_arn: str, instance_id: str | None, job_id: str, vcpus: float, memory: int
    ) -> Instance | None:
        """Take a placed job's room; its instance (None on Fargate/unmanaged environments)."""
        if instance_id is None:
            self._used_vcpus[ce_arn] = self._used_vcpus.get(ce_arn, 0.0) + vcpus
            return None
        inst = next(i for i in self._instances[ce_arn] if i.instance_id == instance_id)
        inst.used_vcpus += vcpus
        inst.used_mem += memory
        inst.jobs.add(job_id)
        return inst

    def release(self, placed: Placed, now: float) -> None:
        inst = placed.instance
        if inst is not None:
            inst.used_vcpus -= placed.vcpus
            inst.used_mem -= placed.memory
            inst.jobs.discard(placed.job_id)
            if not inst.jobs:
                inst.idle_since = now
        else:
            used = self._used_vcpus.get(placed.ce_arn, 0.0)
            self._used_vcpus[placed.ce_arn] = max(0.0, used - placed.vcpus)

    # ---- timers ---------------------------------------------------------------------------------
    def deadlines(self, now: float) -> list[float]:
        """When an instance becomes ready or an idle one may be drained."""
        out: list[float] = []
        for fleet in self._instances.values():
            out += [i.ready_at for i in fleet if i.ready_at > now]
            out += [i.idle_since + self._settings.ec2_idle_drain_s for i in fleet if not i.jobs]
        return out

    def timers_due(self, last: float, now: float) -> bool:
        """Did an instance become ready, or an idle one reach its drain time, since `last`?"""
        drain = self._settings.ec2_idle_drain_s
        for fleet in self._instances.values():
            for inst in fleet:
                if last < inst.ready_at <= now:
                    return True
                if not inst.jobs and last < inst.idle_since + drain <= now:
                    return True
        return False

    # ---- environments changing ------------------------------------------------------------------
    def environments_changed(self, ces: Mapping[str, Json]) -> None:
        """Forget deleted environments; note a desiredvCpus asked for above an EC2 fleet."""
        for ce_arn in list(self._instances):
            if ce_arn not in ces:
                del self._instances[ce_arn]
        for ce_arn, ce in ces.items():
            res = ce.get("computeResources") or {}
            fleet_vcpus = sum(i.itype.vcpus for i in self._instances.get(ce_arn, []))
            if res.get("type") in EC2_TYPES and int(res.get("desiredvCpus", 0)) > fleet_vcpus:
                self._requested_desired[ce_arn] = int(res["desiredvCpus"])

    def scale(
        self, ce: Json, usable: bool, demand: Iterable[tuple[float, int]], now: float
    ) -> tuple[int, int, bool]:
        """Launch for unmet demand and up to minvCpus/desiredvCpus, drain idle instances.

        Returns the fleet's vCPUs before and after, and whether placement should look again (an
        instance is ready and idle while demand or launches are pending)."""
        ce_arn = ce["computeEnvironmentArn"]
        res = ce["computeResources"]
        fleet = self._instances.setdefault(ce_arn, [])
        before = sum(i.itype.vcpus for i in fleet)
        types = instance_types(res)
        max_v = int(res["maxvCpus"])
        min_v = int(res.get("minvCpus", 0))
        asked = list(demand)
        wanted = sorted(asked, reverse=True) if usable else []
        self._launch_for(fleet, self._unmet(fleet, wanted, now), types, max_v, now)
        # Keep at least minvCpus, and launch up to a desiredvCpus the user asked for.
        floor = max(min_v, min(max_v, self._requested_desired.pop(ce_arn, 0)))
        while sum(i.itype.vcpus for i in fleet) < floor and types:
            need = floor - sum(i.itype.vcpus for i in fleet)
            fleet.append(self._new(next((t for t in types if t.vcpus >= need), types[-1]), now))
        # Drain idle instances down to minvCpus.
        for inst in sorted(fleet, key=lambda i: i.idle_since):
            total_v = sum(i.itype.vcpus for i in fleet)
            idle = not inst.jobs and inst.ready_at <= now
            if (
                idle
                and now - inst.idle_since >= self._settings.ec2_idle_drain_s
                and total_v - inst.itype.vcpus >= min_v
            ):
                fleet.remove(inst)
        look_again = (any(i.ready_at > now for i in fleet) or bool(asked)) and any(
            i.ready_at <= now and not i.jobs for i in fleet
        )
        return before, sum(i.itype.vcpus for i in fleet), look_again

    @staticmethod
    def _unmet(fleet: list[Instance], wanted: list[tuple[float, int]], now: float) -> list[tuple[float, int]]:
        """Demand that instances still provisioning will not hold."""
        spare = [[i.free()[0], i.free()[1]] for i in fleet if i.ready_at > now]
        remaining: list[tuple[float, int]] = []
        for v, m in wanted:
            slot = next((s for s in spare if s[0] + EPSILON >= v and s[1] >= m), None)
            if slot is None:
                remaining.append((v, m))
            else:
                slot[0] -= v
                slot[1] -= m
        return remaining

    def _launch_for(
        self,
        fleet: list[Instance],
        remaining: list[tuple[float, int]],
        types: Sequence[InstanceType],
        max_v: int,
        now: float,
    ) -> None:
        launches = 0
        while remaining and launches < MAX_LAUNCHES:
            headroom = max_v - sum(i.itype.vcpus for i in fleet)
            want_v = sum(v for v, _ in remaining)
            biggest = remaining[0]
            fitting = [
                t for t in types if headroom >= t.vcpus >= biggest[0] and t.usable_memory_mib >= biggest[1]
            ]
            if not fitting:
                return
            itype = next((t for t in fitting if t.vcpus >= want_v), fitting[-1])
            fleet.append(self._new(itype, now))
            launches += 1
            free_v, free_m = float(itype.vcpus), itype.usable_memory_mib
            rest: list[tuple[float, int]] = []
            for v, m in remaining:
                if free_v + EPSILON >= v and free_m >= m:
                    free_v -= v
                    free_m -= m
                else:
                    rest.append((v, m))
            remaining = rest

    def _new(self, itype: InstanceType, now: float) -> Instance:
        instance = Instance(
            f"i-{uuid.uuid4().hex[:17]}", itype, now + self._settings.ec2_provision_delay_s, idle_since=now
        )
        self.launched[instance.instance_id] = itype.name
        return instance

    def active_ids(self) -> set[str]:
        """The instances not drained (read from API threads: copies, made under the GIL)."""
        return {i.instance_id for fleet in list(self._instances.values()) for i in list(fleet)}


def is_ec2(ce: Json) -> bool:
    return resource_type(ce) in EC2_TYPES
