"""What one job asks for and how the poller tracks it: resources from DescribeJobs, TrackedJob."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_tracking import CREATED, NAME, QUEUE, REASON, RESOURCES, STATUS, ActiveRow


@dataclass(frozen=True)
class JobResources:
    """What a job asks for, from DescribeJobs: container.resourceRequirements or the legacy fields."""

    vcpus: float
    memory_mib: float
    platform_capabilities: tuple[str, ...] = ()


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def resources_from_description(job: Mapping[str, Any]) -> JobResources:
    """vCPUs and MiB from a DescribeJobs entry (0 when the job does not say, e.g. an array parent)."""
    container: Mapping[str, Any] = job.get("container") or {}
    vcpus: float | None = None
    memory: float | None = None
    for item in container.get("resourceRequirements") or ():
        kind = item.get("type")
        if kind == "VCPU":
            vcpus = _number(item.get("value"))
        elif kind == "MEMORY":
            memory = _number(item.get("value"))
    if vcpus is None:
        vcpus = _number(container.get("vcpus"))
    if memory is None:
        memory = _number(container.get("memory"))
    capabilities = tuple(str(c) for c in job.get("platformCapabilities") or ())
    return JobResources(vcpus or 0.0, memory or 0.0, capabilities)


@dataclass(frozen=True)
class TrackedJob:
    """An active job as the poller last saw it."""

    job_id: str
    name: str
    queue: str
    status: JobStatus
    created_at_ms: int | None = None
    status_reason: str = ""
    resources: JobResources | None = None

    @classmethod
    def from_summary(cls, summary: JobSummary, queue: str) -> TrackedJob:
        return cls(
            summary.job_id,
            summary.name,
            queue,
            summary.status,
            summary.created_at,
            summary.status_reason,
        )

    def updated(self, summary: JobSummary) -> TrackedJob:
        return TrackedJob(
            self.job_id,
            summary.name or self.name,
            self.queue,
            summary.status,
            summary.created_at if summary.created_at is not None else self.created_at_ms,
            summary.status_reason,
            self.resources,
        )

    @classmethod
    def from_row(cls, job_id: str, row: ActiveRow) -> TrackedJob:
        resources = row[RESOURCES]
        return cls(
            job_id,
            row[NAME],
            row[QUEUE],
            JobStatus(row[STATUS]),
            row[CREATED],
            row[REASON],
            None if resources is None else JobResources(*resources),
        )

    def row(self) -> ActiveRow:
        """The poller's compact form of this job."""
        resources = self.resources
        return (
            self.name,
            self.queue,
            self.status.value,
            self.created_at_ms,
            self.status_reason,
            None
            if resources is None
            else (resources.vcpus, resources.memory_mib, resources.platform_capabilities),
        )

    def with_resources(self, resources: JobResources) -> TrackedJob:
        return TrackedJob(
            self.job_id, self.name, self.queue, self.status, self.created_at_ms, self.status_reason, resources
        )
