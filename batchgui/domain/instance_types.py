"""EC2 instance types as AWS Batch sees them: what a compute environment's `instanceTypes` may name,
and what those names expand to.

One catalogue for the sandbox's simulated fleet, the compute-environment wizard and the advisor. The
data (every type's vCPUs, memory, GPUs and architectures) is loaded by `batchgui.resources`; this
module holds only the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

# AWS Batch's own choices (ComputeResource.instanceTypes): since 2025-11-01 `optimal` picks from the
# same families as `default_x86_64`.
DEFAULT_X86_64_FAMILIES = ("m6i", "c6i", "r6i", "c7i")
DEFAULT_ARM64_FAMILIES = ("m6g", "c6g", "r6g", "c7g")
CHOICES = {
    "optimal": DEFAULT_X86_64_FAMILIES,
    "default_x86_64": DEFAULT_X86_64_FAMILIES,
    "default_arm64": DEFAULT_ARM64_FAMILIES,
}
# What the ECS agent registers of an instance's memory: the kernel and platform take about 2.5% (the
# Batch user guide's m4.large: 8,192 MiB installed, 7,985 MiB registered), and the Batch AMI reserves
# 32 MiB more for the agent (ECS_RESERVED_MEMORY).
REGISTERED_FRACTION = 7985 / 8192
RESERVED_MIB = 32


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_mib: int
    gpus: int = 0
    gpu: str = ""
    architectures: tuple[str, ...] = ("x86_64",)

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def usable_memory_mib(self) -> int:
        """Memory a job can ask for on it: the instance's, less what ECS and the OS keep."""
        return int(self.memory_mib * REGISTERED_FRACTION) - RESERVED_MIB

    def fits(self, vcpus: float, memory_mib: int, gpus: int = 0) -> bool:
        return vcpus <= self.vcpus and memory_mib <= self.usable_memory_mib and gpus <= self.gpus


class InstanceCatalogue:
    def __init__(self, types: Iterable[InstanceType]) -> None:
        self.types: dict[str, InstanceType] = {t.name: t for t in types}

    @cached_property
    def families(self) -> dict[str, list[InstanceType]]:
        out: dict[str, list[InstanceType]] = {}
        for itype in self.types.values():
            out.setdefault(itype.family, []).append(itype)
        return out

    def is_known(self, name: str) -> bool:
        """A name `instanceTypes` accepts: a choice (`optimal`…), a family (`c5`, `p3`) or a type."""
        return name in CHOICES or name in self.types or name in self.families

    def unknown(self, names: Iterable[str]) -> list[str]:
        return [n for n in names if not self.is_known(n)]

    def expand(self, names: Sequence[str]) -> list[InstanceType]:
        """The instance types a compute environment may launch, smallest first."""
        out: dict[str, InstanceType] = {}
        for name in names:
            families = CHOICES.get(name, (name,) if name in self.families else ())
            for family in families:
                for itype in self.families.get(family, []):
                    out[itype.name] = itype
            if name in self.types:
                out[name] = self.types[name]
        return sorted(out.values(), key=lambda t: (t.vcpus, t.memory_mib, t.name))

    def architectures(self, names: Sequence[str]) -> set[str]:
        return {a for t in self.expand(names) for a in t.architectures}

    def largest(self, names: Sequence[str]) -> InstanceType | None:
        """The allowed type with the most vCPUs (then memory): what a big job is measured against."""
        allowed = self.expand(names)
        return max(allowed, key=lambda t: (t.vcpus, t.memory_mib)) if allowed else None

    def smallest_fit(
        self,
        names: Sequence[str],
        vcpus: float,
        memory_mib: int,
        gpus: int = 0,
        architecture: str | None = None,
    ) -> InstanceType | None:
        """The smallest allowed type that can run a job of this size (and architecture), if any."""
        for itype in self.expand(names):
            if itype.fits(vcpus, memory_mib, gpus) and (
                architecture is None or architecture in itype.architectures
            ):
                return itype
        return None


def catalogue_from_rows(rows: Iterable[Sequence[object]]) -> InstanceCatalogue:
    """Rows of (name, vcpus, memory_mib, gpus, gpu, "x86_64,arm64") as resources/ec2-instance-types.json
    holds them."""
    return InstanceCatalogue(
        InstanceType(
            str(r[0]), int(str(r[1])), int(str(r[2])), int(str(r[3])), str(r[4]), tuple(str(r[5]).split(","))
        )
        for r in rows
    )
