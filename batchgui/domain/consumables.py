"""Consumable resources (resource-aware scheduling): what one is (total, in use, available), the jobs
that hold or wait for it, and the requests that create and change it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batchgui.domain.batch import tags_and_raw
from batchgui.domain.inventory_requests import Tagged
from batchgui.domain.names import name_problems
from batchgui.domain.problems import Problem, choice_problems

ApiDict = dict[str, Any]
RESOURCE_TYPES = ("REPLENISHABLE", "NON_REPLENISHABLE")
# UpdateConsumableResource's operations on totalQuantity.
OPERATIONS = ("SET", "ADD", "REMOVE")
MAX_QUANTITY = 10**12


def _quantity_problems(path: str, quantity: int) -> list[Problem]:
    if 0 <= quantity <= MAX_QUANTITY:
        return []
    return [Problem(path, f"must be a whole number from 0 to {MAX_QUANTITY:,}")]


@dataclass(frozen=True)
class ConsumableResource:
    name: str
    arn: str
    total: int
    in_use: int
    resource_type: str
    available: int | None = None  # DescribeConsumableResource only; else total - in use
    created_at_ms: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    raw: ApiDict = field(default_factory=dict, compare=False, repr=False)

    @property
    def free(self) -> int:
        return self.available if self.available is not None else max(0, self.total - self.in_use)

    @classmethod
    def from_api(cls, data: ApiDict) -> ConsumableResource:
        return cls(
            name=str(data["consumableResourceName"]),
            arn=str(data["consumableResourceArn"]),
            total=int(data.get("totalQuantity", 0)),
            in_use=int(data.get("inUseQuantity", 0)),
            resource_type=str(data.get("resourceType", "REPLENISHABLE")),
            available=int(data["availableQuantity"]) if "availableQuantity" in data else None,
            created_at_ms=int(data.get("createdAt", 0)),
            **tags_and_raw(data),
        )


@dataclass(frozen=True)
class ConsumableJob:
    """A job that needs a consumable resource (ListJobsByConsumableResource): holding it once STARTING."""

    job_id: str
    name: str
    status: str
    quantity: int
    queue_arn: str = ""
    status_reason: str = ""
    created_at_ms: int = 0
    started_at_ms: int = 0

    @property
    def holding(self) -> bool:
        return self.status in ("STARTING", "RUNNING")

    @classmethod
    def from_api(cls, data: ApiDict) -> ConsumableJob:
        return cls(
            job_id=str(data["jobArn"]).rsplit("/", 1)[-1],
            name=str(data.get("jobName", "")),
            status=str(data.get("jobStatus", "")),
            quantity=int(data.get("quantity", 0)),
            queue_arn=str(data.get("jobQueueArn", "")),
            status_reason=str(data.get("statusReason", "")),
            created_at_ms=int(data.get("createdAt", 0)),
            started_at_ms=int(data.get("startedAt", 0)),
        )


@dataclass(frozen=True)
class ConsumableResourceRequest(Tagged):
    """CreateConsumableResource."""

    name: str
    total: int
    resource_type: str = "REPLENISHABLE"

    def to_api(self) -> ApiDict:
        return self.with_tags(
            {
                "consumableResourceName": self.name,
                "totalQuantity": self.total,
                "resourceType": self.resource_type,
            }
        )

    def problems(self) -> list[Problem | str]:
        return [
            *name_problems("consumableResourceName", self.name),
            *choice_problems("resourceType", self.resource_type, RESOURCE_TYPES),
            *_quantity_problems("totalQuantity", self.total),
        ]


@dataclass(frozen=True)
class ConsumableResourceUpdate:
    """UpdateConsumableResource: SET the total, or ADD or REMOVE a quantity."""

    resource: str
    operation: str
    quantity: int

    def to_api(self) -> ApiDict:
        return {"consumableResource": self.resource, "operation": self.operation, "quantity": self.quantity}

    def problems(self) -> list[Problem | str]:
        return [
            *choice_problems("operation", self.operation, OPERATIONS),
            *_quantity_problems("quantity", self.quantity),
        ]


@dataclass(frozen=True)
class ConsumableUse:
    """A consumable resource with the jobs that need it."""

    resource: ConsumableResource
    jobs: tuple[ConsumableJob, ...] = ()

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def arn(self) -> str:
        return self.resource.arn

    @property
    def tags(self) -> dict[str, str]:
        return self.resource.tags

    @property
    def raw(self) -> ApiDict:
        return self.resource.raw

    @property
    def holding(self) -> list[ConsumableJob]:
        return [j for j in self.jobs if j.holding]

    @property
    def waiting(self) -> list[ConsumableJob]:
        return [j for j in self.jobs if j.status == "RUNNABLE"]
