from __future__ import annotations

import pytest

from batchgui import resources
from batchgui.domain.batch import ComputeEnvironment, ComputeEnvironmentOrder, JobQueue, JobStatus, Platform
from batchgui.domain.runnable import (
    REASONS,
    EnvironmentUse,
    FixKind,
    JobNeeds,
    Outcome,
    ServiceJobNeeds,
    decode_reason,
    diagnose,
    diagnose_service_job,
    service_fixes_for,
    service_job_needs,
)
from batchgui.domain.training import CapacityLimit, QuotaShare, ServiceEnvironment, ServiceJob

CATALOGUE = resources.instance_catalogue()


def env(  # noqa: PLR0917
    name: str,
    platform: Platform = Platform.EC2,
    max_vcpus: int = 16,
    types: tuple[str, ...] = ("m5.large", "m5.4xlarge"),
    state: str = "ENABLED",
    status: str = "VALID",
) -> ComputeEnvironment:
    return ComputeEnvironment(
        name,
        f"arn:ce/{name}",
        "MANAGED",
        state,
        status,
        platform=platform,
        max_vcpus=max_vcpus,
        instance_types=() if platform.is_fargate else types,
    )


def queue(*environments: ComputeEnvironment, state: str = "ENABLED") -> JobQueue:
    order = tuple(ComputeEnvironmentOrder(i, e.arn) for i, e in enumerate(environments, 1))
    return JobQueue("q", "arn:q", state, "VALID", 1, compute_environments=order)


def outcome(diagnosis: object, name: str) -> tuple[Outcome, str]:
    check = next(c for c in diagnosis.checks if c.name == name)  # type: ignore[attr-defined]
    return check.outcome, check.detail


@pytest.mark.parametrize("reason", REASONS)
def test_every_documented_reason_is_decoded(reason: object) -> None:
    code = reason.code  # type: ignore[attr-defined]
    decoded = decode_reason(f"{code} - something AWS says")
    assert decoded is reason
    assert decoded is not None
    assert decoded.fix


def test_an_ordinary_reason_is_not_decoded() -> None:
    assert decode_reason("") is None
    assert decode_reason("Waiting for dependencies") is None


def test_a_job_larger_than_any_allowed_instance_names_the_largest_and_its_usable_memory() -> None:
    ce = env("ec2")
    diagnosis = diagnose("", JobNeeds(8, 64 * 1024), queue(ce), [ce], CATALOGUE)
    result, detail = outcome(diagnosis, "Job size fits what the environments offer")
    assert result is Outcome.FAILED
    assert "asks 8 vCPU, 64 GiB" in detail
    assert (
        "the largest allowed, m5.4xlarge, offers 16 vCPU and 64 GiB of which about 62.4 GiB are usable"
        in detail
    )
    fits = diagnose("", JobNeeds(8, 60 * 1024), queue(ce), [ce], CATALOGUE)
    assert outcome(fits, "Job size fits what the environments offer")[0] is Outcome.PASSED


def test_a_gpu_job_on_cpu_instances_and_on_fargate_fails() -> None:
    ec2, fargate = env("ec2"), env("fg", Platform.FARGATE)
    diagnosis = diagnose("", JobNeeds(4, 8192, gpus=1), queue(ec2, fargate), [ec2, fargate], CATALOGUE)
    result, detail = outcome(diagnosis, "Job size fits what the environments offer")
    assert result is Outcome.FAILED
    assert "no GPU" in detail
    assert "Fargate offers no GPUs" in detail
    gpu = env("gpu", types=("g4dn",))
    assert (
        outcome(
            diagnose("", JobNeeds(4, 8192, gpus=1), queue(gpu), [gpu], CATALOGUE),
            "Job size fits what the environments offer",
        )[0]
        is Outcome.PASSED
    )


def test_disabled_environment_and_disabled_queue() -> None:
    ce = env("ec2", state="DISABLED")
    diagnosis = diagnose("", JobNeeds(1, 2048), queue(ce, state="DISABLED"), [ce], CATALOGUE)
    assert outcome(diagnosis, "Job queue enabled and valid")[0] is Outcome.FAILED
    result, detail = outcome(diagnosis, "Compute environments enabled and valid")
    assert result is Outcome.FAILED
    assert "ec2 is DISABLED/VALID" in detail


def test_max_vcpus_exhausted_by_other_jobs_and_too_small_for_the_job() -> None:
    ce = env("fg", Platform.FARGATE, max_vcpus=8)
    full = diagnose("", JobNeeds(1, 2048), queue(ce), [ce], CATALOGUE, [EnvironmentUse(ce.arn, 8)])
    result, detail = outcome(full, "Room under maxvCpus")
    assert result is Outcome.FAILED
    assert "8 of 8 vCPUs in use" in detail
    room = diagnose("", JobNeeds(1, 2048), queue(ce), [ce], CATALOGUE, [EnvironmentUse(ce.arn, 6)])
    assert outcome(room, "Room under maxvCpus")[0] is Outcome.PASSED
    small = env("small", max_vcpus=2)
    big_job = diagnose(
        "", JobNeeds(4, 8192), queue(small), [small], CATALOGUE, [EnvironmentUse(small.arn, 0)]
    )
    assert "more than any maxvCpus" in outcome(big_job, "Room under maxvCpus")[1]


