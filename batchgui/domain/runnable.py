"""Why is a job still RUNNABLE? AWS's blocked-queue reasons in plain words, and the app's own checks.

AWS Batch writes a reason into `statusReason` only when it decides a RUNNABLE job at the front of the
queue is blocked ("Jobs stuck in a RUNNABLE status" in the user guide); otherwise the field says
little. So the app also checks what it can see itself — the queue and its environments' state, the
job's size against what the environments may launch, capacity in use, dependencies — and shows each
check as passed or failed with its numbers. Pure: facts in, a diagnosis out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from batchgui.domain.batch import ComputeEnvironment, JobQueue, JobStatus
from batchgui.domain.fargate import fargate_problems
from batchgui.domain.instance_types import InstanceCatalogue

if TYPE_CHECKING:  # training.py's imports lead back here (scheduling -> share_usage -> runnable)
    from batchgui.domain.training import QuotaShare, ServiceEnvironment, ServiceJob


@dataclass(frozen=True)
class Reason:
    """One of AWS's documented blocked-queue reasons."""

    code: str
    meaning: str
    fix: str


# The statusReason prefixes the AWS Batch user guide lists for blocked job queues.
REASONS: tuple[Reason, ...] = (
    Reason(
        "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
        "EC2 has no capacity for the instance types the compute environments may launch, in their "
        "Availability Zones.",
        "Allow more instance types or families (or `optimal`), add subnets in other Availability Zones, "
        "or wait: AWS keeps trying. A jobStateTimeLimitAction can cancel such jobs after a while.",
    ),
    Reason(
        "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
        "The job needs more vCPUs than the compute environments' maxvCpus allows in total.",
        "Raise maxvCpus of a compute environment of this queue, or submit the job with fewer vCPUs.",
    ),
    Reason(
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
        "The job asks for more vCPUs, memory or GPUs than any instance the compute environments may "
        "launch can offer.",
        "Ask for less (memory: leave room for what ECS keeps on each instance), or allow larger instance "
        "types (or GPU types for GPU jobs) in a compute environment of this queue.",
    ),
    Reason(
        "MISCONFIGURATION:SERVICE_ROLE_PERMISSIONS",
        "AWS Batch's service role lacks a permission it needs to launch or watch instances.",
        "Use the service-linked role (AWSServiceRoleForBatch), or add the missing permissions "
        "(for example autoscaling:DescribeScalingActivities) to the compute environment's service role.",
    ),
    Reason(
        "MISCONFIGURATION:QUOTA_MANAGEMENT_LIMIT_EXCEEDED",
        "The job needs more than its quota share's capacity limits allow.",
        "Raise the quota share's limits, or submit the job to a share with room.",
    ),
    Reason(
        "MISCONFIGURATION:SERVICE_ENVIRONMENT_MAX_RESOURCE",
        "The service job needs more instances than the queue's usable service environments allow in all "
        "(a DISABLED one allows none).",
        "Enable the queue's service environment if it is DISABLED, raise its capacityLimits, or ask for "
        "fewer instances.",
    ),
    Reason(
        "ACTION_REQUIRED",
        "Every compute environment of the queue is INVALID, so nothing can be placed.",
        "Open the compute environments, read their status reason (often a role, subnet or launch "
        "template problem), fix it and update the environment.",
    ),
    Reason(
        "UNDETERMINED",
        "AWS Batch could not determine why the job is not starting.",
        "Check the app's own findings below; if they all pass, look at the compute environments' "
        "Auto Scaling activity in the EC2 console.",
    ),
)


def decode_reason(status_reason: str) -> Reason | None:
    """The documented reason a statusReason starts with, or None for an ordinary one."""
    text = status_reason.strip()
    for reason in REASONS:
        if text.startswith(reason.code):
            return reason
    return None


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class JobNeeds:
    """What a RUNNABLE job asks for, as DescribeJobs tells it."""

    vcpus: float
    memory_mib: int
    gpus: int = 0
    # Jobs this one depends on, with their current status (None: not known to the app).
    dependencies: tuple[tuple[str, JobStatus | None], ...] = ()


@dataclass(frozen=True)
class EnvironmentUse:
    """vCPUs in use by running jobs in an environment (what the Monitor counts)."""

    arn: str
    running_vcpus: float


