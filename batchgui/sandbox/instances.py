"""EC2 instance types the simulated EC2/SPOT fleets are made of (Fargate's sizes are in domain/fargate.py)."""

from __future__ import annotations

from dataclasses import dataclass

# (vCPUs, memory GiB) per size, for the families Batch users pick most.
_SIZES: dict[str, dict[str, tuple[int, float]]] = {
    "m5": {
        "large": (2, 8),
        "xlarge": (4, 16),
        "2xlarge": (8, 32),
        "4xlarge": (16, 64),
        "8xlarge": (32, 128),
        "12xlarge": (48, 192),
        "16xlarge": (64, 256),
        "24xlarge": (96, 384),
    },
    "c5": {
        "large": (2, 4),
        "xlarge": (4, 8),
        "2xlarge": (8, 16),
        "4xlarge": (16, 32),
        "9xlarge": (36, 72),
        "12xlarge": (48, 96),
        "18xlarge": (72, 144),
        "24xlarge": (96, 192),
    },
    "r5": {
        "large": (2, 16),
        "xlarge": (4, 32),
        "2xlarge": (8, 64),
        "4xlarge": (16, 128),
        "8xlarge": (32, 256),
        "12xlarge": (48, 384),
        "16xlarge": (64, 512),
        "24xlarge": (96, 768),
    },
    "m4": {
        "large": (2, 8),
        "xlarge": (4, 16),
        "2xlarge": (8, 32),
        "4xlarge": (16, 64),
        "10xlarge": (40, 160),
        "16xlarge": (64, 256),
    },
    "c4": {
        "large": (2, 3.75),
        "xlarge": (4, 7.5),
        "2xlarge": (8, 15),
        "4xlarge": (16, 30),
        "8xlarge": (36, 60),
    },
    "r4": {
        "large": (2, 15.25),
        "xlarge": (4, 30.5),
        "2xlarge": (8, 61),
        "4xlarge": (16, 122),
        "8xlarge": (32, 244),
        "16xlarge": (64, 488),
    },
    "m6i": {
        "large": (2, 8),
        "xlarge": (4, 16),
        "2xlarge": (8, 32),
        "4xlarge": (16, 64),
        "8xlarge": (32, 128),
        "16xlarge": (64, 256),
        "32xlarge": (128, 512),
    },
    "c6i": {
        "large": (2, 4),
        "xlarge": (4, 8),
        "2xlarge": (8, 16),
        "4xlarge": (16, 32),
        "8xlarge": (32, 64),
        "16xlarge": (64, 128),
        "32xlarge": (128, 256),
    },
    "r6i": {
        "large": (2, 16),
        "xlarge": (4, 32),
        "2xlarge": (8, 64),
        "4xlarge": (16, 128),
        "8xlarge": (32, 256),
        "16xlarge": (64, 512),
        "32xlarge": (128, 1024),
    },
    "t3": {
        "micro": (2, 1),
        "small": (2, 2),
        "medium": (2, 4),
        "large": (2, 8),
        "xlarge": (4, 16),
        "2xlarge": (8, 32),
    },
}
# "optimal" lets Batch choose from the current C, M and R families.
OPTIMAL_FAMILIES = ("c5", "m5", "r5")
# Memory the ECS agent and OS keep for themselves on each instance.
RESERVED_MIB = 256


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_mib: int  # available to jobs


def _all() -> dict[str, InstanceType]:
    table: dict[str, InstanceType] = {}
    for family, sizes in _SIZES.items():
        for size, (vcpus, gib) in sizes.items():
            name = f"{family}.{size}"
            table[name] = InstanceType(name, vcpus, int(gib * 1024) - RESERVED_MIB)
    return table


TYPES = _all()


def is_known(name: str) -> bool:
    return name == "optimal" or name in TYPES or name in _SIZES


def expand(names: list[str]) -> list[InstanceType]:
    """Instance types a CE may launch, smallest first: `optimal`, families (`m5`) and exact types."""
    out: dict[str, InstanceType] = {}
    for name in names:
        families = OPTIMAL_FAMILIES if name == "optimal" else ((name,) if name in _SIZES else ())
        for family in families:
            for size in _SIZES[family]:
                out[f"{family}.{size}"] = TYPES[f"{family}.{size}"]
        if name in TYPES:
            out[name] = TYPES[name]
    return sorted(out.values(), key=lambda t: (t.vcpus, t.memory_mib, t.name))
