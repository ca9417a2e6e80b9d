"""The inventory facade: compute environments, job queues, job definitions and scheduling policies —
list, create, change, enable/disable, tag, delete — plus what their forms offer to pick from (subnets,
security groups, roles, environments, policies), the front of a queue, and job counts per queue.

Every call uses the connection current when it starts (NotConnected when there is none) and runs its
blocking work through the Runner; a throttled call waits and is tried again (Batch allows about 50
requests/s per account) rather than failing. The dependency-aware deletes are planned and run by
`inventory_delete`; a delete keeps the connection it started on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from batchgui.aws.batch_admin import BatchAdminGateway, Registered, validate_register_job_definition
from batchgui.domain.batch import ComputeEnvironment, JobCount, JobDefinition, JobQueue, JobStatus
from batchgui.domain.definition_request import JobDefinitionRequest
from batchgui.domain.errors import Throttled
from batchgui.domain.fargate import Problem
from batchgui.domain.inventory_requests import (
    ComputeEnvironmentRequest,
    ComputeEnvironmentUpdate,
    JobQueueRequest,
    JobQueueUpdate,
    SchedulingPolicyRequest,
    SchedulingPolicyUpdate,
)
from batchgui.domain.network import NetworkChoices
from batchgui.domain.scheduling import QueueSnapshot, SchedulingPolicy
from batchgui.services.bound import BoundService
from batchgui.services.connections import ConnectionManager, describe_error
from batchgui.services.inventory_delete import (
    POLL_INTERVAL_S,
    WAIT_TIMEOUT_S,
    DeletePlan,
    DeleteRun,
    Progress,
    Step,
    StepKind,
    StepState,
    WaitFailed,
    plan_delete_compute_environment,
    plan_delete_job_queue,
    quiet,
)
from batchgui.services.runner import Runner
from batchgui.services.tasks import gather_limited

__all__ = [
    "DeletePlan",
    "InventoryService",
    "Progress",
    "Step",
    "StepKind",
    "StepState",
    "WaitFailed",
]

T = TypeVar("T")
# Terminal statuses can hold millions of jobs: count one page of them and show "1000+".
TERMINAL_COUNT_LIMIT = 1000
ACTIVE_COUNT_LIMIT = 10_000
COUNT_CONCURRENCY = 4
# Beyond botocore's own retries: a throttled call waits and tries again rather than failing.
THROTTLE_RETRIES = 8
THROTTLE_BACKOFF_S = 0.5


def _first_line(error: BaseException) -> str:
    return describe_error(error)[1].splitlines()[0]


class InventoryService(BoundService):
    """What the inventory panels and their forms do, Qt-free, on the current connection."""

    def __init__(
        self,
        runner: Runner,
        connections: ConnectionManager,
        poll_interval_s: float = POLL_INTERVAL_S,
        wait_timeout_s: float = WAIT_TIMEOUT_S,
    ) -> None:
        super().__init__(runner, connections)
        self.poll_interval_s = poll_interval_s
        self.wait_timeout_s = wait_timeout_s
        self.throttle_backoff_s = THROTTLE_BACKOFF_S

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """`_run` with backoff on throttling."""
        delay = self.throttle_backoff_s
        for attempt in range(THROTTLE_RETRIES + 1):
            try:
                return await self._run(fn, *args)
            except Throttled:
                if attempt == THROTTLE_RETRIES:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")

    def _admin(self) -> BatchAdminGateway:
        return self._backend().batch_admin

    # --- compute environments -------------------------------------------------------------------
    async def compute_environments(self) -> list[ComputeEnvironment]:
        return await self._call(self._backend().batch.describe_compute_environments)

    async def create_compute_environment(self, request: ComputeEnvironmentRequest) -> str:
        return await self._call(self._admin().create_compute_environment, request)

    async def update_compute_environment(self, request: ComputeEnvironmentUpdate) -> str:
        return await self._call(self._admin().update_compute_environment, request)

    async def set_compute_environment_state(self, name: str, state: str) -> None:
        await self._call(self._admin().set_compute_environment_state, name, state)

    async def network_choices(self) -> NetworkChoices:
        """Subnets, security groups and roles to pick from, read in parallel; what can't be read is
        said in `note` (the forms then take typed IDs and ARNs)."""
        backend = self._backend()
        results = await asyncio.gather(
            self._run(backend.ec2.describe_subnets),
            self._run(backend.ec2.describe_security_groups),
            self._run(backend.iam.list_roles),
            return_exceptions=True,
        )
        subnets, groups, roles = results
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result  # cancelled: nothing to show
        notes: list[str] = []
        network_error = next((r for r in (subnets, groups) if isinstance(r, Exception)), None)
        if network_error is not None:
            notes.append(f"Could not list subnets or groups ({_first_line(network_error)}): type their IDs.")
        if isinstance(roles, Exception):
            notes.append(f"Could not list IAM roles ({_first_line(roles)}): type the ARNs.")
        return NetworkChoices(
            [] if isinstance(subnets, BaseException) else subnets,
            [] if isinstance(groups, BaseException) else groups,
            [] if isinstance(roles, BaseException) else roles,
            " ".join(notes),
        )

    async def role_arns(self) -> list[str]:
        """IAM role ARNs to offer; none when IAM can't be read (the role fields stay free text)."""
        backend = self._backend()
        try:
            return [r.arn for r in await self._run(backend.iam.list_roles)]
        except Exception:
            return []

    # --- job queues -------------------------------------------------------------------------------
    async def job_queues(self) -> list[JobQueue]:
        return await self._call(self._backend().batch.describe_job_queues)

    async def queue_choices(self) -> tuple[list[ComputeEnvironment], list[SchedulingPolicy]]:
        """The environments and scheduling policies a queue can use."""
        environments = await self.compute_environments()
        try:
            policies = await self.scheduling_policies()
        except Exception:
            policies = []  # an endpoint without scheduling policies: offer none
        return environments, policies

    async def create_job_queue(self, request: JobQueueRequest) -> str:
        return await self._call(self._admin().create_job_queue, request)

    async def update_job_queue(self, request: JobQueueUpdate) -> str:
        return await self._call(self._admin().update_job_queue, request)

    async def save_job_queue(self, request: JobQueueRequest | JobQueueUpdate) -> str:
        """Create the queue or update it, as the request says."""
        if isinstance(request, JobQueueUpdate):
            return await self.update_job_queue(request)
        return await self.create_job_queue(request)

    async def queue_front(self, queue: str) -> QueueSnapshot:
        """GetJobQueueSnapshot: the next RUNNABLE jobs (OperationNotOffered where the endpoint lacks it)."""
        return await self._call(self._admin().job_queue_snapshot, queue)

    async def set_job_queue_state(self, name: str, state: str) -> None:
        await self._call(self._admin().set_job_queue_state, name, state)

    async def job_counts(
        self, queues: Sequence[str], statuses: tuple[JobStatus, ...] = tuple(JobStatus)
    ) -> dict[str, dict[JobStatus, JobCount]]:
        """Jobs per status for each queue (ListJobs by status; terminal statuses capped at one page)."""
        admin = self._admin()
        counts: dict[str, dict[JobStatus, JobCount]] = {q: {} for q in queues}

        async def one(queue: str, status: JobStatus) -> None:
            cap = TERMINAL_COUNT_LIMIT if status.is_terminal else ACTIVE_COUNT_LIMIT
            counts[queue][status] = await self._call(admin.count_jobs, queue, status, cap)

        await gather_limited(COUNT_CONCURRENCY, (partial(one, q, s) for q in queues for s in statuses))
        return counts

    # --- job definitions --------------------------------------------------------------------------
    async def job_definitions(self, status: str | None = "ACTIVE") -> list[JobDefinition]:
        return await self._call(self._backend().batch.describe_job_definitions, status)

    async def job_definition_revisions(self, name: str) -> list[JobDefinition]:
        return await self._call(self._admin().job_definition_revisions, name)

    def job_definition_problems(self, request: JobDefinitionRequest) -> list[Problem]:
        """What RegisterJobDefinition would refuse (botocore's input shape, Fargate's combinations),
        from the SDK's bundled model: no connection and no network needed."""
        return validate_register_job_definition(request.to_api())

    async def register_job_definition(self, request: JobDefinitionRequest) -> Registered:
        return await self._call(self._admin().register_job_definition, request)

    async def deregister_job_definition(self, arn: str) -> None:
        await self._call(self._admin().deregister_job_definition, arn)

    # --- scheduling policies ----------------------------------------------------------------------
    async def scheduling_policies(self) -> list[SchedulingPolicy]:
        return await self._call(self._admin().list_scheduling_policies)

    async def create_scheduling_policy(self, request: SchedulingPolicyRequest) -> str:
        return await self._call(self._admin().create_scheduling_policy, request)

    async def update_scheduling_policy(self, request: SchedulingPolicyUpdate) -> None:
        await self._call(self._admin().update_scheduling_policy, request)

    async def save_scheduling_policy(self, request: SchedulingPolicyRequest | SchedulingPolicyUpdate) -> None:
        if isinstance(request, SchedulingPolicyUpdate):
            await self.update_scheduling_policy(request)
        else:
            await self.create_scheduling_policy(request)

    async def delete_scheduling_policy(self, arn: str) -> None:
        await self._call(self._admin().delete_scheduling_policy, arn)

    # --- tags -------------------------------------------------------------------------------------
    async def tags(self, arn: str) -> dict[str, str]:
        return await self._call(self._admin().list_tags, arn)

    async def set_tags(self, arn: str, wanted: dict[str, str]) -> None:
        """Make the resource's tags exactly `wanted`."""
        await self._call(self._admin().set_tags, arn, wanted)

    # --- dependency-aware deletes -----------------------------------------------------------------
    async def plan_delete_job_queue(self, name: str) -> DeletePlan:
        return await plan_delete_job_queue(self._call, self._admin(), name)

    async def plan_delete_compute_environment(
        self, name: str, queues: list[JobQueue] | None = None
    ) -> DeletePlan:
        admin = self._admin()
        if queues is None:
            queues = await self.job_queues()
        return await plan_delete_compute_environment(self._call, admin, name, queues)

    async def execute(self, plan: DeletePlan, progress: Progress = quiet) -> bool:
        """Run the plan's steps in order on the current connection; False at the first failed step."""
        run = DeleteRun(self._call, self._admin(), self.poll_interval_s, self.wait_timeout_s)
        return await run.execute(plan, progress)
