"""Retry the failed children of a finished array job, through the jobs facade.

`prepare` reads what a retry needs (the parent, its failed children); `plan_child_retry` (domain)
turns it and the person's edits into one SubmitJob request over only those indices; `submit` sends
it and tags the old array with the new job's id, so each shows the other (tags, Details).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from batchgui.domain.array_retry import (
    RETRIED_BY_TAG,
    ChildRetryPlan,
    can_retry_children,
    failed_indices,
    plan_child_retry,
    retried_by_value,
)
from batchgui.domain.errors import BatchGuiError
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.job_requests import SubmitJobRequest
from batchgui.services.jobs import JobsService, SubmitBatch


@dataclass(frozen=True)
class RetrySource:
    """A finished array parent and the indices of its FAILED children ('' reason when retryable)."""

    parent: JobDetail | None
    failed: tuple[int, ...] = ()
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.parent is not None and bool(self.failed) and not self.reason

    def plan(self, edited: SubmitJobRequest | None = None) -> ChildRetryPlan:
        assert self.parent is not None
        return plan_child_retry(self.parent, self.failed, edited)


async def prepare(jobs: JobsService, parent_id: str, only: Collection[int] | None = None) -> RetrySource:
    """Describe the parent and list its children (`only` these indices, when given); say in words
    why it cannot be retried, if so."""
    found = await jobs.describe([parent_id])
    if not found:
        return RetrySource(None, reason=f"Job {parent_id} no longer exists.")
    parent = found[0]
    if not parent.is_array_parent:
        return RetrySource(parent, reason=f"{parent.summary.name} is not an array job.")
    if not can_retry_children(parent):
        return RetrySource(
            parent, reason=f"{parent.summary.name} is {parent.status.value}: wait until it has finished."
        )
    failed = tuple(i for i in failed_indices(await jobs.children(parent_id)) if only is None or i in only)
    if not failed:
        return RetrySource(parent, reason=f"No child of {parent.summary.name} failed.")
    return RetrySource(parent, failed)


async def submit(jobs: JobsService, source: RetrySource, plan: ChildRetryPlan) -> SubmitBatch:
    """Submit the retry; then tag the old array `retried-by` the new job (best effort: the new job's
    own `retry-of` tag is the link that always exists)."""
    batch = await jobs.submit_all([plan.request])
    parent = source.parent
    if batch.accepted and parent is not None and parent.summary.job_arn:
        value = retried_by_value(parent.tags.get(RETRIED_BY_TAG, ""), batch.accepted[0].job_id)
        try:
            await jobs.tag_job(parent.summary.job_arn, {RETRIED_BY_TAG: value})
        except BatchGuiError:
            pass  # e.g. no batch:TagResource permission: the new job still names the old one
    return batch