@dataclass
class Diagnosis:
    reason: Reason | None
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.outcome is Outcome.FAILED]

    @property
    def summary(self) -> str:
        if self.reason is not None:
            return self.reason.meaning
        if self.failed:
            return self.failed[0].detail
        return "Nothing blocks it that the app can see: it is waiting for its turn or for capacity to start."


def _gib(mib: float) -> str:
    return f"{round(mib / 1024, 1):g} GiB"


def queue_check(queue: JobQueue) -> Check:
    """Is the job's queue ENABLED and VALID (a Batch queue and a SAGEMAKER_TRAINING one alike)?"""
    queue_ok = queue.state == "ENABLED" and queue.status == "VALID"
    return Check(
        "Job queue enabled and valid",
        Outcome.PASSED if queue_ok else Outcome.FAILED,
        f"Queue {queue.name} is {queue.state} and {queue.status}"
        + (f": {queue.status_reason}" if queue.status_reason and not queue_ok else "."),
        "" if queue_ok else "Enable the queue (Job queues → Enable), or fix what its status reason says.",
    )


def environments_check(
    kind: str,
    queue: JobQueue,
    attached: Sequence[ComputeEnvironment | ServiceEnvironment],
    usable: Sequence[ComputeEnvironment | ServiceEnvironment],
) -> Check:
    """Are any of the queue's environments (`kind`: compute or service environment) usable?"""
    if not attached:
        return Check(
            f"{kind.capitalize()}s attached",
            Outcome.FAILED,
            f"Queue {queue.name} has no {kind}.",
            f"Edit the queue and add a {kind}.",
        )
    broken = [f"{e.name} is {e.state}/{e.status}" for e in attached if e not in usable]
    return Check(
        f"{kind.capitalize()}s enabled and valid",
        Outcome.PASSED if usable else Outcome.FAILED,
        (f"{len(usable)} of {len(attached)} usable" + (f" ({'; '.join(broken)})" if broken else "."))
        if usable
        else "None is usable: " + "; ".join(broken) + ".",
        "" if usable else f"Enable a {kind} of this queue, or fix its status reason.",
    )


def diagnose(  # noqa: PLR0917 - the facts of one question, each of its own kind
    status_reason: str,
    needs: JobNeeds,
    queue: JobQueue,
    environments: Sequence[ComputeEnvironment],
    catalogue: InstanceCatalogue,
    use: Sequence[EnvironmentUse] = (),
) -> Diagnosis:
    """AWS's reason decoded, plus the app's checks of the queue, its environments and the job."""
    diagnosis = Diagnosis(decode_reason(status_reason))
    checks = diagnosis.checks
    checks.append(queue_check(queue))
    order = {o.arn: o.order for o in queue.compute_environments}
    attached = sorted((e for e in environments if e.arn in order), key=lambda e: order[e.arn])
    usable = [e for e in attached if e.state == "ENABLED" and e.status == "VALID"]
    checks.append(environments_check("compute environment", queue, attached, usable))
    checks.append(_size_check(needs, usable or attached, catalogue))
    checks.append(_capacity_check(needs, usable, use))
    checks.append(_dependency_check(needs))
    return diagnosis


def _size_check(
    needs: JobNeeds, environments: Sequence[ComputeEnvironment], catalogue: InstanceCatalogue
) -> Check:
    name = "Job size fits what the environments offer"
    asked = f"asks {needs.vcpus:g} vCPU, {_gib(needs.memory_mib)}" + (
        f", {needs.gpus} GPU" if needs.gpus else ""
    )
    if not environments:
        return Check(name, Outcome.UNKNOWN, f"The job {asked}; no environment to compare with.")
    reasons: list[str] = []
    for env in environments:
        if env.platform is not None and env.platform.is_fargate:
            problems = fargate_problems(needs.vcpus, needs.memory_mib)
            if needs.gpus:
                problems.append("Fargate offers no GPUs.")
            if not problems:
                return Check(name, Outcome.PASSED, f"The job {asked}: a valid Fargate size for {env.name}.")
            reasons.append(f"{env.name} (Fargate): {' '.join(problems)}")
            continue
        allowed = env.instance_types or ("optimal",)
        fit = catalogue.smallest_fit(allowed, needs.vcpus, needs.memory_mib, needs.gpus)
        if fit is not None:
            return Check(
                name,
                Outcome.PASSED,
                f"The job {asked}; {env.name} may launch {fit.name} ({fit.vcpus} vCPU, "
                f"{_gib(fit.usable_memory_mib)} usable" + (f", {fit.gpus} GPU" if fit.gpus else "") + ").",
            )
        largest = catalogue.largest(allowed)
        if largest is None:
            reasons.append(f"{env.name}: its instance types ({', '.join(allowed)}) are not known to the app")
        else:
            gpus = f", {largest.gpus} GPU" if largest.gpus else ", no GPU"
            offers = (
                f"the largest allowed, {largest.name}, offers {largest.vcpus} vCPU and "
                f"{_gib(largest.memory_mib)} of which about {_gib(largest.usable_memory_mib)} "
                f"are usable{gpus}"
            )
            reasons.append(f"{env.name}: {offers}")
    return Check(
        name,
        Outcome.FAILED,
        f"The job {asked}; " + "; ".join(reasons) + ".",
        "Ask for less, or allow larger (or GPU) instance types in a compute environment of this queue.",
    )


