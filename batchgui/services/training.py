"""The SageMaker Training facade: service environments, quota shares and service jobs (list across the
SAGEMAKER_TRAINING queues, inspect, create or submit, change, delete or terminate) on the current
connection, through the Runner. On the local sandbox the training itself is simulated."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import TypeVar

from batchgui.aws.training import TrainingGateway
from batchgui.domain import training as t
from batchgui.services.bound import BoundService
from batchgui.services.tasks import gather_limited

# Queues listed at once (each a few calls).
QUEUE_CONCURRENCY = 4
log = logging.getLogger(__name__)
T = TypeVar("T")


class TrainingService(BoundService):
    def _gateway(self) -> TrainingGateway:
        return self._backend().training

    # --- service environments ---------------------------------------------------------------
    async def service_environments(self) -> list[t.ServiceEnvironment]:
        return await self._run(self._gateway().service_environments)

    async def save_service_environment(
        self, request: t.ServiceEnvironmentRequest | t.ServiceEnvironmentUpdate
    ) -> None:
        gateway = self._gateway()
        if isinstance(request, t.ServiceEnvironmentUpdate):
            await self._run(gateway.update_service_environment, request)
        else:
            await self._run(gateway.create_service_environment, request)

    async def set_service_environment_state(self, name: str, state: str) -> None:
        await self._run(
            self._gateway().update_service_environment, t.ServiceEnvironmentUpdate(name, state=state)
        )

    async def delete_service_environment(self, name: str) -> None:
        await self._run(self._gateway().delete_service_environment, name)

    # --- queues -------------------------------------------------------------------------------
    async def training_queues(self) -> list[tuple[str, str]]:
        """(name, ARN) of the SAGEMAKER_TRAINING job queues."""
        return await self._run(self._gateway().training_queues)

    async def _across_queues(
        self, list_one: Callable[[str, str], list[T]], queues: Sequence[tuple[str, str]] | None = None
    ) -> list[T]:
        """`list_one(name, arn)` for every SAGEMAKER_TRAINING queue (`queues` when the caller listed
        them already), a few queues at a time."""
        if queues is None:
            queues = await self.training_queues()
        found = await gather_limited(
            QUEUE_CONCURRENCY, (partial(self._run, list_one, n, arn) for n, arn in queues)
        )
        return [item for items in found for item in items]

    # --- quota shares -------------------------------------------------------------------------
    async def quota_shares(
        self, queues: Sequence[tuple[str, str]] | None = None, *, with_use: bool = False
    ) -> list[t.QuotaShare]:
        """The shares of every SAGEMAKER_TRAINING queue (of `queues`, the (name, ARN) of those queues
        when the caller listed them already); `with_use` adds what each share's jobs hold now (one
        GetJobQueueSnapshot per queue that has shares)."""
        gateway = self._gateway()

        def of_queue(name: str, arn: str) -> list[t.QuotaShare]:
            shares = gateway.quota_shares(arn)
            if not shares or not with_use:
                return shares
            admin = self._backend().batch_admin
            try:
                usage = admin.job_queue_snapshot(name).utilization
            except Exception as error:  # not offered, not allowed: the shares without their use
                log.info("no snapshot of %s: %s", name, error)
                return shares
            if not usage.reported:
                return shares
            return [replace(s, in_use=dict(usage.quota.get(s.name, {}))) for s in shares]

        shares = await self._across_queues(of_queue, queues)
        return sorted(shares, key=lambda s: (s.queue_name, s.name))

    async def save_quota_share(self, request: t.QuotaShareRequest | t.QuotaShareUpdate) -> None:
        gateway = self._gateway()
        if isinstance(request, t.QuotaShareUpdate):
            await self._run(gateway.update_quota_share, request)
        else:
            await self._run(gateway.create_quota_share, request)

    async def set_quota_share_state(self, share: t.QuotaShare, state: str) -> None:
        """Enable or disable a share, keeping its settings (UpdateQuotaShare takes them all)."""
        settings = t.ShareSettings(
            share.limits, share.strategy, share.borrow_limit, share.in_share_preemption
        )
        await self._run(self._gateway().update_quota_share, t.QuotaShareUpdate(share.arn, settings, state))

    async def delete_quota_share(self, arn: str) -> None:
        await self._run(self._gateway().delete_quota_share, arn)

    # --- service jobs -------------------------------------------------------------------------
    async def service_jobs(self) -> list[t.ServiceJob]:
        """The service jobs of every SAGEMAKER_TRAINING queue, newest first."""
        jobs = await self._across_queues(self._gateway().service_jobs)
        return sorted(jobs, key=lambda j: -j.created_at_ms)

    async def describe_service_job(self, job_id: str) -> t.ServiceJob:
        return await self._run(self._gateway().describe_service_job, job_id)

    async def submit_service_job(self, request: t.ServiceJobRequest) -> str:
        return await self._run(self._gateway().submit_service_job, request)

    async def set_service_job_priority(self, job_id: str, priority: int) -> None:
        await self._run(self._gateway().set_service_job_priority, job_id, priority)

    async def terminate_service_job(self, job_id: str, reason: str) -> None:
        await self._run(self._gateway().terminate_service_job, job_id, reason)
