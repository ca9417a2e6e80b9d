"""SageMaker Training through Batch: service environments, quota shares of SAGEMAKER_TRAINING job
queues, and service jobs, through the Batch client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from batchgui.aws.gateway import Gateway, plain_answer
from batchgui.domain.training import (
    SAGEMAKER_TRAINING,
    SERVICE_JOB_STATUSES,
    QuotaShare,
    QuotaShareRequest,
    QuotaShareUpdate,
    ServiceEnvironment,
    ServiceEnvironmentRequest,
    ServiceEnvironmentUpdate,
    ServiceJob,
    ServiceJobRequest,
)

if TYPE_CHECKING:
    from mypy_boto3_batch import BatchClient  # noqa: F401 - named in the base class below


class TrainingGateway(Gateway["BatchClient"]):
    # --- service environments ---------------------------------------------------------------
    def service_environments(self) -> list[ServiceEnvironment]:
        found = map(
            ServiceEnvironment.from_api, self._paged("describe_service_environments", "serviceEnvironments")
        )
        return sorted((e for e in found if e.status != "DELETED"), key=lambda e: e.name)

    def create_service_environment(self, request: ServiceEnvironmentRequest) -> str:
        return str(self._client.create_service_environment(**request.to_api())["serviceEnvironmentArn"])

    def update_service_environment(self, request: ServiceEnvironmentUpdate) -> None:
        self._client.update_service_environment(**request.to_api())

    def delete_service_environment(self, environment: str) -> None:
        self._client.delete_service_environment(serviceEnvironment=environment)

    # --- the queues service jobs go to -----------------------------------------------------
    def training_queues(self) -> list[tuple[str, str]]:
        """(name, ARN) of the SAGEMAKER_TRAINING job queues that are not being deleted."""
        return sorted(
            (str(q["jobQueueName"]), str(q["jobQueueArn"]))
            for q in self._paged("describe_job_queues", "jobQueues")
            if q.get("jobQueueType") == SAGEMAKER_TRAINING and q.get("status") not in ("DELETING", "DELETED")
        )

    # --- quota shares -----------------------------------------------------------------------
    def quota_shares(self, queue: str) -> list[QuotaShare]:
        return [
            QuotaShare.from_api(item)
            for item in self._paged("list_quota_shares", "quotaShares", jobQueue=queue)
        ]

    def describe_quota_share(self, arn: str) -> QuotaShare:
        return QuotaShare.from_api(plain_answer(self._client.describe_quota_share(quotaShareArn=arn)))

    def create_quota_share(self, request: QuotaShareRequest) -> str:
        return str(self._client.create_quota_share(**request.to_api())["quotaShareArn"])

    def update_quota_share(self, request: QuotaShareUpdate) -> None:
        self._client.update_quota_share(**request.to_api())

    def delete_quota_share(self, arn: str) -> None:
        self._client.delete_quota_share(quotaShareArn=arn)

    # --- service jobs -----------------------------------------------------------------------
    def service_jobs(
        self, queue_name: str, queue: str, statuses: Sequence[str] = SERVICE_JOB_STATUSES
    ) -> list[ServiceJob]:
        """Every status of one queue, or `statuses` (ListServiceJobs, like ListJobs, lists one status
        at a time)."""
        return [
            ServiceJob.from_api(item, queue_name)
            for status in statuses
            for item in self._paged("list_service_jobs", "jobSummaryList", jobQueue=queue, jobStatus=status)
        ]

    def describe_service_job(self, job_id: str) -> ServiceJob:
        return ServiceJob.from_api(plain_answer(self._client.describe_service_job(jobId=job_id)))

    def submit_service_job(self, request: ServiceJobRequest) -> str:
        return str(self._client.submit_service_job(**request.to_api())["jobId"])

    def set_service_job_priority(self, job_id: str, priority: int) -> None:
        self._client.update_service_job(jobId=job_id, schedulingPriority=priority)

    def terminate_service_job(self, job_id: str, reason: str) -> None:
        self._client.terminate_service_job(jobId=job_id, reason=reason)