def _capacity_check(
    needs: JobNeeds, environments: Sequence[ComputeEnvironment], use: Sequence[EnvironmentUse]
) -> Check:
    name = "Room under maxvCpus"
    running = {u.arn: u.running_vcpus for u in use}
    known = [e for e in environments if e.max_vcpus is not None]
    if not known:
        return Check(name, Outcome.UNKNOWN, "No environment with a known maxvCpus.")
    parts = []
    for env in known:
        assert env.max_vcpus is not None
        in_use = running.get(env.arn)
        if in_use is None:
            parts.append(f"{env.name}: maxvCpus {env.max_vcpus}, use unknown")
            continue
        free = env.max_vcpus - in_use
        parts.append(f"{env.name}: {in_use:g} of {env.max_vcpus} vCPUs in use")
        if free >= needs.vcpus:
            return Check(name, Outcome.PASSED, f"{'; '.join(parts)} — room for {needs.vcpus:g} more.")
    if all(e.max_vcpus is not None and e.max_vcpus < needs.vcpus for e in known):
        return Check(
            name,
            Outcome.FAILED,
            f"The job asks {needs.vcpus:g} vCPU, more than any maxvCpus ({'; '.join(parts)}).",
            "Raise maxvCpus of a compute environment of this queue.",
        )
    if all(e.arn in running for e in known):
        return Check(
            name,
            Outcome.FAILED,
            f"Full: {'; '.join(parts)}. The job starts when running jobs finish.",
            "Wait, or raise maxvCpus to run more at once.",
        )
    return Check(name, Outcome.UNKNOWN, "; ".join(parts) + ".")


def _dependency_check(needs: JobNeeds) -> Check:
    name = "Dependencies finished"
    if not needs.dependencies:
        return Check(name, Outcome.PASSED, "The job depends on no other job.")
    waiting = [
        f"{job_id} is {status.value}"
        for job_id, status in needs.dependencies
        if status is not None and not status.is_terminal
    ]
    unknown = [job_id for job_id, status in needs.dependencies if status is None]
    if waiting:
        return Check(
            name, Outcome.FAILED, "Still waiting: " + "; ".join(waiting) + ".", "It starts when they finish."
        )
    if unknown:
        return Check(name, Outcome.UNKNOWN, "Status not known for " + ", ".join(unknown) + ".")
    return Check(name, Outcome.PASSED, f"All {len(needs.dependencies)} finished.")


def position_check(job_arn: str, front: Sequence[str], updated: bool = True) -> Check:
    """Where the job stands among the first RUNNABLE jobs of its queue (GetJobQueueSnapshot)."""
    name = "Position at the front of the queue"
    if not updated:
        return Check(name, Outcome.UNKNOWN, "This endpoint does not offer GetJobQueueSnapshot.")
    if job_arn in front:
        position = front.index(job_arn) + 1
        if position == 1:
            return Check(name, Outcome.PASSED, "First in line: the scheduler looks at it next.")
        return Check(
            name,
            Outcome.UNKNOWN,
            f"Position {position} of the {len(front)} jobs at the front: {position - 1} ahead of it.",
        )
    if not front:
        return Check(name, Outcome.UNKNOWN, "The queue's front is empty (the snapshot may lag a little).")
    return Check(name, Outcome.UNKNOWN, f"Not among the {len(front)} jobs at the front of the queue yet.")


