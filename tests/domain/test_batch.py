from __future__ import annotations

from batchgui.domain.batch import (
    ComputeEnvironment,
    JobDefinition,
    JobQueue,
    JobStatus,
    JobSummary,
    Platform,
)


def test_compute_environment_from_api_reads_fargate_resources() -> None:
    ce = ComputeEnvironment.from_api(
        {
            "computeEnvironmentName": "fg",
            "computeEnvironmentArn": "arn:aws:batch:us-east-1:1:compute-environment/fg",
            "type": "MANAGED",
            "state": "ENABLED",
            "status": "VALID",
            "computeResources": {"type": "FARGATE_SPOT", "maxvCpus": 64, "subnets": ["s-1", "s-2"]},
        }
    )
    assert ce.platform is Platform.FARGATE_SPOT
    assert ce.platform.is_fargate
    assert ce.max_vcpus == 64
    assert ce.subnets == ("s-1", "s-2")
    assert ce.raw["type"] == "MANAGED"


def test_unmanaged_environment_has_no_platform() -> None:
    ce = ComputeEnvironment.from_api(
        {"computeEnvironmentName": "u", "computeEnvironmentArn": "arn:x/u", "type": "UNMANAGED"}
    )
    assert ce.platform is None
    assert ce.max_vcpus is None


def test_queue_orders_compute_environments_by_order() -> None:
    queue = JobQueue.from_api(
        {
            "jobQueueName": "q",
            "jobQueueArn": "arn:q",
            "priority": 5,
            "computeEnvironmentOrder": [
                {"order": 2, "computeEnvironment": "arn:aws:batch:r:1:compute-environment/b"},
                {"order": 1, "computeEnvironment": "arn:aws:batch:r:1:compute-environment/a"},
            ],
        }
    )
    assert [ce.name for ce in queue.compute_environments] == ["a", "b"]


def test_job_definition_reads_resource_requirements_and_legacy_fields() -> None:
    modern = JobDefinition.from_api(
        {
            "jobDefinitionName": "d",
            "jobDefinitionArn": "arn:d:3",
            "revision": 3,
            "platformCapabilities": ["FARGATE"],
            "containerProperties": {
                "image": "img",
                "resourceRequirements": [
                    {"type": "VCPU", "value": "0.5"},
                    {"type": "MEMORY", "value": "1024"},
                ],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/g"}},
            },
            "timeout": {"attemptDurationSeconds": 60},
        }
    )
    assert (modern.vcpus, modern.memory_mib, modern.platform) == ("0.5", "1024", "FARGATE")
    assert modern.name_revision == "d:3"
    assert modern.log_options == {"awslogs-group": "/g"}
    assert modern.timeout_s == 60
    legacy = JobDefinition.from_api(
        {
            "jobDefinitionName": "l",
            "jobDefinitionArn": "arn:l:1",
            "containerProperties": {"vcpus": 2, "memory": 512},
        }
    )
    assert (legacy.vcpus, legacy.memory_mib, legacy.platform) == ("2", "512", "EC2")


def test_job_summary_duration_and_queue_name() -> None:
    job = JobSummary.from_api(
        {
            "jobId": "id",
            "jobName": "n",
            "status": "SUCCEEDED",
            "startedAt": 1_000,
            "stoppedAt": 4_500,
            "container": {"exitCode": 0},
            "jobQueue": "arn:aws:batch:r:1:job-queue/q1",
        }
    )
    assert job.duration_s == 3.5
    assert job.queue == "q1"
    assert job.exit_code == 0
    assert job.status.is_terminal


def test_active_statuses_exclude_terminal_ones() -> None:
    assert JobStatus.SUCCEEDED not in JobStatus.active()
    assert JobStatus.RUNNABLE in JobStatus.active()
    assert len(JobStatus.active()) == 5
