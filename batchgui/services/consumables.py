"""The consumable resources facade: list, inspect (with the jobs holding and waiting), create, change
the total, delete — on the current connection, through the Runner."""

from __future__ import annotations

from functools import partial

from batchgui.aws.consumables import ConsumablesGateway
from batchgui.domain.consumables import (
    ConsumableJob,
    ConsumableResource,
    ConsumableResourceRequest,
    ConsumableResourceUpdate,
    ConsumableUse,
)
from batchgui.services.bound import BoundService
from batchgui.services.tasks import gather_limited


class ConsumablesService(BoundService):
    def _gateway(self) -> ConsumablesGateway:
        return self._backend().consumables

    async def resources(self) -> list[ConsumableResource]:
        return await self._run(self._gateway().list_resources)

    async def uses(self) -> list[ConsumableUse]:
        """Every resource with the jobs that need it (a few resources listed at once)."""
        gateway = self._gateway()

        async def one(resource: ConsumableResource) -> ConsumableUse:
            return ConsumableUse(resource, tuple(await self._run(gateway.jobs, resource.arn)))

        return await gather_limited(4, (partial(one, r) for r in await self.resources()))

    async def describe(self, resource: str) -> ConsumableResource:
        return await self._run(self._gateway().describe, resource)

    async def jobs(self, resource: str) -> list[ConsumableJob]:
        return await self._run(self._gateway().jobs, resource)

    async def save(self, request: ConsumableResourceRequest | ConsumableResourceUpdate) -> None:
        """Create the resource, or change its total, as the request says."""
        if isinstance(request, ConsumableResourceUpdate):
            await self._run(self._gateway().update, request)
        else:
            await self._run(self._gateway().create, request)

    async def delete(self, resource: str) -> None:
        await self._run(self._gateway().delete, resource)