class FixKind(StrEnum):
    ENABLE_QUEUE = "enable-queue"
    ENABLE_ENVIRONMENT = "enable-environment"
    RAISE_MAX_VCPUS = "raise-max-vcpus"
    ENABLE_SERVICE_ENVIRONMENT = "enable-service-environment"
    ENABLE_QUOTA_SHARE = "enable-quota-share"  # target: the share's ARN


@dataclass(frozen=True)
class Fix:
    """An action that would remove a failed check, offered to the user with a confirmation."""

    kind: FixKind
    target: str
    max_vcpus: int | None = None
    previous: int | None = None

    @property
    def label(self) -> str:
        if self.kind is FixKind.ENABLE_QUEUE:
            return f"Enable job queue {self.target}"
        if self.kind is FixKind.ENABLE_ENVIRONMENT:
            return f"Enable compute environment {self.target}"
        if self.kind is FixKind.ENABLE_SERVICE_ENVIRONMENT:
            return f"Enable service environment {self.target}"
        if self.kind is FixKind.ENABLE_QUOTA_SHARE:
            return f"Enable quota share {self.target.rsplit('/', 1)[-1]}"
        return f"Raise maxvCpus of {self.target} from {self.previous} to {self.max_vcpus}"

    @property
    def question(self) -> str:
        if self.kind is FixKind.RAISE_MAX_VCPUS:
            return (
                f"{self.label}?\n\nMore vCPUs may run at once in this environment, and on AWS they are "
                "billed while they run."
            )
        return f"{self.label}?\n\nIts jobs may start at once."


def fixes_for(
    needs: JobNeeds,
    queue: JobQueue,
    environments: Sequence[ComputeEnvironment],
    use: Sequence[EnvironmentUse] = (),
) -> list[Fix]:
    """The actions that would unblock the job, for what the checks found wrong."""
    fixes: list[Fix] = []
    if queue.state == "DISABLED":
        fixes.append(Fix(FixKind.ENABLE_QUEUE, queue.name))
    order = {o.arn: o.order for o in queue.compute_environments}
    attached = sorted((e for e in environments if e.arn in order), key=lambda e: order[e.arn])
    usable = [e for e in attached if e.state == "ENABLED" and e.status == "VALID"]
    if not usable:
        fixes.extend(Fix(FixKind.ENABLE_ENVIRONMENT, e.name) for e in attached if e.state == "DISABLED")
    running = {u.arn: u.running_vcpus for u in use}
    for env in usable or [e for e in attached if e.state == "DISABLED"]:
        if env.max_vcpus is None or env.type == "UNMANAGED":
            continue
        in_use = running.get(env.arn, 0.0)
        if env.max_vcpus - in_use >= needs.vcpus:
            return fixes  # room already: raising maxvCpus would not help
        wanted = max(env.max_vcpus + 1, math.ceil(in_use + needs.vcpus))
        fixes.append(Fix(FixKind.RAISE_MAX_VCPUS, env.name, wanted, env.max_vcpus))
        return fixes
    return fixes


# --- service jobs (SageMaker training jobs of SAGEMAKER_TRAINING queues) -------------------------
@dataclass(frozen=True)
class ServiceJobNeeds:
    """The instances a service job asks for: its payload's ResourceConfig (one instance; "" when it
    names no instance type)."""

    instance_type: str = ""
    instances: int = 1

    @property
    def text(self) -> str:
        kind = f" {self.instance_type}" if self.instance_type else ""
        return f"{self.instances}{kind} instance" + ("s" if self.instances != 1 else "")


def service_job_needs(job: ServiceJob) -> ServiceJobNeeds:
    """What DescribeServiceJob's serviceRequestPayload (a CreateTrainingJob request) asks for."""
    try:
        payload = json.loads(str(job.raw.get("serviceRequestPayload") or "{}"))
    except ValueError:
        return ServiceJobNeeds()
    config = (payload.get("ResourceConfig") if isinstance(payload, dict) else None) or {}
    try:
        count = max(1, int(config.get("InstanceCount") or 1))
    except (TypeError, ValueError):
        count = 1
    return ServiceJobNeeds(str(config.get("InstanceType") or ""), count)


def service_environment_arns(queue: JobQueue) -> list[str]:
    """The service environments of a SAGEMAKER_TRAINING queue, in its order."""
    order = sorted(queue.raw.get("serviceEnvironmentOrder") or (), key=lambda o: int(o.get("order", 0)))
    return [str(o.get("serviceEnvironment", "")) for o in order]


