"""Fakes of the uploads and submissions facades: the Submissions panel and the CSV wizard built in a
test with no server (qutebrowser's stubs.py habit). They keep what they were asked in lists."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchgui.domain.batch import ComputeEnvironmentOrder, JobDefinition, JobQueue
from batchgui.domain.csv_plan import Plan, RetryChanges, SplitMode, apply_changes, inspect_csv
from batchgui.domain.outcomes import SubmitOutcome
from batchgui.services.journal import Submission, SubmissionState, Unit
from batchgui.services.submission import Results, SubmitChoices, SubmitProgress, submission_rows
from batchgui.services.upload import FileCheck, ObjectInfo, Progress, file_size


def submission(sid: str, **changes: Any) -> Submission:
    base: dict[str, Any] = {
        "id": sid,
        "created_at": 1_700_000_000.0,
        "file_path": f"/data/{sid}.csv",
        "file_size": 100,
        "file_sha256": "0" * 64,
        "s3_uri": f"s3://bucket/{sid}.csv",
        "mode": "per_row",
        "queue": "fargate-queue",
        "definition": "proc:1",
        "job_name": sid,
        "name_prefix": f"{sid}-x",
        "rows": 3,
        "rows_per_child": 1,
        "connection": "Local sandbox",
        "parent_id": "",
        "state": SubmissionState.SUBMITTED,
        "results_table": "results",
        "message": "",
        "counts": {"submitted": 3},
    }
    base.update(changes)
    return Submission(**base)


QUEUES = [
    JobQueue(
        "fargate-queue",
        "arn:q/fargate-queue",
        "ENABLED",
        "VALID",
        1,
        "",
        (ComputeEnvironmentOrder(1, "arn:ce/f"),),
    ),
    JobQueue(
        "other-queue",
        "arn:q/other-queue",
        "ENABLED",
        "VALID",
        1,
        "",
        (ComputeEnvironmentOrder(1, "arn:ce/f"),),
    ),
]
DEFINITIONS = [
    JobDefinition("proc", "arn:jd/proc:1", 1, "ACTIVE", "container", "FARGATE", command=("run", "Ref::id")),
    JobDefinition("proc", "arn:jd/proc:2", 2, "ACTIVE", "container", "FARGATE", command=("run", "Ref::id")),
]


@dataclass
class FakeSubmissions:
    """SubmissionsService's surface, in memory."""

    connected: bool = True
    rows: list[Submission] = field(default_factory=list)
    units_by_id: dict[str, list[Unit]] = field(default_factory=dict)
    requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    result_pages: list[list[dict[str, str]]] = field(default_factory=list)
    page_delay_s: float = 0.0
    remembered: tuple[str, str] | None = None
    listeners: list[Callable[[str], None]] = field(default_factory=list)
    created: list[tuple[Plan, FileCheck, bool]] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    retried: list[tuple[str, list[Unit], RetryChanges]] = field(default_factory=list)

    def is_sending(self, submission_id: str) -> bool:
        return False

    async def submissions(self) -> list[Submission]:
        return list(self.rows)

    async def units(self, submission_id: str) -> list[Unit]:
        return list(self.units_by_id.get(submission_id, []))

    async def refresh_status(self, submission_id: str) -> list[Unit]:
        return await self.units(submission_id)

    async def row_history(self, submission_id: str, row: int) -> list[tuple[Submission, Unit]]:
        subs = {s.id: s for s in self.rows}
        return [
            (subs[sid], u)
            for sid, units in self.units_by_id.items()
            for u in units
            if u.first_row <= row < u.first_row + u.row_count
        ]

    async def submit(self, submission_id: str, **_: Any) -> SubmitOutcome:
        self.sent.append(submission_id)
        progress = _.get("progress")
        if progress is not None:
            progress(SubmitProgress(3, 3))
        return SubmitOutcome(submitted=3, total=3, calls=3, submission_id=submission_id)

    async def create(
        self, plan: Plan, check: FileCheck, *, results_table: str = "", dry_run: bool = False
    ) -> Submission:
        self.created.append((plan, check, dry_run))
        self.remembered = (plan.input.queue.name, plan.input.definition.name_revision)
        made = submission(plan.input.submission_id, rows=plan.input.rows, counts={"pending": plan.call_count})
        self.rows.append(made)
        return made

    async def preview_retry(
        self, submission_id: str, units: Sequence[Unit], changes: RetryChanges | None = None
    ) -> list[dict[str, Any]]:
        base = self.requests.get(
            submission_id, [{"jobName": "x", "jobDefinition": "proc:1", "parameters": {"id": "1"}}]
        )
        return [apply_changes(base[0], changes or RetryChanges())]

    async def create_retry(
        self, submission_id: str, units: Sequence[Unit], changes: RetryChanges | None = None
    ) -> Submission:
        self.retried.append((submission_id, list(units), changes or RetryChanges()))
        made = submission("retry1", parent_id=submission_id, rows=len(units))
        self.rows.append(made)
        return made

    async def results(
        self,
        sub: Submission,
        report: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Results:
        items: list[dict[str, str]] = []
        for page in self.result_pages:
            if cancel is not None and cancel.is_set():
                return Results(sub.results_table, items, complete=False)
            items.extend(page)
            if report is not None:
                report(len(items))
            await asyncio.sleep(self.page_delay_s)
        return Results(sub.results_table, items)

    async def choices(self) -> SubmitChoices:
        return SubmitChoices(QUEUES, [], DEFINITIONS)

    async def last_choice(self) -> tuple[str, str] | None:
        return self.remembered

    def cli_target(self) -> tuple[str, str]:
        return "us-east-1", "http://127.0.0.1:1"

    async def first_requests(self, plan: Plan, check: FileCheck, count: int = 3) -> list[dict[str, Any]]:
        if plan.input.mode is SplitMode.PER_ROW:
            return plan.first_requests(submission_rows(check.path, check.inspection.dialect), count)
        return plan.first_requests([], count)


@dataclass
class FakeUploads:
    """UploadsService's surface: the file is read for real (no server), the upload is pretended."""

    connected: bool = True
    uploaded: list[tuple[str, str]] = field(default_factory=list)

    async def file_size(self, path: Path) -> int | None:
        return file_size(path)

    async def check(
        self,
        path: Path,
        report: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
        **overrides: Any,
    ) -> FileCheck:
        data = path.read_bytes()
        with path.open("rb") as handle:
            inspection = inspect_csv(handle, len(data), **overrides)
        return FileCheck(path, inspection, hashlib.sha256(data).hexdigest())

    async def buckets(self) -> list[str]:
        return ["bucket"]

    async def identical(self, bucket: str, key: str, size: int, sha256: str) -> ObjectInfo | None:
        return None

    async def upload(self, path: Path, bucket: str, key: str, sha256: str, **_: Any) -> ObjectInfo:
        self.uploaded.append((bucket, key))
        return ObjectInfo(bucket, key, path.stat().st_size, sha256)
