"""The "Why is it RUNNABLE?" facade: gathers what domain/runnable.py's checks need, and applies a fix.

One `explain(job_id)` reads the job (DescribeJobs), its dependencies, its queue and every compute
environment (DescribeJobQueues, DescribeComputeEnvironments), the vCPUs running jobs use in those
environments (ListJobs RUNNING/STARTING of every queue that shares them, then DescribeJobs for their
sizes), and the queue's front (GetJobQueueSnapshot, where the endpoint has it). The diagnosis itself is
pure (`domain.runnable.diagnose`); this module only fetches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from batchgui import resources
from batchgui.domain.batch import ComputeEnvironment, JobQueue, JobStatus
from batchgui.domain.errors import NotFound
from batchgui.domain.instance_types import InstanceCatalogue
from batchgui.domain.inventory_requests import ComputeEnvironmentUpdate
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.runnable import (
    Check,
    Diagnosis,
    EnvironmentUse,
    Fix,
    FixKind,
    JobNeeds,
    diagnose,
    fixes_for,
    position_check,
)
from batchgui.services.bound import BoundService
from batchgui.services.connections import Backend, ConnectionManager
from batchgui.services.runner import Runner

# Running jobs described to count their vCPUs: beyond this many the count says "at least".
MAX_RUNNING_DESCRIBED = 2000
IN_USE_STATUSES = (JobStatus.STARTING, JobStatus.RUNNING)


@dataclass(frozen=True)
class RunnableReport:
    """A RUNNABLE job's diagnosis, the actions that would unblock it, and what it was made from."""

    detail: JobDetail
    diagnosis: Diagnosis
    fixes: tuple[Fix, ...] = ()
    queue: JobQueue | None = None
    environments: tuple[ComputeEnvironment, ...] = ()
    use: tuple[EnvironmentUse, ...] = ()

    @property
    def job_id(self) -> str:
        return self.detail.job_id

    @property
    def checks(self) -> list[Check]:
        return self.diagnosis.checks


def job_needs(detail: JobDetail, dependencies: Sequence[JobDetail]) -> JobNeeds:
    """What the job asks for, from its DescribeJobs entry, with its dependencies' current status."""
    container = detail.raw.get("container") or {}
    gpus = sum(
        int(str(r.get("value") or 0))
        for r in container.get("resourceRequirements") or ()
        if r.get("type") == "GPU"
    )
    status = {d.job_id: d.status for d in dependencies}
    return JobNeeds(
        vcpus=float(detail.vcpus or 0),
        memory_mib=int(float(detail.memory_mib or 0)),
        gpus=gpus,
        dependencies=tuple((d.job_id, status.get(d.job_id)) for d in detail.depends_on),
    )


def _cluster_name(arn: str) -> str:
    """The ECS cluster named in a task or container-instance ARN of the long form (…/cluster/id)."""
    parts = arn.split(":", 5)[-1].split("/")
    return parts[1] if len(parts) == 3 else ""


def environment_use(
    environments: Sequence[ComputeEnvironment],
    queues: Sequence[JobQueue],
    running: Sequence[JobDetail],
) -> list[EnvironmentUse]:
    """vCPUs in use per environment by running jobs.

    A job is counted where its task or container instance ARN names the environment's ECS cluster
    (real AWS's long ARN form); otherwise in the first ENABLED environment of its queue's order,
    which is where Batch places a job first when that environment has room.
    """
    by_cluster = {e.ecs_cluster_arn.rsplit("/", 1)[-1]: e.arn for e in environments if e.ecs_cluster_arn}
    state = {e.arn: e.state for e in environments}
    first: dict[str, str] = {}
    for queue in queues:
        enabled = [o.arn for o in queue.compute_environments if state.get(o.arn) == "ENABLED"]
        if enabled:
            first[queue.name] = enabled[0]
    totals = {e.arn: 0.0 for e in environments}
    for job in running:
        container = job.raw.get("container") or {}
        cluster = _cluster_name(str(container.get("taskArn") or container.get("containerInstanceArn") or ""))
        arn = by_cluster.get(cluster) or first.get(job.summary.queue)
        if arn in totals:
            totals[arn] += float(job.vcpus or 0)
    return [EnvironmentUse(arn, vcpus) for arn, vcpus in totals.items()]


class RunnableService(BoundService):
    def __init__(
        self,
        runner: Runner,
        connections: ConnectionManager,
        catalogue: Callable[[], InstanceCatalogue] = resources.instance_catalogue,
    ) -> None:
        super().__init__(runner, connections)
        self._catalogue = catalogue

    async def explain(self, job_id: str) -> RunnableReport:
        """The job's diagnosis, as things stand now. NotFound when the job does not exist."""
        return await self._run(self._explain, self._backend(), job_id)

    async def apply(self, fix: Fix) -> None:
        """Carry out a fix the user confirmed."""
        admin = self._backend().batch_admin
        if fix.kind is FixKind.ENABLE_QUEUE:
            await self._run(admin.set_job_queue_state, fix.target, "ENABLED")
        elif fix.kind is FixKind.ENABLE_ENVIRONMENT:
            await self._run(admin.set_compute_environment_state, fix.target, "ENABLED")
        else:
            request = ComputeEnvironmentUpdate(fix.target, max_vcpus=fix.max_vcpus)
            await self._run(admin.update_compute_environment, request)

    def _explain(self, backend: Backend, job_id: str) -> RunnableReport:
        batch = backend.batch
        found = batch.describe_job_details([job_id])
        if not found:
            raise NotFound(f"job {job_id} does not exist", "It may have finished long ago and expired.")
        detail = found[0]
        dependencies = batch.describe_job_details([d.job_id for d in detail.depends_on])
        needs = job_needs(detail, dependencies)
        queues = batch.describe_job_queues()
        queue = next((q for q in queues if q.name == detail.summary.queue), None)
        if queue is None:
            raise NotFound(f"job queue {detail.summary.queue} does not exist")
        environments = batch.describe_compute_environments()
        mine = {o.arn for o in queue.compute_environments}
        sharing = [q for q in queues if mine & {o.arn for o in q.compute_environments}]
        running_ids: list[str] = []
        for other in sharing:
            for status in IN_USE_STATUSES:
                running_ids.extend(j.job_id for j in batch.list_jobs(other.name, status))
        running = batch.describe_job_details(running_ids[:MAX_RUNNING_DESCRIBED])
        shared = {o.arn for q in sharing for o in q.compute_environments}
        relevant = [e for e in environments if e.arn in shared]
        use = environment_use(relevant, sharing, running)
        diagnosis = diagnose(detail.summary.status_reason, needs, queue, environments, self._catalogue(), use)
        try:
            snapshot = backend.batch_admin.job_queue_snapshot(queue.name)
            diagnosis.checks.append(
                position_check(detail.summary.job_arn, [j.job_arn for j in snapshot.jobs])
            )
        except Exception:  # no snapshot (not offered, not allowed): the other checks still stand
            diagnosis.checks.append(position_check(detail.summary.job_arn, [], updated=False))
        return RunnableReport(
            detail,
            diagnosis,
            tuple(fixes_for(needs, queue, environments, use)),
            queue,
            tuple(environments),
            tuple(use),
        )