def _attached_services(
    queue: JobQueue, environments: Sequence[ServiceEnvironment]
) -> tuple[list[ServiceEnvironment], list[ServiceEnvironment]]:
    """(attached, usable): the queue's service environments, and those ENABLED and VALID."""
    by_ref = {e.arn: e for e in environments} | {e.name: e for e in environments}
    attached = [by_ref[ref] for ref in service_environment_arns(queue) if ref in by_ref]
    return attached, [e for e in attached if e.state == "ENABLED" and e.status == "VALID"]


def diagnose_service_job(
    job: ServiceJob,
    needs: ServiceJobNeeds,
    queue: JobQueue,
    environments: Sequence[ServiceEnvironment],
    in_use: float | None,
) -> Diagnosis:
    """AWS's reason decoded, plus the checks of the queue, its service environments and their instance
    limit against the instances in use (`in_use`: None when the endpoint does not report it)."""
    diagnosis = Diagnosis(decode_reason(job.status_reason))
    checks = diagnosis.checks
    checks.append(queue_check(queue))
    attached, usable = _attached_services(queue, environments)
    checks.append(environments_check("service environment", queue, attached, usable))
    checks.append(_instance_limit_check(needs, usable, in_use))
    return diagnosis


def _instance_limit_check(
    needs: ServiceJobNeeds, usable: Sequence[ServiceEnvironment], in_use: float | None
) -> Check:
    name = "Room under the instance limit"
    if not usable:
        return Check(name, Outcome.UNKNOWN, f"The job asks {needs.text}; no usable service environment.")
    limit = sum(e.max_instances for e in usable)
    names = ", ".join(e.name for e in usable)
    if needs.instances > limit:
        return Check(
            name,
            Outcome.FAILED,
            f"The job asks {needs.text}, more than the {limit} instances {names} allow in all.",
            "Raise the service environment's instance limit (Service environments → Edit), or ask for "
            "fewer instances.",
        )
    if in_use is None:
        return Check(
            name,
            Outcome.UNKNOWN,
            f"{names}: limit {limit} instances, use not reported; the job asks {needs.text}.",
        )
    used = f"{names}: {in_use:g} of {limit} instances in use"
    if in_use + needs.instances > limit:
        return Check(
            name,
            Outcome.FAILED,
            f"Full: {used}; the job asks {needs.text}. It starts when running jobs finish.",
            "Wait, or raise the service environment's instance limit to run more at once.",
        )
    return Check(name, Outcome.PASSED, f"{used} — room for {needs.text}.")


def service_position_check(job_id: str, line: Sequence[str], share: str) -> Check:
    """Where the job stands in its line: the RUNNABLE jobs of its quota share (or of those without
    one), highest schedulingPriority first, then oldest, which is the order the queue takes them in."""
    name = "Position at the front of the queue"
    where = f"quota share {share}" if share else "the jobs without a quota share"
    if job_id not in line:
        return Check(name, Outcome.UNKNOWN, f"Not among the RUNNABLE jobs of {where} (it may have moved on).")
    position = line.index(job_id) + 1
    if position == 1:
        return Check(name, Outcome.PASSED, f"First in line of {where}: the scheduler looks at it next.")
    return Check(
        name,
        Outcome.UNKNOWN,
        f"Position {position} of the {len(line)} RUNNABLE jobs of {where}: {position - 1} ahead of it.",
    )


def service_fixes_for(
    queue: JobQueue, environments: Sequence[ServiceEnvironment], share: QuotaShare | None
) -> list[Fix]:
    """The actions that would unblock a service job: enable its queue, its service environments
    (when none is usable) or its quota share."""
    fixes: list[Fix] = []
    if queue.state == "DISABLED":
        fixes.append(Fix(FixKind.ENABLE_QUEUE, queue.name))
    attached, usable = _attached_services(queue, environments)
    if not usable:
        fixes.extend(
            Fix(FixKind.ENABLE_SERVICE_ENVIRONMENT, e.name) for e in attached if e.state == "DISABLED"
        )
    if share is not None and share.state == "DISABLED":
        fixes.append(Fix(FixKind.ENABLE_QUOTA_SHARE, share.arn))
    return fixes
