"""The "Why is it RUNNABLE?" facade: gathers what domain/runnable.py's checks need, and applies a fix.

One `explain(job_id)` reads the job (DescribeJobs), its dependencies, its queue and every compute
environment (DescribeJobQueues, DescribeComputeEnvironments), the vCPUs running jobs use in those
environments (ListJobs RUNNING/STARTING of every queue that shares them, then DescribeJobs for their
sizes), and the queue's front (GetJobQueueSnapshot, where the endpoint has it). The diagnosis itself is
pure (`domain.runnable.diagnose`); this module only fetches. `explain_service_job(job_id)` does the
same for a service job of a SAGEMAKER_TRAINING queue (services/service_runnable.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from batchgui import resources
from batchgui.aws.batch import BatchGateway
from batchgui.domain.batch import ComputeEnvironment, JobQueue, JobStatus, JobSummary
from batchgui.domain.consumables import ConsumableResource
from batchgui.domain.errors import NotFound
from batchgui.domain.instance_types import InstanceCatalogue
from batchgui.domain.inventory_requests import ComputeEnvironmentUpdate
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.pricing import ecs_cluster_of
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
from batchgui.domain.scheduling import QueueSnapshot
from batchgui.domain.share_usage import (
    VCPU,
    QueueUtilization,
    consumable_check,
    fair_share_check,
    quota_share_check,
    requirements,
    share_usage_from_jobs,
)
from batchgui.domain.start_estimate import Load, StartEstimate, estimate_start, run_times
from batchgui.domain.training import QuotaShareUpdate, ServiceEnvironmentUpdate
from batchgui.services.bound import BoundService
from batchgui.services.connections import Backend, ConnectionManager
from batchgui.services.runner import Runner
from batchgui.services.service_runnable import ServiceJobReport, explain_service_job, share_settings

# Running jobs described to count their vCPUs: beyond this many the count says "at least".
MAX_RUNNING_DESCRIBED = 2000
# Jobs ahead described for their sizes; those beyond are taken to be the job's own size.
MAX_AHEAD_DESCRIBED = 500
# Finished jobs whose run times the start estimate learns from: one ListJobs page.
HISTORY_JOBS = 1000
IN_USE_STATUSES = (JobStatus.STARTING, JobStatus.RUNNING)
log = logging.getLogger(__name__)
# Failed checks of limits the start estimate does not replay (it replays vCPUs only).
LIMIT_CHECKS = ("Consumable resources available", "Share within its weight", "Quota share within its limits")


@dataclass(frozen=True)
class RunnableReport:
    """A RUNNABLE job's diagnosis, the actions that would unblock it, and what it was made from."""

    detail: JobDetail
    diagnosis: Diagnosis
    fixes: tuple[Fix, ...] = ()
    queue: JobQueue | None = None
    environments: tuple[ComputeEnvironment, ...] = ()
    use: tuple[EnvironmentUse, ...] = ()
    start: StartEstimate | None = None

    @property
    def job_id(self) -> str:
        return self.detail.job_id

    @property
    def checks(self) -> list[Check]:
        return self.diagnosis.checks

    # What the pane's heading shows, as a ServiceJobReport has it too.
    @property
    def name(self) -> str:
        return self.detail.summary.name

    @property
    def status_text(self) -> str:
        return self.detail.status.value

    @property
    def queue_name(self) -> str:
        return self.detail.summary.queue

    @property
    def status_reason(self) -> str:
        return self.detail.summary.status_reason

    @property
    def waiting(self) -> bool:
        return self.detail.status in (JobStatus.PENDING, JobStatus.RUNNABLE)


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
        cluster = ecs_cluster_of(str(container.get("taskArn") or container.get("containerInstanceArn") or ""))
        arn = by_cluster.get(cluster) or first.get(job.summary.queue)
        if arn in totals:
            totals[arn] += float(job.vcpus or 0)
    return [EnvironmentUse(arn, vcpus) for arn, vcpus in totals.items()]


def _ahead(
    detail: JobDetail, waiting: Sequence[JobDetail | JobSummary], snapshot: QueueSnapshot | None
) -> list[JobDetail | JobSummary]:
    """The waiting jobs ahead of this one: before it in the snapshot's front when it is there, else
    those submitted before it (first in, first out; a fair-share queue may take them in another
    order)."""
    front = [j.job_id for j in snapshot.jobs] if snapshot is not None else []
    if detail.job_id in front:
        before = set(front[: front.index(detail.job_id)])
        return [w for w in waiting if w.job_id in before]
    created = detail.summary.created_at or 0
    return [w for w in waiting if w.job_id != detail.job_id and _created(w) <= created]


