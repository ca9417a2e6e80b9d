"""SageMaker Training through AWS Batch: service environments (capacity in instances), quota shares
of a SAGEMAKER_TRAINING job queue (capacity per instance type, lending and borrowing) and service
jobs, with the requests that create and change them. The local sandbox simulates the training."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from batchgui.domain.batch import tags_and_raw
from batchgui.domain.inventory_requests import Tagged
from batchgui.domain.names import name_problems
from batchgui.domain.problems import Problem, choice_problems

ApiDict = dict[str, Any]
SAGEMAKER_TRAINING = "SAGEMAKER_TRAINING"
NUM_INSTANCES = "NUM_INSTANCES"
STRATEGIES = ("RESERVE", "LEND", "LEND_AND_BORROW")
SERVICE_JOB_STATUSES = (
    "SUBMITTED",
    "PENDING",
    "RUNNABLE",
    "SCHEDULED",
    "STARTING",
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
)
MAX_PRIORITY = 9999
MAX_SHARE_LIMITS = 5


@dataclass(frozen=True)
class CapacityLimit:
    max_capacity: int
    unit: str = NUM_INSTANCES

    def to_api(self) -> ApiDict:
        return {"maxCapacity": self.max_capacity, "capacityUnit": self.unit}

    @classmethod
    def from_api(cls, data: ApiDict) -> CapacityLimit:
        return cls(int(data.get("maxCapacity", 0)), str(data.get("capacityUnit", NUM_INSTANCES)))


def _limits_of(data: ApiDict) -> tuple[CapacityLimit, ...]:
    """The capacityLimits of a service environment or quota share."""
    return tuple(CapacityLimit.from_api(x) for x in data.get("capacityLimits") or ())


def limits_text(limits: Sequence[CapacityLimit]) -> str:
    return ", ".join(f"{x.max_capacity} {x.unit}" for x in limits)


def parse_limits(pairs: Sequence[tuple[str, str]]) -> tuple[tuple[CapacityLimit, ...], list[str]]:
    """(unit, max capacity) rows of a form: the limits, and the rows that are not whole numbers."""
    limits: list[CapacityLimit] = []
    problems: list[str] = []
    for unit, text in pairs:
        try:
            limits.append(CapacityLimit(int(text), unit.strip()))
        except ValueError:
            problems.append(f"Capacity of {unit.strip() or '(no unit)'} must be a whole number, not {text!r}")
    return tuple(limits), problems


def _limits_problems(limits: Sequence[CapacityLimit], most: int = MAX_SHARE_LIMITS) -> list[Problem | str]:
    found: list[Problem | str] = []
    if not limits:
        found.append(Problem("capacityLimits", "name at least one capacity limit"))
    if len(limits) > most:
        found.append(Problem("capacityLimits", f"at most {most} capacity limits"))
    for position, limit in enumerate(limits):
        if limit.max_capacity < 1:
            found.append(Problem(f"capacityLimits[{position}].maxCapacity", "must be at least 1"))
        if not limit.unit:
            found.append(Problem(f"capacityLimits[{position}].capacityUnit", "name an instance type"))
    return found


# --- service environments ------------------------------------------------------------------------
@dataclass(frozen=True)
class ServiceEnvironment:
    name: str
    arn: str
    state: str
    status: str
    limits: tuple[CapacityLimit, ...] = ()
    environment_type: str = SAGEMAKER_TRAINING
    tags: dict[str, str] = field(default_factory=dict)
    raw: ApiDict = field(default_factory=dict, compare=False, repr=False)

    @property
    def max_instances(self) -> int:
        return sum(x.max_capacity for x in self.limits if x.unit == NUM_INSTANCES)

    @classmethod
    def from_api(cls, data: ApiDict) -> ServiceEnvironment:
        return cls(
            name=str(data["serviceEnvironmentName"]),
            arn=str(data["serviceEnvironmentArn"]),
            state=str(data.get("state", "")),
            status=str(data.get("status", "")),
            limits=_limits_of(data),
            environment_type=str(data.get("serviceEnvironmentType", SAGEMAKER_TRAINING)),
            **tags_and_raw(data),
        )


@dataclass(frozen=True)
class ServiceEnvironmentRequest(Tagged):
    """CreateServiceEnvironment (SAGEMAKER_TRAINING, capacity in NUM_INSTANCES)."""

    name: str
    max_instances: int
    state: str = "ENABLED"

    def to_api(self) -> ApiDict:
        return self.with_tags(
            {
                "serviceEnvironmentName": self.name,
                "serviceEnvironmentType": SAGEMAKER_TRAINING,
                "state": self.state,
                "capacityLimits": [CapacityLimit(self.max_instances).to_api()],
            }
        )

    def problems(self) -> list[Problem | str]:
        return [
            *name_problems("serviceEnvironmentName", self.name),
            *_limits_problems([CapacityLimit(self.max_instances)]),
        ]


@dataclass(frozen=True)
class ServiceEnvironmentUpdate:
    """UpdateServiceEnvironment: its instance limit, its state."""

    environment: str
    max_instances: int | None = None
    state: str | None = None

    def to_api(self) -> ApiDict:
        out: ApiDict = {"serviceEnvironment": self.environment}
        if self.max_instances is not None:
            out["capacityLimits"] = [CapacityLimit(self.max_instances).to_api()]
        if self.state is not None:
            out["state"] = self.state
        return out

    def problems(self) -> list[Problem | str]:
        if self.max_instances is None:
            return []
        return _limits_problems([CapacityLimit(self.max_instances)])


# --- quota shares --------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuotaShare:
    name: str
    arn: str
    queue_arn: str
    state: str
    status: str
    limits: tuple[CapacityLimit, ...] = ()
    strategy: str = "RESERVE"
    borrow_limit: int | None = None  # percent of the limits; -1: any amount
    in_share_preemption: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    raw: ApiDict = field(default_factory=dict, compare=False, repr=False)
    # What the share's jobs hold now, per capacity unit (GetJobQueueSnapshot's
    # quotaShareUtilization); None where the endpoint does not report it.
    in_use: dict[str, float] | None = None

    @property
    def queue_name(self) -> str:
        return self.queue_arn.rsplit("/", 1)[-1]

    @property
    def in_use_text(self) -> str:
        """Use against each limit ("2 of 4 ml.m5.large"); a NUM_INSTANCES limit counts every type."""
        if self.in_use is None:
            return "not reported"
        used = self.in_use
        parts = [
            f"{sum(used.values()) if x.unit == NUM_INSTANCES else used.get(x.unit, 0.0):g} of "
            f"{x.max_capacity} {x.unit}"
            for x in self.limits
        ]
        return ", ".join(parts) or ", ".join(f"{n:g} {unit}" for unit, n in sorted(used.items()))

    @property
    def sharing_text(self) -> str:
        if self.strategy != "LEND_AND_BORROW" or self.borrow_limit is None:
            return self.strategy
        return f"{self.strategy} (borrow {'any' if self.borrow_limit < 0 else f'≤ {self.borrow_limit} %'})"

    @classmethod
    def from_api(cls, data: ApiDict) -> QuotaShare:
        sharing = data.get("resourceSharingConfiguration") or {}
        return cls(
            name=str(data["quotaShareName"]),
            arn=str(data["quotaShareArn"]),
            queue_arn=str(data.get("jobQueueArn", "")),
            state=str(data.get("state", "")),
            status=str(data.get("status", "")),
            limits=_limits_of(data),
            strategy=str(sharing.get("strategy", "RESERVE")),
            borrow_limit=int(sharing["borrowLimit"]) if "borrowLimit" in sharing else None,
            in_share_preemption=(data.get("preemptionConfiguration") or {}).get("inSharePreemption")
            == "ENABLED",
            **tags_and_raw(data),
        )


@dataclass(frozen=True)
class ShareSettings:
    """What CreateQuotaShare and UpdateQuotaShare both set."""

    limits: tuple[CapacityLimit, ...]
    strategy: str = "RESERVE"
    borrow_limit: int | None = None
    in_share_preemption: bool = False

    def to_api(self) -> ApiDict:
        sharing: ApiDict = {"strategy": self.strategy}
        if self.strategy == "LEND_AND_BORROW" and self.borrow_limit is not None:
            sharing["borrowLimit"] = self.borrow_limit
        return {
            "capacityLimits": [x.to_api() for x in self.limits],
            "resourceSharingConfiguration": sharing,
            "preemptionConfiguration": {
                "inSharePreemption": "ENABLED" if self.in_share_preemption else "DISABLED"
            },
        }

    def problems(self) -> list[Problem | str]:
        found = _limits_problems(self.limits)
        found += choice_problems("resourceSharingConfiguration.strategy", self.strategy, STRATEGIES)
        if self.borrow_limit is not None and self.borrow_limit < -1:
            found.append(Problem("resourceSharingConfiguration.borrowLimit", "a percentage, or -1 for any"))
        return found


@dataclass(frozen=True)
class QuotaShareRequest(Tagged):
    """CreateQuotaShare on a SAGEMAKER_TRAINING job queue."""

    name: str
    queue: str
    settings: ShareSettings

    def to_api(self) -> ApiDict:
        return self.with_tags({"quotaShareName": self.name, "jobQueue": self.queue, **self.settings.to_api()})

    def problems(self) -> list[Problem | str]:
        found: list[Problem | str] = [*name_problems("quotaShareName", self.name)]
        if not self.queue:
            found.append(Problem("jobQueue", "choose a SAGEMAKER_TRAINING job queue"))
        return [*found, *self.settings.problems()]


@dataclass(frozen=True)
class QuotaShareUpdate:
    """UpdateQuotaShare (the name and queue can't change)."""

    arn: str
    settings: ShareSettings
    state: str | None = None

    def to_api(self) -> ApiDict:
        out = {"quotaShareArn": self.arn, **self.settings.to_api()}
        return out | {"state": self.state} if self.state else out

    def problems(self) -> list[Problem | str]:
        return self.settings.problems()


# --- service jobs --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServiceJob:
    job_id: str
    name: str
    status: str
    queue_name: str = ""
    status_reason: str = ""
    quota_share: str = ""
    share_identifier: str = ""
    priority: int | None = None
    instances: float = 0.0
    created_at_ms: int = 0
    started_at_ms: int = 0
    stopped_at_ms: int = 0
    training_job_arn: str = ""
    raw: ApiDict = field(default_factory=dict, compare=False, repr=False)

    @property
    def arn(self) -> str:
        return str(self.raw.get("jobArn", ""))

    @property
    def finished(self) -> bool:
        return self.status in ("SUCCEEDED", "FAILED")

    @classmethod
    def from_api(cls, data: ApiDict, queue_name: str = "") -> ServiceJob:
        attempt = data.get("latestAttempt") or {}
        resource = attempt.get("serviceResourceId") or {}
        return cls(
            job_id=str(data["jobId"]),
            name=str(data.get("jobName", "")),
            status=str(data.get("status", "")),
            queue_name=queue_name or str(data.get("jobQueue", "")).rsplit("/", 1)[-1],
            status_reason=str(data.get("statusReason", "")),
            quota_share=str(data.get("quotaShareName", "")),
            share_identifier=str(data.get("shareIdentifier", "")),
            priority=int(data["schedulingPriority"]) if "schedulingPriority" in data else None,
            instances=sum(float(c.get("quantity", 0)) for c in data.get("capacityUsage") or ()),
            created_at_ms=int(data.get("createdAt", 0)),
            started_at_ms=int(data.get("startedAt", 0)),
            stopped_at_ms=int(data.get("stoppedAt", 0)),
            training_job_arn=str(resource.get("value", "")),
            raw=data,
        )


@dataclass(frozen=True)
class ServiceJobRequest(Tagged):
    """SubmitServiceJob: a SageMaker CreateTrainingJob request as the payload."""

    name: str
    queue: str
    payload: str
    quota_share: str = ""
    share_identifier: str = ""
    priority: int | None = None
    timeout_s: int | None = None

    def to_api(self) -> ApiDict:
        out: ApiDict = {
            "jobName": self.name,
            "jobQueue": self.queue,
            "serviceJobType": SAGEMAKER_TRAINING,
            "serviceRequestPayload": self.payload,
        }
        if self.quota_share:
            out["quotaShareName"] = self.quota_share
        if self.share_identifier:
            out["shareIdentifier"] = self.share_identifier
        if self.priority is not None:
            out["schedulingPriority"] = self.priority
        if self.timeout_s is not None:
            out["timeoutConfig"] = {"attemptDurationSeconds": self.timeout_s}
        return self.with_tags(out)

    def problems(self) -> list[Problem | str]:
        found: list[Problem | str] = [*name_problems("jobName", self.name, job=True)]
        if not self.queue:
            found.append(Problem("jobQueue", "choose a SAGEMAKER_TRAINING job queue"))
        try:
            document = json.loads(self.payload)
        except ValueError as error:
            found.append(Problem("serviceRequestPayload", f"is not JSON: {error}"))
        else:
            if not isinstance(document, dict):
                found.append(
                    Problem("serviceRequestPayload", "must be a JSON object (a CreateTrainingJob request)")
                )
        if self.priority is not None and not 0 <= self.priority <= MAX_PRIORITY:
            found.append(Problem("schedulingPriority", f"0 to {MAX_PRIORITY}"))
        return found
