"""Consumable resources through the Batch client: list (with what each has in use), describe,
create, change the total, delete, and the jobs that need one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchgui.aws.gateway import Gateway, plain_answer
from batchgui.domain.consumables import (
    ConsumableJob,
    ConsumableResource,
    ConsumableResourceRequest,
    ConsumableResourceUpdate,
)

if TYPE_CHECKING:
    from mypy_boto3_batch import BatchClient  # noqa: F401 - named in the base class below


class ConsumablesGateway(Gateway["BatchClient"]):
    def list_resources(self) -> list[ConsumableResource]:
        found = self._paged("list_consumable_resources", "consumableResources")
        return sorted((ConsumableResource.from_api(item) for item in found), key=lambda r: r.name)

    def describe(self, resource: str) -> ConsumableResource:
        answer = self._client.describe_consumable_resource(consumableResource=resource)
        return ConsumableResource.from_api(plain_answer(answer))

    def create(self, request: ConsumableResourceRequest) -> str:
        return str(self._client.create_consumable_resource(**request.to_api())["consumableResourceArn"])

    def update(self, request: ConsumableResourceUpdate) -> int:
        """The new total."""
        return int(self._client.update_consumable_resource(**request.to_api()).get("totalQuantity", 0))

    def delete(self, resource: str) -> None:
        self._client.delete_consumable_resource(consumableResource=resource)

    def jobs(self, resource: str) -> list[ConsumableJob]:
        """The jobs that need the resource: holding it (STARTING, RUNNING) or waiting (RUNNABLE) and
        ended ones, newest first as Batch lists them."""
        found = self._paged("list_jobs_by_consumable_resource", "jobs", consumableResource=resource)
        return [ConsumableJob.from_api(item) for item in found]
