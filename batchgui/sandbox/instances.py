"""EC2 instance types the simulated EC2/SPOT fleets are made of: every type of the one catalogue
(domain/instance_types.py, data in resources/ec2-instance-types.json), as the fleet sees them —
memory is what a job can use (the instance's less what ECS and the OS keep). Fargate's sizes are in
domain/fargate.py.

Names are what `computeResources.instanceTypes` accepts: a type (`g4dn.xlarge`), a family (`p3`),
`optimal`, `default_x86_64` or `default_arm64`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from batchgui.domain.instance_types import InstanceCatalogue
from batchgui.resources import instance_catalogue


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_mib: int  # available to jobs
    gpus: int = 0
    architectures: tuple[str, ...] = ("x86_64",)


def catalogue() -> InstanceCatalogue:
    return instance_catalogue()


def is_known(name: str) -> bool:
    return catalogue().is_known(name)


@cache
def _expand(names: tuple[str, ...]) -> tuple[InstanceType, ...]:
    return tuple(
        InstanceType(t.name, t.vcpus, t.usable_memory_mib, t.gpus, t.architectures)
        for t in catalogue().expand(names)
    )


def expand(names: list[str]) -> list[InstanceType]:
    """Instance types a CE may launch, smallest first."""
    return list(_expand(tuple(names)))
