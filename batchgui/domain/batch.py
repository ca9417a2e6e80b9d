"""The four AWS Batch objects as typed, immutable values.

`from_api` builds each from the dict the Batch API returns; `raw` keeps that dict for the raw-JSON view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

ApiDict = dict[str, Any]


class JobStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    PENDING = "PENDING"
    RUNNABLE = "RUNNABLE"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    @classmethod
    def active(cls) -> tuple[JobStatus, ...]:
        return tuple(s for s in cls if not s.is_terminal)


@dataclass(frozen=True)
class JobCount:
    """Jobs of one status in one queue, as counted through ListJobs pages."""

    count: int
    # True when counting stopped at the limit: "at least `count`".
    capped: bool = False

    def text(self) -> str:
        return f"{self.count}+" if self.capped else str(self.count)


class Platform(StrEnum):
    FARGATE = "FARGATE"
    FARGATE_SPOT = "FARGATE_SPOT"
    EC2 = "EC2"
    SPOT = "SPOT"

    @property
    def is_fargate(self) -> bool:
        return self in (Platform.FARGATE, Platform.FARGATE_SPOT)


def ms_to_datetime(value: int | float | None) -> datetime | None:
    """Batch reports times as epoch milliseconds."""
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def tags_and_raw(data: ApiDict) -> dict[str, Any]:
    """The fields every Batch object has: its tags, and the dict it was read from (for the JSON view)."""
    return {"tags": dict(data.get("tags") or {}), "raw": data}


def requirement_value(requirements: Iterable[Mapping[str, Any]], kind: str) -> str | None:
    """The value of a container's first resource requirement of `kind` (VCPU, MEMORY, GPU) as text;
    None when it has none."""
    for item in requirements:
        if item.get("type") == kind:
            return str(item.get("value", ""))
    return None


@dataclass(frozen=True)
class ComputeEnvironment:
    name: str
    arn: str
    type: str
    state: str
    status: str
    status_reason: str = ""
    platform: Platform | None = None
    min_vcpus: int | None = None
    desired_vcpus: int | None = None
    max_vcpus: int | None = None
    instance_types: tuple[str, ...] = ()
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    allocation_strategy: str = ""
    ecs_cluster_arn: str = ""
    service_role: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    raw: ApiDict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: ApiDict) -> ComputeEnvironment:
        resources: ApiDict = data.get("computeResources") or {}
        platform = Platform(resources["type"]) if resources.get("type") in Platform.__members__ else None
        return cls(
            name=data["computeEnvironmentName"],
            arn=data["computeEnvironmentArn"],
            type=data.get("type", ""),
            state=data.get("state", ""),
            status=data.get("status", ""),
            status_reason=data.get("statusReason", ""),
            platform=platform,
            min_vcpus=resources.get("minvCpus"),
            desired_vcpus=resources.get("desiredvCpus"),
            max_vcpus=resources.get("maxvCpus"),
            instance_types=tuple(resources.get("instanceTypes") or ()),
            subnets=tuple(resources.get("subnets") or ()),
            security_groups=tuple(resources.get("securityGroupIds") or ()),
            allocation_strategy=resources.get("allocationStrategy", ""),
            ecs_cluster_arn=data.get("ecsClusterArn", ""),
            service_role=data.get("serviceRole", ""),
            **tags_and_raw(data),
        )


@dataclass(frozen=True)
class ComputeEnvironmentOrder:
    order: int
    arn: str

    @property
    def name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class JobQueue:
    name: str
    arn: str
    state: str
    status: str
    priority: int
    status_reason: str = ""
    compute_environments: tuple[ComputeEnvironmentOrder, ...] = ()
    scheduling_policy_arn: str = ""
    state_time_limit_actions: tuple[ApiDict, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    raw: ApiDict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: ApiDict) -> JobQueue:
        order = sorted(
            (
                ComputeEnvironmentOrder(int(o.get("order", 0)), o.get("computeEnvironment", ""))
                for o in data.get("computeEnvironmentOrder") or ()
            ),
            key=lambda o: o.order,
        )
        return cls(
            name=data["jobQueueName"],
            arn=data["jobQueueArn"],
            state=data.get("state", ""),
            status=data.get("status", ""),
            priority=int(data.get("priority", 0)),
            status_reason=data.get("statusReason", ""),
            compute_environments=tuple(order),
            scheduling_policy_arn=data.get("schedulingPolicyArn", ""),
            state_time_limit_actions=tuple(data.get("jobStateTimeLimitActions") or ()),
            **tags_and_raw(data),
        )


@dataclass(frozen=True)
class JobDefinition:
    name: str
    arn: str
    revision: int
    status: str
    type: str
    platform: str
    image: str = ""
    vcpus: str | None = None
    memory_mib: str | None = None
    gpus: str | None = None
    command: tuple[str, ...] = ()
    timeout_s: int | None = None
    retry_attempts: int | None = None
    log_driver: str = ""
    log_options: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    raw: ApiDict = field(default_factory=dict, compare=False, repr=False)

    @property
    def name_revision(self) -> str:
        return f"{self.name}:{self.revision}"

    @classmethod
    def from_api(cls, data: ApiDict) -> JobDefinition:
        container: ApiDict = data.get("containerProperties") or {}
        requirements: list[ApiDict] = container.get("resourceRequirements") or []
        vcpus = requirement_value(requirements, "VCPU") or (
            str(container["vcpus"]) if "vcpus" in container else None
        )
        memory = requirement_value(requirements, "MEMORY") or (
            str(container["memory"]) if "memory" in container else None
        )
        log: ApiDict = container.get("logConfiguration") or {}
        capabilities = data.get("platformCapabilities") or ["EC2"]
        return cls(
            name=data["jobDefinitionName"],
            arn=data["jobDefinitionArn"],
            revision=int(data.get("revision", 0)),
            status=data.get("status", ""),
            type=data.get("type", ""),
            platform=str(capabilities[0]),
            image=container.get("image", ""),
            vcpus=vcpus,
            memory_mib=memory,
            gpus=requirement_value(requirements, "GPU"),
            command=tuple(container.get("command") or ()),
            timeout_s=(data.get("timeout") or {}).get("attemptDurationSeconds"),
            retry_attempts=(data.get("retryStrategy") or {}).get("attempts"),
            log_driver=log.get("logDriver", ""),
            log_options=dict(log.get("options") or {}),
            parameters=dict(data.get("parameters") or {}),
            **tags_and_raw(data),
        )


@dataclass(frozen=True)
class JobSummary:
    """A row of ListJobs (or the summary part of DescribeJobs)."""

    job_id: str
    name: str
    status: JobStatus
    job_arn: str = ""
    status_reason: str = ""
    queue: str = ""
    job_definition: str = ""
    created_at: int | None = None
    started_at: int | None = None
    stopped_at: int | None = None
    exit_code: int | None = None
    array_size: int | None = None
    # A node of a multi-node parallel job (`jobId#N`) is shown like an array child: its node index
    # is its array_index. num_nodes is set on the multi-node job itself.
    array_index: int | None = None
    num_nodes: int | None = None
    is_main_node: bool = False

    @classmethod
    def from_api(cls, data: ApiDict, queue: str = "") -> JobSummary:
        container: ApiDict = data.get("container") or {}
        array: ApiDict = data.get("arrayProperties") or {}
        node: ApiDict = data.get("nodeDetails") or data.get("nodeProperties") or {}
        queue_name = data.get("jobQueue", queue)
        return cls(
            job_id=data["jobId"],
            name=data.get("jobName", ""),
            status=JobStatus(data["status"]),
            job_arn=data.get("jobArn", ""),
            status_reason=data.get("statusReason", ""),
            queue=queue_name.rsplit("/", 1)[-1] if queue_name else "",
            job_definition=data.get("jobDefinition", ""),
            created_at=data.get("createdAt"),
            started_at=data.get("startedAt"),
            stopped_at=data.get("stoppedAt"),
            exit_code=container.get("exitCode"),
            array_size=array.get("size"),
            array_index=array.get("index", node.get("nodeIndex")),
            num_nodes=None if "nodeIndex" in node else node.get("numNodes"),
            is_main_node=bool(node.get("isMainNode")),
        )

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None:
            return None
        if self.stopped_at is None:
            return None
        return (self.stopped_at - self.started_at) / 1000
