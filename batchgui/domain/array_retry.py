"""Retry the failed children of an array job: a new job over only the failed indices.

AWS Batch numbers a new array's children 0..n-1, so each new child learns which child of the old
array it stands for from one environment variable, `BATCHGUI_ORIGINAL_ARRAY_INDICES`: the old
indices as a comma list with ranges ("3,7,12-15"). The new child's own AWS_BATCH_JOB_ARRAY_INDEX
(0 for a single job, which is what one failed child becomes) is the position in that list:
`original_index(os.environ)`. A retry of a retry maps through the previous list, so the indices
always name the first array's children.

The link between the two jobs is kept in tags: the new job carries `batchgui:retry-of` (the old
array's id) and the old one `batchgui:retried-by` (the new job ids, newest last).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.job_requests import ContainerOverrides, SubmitJobRequest

ORIGINAL_INDICES_VAR = "BATCHGUI_ORIGINAL_ARRAY_INDICES"
ARRAY_INDEX_VAR = "AWS_BATCH_JOB_ARRAY_INDEX"
RETRY_OF_TAG = "batchgui:retry-of"
RETRIED_BY_TAG = "batchgui:retried-by"
# AWS reserves the AWS_BATCH_ prefix: SubmitJob refuses overrides that set such a variable.
RESERVED_PREFIX = "AWS_BATCH_"
TAG_VALUE_MAX = 256
JOB_NAME_MAX = 128
RETRY_SUFFIX = "-retry"


def encode_indices(indices: Iterable[int]) -> str:
    """Sorted, distinct indices as a comma list with ranges: [3, 7, 12, 13, 14] -> "3,7,12-14"."""
    ordered = sorted(set(indices))
    parts: list[str] = []
    start = previous = None
    for index in [*ordered, None]:
        if start is not None and previous is not None and (index is None or index != previous + 1):
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = None
        if index is not None and start is None:
            start = index
        previous = index
    return ",".join(parts)


def decode_indices(text: str) -> list[int]:
    """The list `encode_indices` wrote, in order; ValueError for anything else."""
    indices: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        first, dash, last = part.partition("-")
        low = int(first)
        high = int(last) if dash else low
        if low < 0 or high < low:
            raise ValueError(f"{ORIGINAL_INDICES_VAR}: {part!r} is not an index or a range low-high")
        indices.extend(range(low, high + 1))
    return indices


def original_index(environ: Mapping[str, str]) -> int:
    """The index of the original array child this job stands for (its own index if not a retry)."""
    own = int(environ.get(ARRAY_INDEX_VAR, "0") or 0)
    mapping = environ.get(ORIGINAL_INDICES_VAR, "")
    if not mapping:
        return own
    indices = decode_indices(mapping)
    if own >= len(indices):
        raise ValueError(
            f"{ARRAY_INDEX_VAR}={own} is beyond the {len(indices)} indices of {ORIGINAL_INDICES_VAR}"
        )
    return indices[own]


def failed_indices(children: Iterable[JobSummary]) -> list[int]:
    """The array indices of the FAILED children, in order."""
    return sorted(
        {c.array_index for c in children if c.status is JobStatus.FAILED and c.array_index is not None}
    )


def can_retry_children(job: JobSummary | JobDetail) -> bool:
    """An array parent that has finished: its failed children (if any) can be retried."""
    summary = job.summary if isinstance(job, JobDetail) else job
    return bool(summary.array_size) and summary.array_index is None and summary.status.is_terminal


def retry_name(name: str) -> str:
    if name.endswith(RETRY_SUFFIX):
        return name
    return name[: JOB_NAME_MAX - len(RETRY_SUFFIX)] + RETRY_SUFFIX


def retried_by_value(previous: str, new_job_id: str) -> str:
    """The old job's `retried-by` tag with `new_job_id` added last (oldest dropped to fit 256)."""
    ids = [*previous.split(), new_job_id]
    while len(" ".join(ids)) > TAG_VALUE_MAX and len(ids) > 1:
        ids.pop(0)
    return " ".join(ids)


@dataclass(frozen=True)
class ChildRetryPlan:
    """What a retry of failed children sends: one request, and the old indices it stands for."""

    parent_id: str
    indices: tuple[int, ...]
    request: SubmitJobRequest

    @property
    def is_array(self) -> bool:
        return len(self.indices) > 1

    def describe(self) -> str:
        what = f"an array job of {len(self.indices)} children" if self.is_array else "a single job"
        return f"{what} for the failed indices {encode_indices(self.indices)} of {self.parent_id}"


def _editable(environment: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The variables a person may set: not AWS's reserved ones, not the index map (set by the retry)."""
    return tuple(
        (n, v) for n, v in environment if not n.startswith(RESERVED_PREFIX) and n != ORIGINAL_INDICES_VAR
    )


def retry_prefill(parent: JobDetail) -> SubmitJobRequest:
    """The parent's request as the retry dialog shows it: its overrides, without the variables the
    retry sets itself."""
    base = SubmitJobRequest.from_detail(parent)
    overrides = replace(base.overrides, environment=_editable(base.overrides.environment))
    return replace(base, overrides=overrides)


def plan_child_retry(
    parent: JobDetail, failed: Sequence[int], edited: SubmitJobRequest | None = None
) -> ChildRetryPlan:
    """The request that runs only the `failed` children of `parent` again, with `edited`'s overrides.

    `failed` are the parent's own child indices; when the parent is itself a retry, they are mapped
    to the first array's indices through its ORIGINAL_INDICES_VAR.
    """
    if not failed:
        raise ValueError(f"{parent.job_id} has no failed children to retry")
    if not parent.summary.array_size or parent.summary.array_index is not None:
        raise ValueError(f"{parent.job_id} is not an array job")
    own = [i for i in failed if 0 <= i < parent.summary.array_size]
    if len(own) != len(set(failed)):
        raise ValueError(
            f"indices outside the array of {parent.summary.array_size}: {sorted(set(failed) - set(own))}"
        )
    base = retry_prefill(parent)
    if edited is not None:
        base = base.with_overrides(edited)
    earlier = dict(parent.environment).get(ORIGINAL_INDICES_VAR, "")
    originals = decode_indices(earlier) if earlier else []
    indices = tuple(originals[i] if i < len(originals) else i for i in sorted(set(own)))
    overrides = ContainerOverrides(
        base.overrides.command,
        (*_editable(base.overrides.environment), (ORIGINAL_INDICES_VAR, encode_indices(indices))),
        base.overrides.vcpus,
        base.overrides.memory_mib,
    )
    tags = {k: v for k, v in base.tags.items() if k != RETRIED_BY_TAG}
    tags[RETRY_OF_TAG] = parent.job_id
    request = replace(
        base,
        job_name=retry_name(base.job_name),
        overrides=overrides,
        array_size=len(indices) if len(indices) > 1 else None,
        tags=tags,
    )
    return ChildRetryPlan(parent.job_id, indices, request)