def _created(job: JobDetail | JobSummary) -> int:
    summary = job.summary if isinstance(job, JobDetail) else job
    return summary.created_at or 0


class RunnableService(BoundService):
    def __init__(
        self,
        runner: Runner,
        connections: ConnectionManager,
        catalogue: Callable[[], InstanceCatalogue] = resources.instance_catalogue,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(runner, connections)
        self._catalogue = catalogue
        self._clock = clock

    async def explain(self, job_id: str) -> RunnableReport:
        """The job's diagnosis, as things stand now. NotFound when the job does not exist."""
        return await self._run(self._explain, self._backend(), job_id)

    async def explain_service_job(self, job_id: str) -> ServiceJobReport:
        """A service job's diagnosis (services/service_runnable.py), as things stand now."""
        return await self._run(explain_service_job, self._backend(), job_id)

    async def share_usage(
        self, queues: Sequence[JobQueue], take: Callable[[], Awaitable[None]] | None = None
    ) -> dict[str, dict[str, float]]:
        """vCPUs in use per share identifier of each fair-share queue (one with a scheduling policy),
        from GetJobQueueSnapshot's queueUtilization; a queue whose endpoint does not report it is left
        out. `take` waits for a token of the account-wide request budget before each call."""
        out: dict[str, dict[str, float]] = {}
        for queue in queues:
            if not queue.scheduling_policy_arn:
                continue
            if take is not None:
                await take()
            try:
                snapshot = await self._run(self._backend().batch_admin.job_queue_snapshot, queue.name)
            except Exception as error:  # not offered, not allowed: no share plot for it
                log.info("no snapshot of %s: %s", queue.name, error)
                continue
            if snapshot.utilization.reported:
                fair = snapshot.utilization.fairshare
                out[queue.name] = {share: usage.get(VCPU, 0.0) for share, usage in fair.items()}
        return out

    async def apply(self, fix: Fix) -> None:
        """Carry out a fix the user confirmed."""
        backend = self._backend()
        admin, training = backend.batch_admin, backend.training
        if fix.kind is FixKind.ENABLE_QUEUE:
            await self._run(admin.set_job_queue_state, fix.target, "ENABLED")
        elif fix.kind is FixKind.ENABLE_ENVIRONMENT:
            await self._run(admin.set_compute_environment_state, fix.target, "ENABLED")
        elif fix.kind is FixKind.ENABLE_SERVICE_ENVIRONMENT:
            update = ServiceEnvironmentUpdate(fix.target, state="ENABLED")
            await self._run(training.update_service_environment, update)
        elif fix.kind is FixKind.ENABLE_QUOTA_SHARE:
            # UpdateQuotaShare takes every setting: the share's own, as they are now.
            share = await self._run(training.describe_quota_share, fix.target)
            change = QuotaShareUpdate(share.arn, share_settings(share), "ENABLED")
            await self._run(training.update_quota_share, change)
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
        snapshot: QueueSnapshot | None = None
        try:
            snapshot = backend.batch_admin.job_queue_snapshot(queue.name)
            diagnosis.checks.append(
                position_check(detail.summary.job_arn, [j.job_arn for j in snapshot.jobs])
            )
        except Exception:  # no snapshot (not offered, not allowed): the other checks still stand
            diagnosis.checks.append(position_check(detail.summary.job_arn, [], updated=False))
        utilization = snapshot.utilization if snapshot is not None else QueueUtilization()
        waiting = self._waiting(batch, queue)
        diagnosis.checks.extend(self._share_checks(backend, detail, queue, running, waiting, utilization))
        start = None
        if detail.status in (JobStatus.RUNNABLE, JobStatus.PENDING):
            start = self._start(
                batch, detail, queue, environments, running, _ahead(detail, waiting, snapshot)
            )
            limits = [c.name for c in diagnosis.failed if c.name in LIMIT_CHECKS]
            if limits:
                start = start.but(
                    f"it also waits on what this estimate does not replay ({', '.join(limits).lower()}"
                    " failed): it may start later"
                )
        return RunnableReport(
            detail,
            diagnosis,
            tuple(fixes_for(needs, queue, environments, use)),
            queue,
            tuple(environments),
            tuple(use),
            start,
        )

    def _share_checks(  # noqa: PLR0917 - the facts _explain already has
        self,
        backend: Backend,
        detail: JobDetail,
        queue: JobQueue,
        running: Sequence[JobDetail],
        waiting: Sequence[JobDetail | JobSummary],
        utilization: QueueUtilization,
    ) -> list[Check]:
        """Consumable resources, the fair share and the quota share: only those the job is subject to."""
        checks: list[Check] = []
        wanted = requirements(detail.raw)
        if wanted:
            known: dict[str, ConsumableResource] = {}
            for ref, _quantity in wanted:
                try:
                    known[ref] = backend.consumables.describe(ref)
                except Exception as error:  # gone, not allowed: the check says "not known"
                    log.info("consumable resource %s not described: %s", ref, error)
            checks.append(consumable_check(wanted, known))
        if queue.scheduling_policy_arn:
            try:
                policy = backend.batch_admin.describe_scheduling_policy(queue.scheduling_policy_arn)
            except Exception as error:
                log.info("scheduling policy %s not described: %s", queue.scheduling_policy_arn, error)
                policy = None
            if utilization.reported:
                usage, source = utilization.fairshare, "GetJobQueueSnapshot"
            else:
                mine = [r for r in running if r.summary.queue == queue.name]
                pairs = ((str(r.raw.get("shareIdentifier") or ""), float(r.vcpus or 0)) for r in mine)
                usage, source = share_usage_from_jobs(pairs), "the running jobs of this queue"
            share = str(detail.raw.get("shareIdentifier") or "")
            others = [str(w.raw.get("shareIdentifier") or "") for w in waiting if isinstance(w, JobDetail)]
            # (a job left undescribed among thousands waiting adds no share: the check may miss one)
            checks.append(fair_share_check(share, policy, usage, source, others))
        quota_name = str(detail.raw.get("quotaShareName") or "")
        if quota_name:
            try:
                shares = {s.name: s for s in backend.training.quota_shares(queue.name)}
            except Exception as error:
                log.info("quota shares of %s not listed: %s", queue.name, error)
                shares = {}
            checks.append(quota_share_check(quota_name, shares.get(quota_name), utilization))
        return checks

    def _waiting(self, batch: BatchGateway, queue: JobQueue) -> list[JobDetail | JobSummary]:
        """The queue's RUNNABLE jobs, oldest first; the first ones described (their sizes and shares),
        the rest left as summaries."""
        runnable = sorted(batch.list_jobs(queue.name, JobStatus.RUNNABLE), key=lambda j: j.created_at or 0)
        ids = [j.job_id for j in runnable[:MAX_AHEAD_DESCRIBED]]
        described = {d.job_id: d for d in batch.describe_job_details(ids)}
        return [described.get(j.job_id, j) for j in runnable]

    def _start(  # noqa: PLR0917 - the facts _explain already has
        self,
        batch: BatchGateway,
        detail: JobDetail,
        queue: JobQueue,
        environments: Sequence[ComputeEnvironment],
        running: Sequence[JobDetail],
        waiting: Sequence[JobDetail | JobSummary],
    ) -> StartEstimate:
        """When the job may start: the queue replayed from what is running, what is ahead and history."""
        now = int(self._clock() * 1000)
        order = {o.arn for o in queue.compute_environments}
        capacity = sum(
            float(e.max_vcpus or 0)
            for e in environments
            if e.arn in order and e.state == "ENABLED" and e.status == "VALID"
        )
        finished, _token = batch.list_jobs_page(queue.name, JobStatus.SUCCEEDED, page_size=HISTORY_JOBS)
        history = run_times((j.job_definition, j.started_at, j.stopped_at) for j in finished)
        holding = [
            Load(float(r.vcpus or 0), r.summary.job_definition, r.summary.started_at or now) for r in running
        ]
        mine = float(detail.vcpus or 0)
        ahead = [
            Load(float(w.vcpus or 0), w.summary.job_definition)
            if isinstance(w, JobDetail)
            else Load(mine, w.job_definition or detail.summary.job_definition)  # not described
            for w in waiting
        ]
        return estimate_start(mine, detail.summary.job_definition, capacity, holding, ahead, history, now)
