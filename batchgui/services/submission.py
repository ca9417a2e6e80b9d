"""Submissions, the facade the UI uses: the journal, creating, sending, following, resubmitting
failed rows (with changes), and the results the jobs wrote. Bound to the current connection: no
call takes a gateway; the journal is local, so reading it works with no connection at all.

The work itself is in services/submitter.py (sending) and services/journal.py (the SQLite journal);
their names are re-exported here.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Unpack

from batchgui.domain.batch import ComputeEnvironment, JobDefinition, JobQueue
from batchgui.domain.csv_plan import Plan, RetryChanges, SplitMode
from batchgui.domain.csv_reader import CsvReader, Dialect
from batchgui.domain.errors import BatchGuiError
from batchgui.domain.outcomes import SubmitOutcome
from batchgui.services.bound import BoundService
from batchgui.services.connections import ConnectionManager
from batchgui.services.journal import ItemState, Journal, Submission, SubmissionState, Unit
from batchgui.services.runner import Runner
from batchgui.services.submitter import (
    SendOptions,
    SubmitFailed,
    SubmitProgress,
    Submitter,
    is_finished,
    new_submission_id,
    plain,
    units_failed,
)
from batchgui.services.upload import Counter, FileCheck, Progress, follow

__all__ = [
    "ItemState",
    "Journal",
    "Results",
    "Submission",
    "SubmissionState",
    "SubmissionsService",
    "SubmitChoices",
    "SubmitFailed",
    "SubmitOutcome",
    "SubmitProgress",
    "Submitter",
    "Unit",
    "is_finished",
    "new_submission_id",
    "plain",
    "submission_rows",
    "units_failed",
]


def submission_rows(path: Path, dialect: Dialect) -> Generator[list[str], None, None]:
    """The data rows of a checked file, read by the one reader the check used (on a worker)."""
    with path.open("rb") as handle:
        yield from CsvReader(handle, dialect).data_rows()


# --- the facade ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmitChoices:
    """What the wizard's jobs step offers: queues, their environments (platforms), definitions."""

    queues: list[JobQueue]
    environments: list[ComputeEnvironment]
    definitions: list[JobDefinition]


@dataclass(frozen=True)
class Results:
    """The result items a submission's jobs wrote; `complete` is False when reading was cancelled."""

    table: str
    items: list[dict[str, str]] = field(default_factory=list)
    complete: bool = True


