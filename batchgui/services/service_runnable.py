""" "Why is it RUNNABLE?" for a service job (a SageMaker training job of a SAGEMAKER_TRAINING queue):
what the checks need, fetched once, for RunnableService.explain_service_job.

It reads the job (DescribeServiceJob), its queue (DescribeJobQueues), the service environments
(DescribeServiceEnvironments), the instances in use in them (GetJobQueueSnapshot's
totalCapacityUsage of every training queue that shares them), the job's quota share (ListQuotaShares)
and its line (ListServiceJobs RUNNABLE, then DescribeServiceJob of those in its share for their
priorities). The checks themselves are pure (domain/runnable.py, domain/share_usage.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from batchgui.domain.batch import JobQueue
from batchgui.domain.errors import NotFound
from batchgui.domain.runnable import (
    Check,
    Diagnosis,
    Fix,
    diagnose_service_job,
    position_check,
    service_environment_arns,
    service_fixes_for,
    service_job_needs,
    service_position_check,
)
from batchgui.domain.scheduling import QueueSnapshot
from batchgui.domain.share_usage import QueueUtilization, quota_share_check
from batchgui.domain.training import (
    SAGEMAKER_TRAINING,
    QuotaShare,
    ServiceEnvironment,
    ServiceJob,
    ShareSettings,
)
from batchgui.services.connections import Backend

log = logging.getLogger(__name__)
# A service job the pane explains: still waiting to be admitted.
WAITING = ("SUBMITTED", "PENDING", "RUNNABLE")
# Jobs of the job's line described for their schedulingPriority (ListServiceJobs does not give it);
# those beyond are taken to be of the default priority.
MAX_LINE_DESCRIBED = 100


@dataclass(frozen=True)
class ServiceJobReport:
    """A service job's diagnosis and the actions that would unblock it (the RUNNABLE pane shows it as
    it shows a Batch job's RunnableReport)."""

    job: ServiceJob
    diagnosis: Diagnosis
    fixes: tuple[Fix, ...] = ()
    queue: JobQueue | None = None
    environments: tuple[ServiceEnvironment, ...] = ()
    share: QuotaShare | None = None
    # No start estimate for service jobs yet (the estimate replays vCPUs, not instances).
    start: None = None

    @property
    def job_id(self) -> str:
        return self.job.job_id

    @property
    def name(self) -> str:
        return self.job.name

    @property
    def status_text(self) -> str:
        return self.job.status

    @property
    def queue_name(self) -> str:
        return self.job.queue_name

    @property
    def status_reason(self) -> str:
        return self.job.status_reason

    @property
    def waiting(self) -> bool:
        return self.job.status in WAITING

    @property
    def checks(self) -> list[Check]:
        return self.diagnosis.checks


def share_settings(share: QuotaShare) -> ShareSettings:
    """A share's settings as UpdateQuotaShare takes them all back (to change only its state)."""
    return ShareSettings(share.limits, share.strategy, share.borrow_limit, share.in_share_preemption)


def _snapshot(backend: Backend, queue: str) -> QueueSnapshot | None:
    try:
        return backend.batch_admin.job_queue_snapshot(queue)
    except Exception as error:  # not offered, not allowed: the other checks still stand
        log.info("no snapshot of %s: %s", queue, error)
        return None


def _in_use(
    backend: Backend, queue: JobQueue, queues: Sequence[JobQueue], mine: QueueSnapshot | None
) -> float | None:
    """Instances held in the queue's service environments: the snapshots' totalCapacityUsage of the
    training queues that share one of them (None when one does not report it)."""
    environments = set(service_environment_arns(queue))
    total = 0.0
    for other in queues:
        if other.raw.get("jobQueueType") != SAGEMAKER_TRAINING:
            continue
        if not environments & set(service_environment_arns(other)):
            continue
        snapshot = mine if other.arn == queue.arn else _snapshot(backend, other.name)
        if snapshot is None or not snapshot.utilization.reported:
            return None
        total += sum(snapshot.utilization.total.values())
    return total


def _line(backend: Backend, job: ServiceJob, queue: JobQueue) -> list[str]:
    """The job ids of the job's line: the RUNNABLE jobs of its quota share (or of those without one),
    highest schedulingPriority first, then oldest."""
    training = backend.training
    runnable = [
        j
        for j in training.service_jobs(queue.name, queue.arn, ("RUNNABLE",))
        if j.quota_share == job.quota_share
    ]
    if job.job_id not in {j.job_id for j in runnable} and job.status == "RUNNABLE":
        runnable.append(job)  # listed a moment before it became RUNNABLE
    runnable.sort(key=lambda j: j.created_at_ms)
    priority: dict[str, int] = {job.job_id: job.priority or 0}
    for other in runnable[:MAX_LINE_DESCRIBED]:
        if other.job_id not in priority:
            try:
                priority[other.job_id] = training.describe_service_job(other.job_id).priority or 0
            except Exception as error:  # finished and gone meanwhile
                log.info("service job %s not described: %s", other.job_id, error)
    ordered = sorted(runnable, key=lambda j: (-priority.get(j.job_id, 0), j.created_at_ms))
    return [j.job_id for j in ordered]


def explain_service_job(backend: Backend, job_id: str) -> ServiceJobReport:
    """The service job's diagnosis as things stand now (blocking: call it through the Runner)."""
    training = backend.training
    job = training.describe_service_job(job_id)
    queues = backend.batch.describe_job_queues()
    queue = next((q for q in queues if job.queue_name in (q.name, q.arn)), None)
    if queue is None:
        raise NotFound(f"job queue {job.queue_name} of service job {job_id} does not exist")
    environments = training.service_environments()
    snapshot = _snapshot(backend, queue.name)
    needs = service_job_needs(job)
    waiting = job.status in WAITING
    diagnosis = diagnose_service_job(
        job, needs, queue, environments, _in_use(backend, queue, queues, snapshot)
    )
    share: QuotaShare | None = None
    if job.quota_share:
        try:
            share = next((s for s in training.quota_shares(queue.arn) if s.name == job.quota_share), None)
        except Exception as error:  # not allowed: the check says "not known"
            log.info("quota shares of %s not listed: %s", queue.name, error)
    utilization = snapshot.utilization if snapshot is not None else QueueUtilization()
    diagnosis.checks.append(
        quota_share_check(job.quota_share, share, utilization, needs if waiting else None)
    )
    front = [j.job_arn for j in snapshot.jobs] if snapshot is not None else []
    if job.arn in front:  # where the endpoint lists service jobs at the front of the queue
        diagnosis.checks.append(position_check(job.arn, front))
    elif waiting:
        diagnosis.checks.append(
            service_position_check(job.job_id, _line(backend, job, queue), job.quota_share)
        )
    return ServiceJobReport(
        job,
        diagnosis,
        tuple(service_fixes_for(queue, environments, share)),
        queue,
        tuple(environments),
        share,
    )