def test_a_dependency_still_running() -> None:
    ce = env("ec2")
    needs = JobNeeds(1, 2048, dependencies=(("a", JobStatus.RUNNING), ("b", JobStatus.SUCCEEDED)))
    diagnosis = diagnose("", needs, queue(ce), [ce], CATALOGUE)
    result, detail = outcome(diagnosis, "Dependencies finished")
    assert result is Outcome.FAILED
    assert detail == "Still waiting: a is RUNNING."


def test_all_passing_says_it_waits_its_turn() -> None:
    ce = env("ec2")
    diagnosis = diagnose("", JobNeeds(1, 2048), queue(ce), [ce], CATALOGUE, [EnvironmentUse(ce.arn, 0)])
    assert not diagnosis.failed
    assert "waiting for its turn" in diagnosis.summary
    blocked = diagnose(
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - x", JobNeeds(1, 2048), queue(ce), [ce], CATALOGUE
    )
    assert blocked.reason is not None
    assert blocked.summary == blocked.reason.meaning


def service_env(name: str, instances: int = 4, state: str = "ENABLED") -> ServiceEnvironment:
    return ServiceEnvironment(name, f"arn:se/{name}", state, "VALID", (CapacityLimit(instances),))


def training_queue(*environments: ServiceEnvironment, state: str = "ENABLED") -> JobQueue:
    order = [{"order": i, "serviceEnvironment": e.arn} for i, e in enumerate(environments, 1)]
    raw = {"jobQueueType": "SAGEMAKER_TRAINING", "serviceEnvironmentOrder": order}
    return JobQueue("tq", "arn:tq", state, "VALID", 1, raw=raw)


def test_a_service_jobs_needs_come_from_its_payload() -> None:
    payload = '{"ResourceConfig": {"InstanceType": "ml.g5.xlarge", "InstanceCount": 3}}'
    job = ServiceJob("j", "train", "RUNNABLE", raw={"serviceRequestPayload": payload})
    assert service_job_needs(job) == ServiceJobNeeds("ml.g5.xlarge", 3)
    assert service_job_needs(job).text == "3 ml.g5.xlarge instances"
    broken = ServiceJob("j", "train", "RUNNABLE", raw={"serviceRequestPayload": "{not json"})
    assert service_job_needs(broken) == ServiceJobNeeds("", 1)
    assert service_job_needs(broken).text == "1 instance"


def test_a_service_job_against_its_service_environments_instance_limit() -> None:
    small, off = service_env("small", 2), service_env("off", 8, "DISABLED")
    q = training_queue(small, off)
    job = ServiceJob("j", "train", "RUNNABLE")
    needs = ServiceJobNeeds("ml.m5.large", 1)
    full = diagnose_service_job(job, needs, q, [small, off], in_use=2)
    assert outcome(full, "Service environments enabled and valid") == (
        Outcome.PASSED,
        "1 of 2 usable (off is DISABLED/VALID)",
    )
    assert outcome(full, "Room under the instance limit") == (
        Outcome.FAILED,
        "Full: small: 2 of 2 instances in use; the job asks 1 ml.m5.large instance. "
        "It starts when running jobs finish.",
    )
    room = diagnose_service_job(job, needs, q, [small, off], in_use=1)
    assert outcome(room, "Room under the instance limit")[0] is Outcome.PASSED
    big = diagnose_service_job(job, ServiceJobNeeds("ml.m5.large", 3), q, [small, off], in_use=0)
    assert outcome(big, "Room under the instance limit") == (
        Outcome.FAILED,
        "The job asks 3 ml.m5.large instances, more than the 2 instances small allow in all.",
    )
    unreported = diagnose_service_job(job, needs, q, [small, off], in_use=None)
    assert outcome(unreported, "Room under the instance limit")[0] is Outcome.UNKNOWN
    assert service_fixes_for(q, [small, off], None) == []  # one environment is usable


def test_service_job_fixes_enable_what_is_disabled() -> None:
    off = service_env("off", state="DISABLED")
    q = training_queue(off, state="DISABLED")
    share = QuotaShare("team", "arn:tq/quota-share/team", "arn:tq", "DISABLED", "VALID")
    fixes = service_fixes_for(q, [off], share)
    assert [(f.kind, f.target) for f in fixes] == [
        (FixKind.ENABLE_QUEUE, "tq"),
        (FixKind.ENABLE_SERVICE_ENVIRONMENT, "off"),
        (FixKind.ENABLE_QUOTA_SHARE, "arn:tq/quota-share/team"),
    ]
    assert [f.label for f in fixes] == [
        "Enable job queue tq",
        "Enable service environment off",
        "Enable quota share team",
    ]
    none = diagnose_service_job(ServiceJob("j", "t", "RUNNABLE"), ServiceJobNeeds(), q, [off], 0)
    assert outcome(none, "Service environments enabled and valid") == (
        Outcome.FAILED,
        "None is usable: off is DISABLED/VALID.",
    )
    assert outcome(none, "Job queue enabled and valid")[0] is Outcome.FAILED
