"""The poller's book of active jobs, kept compact, and one poll's merge as a pure function.

With 10,000 active jobs a poll reads 10,000 ListJobs rows. Turning each into a dataclass, and
comparing them with 10,000 tracked dataclasses on the GUI thread, cost 15-30 ms of GUI time per poll
and filled the garbage collector's young generation. So:

- ListJobs rows become plain tuples on the worker thread that read the page (`seen_row`).
- Active jobs are plain tuples keyed by job id (`ActiveRow`). A tuple holding only strings, numbers
  and None is dropped from the collector's tracking, so 10,000 of them cost a full collection nothing.
- `merge_poll` compares a poll's rows with the book on a worker thread and returns a `PollChanges`
  that is small when little changed; the GUI thread applies it with a dict update.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from batchgui.domain.batch import JobStatus

# (vCPUs, MiB, platformCapabilities)
Resources = tuple[float, float, tuple[str, ...]]
# A ListJobs row: (job id, name, status, createdAt ms, status reason, queue)
SeenRow = tuple[str, str, str, int | None, str, str]
# An active job: (name, queue, status, createdAt ms, status reason, resources or None)
ActiveRow = tuple[str, str, str, int | None, str, Resources | None]

# Positions in an ActiveRow.
NAME: Final = 0
QUEUE: Final = 1
STATUS: Final = 2
CREATED: Final = 3
REASON: Final = 4
RESOURCES: Final = 5
_STARTED = (JobStatus.STARTING.value, JobStatus.RUNNING.value)


def seen_row(item: Mapping[str, Any], queue: str) -> SeenRow:
    """One ListJobs job summary as a tuple (the fields the poller uses, nothing else)."""
    created = item.get("createdAt")
    return (
        str(item["jobId"]),
        str(item.get("jobName", "")),
        str(item["status"]),
        int(created) if isinstance(created, int | float) else None,
        str(item.get("statusReason", "")),
        queue,
    )


def active_row(row: SeenRow) -> ActiveRow:
    return (row[1], row[5], row[2], row[3], row[4], None)


@dataclass(frozen=True)
class PollChanges:
    """What one poll changed in the book of active jobs (small unless many jobs changed)."""

    # New or changed active jobs, to be stored as they are.
    upserts: dict[str, ActiveRow] = field(default_factory=dict)
    # Jobs first seen in this poll that count as submitted now, per queue.
    submitted: dict[str, int] = field(default_factory=dict)
    # Tracked jobs in no active list, whose end the created-since listing already gave: (id, status, reason).
    finished: list[tuple[str, str, str]] = field(default_factory=list)
    # Tracked jobs in no active list and with no known end: to be described.
    unknown: list[str] = field(default_factory=list)
    # STARTING/RUNNING jobs whose vCPUs/memory are not known yet.
    need_resources: list[str] = field(default_factory=list)
    # Finished-job ids old enough to forget (no created-since listing can return them again).
    stale_finished: list[str] = field(default_factory=list)


def merge_poll(
    jobs: Mapping[str, ActiveRow],
    finished: Mapping[str, int],
    pages: Iterable[Sequence[SeenRow]],
    finished_now: Mapping[str, tuple[str, str]],
    *,
    count_submitted: bool,
    submitted_since_ms: float | None,
    forget_before_ms: float,
) -> PollChanges:
    """Compare one poll's ListJobs rows with the tracked active jobs.

    `pages` are in list order (SUBMITTED … RUNNING), so a job seen twice keeps its later status.
    `finished_now` maps tracked jobs the created-since listing saw finished to (status, reason).
    A new job counts as submitted only when `count_submitted` and it was created at or after
    `submitted_since_ms` (jobs that were there before monitoring began are not "submitted now").
    Reads its arguments, changes none of them.
    """
    seen: dict[str, SeenRow] = {row[0]: row for page in pages for row in page}
    changes = PollChanges()
    upserts = changes.upserts
    submitted = changes.submitted
    for job_id, row in seen.items():
        old = jobs.get(job_id)
        if old is None:
            if job_id in finished:
                continue
            upserts[job_id] = (row[1], row[5], row[2], row[3], row[4], None)
            if count_submitted:
                created = row[3]
                if submitted_since_ms is None or created is None or created >= submitted_since_ms:
                    submitted[row[5]] = submitted.get(row[5], 0) + 1
        elif old[STATUS] != row[2] or old[REASON] != row[4]:
            upserts[job_id] = (
                row[1] or old[NAME],
                old[QUEUE],
                row[2],
                row[3] if row[3] is not None else old[CREATED],
                row[4],
                old[RESOURCES],
            )
    for job_id in jobs:
        if job_id in seen:
            continue
        ended = finished_now.get(job_id)
        if ended is not None:
            changes.finished.append((job_id, ended[0], ended[1]))
        else:
            changes.unknown.append(job_id)
    for job_id, row in seen.items():
        if row[2] in _STARTED:
            current = upserts.get(job_id) or jobs.get(job_id)
            if current is not None and current[RESOURCES] is None:
                changes.need_resources.append(job_id)
    changes.stale_finished.extend(
        job_id for job_id, created in finished.items() if created < forget_before_ms
    )
    return changes


# --- array jobs ----------------------------------------------------------------------------------
def parent_of(job_id: str) -> str | None:
    """The array parent of a child id (`parent:index`), or the multi-node job of a node id
    (`parent#index`); None for any other id."""
    parent, colon, index = job_id.rpartition(":")
    if not colon:
        parent, colon, index = job_id.rpartition("#")
    return parent if colon and parent and index.isdigit() else None


@dataclass(frozen=True)
class ArrayProgress:
    """An array parent's children by status: from the children the store knows, or the parent's
    statusSummary (DescribeJobs), whichever is more complete."""

    size: int
    counts: tuple[tuple[str, int], ...] = ()

    def count(self, status: JobStatus) -> int:
        return dict(self.counts).get(status.value, 0)

    @property
    def done(self) -> int:
        return self.count(JobStatus.SUCCEEDED) + self.count(JobStatus.FAILED)

    def text(self) -> str:
        """ "8 running · 42 runnable · 0 failed of 50" (running counts STARTING too)."""
        running = self.count(JobStatus.RUNNING) + self.count(JobStatus.STARTING)
        waiting = self.count(JobStatus.RUNNABLE)
        parts = [f"{running} running", f"{waiting} runnable"]
        pending = self.count(JobStatus.SUBMITTED) + self.count(JobStatus.PENDING)
        if pending:
            parts.append(f"{pending} pending")
        succeeded = self.count(JobStatus.SUCCEEDED)
        if succeeded:
            parts.append(f"{succeeded} succeeded")
        parts.append(f"{self.count(JobStatus.FAILED)} failed")
        return " · ".join(parts) + f" of {self.size}"

    @classmethod
    def build(cls, size: int, summary: Mapping[str, int], children: Iterable[str] = ()) -> ArrayProgress:
        """From a statusSummary, or from the statuses of the known children when they are more."""
        counted: dict[str, int] = {}
        for status in children:
            counted[status] = counted.get(status, 0) + 1
        source = counted if sum(counted.values()) > sum(summary.values()) else summary
        order = [s.value for s in JobStatus]
        return cls(size, tuple((s, int(source[s])) for s in order if source.get(s)))


def summary_deltas(before: Mapping[str, int], after: Mapping[str, int]) -> tuple[int, int]:
    """Children that finished between two statusSummaries of one parent: (succeeded, failed)."""
    succeeded = after.get(JobStatus.SUCCEEDED.value, 0) - before.get(JobStatus.SUCCEEDED.value, 0)
    failed = after.get(JobStatus.FAILED.value, 0) - before.get(JobStatus.FAILED.value, 0)
    return max(0, succeeded), max(0, failed)
