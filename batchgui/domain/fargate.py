"""AWS Fargate's rules for Batch jobs: the valid vCPU/memory pairs and the limits per job.

From the AWS Batch user guide ("Job definitions on Fargate", resourceRequirements): a Fargate job
asks for one of a fixed set of vCPU values, and for each vCPU value only some memory sizes are
accepted. No GPUs, at most 16 vCPU and 120 GiB per job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from batchgui.domain.problems import Problem

# Problem is re-exported: request forms import it from here as well as from domain.problems.
__all__ = [
    "MAX_MEMORY_MIB",
    "MAX_VCPUS",
    "VALID_MEMORY_MIB",
    "VALID_VCPUS",
    "Problem",
    "describe_memory_range",
    "fargate_definition_problems",
    "fargate_problems",
    "is_fargate_request",
    "nearest_valid_memory",
]

MAX_VCPUS = 16.0
MAX_MEMORY_MIB = 120 * 1024


def _steps(first: int, last: int, step: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1, step))


# vCPU -> the memory sizes (MiB) Fargate accepts with it.
VALID_MEMORY_MIB: dict[float, tuple[int, ...]] = {
    0.25: (512, 1024, 2048),
    0.5: _steps(1024, 4096, 1024),
    1.0: _steps(2048, 8192, 1024),
    2.0: _steps(4096, 16384, 1024),
    4.0: _steps(8192, 30720, 1024),
    8.0: _steps(16384, 61440, 4096),
    16.0: _steps(32768, 122880, 8192),
}
VALID_VCPUS: tuple[float, ...] = tuple(VALID_MEMORY_MIB)


def _fmt_vcpus(value: float) -> str:
    return f"{value:g}"


def describe_memory_range(vcpus: float) -> str:
    """'2048-8192 MiB in steps of 1024' for a valid vCPU value."""
    sizes = VALID_MEMORY_MIB[vcpus]
    if len(sizes) <= 3:
        return ", ".join(str(s) for s in sizes) + " MiB"
    return f"{sizes[0]}-{sizes[-1]} MiB in steps of {sizes[1] - sizes[0]}"


def fargate_problems(vcpus: float, memory_mib: int) -> list[str]:
    """Why Fargate would refuse a job with this vCPU and memory; empty if it accepts it."""
    problems: list[str] = []
    if vcpus > MAX_VCPUS:
        problems.append(f"Fargate allows at most {_fmt_vcpus(MAX_VCPUS)} vCPU per job (asked {vcpus:g}).")
    if memory_mib > MAX_MEMORY_MIB:
        problems.append(
            f"Fargate allows at most {MAX_MEMORY_MIB} MiB (120 GiB) per job (asked {memory_mib} MiB)."
        )
    if problems:
        return problems
    if vcpus not in VALID_MEMORY_MIB:
        allowed = ", ".join(_fmt_vcpus(v) for v in VALID_VCPUS)
        return [f"Fargate vCPU must be one of {allowed} (asked {vcpus:g})."]
    if memory_mib not in VALID_MEMORY_MIB[vcpus]:
        return [
            f"With {vcpus:g} vCPU, Fargate memory must be {describe_memory_range(vcpus)} "
            f"(asked {memory_mib} MiB)."
        ]
    return []


def nearest_valid_memory(vcpus: float, memory_mib: int) -> int | None:
    """The smallest valid memory size >= memory_mib for this vCPU value (a suggestion for the user)."""
    for size in VALID_MEMORY_MIB.get(vcpus, ()):
        if size >= memory_mib:
            return size
    return None


def _requirement(container: Mapping[str, Any], kind: str) -> tuple[int, Any] | None:
    for position, item in enumerate(container.get("resourceRequirements") or ()):
        if isinstance(item, Mapping) and item.get("type") == kind:
            return position, item.get("value")
    return None


def is_fargate_request(request: Mapping[str, Any]) -> bool:
    capabilities = request.get("platformCapabilities") or ()
    return isinstance(capabilities, list | tuple) and "FARGATE" in capabilities


def fargate_definition_problems(request: Mapping[str, Any]) -> list[Problem]:
    """Fargate's rules for a RegisterJobDefinition request (only checked when FARGATE is asked for)."""
    if not is_fargate_request(request):
        return []
    container = request.get("containerProperties")
    base = "containerProperties"
    if not isinstance(container, Mapping):
        return [Problem(base, "a Fargate job definition needs containerProperties")]
    problems: list[Problem] = []
    if request.get("type", "container") != "container":
        problems.append(Problem("type", "Fargate job definitions must be of type 'container'"))
    for legacy in ("vcpus", "memory"):
        if legacy in container:
            problems.append(
                Problem(
                    f"{base}.{legacy}",
                    "Fargate does not accept vcpus/memory: use resourceRequirements (VCPU, MEMORY)",
                )
            )
    vcpu = _requirement(container, "VCPU")
    memory = _requirement(container, "MEMORY")
    gpu = _requirement(container, "GPU")
    if gpu is not None:
        problems.append(
            Problem(
                f"{base}.resourceRequirements[{gpu[0]}]",
                "Fargate jobs can't use GPUs: use an EC2 environment",
            )
        )
    vcpu_value: float | None = None
    memory_value: int | None = None
    if vcpu is None:
        problems.append(Problem(f"{base}.resourceRequirements", "a VCPU requirement is required on Fargate"))
    else:
        try:
            vcpu_value = float(vcpu[1])
        except (TypeError, ValueError):
            problems.append(Problem(f"{base}.resourceRequirements[{vcpu[0]}].value", "VCPU must be a number"))
    if memory is None:
        problems.append(
            Problem(f"{base}.resourceRequirements", "a MEMORY requirement is required on Fargate")
        )
    else:
        try:
            memory_value = int(str(memory[1]))
        except (TypeError, ValueError):
            problems.append(
                Problem(
                    f"{base}.resourceRequirements[{memory[0]}].value", "MEMORY must be a whole number of MiB"
                )
            )
    if vcpu_value is not None and memory_value is not None and vcpu is not None:
        path = f"{base}.resourceRequirements[{vcpu[0]}]"
        problems.extend(Problem(path, text) for text in fargate_problems(vcpu_value, memory_value))
    if not container.get("executionRoleArn"):
        problems.append(
            Problem(
                f"{base}.executionRoleArn",
                "Fargate jobs need an execution role (to pull the image and write logs)",
            )
        )
    network = container.get("networkConfiguration")
    if network is not None:
        if not isinstance(network, Mapping):
            problems.append(Problem(f"{base}.networkConfiguration", "must be an object"))
        elif network.get("assignPublicIp", "DISABLED") not in ("ENABLED", "DISABLED"):
            problems.append(
                Problem(f"{base}.networkConfiguration.assignPublicIp", "must be ENABLED or DISABLED")
            )
    for ec2_only in ("linuxParameters",):
        params = container.get(ec2_only)
        if isinstance(params, Mapping) and any(
            k in params for k in ("devices", "maxSwap", "swappiness", "sharedMemorySize", "tmpfs")
        ):
            problems.append(
                Problem(f"{base}.{ec2_only}", "devices, swap, shared memory and tmpfs are EC2-only")
            )
    if container.get("privileged"):
        problems.append(Problem(f"{base}.privileged", "privileged containers are not allowed on Fargate"))
    return problems
