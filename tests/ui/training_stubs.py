"""Fake ConsumablesService and TrainingService for the panel tests: reads answer from lists, writes are
recorded (and change nothing). No connection, no server."""

from __future__ import annotations

from typing import Any

from batchgui.domain.consumables import ConsumableJob, ConsumableResource, ConsumableUse
from batchgui.domain.training import (
    QuotaShare,
    ServiceEnvironment,
    ServiceJob,
)
from batchgui.services.consumables import ConsumablesService
from batchgui.services.training import TrainingService
from tests.ui.inventory_stubs import REGION_ACCOUNT, Recorded

QUEUE_ARN = f"{REGION_ACCOUNT}:job-queue/training"


def resource(name: str, total: int = 10, in_use: int = 0) -> ConsumableResource:
    return ConsumableResource.from_api(
        {
            "consumableResourceName": name,
            "consumableResourceArn": f"{REGION_ACCOUNT}:consumable-resource/{name}",
            "totalQuantity": total,
            "inUseQuantity": in_use,
            "resourceType": "REPLENISHABLE",
        }
    )


def consumable_job(job_id: str, status: str, quantity: int) -> ConsumableJob:
    return ConsumableJob.from_api(
        {
            "jobArn": f"{REGION_ACCOUNT}:job/{job_id}",
            "jobName": job_id,
            "jobStatus": status,
            "quantity": quantity,
        }
    )


def service_environment(name: str, instances: int = 4, state: str = "ENABLED") -> ServiceEnvironment:
    return ServiceEnvironment.from_api(
        {
            "serviceEnvironmentName": name,
            "serviceEnvironmentArn": f"{REGION_ACCOUNT}:service-environment/{name}",
            "serviceEnvironmentType": "SAGEMAKER_TRAINING",
            "state": state,
            "status": "VALID",
            "capacityLimits": [{"maxCapacity": instances, "capacityUnit": "NUM_INSTANCES"}],
        }
    )


def quota_share(name: str, state: str = "ENABLED") -> QuotaShare:
    return QuotaShare.from_api(
        {
            "quotaShareName": name,
            "quotaShareArn": f"{QUEUE_ARN}/quota-share/{name}",
            "jobQueueArn": QUEUE_ARN,
            "capacityLimits": [{"maxCapacity": 2, "capacityUnit": "ml.m5.large"}],
            "resourceSharingConfiguration": {"strategy": "LEND_AND_BORROW", "borrowLimit": 50},
            "preemptionConfiguration": {"inSharePreemption": "DISABLED"},
            "state": state,
            "status": "VALID",
        }
    )


def service_job(job_id: str, status: str = "RUNNING", reason: str = "") -> ServiceJob:
    data: dict[str, Any] = {
        "jobId": job_id,
        "jobArn": f"{REGION_ACCOUNT}:service-job/{job_id}",
        "jobName": f"train-{job_id}",
        "status": status,
        "createdAt": 1_700_000_000_000,
        "quotaShareName": "team-a",
        "capacityUsage": [{"capacityUnit": "NUM_INSTANCES", "quantity": 2.0}],
    }
    if reason:
        data["statusReason"] = reason
    return ServiceJob.from_api(data, "training")


class FakeConsumables(ConsumablesService):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.rows: list[ConsumableUse] = []
        self.recorded = Recorded()

    async def uses(self) -> list[ConsumableUse]:
        return list(self.rows)

    async def describe(self, resource: str) -> ConsumableResource:
        return next(u.resource for u in self.rows if resource in (u.arn, u.name))

    async def save(self, request: Any) -> None:
        self.recorded.calls.append(("save", (request,)))

    async def delete(self, resource: str) -> None:
        self.recorded.calls.append(("delete", (resource,)))


class FakeTraining(TrainingService):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.environments: list[ServiceEnvironment] = []
        self.shares: list[QuotaShare] = []
        self.jobs: list[ServiceJob] = []
        self.queues = [("training", QUEUE_ARN)]
        self.recorded = Recorded()

    def _record(self, method: str, *args: Any) -> None:
        self.recorded.calls.append((method, args))

    async def service_environments(self) -> list[ServiceEnvironment]:
        return list(self.environments)

    async def training_queues(self) -> list[tuple[str, str]]:
        return list(self.queues)

    async def quota_shares(self, queues: Any = None, *, with_use: bool = False) -> list[QuotaShare]:
        return list(self.shares)

    async def service_jobs(self) -> list[ServiceJob]:
        return list(self.jobs)

    async def save_service_environment(self, request: Any) -> None:
        self._record("save_service_environment", request)

    async def set_service_environment_state(self, name: str, state: str) -> None:
        self._record("set_service_environment_state", name, state)

    async def delete_service_environment(self, name: str) -> None:
        self._record("delete_service_environment", name)

    async def save_quota_share(self, request: Any) -> None:
        self._record("save_quota_share", request)

    async def set_quota_share_state(self, share: QuotaShare, state: str) -> None:
        self._record("set_quota_share_state", share.name, state)

    async def delete_quota_share(self, arn: str) -> None:
        self._record("delete_quota_share", arn)

    async def submit_service_job(self, request: Any) -> str:
        self._record("submit_service_job", request)
        return "new-job"

    async def set_service_job_priority(self, job_id: str, priority: int) -> None:
        self._record("set_service_job_priority", job_id, priority)

    async def terminate_service_job(self, job_id: str, reason: str) -> None:
        self._record("terminate_service_job", job_id, reason)
