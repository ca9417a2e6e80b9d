"""The poller's compact job book and one poll's merge (pure: no servers needed)."""

from __future__ import annotations

import gc

from batchgui.domain.batch import JobStatus
from batchgui.domain.job_resources import JobResources, TrackedJob
from batchgui.domain.job_tracking import ActiveRow, SeenRow, active_row, merge_poll, seen_row
from batchgui.domain.samples import build_sample


def seen(
    job_id: str, status: JobStatus, created: int | None = 1000, reason: str = "", q: str = "q"
) -> SeenRow:
    return (job_id, f"name-{job_id}", status.value, created, reason, q)


def test_a_list_jobs_summary_becomes_a_tuple_with_only_what_the_poller_uses() -> None:
    item = {"jobId": "j1", "jobName": "n", "status": "RUNNABLE", "createdAt": 5, "jobArn": "arn", "x": [1]}
    assert seen_row(item, "q") == ("j1", "n", "RUNNABLE", 5, "", "q")
    assert seen_row({"jobId": "j2", "status": "RUNNING", "createdAt": "bad"}, "q")[3] is None


def test_compact_rows_leave_the_garbage_collectors_tracking() -> None:
    row = active_row(seen("j1", JobStatus.RUNNABLE))
    gc.collect()
    assert not gc.is_tracked(row)  # strings, numbers and None only: a full collection skips it


def test_new_jobs_are_added_and_counted_as_submitted_only_after_the_baseline() -> None:
    pages = [[seen("old", JobStatus.RUNNABLE, created=100), seen("new", JobStatus.SUBMITTED, created=5000)]]
    first = merge_poll({}, {}, pages, {}, count_submitted=False, submitted_since_ms=None, forget_before_ms=0)
    assert set(first.upserts) == {"old", "new"}
    assert first.submitted == {}
    later = merge_poll({}, {}, pages, {}, count_submitted=True, submitted_since_ms=1000, forget_before_ms=0)
    assert later.submitted == {"q": 1}  # "old" was there before monitoring began


def test_unchanged_jobs_make_no_change_and_the_later_list_wins() -> None:
    jobs: dict[str, ActiveRow] = {
        "a": active_row(seen("a", JobStatus.RUNNABLE)),
        "b": active_row(seen("b", JobStatus.RUNNABLE)),
    }
    # "b" moved on while the lists were read: seen in RUNNABLE, then in RUNNING.
    pages = [[seen("a", JobStatus.RUNNABLE), seen("b", JobStatus.RUNNABLE)], [seen("b", JobStatus.RUNNING)]]
    changes = merge_poll(jobs, {}, pages, {}, count_submitted=True, submitted_since_ms=0, forget_before_ms=0)
    assert list(changes.upserts) == ["b"]
    assert changes.upserts["b"][2] == "RUNNING"
    assert changes.need_resources == ["b"]  # RUNNING with no vCPUs known yet
    assert changes.submitted == {}
    assert not changes.unknown
    assert not changes.finished
    assert jobs["b"][2] == "RUNNABLE"  # the inputs are not changed


def test_leavers_are_finished_when_known_else_described_and_old_finished_ids_forgotten() -> None:
    jobs = {job_id: active_row(seen(job_id, JobStatus.RUNNING)) for job_id in ("gone", "done", "here")}
    changes = merge_poll(
        jobs,
        {"long-ago": 10, "recent": 9000},
        [[seen("here", JobStatus.RUNNING), seen("long-ago", JobStatus.RUNNABLE)]],
        {"done": ("FAILED", "exit 1")},
        count_submitted=True,
        submitted_since_ms=0,
        forget_before_ms=5000,
    )
    assert changes.finished == [("done", "FAILED", "exit 1")]
    assert changes.unknown == ["gone"]
    assert changes.stale_finished == ["long-ago"]
    assert "long-ago" not in changes.upserts  # a finished job listed again (stale list) is not re-added


def test_build_sample_from_the_compact_book_matches_tracked_jobs() -> None:
    jobs = [
        TrackedJob("r1", "r1", "q", JobStatus.RUNNABLE, 2000, "waiting"),
        TrackedJob("r2", "r2", "q", JobStatus.RUNNABLE, 1000, "oldest"),
        TrackedJob("x", "x", "q", JobStatus.RUNNING, 500, "", JobResources(2, 4096, ("FARGATE",))),
    ]
    book = {job.job_id: job.row() for job in jobs}
    assert [TrackedJob.from_row(k, v) for k, v in book.items()] == jobs
    from_objects = build_sample(10.0, 5.0, jobs=jobs, queues=[], environments=[])
    from_book = build_sample(10.0, 5.0, active=book, queues=[], environments=[])
    assert from_objects == from_book
    (queue,) = from_book.queues
    assert queue.count(JobStatus.RUNNABLE) == 2
    assert queue.oldest_runnable_job == "r2"
    assert queue.get("vcpus_FARGATE") == 2
