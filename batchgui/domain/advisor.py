"""Fargate or EC2? Advice for a new compute environment, from AWS's own guidance.

AWS Batch user guide, "When to use Fargate" and "Choose the right compute environment resource":
Fargate is recommended for most workloads — jobs start in about 30 seconds, no servers to manage —
as long as each job needs at most 16 vCPU, 120 GiB and no GPU. EC2 is recommended for GPUs, custom
AMIs or launch templates, Elastic Fabric Adapter, linuxParameters, specific instance types, or very
high throughput/concurrency (beyond Fargate's launch-rate quotas).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from batchgui.domain.fargate import MAX_MEMORY_MIB, MAX_VCPUS

# Above this many jobs running at once, Fargate's task-launch quotas (ECS service quotas) become the
# bottleneck and EC2 dispatches faster; AWS names no single figure, so this is a conservative mark.
HIGH_CONCURRENCY_JOBS = 1000


class Choice(StrEnum):
    FARGATE = "FARGATE"
    EC2 = "EC2"


@dataclass(frozen=True)
class WorkloadAnswers:
    """What the wizard asks about the jobs that will run in the environment."""

    needs_gpu: bool = False
    max_vcpus_per_job: float = 1.0
    max_memory_gib_per_job: float = 2.0
    needs_fast_start: bool = True
    custom_ami: bool = False
    needs_efa: bool = False
    linux_parameters: bool = False
    specific_instance_types: bool = False
    concurrent_jobs: int = 10
    interruptible: bool = False


@dataclass(frozen=True)
class Advice:
    choice: Choice
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    spot: bool = False

    @property
    def platform(self) -> str:
        """The computeResources.type to propose."""
        if self.choice is Choice.FARGATE:
            return "FARGATE_SPOT" if self.spot else "FARGATE"
        return "SPOT" if self.spot else "EC2"

    def text(self) -> str:
        head = f"Recommended: {self.platform}"
        lines = [head, *(f"• {r}" for r in self.reasons)]
        if self.notes:
            lines.append("")
            lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)


def advise(answers: WorkloadAnswers) -> Advice:
    """Propose FARGATE or EC2 (and Spot if the jobs can be interrupted), with the reasons."""
    needs_ec2: list[str] = []
    if answers.needs_gpu:
        needs_ec2.append("The jobs need GPUs; Fargate offers none.")
    if answers.max_vcpus_per_job > MAX_VCPUS:
        needs_ec2.append(
            f"A job needs {answers.max_vcpus_per_job:g} vCPU; Fargate allows at most {MAX_VCPUS:g} per job."
        )
    if answers.max_memory_gib_per_job * 1024 > MAX_MEMORY_MIB:
        needs_ec2.append(
            f"A job needs {answers.max_memory_gib_per_job:g} GiB; Fargate allows at most "
            f"{MAX_MEMORY_MIB // 1024} GiB per job."
        )
    if answers.custom_ami:
        needs_ec2.append("A custom AMI or launch template needs EC2 instances.")
    if answers.needs_efa:
        needs_ec2.append("Elastic Fabric Adapter is available on EC2 only.")
    if answers.linux_parameters:
        needs_ec2.append("linuxParameters (devices, swap, shared memory, tmpfs) work on EC2 only.")
    if answers.specific_instance_types:
        needs_ec2.append("You want to choose the instance types, which only EC2 lets you do.")
    if answers.concurrent_jobs > HIGH_CONCURRENCY_JOBS:
        needs_ec2.append(
            f"{answers.concurrent_jobs} jobs at once is very high concurrency: EC2 dispatches jobs faster "
            "than Fargate's launch quotas allow."
        )
    notes: list[str] = []
    if needs_ec2:
        if answers.interruptible:
            # AWS's own figures: EC2 Spot up to 90% off On-Demand, Fargate Spot up to 70%.
            notes.append("The jobs can be interrupted, so Spot capacity is proposed: up to 90% cheaper.")
        if answers.needs_fast_start:
            notes.append(
                "EC2 instances take a few minutes to start when the environment scales up from zero."
            )
        return Advice(Choice.EC2, needs_ec2, notes, spot=answers.interruptible)
    reasons = [
        f"Each job fits Fargate's limits ({answers.max_vcpus_per_job:g} vCPU ≤ {MAX_VCPUS:g}, "
        f"{answers.max_memory_gib_per_job:g} GiB ≤ {MAX_MEMORY_MIB // 1024} GiB, no GPU).",
        "AWS recommends Fargate for most workloads: no instances to choose, scale or patch.",
    ]
    if answers.needs_fast_start:
        reasons.append("Fargate jobs start in about 30 seconds; new EC2 instances take minutes.")
    if answers.interruptible:
        notes.append("The jobs can be interrupted, so Fargate Spot is proposed: up to 70% cheaper.")
    return Advice(Choice.FARGATE, reasons, notes, spot=answers.interruptible)
