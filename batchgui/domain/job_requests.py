"""Typed requests and results of the job calls: ListJobs filters, SubmitJob, Cancel/TerminateJobs.

`to_api()` gives the wire form (the camelCase names AWS Batch uses); nothing above the gateways
builds those dicts itself. `SubmitJobRequest.from_detail` is a job as it was submitted (clone,
resubmit), and `with_overrides` is a resubmission: the job's own request with the edited overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from batchgui.domain.job_detail import JobDetail

ApiDict = dict[str, Any]
# retryStrategy.attempts is 1 to 10; the forms bound a timeout (attemptDurationSeconds, at least 60)
# at two weeks and a memory override at 1,000,000 MiB.
MAX_ATTEMPTS = 10
MIN_TIMEOUT_S = 60
MAX_TIMEOUT_S = 14 * 24 * 3600
MAX_MEMORY_MIB = 1_000_000


@dataclass(frozen=True)
class JobFilters:
    """ListJobs filters. With any of them set, ListJobs ignores the status and pages by 100."""

    name_prefix: str = ""
    created_after_ms: int | None = None
    created_before_ms: int | None = None

    @property
    def active(self) -> bool:
        return (
            bool(self.name_prefix) or self.created_after_ms is not None or self.created_before_ms is not None
        )

    def api_filters(self) -> list[ApiDict]:
        filters: list[ApiDict] = []
        if self.name_prefix:
            filters.append({"name": "JOB_NAME", "values": [self.name_prefix.rstrip("*") + "*"]})
        if self.created_after_ms is not None:
            filters.append({"name": "AFTER_CREATED_AT", "values": [str(self.created_after_ms)]})
        if self.created_before_ms is not None:
            filters.append({"name": "BEFORE_CREATED_AT", "values": [str(self.created_before_ms)]})
        return filters


@dataclass(frozen=True)
class StopResult:
    """What CancelJob(s)/TerminateJob(s) said about one job: ok, or the error in a person's words."""

    job_id: str
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class SubmittedJob:
    job_id: str
    job_name: str
    job_arn: str


@dataclass(frozen=True)
class ContainerOverrides:
    """SubmitJob's containerOverrides: empty fields keep the job definition's values."""

    command: tuple[str, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    vcpus: str = ""
    memory_mib: str = ""

    def __bool__(self) -> bool:
        return bool(self.command or self.environment or self.vcpus or self.memory_mib)

    @property
    def has_resources(self) -> bool:
        return bool(self.vcpus or self.memory_mib)

    def to_api(self) -> ApiDict:
        out: ApiDict = {}
        if self.command:
            out["command"] = list(self.command)
        if self.environment:
            out["environment"] = [{"name": n, "value": v} for n, v in self.environment]
        requirements = []
        if self.vcpus:
            requirements.append({"type": "VCPU", "value": self.vcpus})
        if self.memory_mib:
            requirements.append({"type": "MEMORY", "value": self.memory_mib})
        if requirements:
            out["resourceRequirements"] = requirements
        return out

    def merged(self, other: ContainerOverrides) -> ContainerOverrides:
        """These overrides with `other`'s in place where `other` sets them (resources as one block)."""
        source = other if other.has_resources else self
        vcpus, memory = source.vcpus, source.memory_mib
        return ContainerOverrides(
            other.command or self.command, other.environment or self.environment, vcpus, memory
        )


@dataclass(frozen=True)
class SubmitJobRequest:
    """One SubmitJob call. Unset (empty, None) fields are left out of the request."""

    job_name: str = ""
    job_queue: str = ""
    job_definition: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    overrides: ContainerOverrides = field(default_factory=ContainerOverrides)
    array_size: int | None = None
    depends_on: tuple[str, ...] = ()
    retry_attempts: int | None = None
    timeout_s: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def to_api(self) -> ApiDict:
        request: ApiDict = {
            "jobName": self.job_name,
            "jobQueue": self.job_queue,
            "jobDefinition": self.job_definition,
        }
        if self.parameters:
            request["parameters"] = dict(self.parameters)
        if self.overrides:
            request["containerOverrides"] = self.overrides.to_api()
        if self.array_size:
            request["arrayProperties"] = {"size": self.array_size}
        if self.depends_on:
            request["dependsOn"] = [{"jobId": d} for d in self.depends_on]
        if self.retry_attempts:
            request["retryStrategy"] = {"attempts": self.retry_attempts}
        if self.timeout_s:
            request["timeout"] = {"attemptDurationSeconds": self.timeout_s}
        if self.tags:
            request["tags"] = dict(self.tags)
        return request

    @classmethod
    def from_detail(cls, detail: JobDetail) -> SubmitJobRequest:
        """A request that runs the job again as it was submitted (name, queue, overrides…)."""
        raw = detail.raw
        container: ApiDict = raw.get("container") or {}
        requirements = {
            str(r.get("type")): str(r.get("value"))
            for r in container.get("resourceRequirements") or ()
            if r.get("type") in ("VCPU", "MEMORY")
        }
        summary = detail.summary
        return cls(
            job_name=summary.name,
            job_queue=str(raw.get("jobQueue", summary.queue)),
            job_definition=str(raw.get("jobDefinition", summary.job_definition)),
            parameters=dict(detail.parameters),
            overrides=ContainerOverrides(
                detail.command,
                detail.environment,
                requirements.get("VCPU", ""),
                requirements.get("MEMORY", ""),
            ),
            array_size=summary.array_size if summary.array_size and summary.array_index is None else None,
            retry_attempts=detail.retry_attempts or None,
            timeout_s=detail.timeout_s or None,
            tags=dict(detail.tags),
        )

    def with_overrides(self, edited: SubmitJobRequest) -> SubmitJobRequest:
        """A resubmission: this request with `edited`'s container overrides, retries and timeout."""
        return replace(
            self,
            overrides=self.overrides.merged(edited.overrides),
            retry_attempts=edited.retry_attempts or self.retry_attempts,
            timeout_s=edited.timeout_s or self.timeout_s,
        )