class SubmissionsService(BoundService):
    """CSV submissions for the UI: journal, sending, following, resubmitting, results.

    Bound to the current connection: no call takes a gateway. The journal is local, so reading it
    works with no connection at all.
    """

    def __init__(self, runner: Runner, connections: ConnectionManager, journal: Journal) -> None:
        super().__init__(runner, connections)
        self.submitter = Submitter(runner, journal)
        self.journal = journal

    # --- the journal ------------------------------------------------------------------------------
    @property
    def listeners(self) -> list[Callable[[str], None]]:
        """Told the id of a submission that changed."""
        return self.submitter.listeners

    def is_sending(self, submission_id: str) -> bool:
        return submission_id in self.submitter.sending

    async def submissions(self) -> list[Submission]:
        return await self._run(self.journal.submissions)

    async def submission(self, submission_id: str) -> Submission:
        return await self._run(self.journal.submission, submission_id)

    async def units(self, submission_id: str) -> list[Unit]:
        return await self._run(self.journal.units, submission_id)

    async def row_history(self, submission_id: str, row: int) -> list[tuple[Submission, Unit]]:
        """Every attempt at data row `row`, across the submission and its resubmissions."""
        return await self._run(self.journal.row_history, submission_id, row)

    def connection_label(self) -> str:
        current = self.connections.current
        return current.label if current is not None else ""

    async def last_choice(self) -> tuple[str, str] | None:
        """The queue and definition last submitted to on the current connection."""
        label = self.connection_label()
        return await self._run(self.journal.last_choice, label) if label else None

    async def remember_choice(self, queue: str, definition: str) -> None:
        label = self.connection_label()
        if label:
            await self._run(self.journal.remember_choice, label, queue, definition)

    # --- creating and sending ---------------------------------------------------------------------
    async def choices(self) -> SubmitChoices:
        """Queues, environments and every definition revision (an INACTIVE one chosen elsewhere must be
        explained, not hidden); environments are best-effort (platforms unknown without them)."""
        batch = self._backend().batch
        queues = await self._run(batch.describe_job_queues)
        try:
            environments = await self._run(batch.describe_compute_environments)
        except BatchGuiError:
            environments = []
        definitions = sorted(
            await self._run(batch.describe_job_definitions, None),
            key=lambda d: (d.status != "ACTIVE", d.name, -d.revision),
        )
        return SubmitChoices(queues, environments, definitions)

    def cli_target(self) -> tuple[str, str]:
        """(region, endpoint URL) for the equivalent AWS CLI command."""
        backend = self._backend()
        return backend.spec.region, backend.connection.endpoint_url or ""

    async def first_requests(self, plan: Plan, check: FileCheck, count: int = 3) -> list[dict[str, Any]]:
        """The first requests the submission will send (per-row: read from the file, on a worker)."""
        if plan.input.mode is not SplitMode.PER_ROW:
            return plan.first_requests([], count)

        def read() -> list[dict[str, Any]]:
            rows = submission_rows(check.path, check.inspection.dialect)
            try:
                return plan.first_requests(rows, count)
            finally:
                rows.close()

        return await self._run(read)

    async def create(
        self, plan: Plan, check: FileCheck, *, results_table: str = "", dry_run: bool = False
    ) -> Submission:
        """Journal the submission and every request it will send; then remember the queue/definition."""
        spec = plan.input
        dialect = check.inspection.dialect
        sub = await self.submitter.create(
            plan,
            str(check.path),
            check.inspection.size,
            check.sha256,
            rows=lambda: submission_rows(check.path, dialect),
            connection=self.connection_label(),
            results_table=results_table,
            dry_run=dry_run,
        )
        await self.remember_choice(spec.queue.name, spec.definition.name_revision)
        return sub

    async def submit(self, submission_id: str, **options: Unpack[SendOptions]) -> SubmitOutcome:
        """Send what is not sent yet (a resume is the same call), as `Submitter.submit` with these
        options; every failure is a BatchGuiError."""
        return await self.submitter.submit(self._backend().batch, submission_id, **options)

    async def refresh_status(self, submission_id: str) -> list[Unit]:
        return await self.submitter.refresh_status(self._backend().batch, submission_id)

    async def preview_retry(
        self, submission_id: str, units: Sequence[Unit], changes: RetryChanges | None = None
    ) -> list[dict[str, Any]]:
        """The requests a resubmission would send, for the person to see before sending."""
        _sub, requests = await self._run(
            self.submitter.retry_requests, submission_id, units, "preview00000", changes
        )
        return requests

    async def create_retry(
        self, submission_id: str, units: Sequence[Unit], changes: RetryChanges | None = None
    ) -> Submission:
        return await self.submitter.create_retry(submission_id, units, changes=changes)

    # --- results ----------------------------------------------------------------------------------
    async def results(
        self,
        submission: Submission,
        report: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Results:
        """The items the jobs wrote to the results table, page by page; `report(items so far)` while
        reading, and `cancel` stops after the page in flight (what was read is kept)."""
        table = submission.results_table
        if not table:
            return Results("")
        dynamodb = self._backend().dynamodb
        counter = Counter()
        cancel = cancel or threading.Event()
        # Results land under the first submission of a chain (resubmissions keep its id).
        root = (await self._run(self.journal.family, submission.id))[0]
        work = asyncio.ensure_future(
            self._run(dynamodb.submission_items, table, root, progress=counter.set, cancelled=cancel.is_set)
        )

        def sampled(progress: Progress) -> None:
            if report is not None:
                report(progress.done)

        try:
            await follow(work, counter, 0, sampled)
        except asyncio.CancelledError:
            cancel.set()
            raise
        items = await work
        return Results(table, items, complete=not cancel.is_set())
