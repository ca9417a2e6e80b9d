"""Sending a CSV submission's requests: paced, journaled, resumable, with lost answers reconciled.

Before a SubmitJob goes out its item is marked `sending` in the journal; the job id is written as
soon as it returns. After a crash or a dropped network, items left `sending` are ambiguous: they are
looked up by their unique job name (ListJobs' JOB_NAME filter) before anything is sent again, so no
row is submitted twice and none is skipped. Journal writes happen on worker threads (inside the same
runner call as the SubmitJob). `Submitter` is handed the gateway; the UI uses the facade in
services/submission.py, which hands it the current connection's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from batchgui.aws.batch import BatchGateway, OutcomeUnknown
from batchgui.domain.batch import JobStatus
from batchgui.domain.csv_plan import (
    DEFAULT_RATE_PER_S,
    Plan,
    RetryChanges,
    SplitMode,
    apply_changes,
    job_name_prefix,
)
from batchgui.domain.errors import BatchGuiError, EndpointUnreachable, InvalidInput, Throttled
from batchgui.domain.outcomes import SubmitOutcome
from batchgui.services.budget import TokenBucket
from batchgui.services.journal import ItemState, Journal, Submission, SubmissionState, Unit
from batchgui.services.runner import Runner

log = logging.getLogger(__name__)

MAX_THROTTLE_RETRIES = 30


class SubmitFailed(BatchGuiError):
    """Something other than AWS stopped a submission (the file, the disk): said plainly."""

    title = "The submission stopped"


def plain(error: BaseException) -> BatchGuiError:
    """Any error as one the UI can say (AWS errors already are)."""
    if isinstance(error, BatchGuiError):
        return error
    text = str(error) or type(error).__name__
    failed = SubmitFailed(text, "Nothing is lost: fix the cause, then press Resume.")
    failed.__cause__ = error
    return failed


@dataclass
class SubmitProgress:
    submitted: int
    total: int
    throttled: int = 0
    rate_per_s: float = 0.0
    message: str = ""


def new_submission_id() -> str:
    return uuid.uuid4().hex[:12]


class SendOptions(TypedDict, total=False):
    """How `Submitter.submit` sends, for a caller that passes its options on (the defaults are
    submit's own)."""

    progress: Callable[[SubmitProgress], None] | None
    cancel: asyncio.Event | None
    rate_per_s: float
    concurrency: int


class Submitter:
    """Creates submissions in the journal and sends them; resuming is the same call as submitting."""

    def __init__(self, runner: Runner, journal: Journal) -> None:
        self.runner = runner
        self.journal = journal
        self.calls = 0  # SubmitJob calls sent (not counting botocore's own retries)
        self.listeners: list[Callable[[str], None]] = []  # told the id of a submission that changed
        # Submissions being sent by this process right now (a journal state of "submitting" may be
        # left over from a crash: such a submission can be resumed).
        self.sending: set[str] = set()

    def _changed(self, submission_id: str) -> None:
        for listener in list(self.listeners):
            listener(submission_id)

    # --- creating -----------------------------------------------------------------------------
    async def create(
        self,
        plan: Plan,
        file_path: str,
        file_size: int,
        file_sha256: str,
        *,
        rows: Callable[[], Iterable[Sequence[str]]] | None = None,
        connection: str = "",
        parent_id: str = "",
        results_table: str = "",
        dry_run: bool = False,
    ) -> Submission:
        """Write the submission and every request it will send. `rows()` streams the data rows
        (per-row mode); it is read on a worker thread."""
        spec = plan.input
        sub = Submission(
            id=spec.submission_id,
            created_at=time.time(),
            file_path=file_path,
            file_size=file_size,
            file_sha256=file_sha256,
            s3_uri=f"s3://{spec.bucket}/{spec.key}",
            mode=spec.mode.value,
            queue=spec.queue.name,
            definition=spec.definition.name_revision,
            job_name=spec.job_name,
            name_prefix=job_name_prefix(spec.job_name, spec.submission_id),
            rows=spec.rows,
            rows_per_child=spec.rows_per_child if spec.mode is SplitMode.ARRAY else 1,
            connection=connection,
            parent_id=parent_id,
            state=SubmissionState.DRY_RUN if dry_run else SubmissionState.READY,
            results_table=results_table,
            message="",
        )

        def items() -> Iterable[tuple[int, int, int, str, dict[str, Any]]]:
            if spec.mode is SplitMode.PER_ROW:
                if rows is None:
                    raise ValueError("per-row mode needs the file's rows")
                count = 0
                for number, values in enumerate(rows()):
                    request = plan.request_for_row(number, values)
                    count += 1
                    yield number, number, 1, request["jobName"], request
                if count != spec.rows:
                    raise SubmitFailed(
                        f"the file now has {count:,} data rows; the check counted {spec.rows:,}",
                        "It changed since it was checked: go back to the check step and read it again.",
                    )
            else:
                for job in plan.jobs:
                    yield job.seq, job.first_row, job.row_count, job.request["jobName"], job.request

        try:
            # One transaction: a file that fails half-way leaves no half submission behind.
            await self.runner.run(self.journal.create, sub, items())
        except (OSError, ValueError, RuntimeError) as error:
            raise plain(error) from error
        self._changed(sub.id)
        return await self.runner.run(self.journal.submission, sub.id)

    async def create_retry(
        self,
        source_id: str,
        units: Sequence[Unit],
        submission_id: str = "",
        changes: RetryChanges | None = None,
    ) -> Submission:
        """A new submission resubmitting only `units` (failed rows or children) of `source_id`.

        Per-row items are resent as they were, with `changes` made; array children become plain
        jobs over their rows (first_row/rows_per_child parameters), since their rows need not be
        contiguous any more. The new submission names the old one as its parent.
        """
        new_id = submission_id or new_submission_id()
        sub, requests = await self.runner.run(self.retry_requests, source_id, units, new_id, changes)

        def items() -> Iterable[tuple[int, int, int, str, dict[str, Any]]]:
            for seq, (unit, request) in enumerate(zip(units, requests, strict=True)):
                yield seq, unit.first_row, unit.row_count, request["jobName"], request

        await self.runner.run(self.journal.create, sub, items())
        self._changed(new_id)
        return await self.runner.run(self.journal.submission, new_id)

    def retry_requests(
        self, source_id: str, units: Sequence[Unit], new_id: str, changes: RetryChanges | None = None
    ) -> tuple[Submission, list[dict[str, Any]]]:
        """On a worker: the resubmission and its requests, built but not stored (shown first)."""
        source = self.journal.submission(source_id)
        originals = {i["seq"]: i for i in self.journal.items(source_id)}
        prefix = job_name_prefix(source.job_name, new_id)
        changes = changes or RetryChanges()
        sub = Submission(
            **{
                **source.__dict__,
                "id": new_id,
                "created_at": time.time(),
                "name_prefix": prefix,
                "parent_id": source_id,
                "state": SubmissionState.READY,
                "message": f"Resubmits {len(units)} failed part(s) of {source_id}",
                "mode": source.mode if source.mode == SplitMode.PER_ROW else "retry",
                "definition": changes.definition or source.definition,
                "changes": "" if changes.empty else changes.describe(),
                "rows": sum(u.row_count for u in units),
                "counts": {},
                "statuses": {},
            }
        )

        requests: list[dict[str, Any]] = []
        for unit in units:
            request = json.loads(originals[unit.seq]["request"])
            request.pop("arrayProperties", None)
            suffix = f"r{unit.first_row}" if unit.row_count == 1 else f"c{unit.first_row}"
            request["jobName"] = f"{prefix}-{suffix}"
            params = dict(request.get("parameters") or {})
            if "first_row" in params:
                params["first_row"] = str(unit.first_row)
            if "rows_per_child" in params:
                params["rows_per_child"] = str(unit.row_count)
            if "submission_id" in params:
                params["submission_id"] = source.id  # results land with the original rows
            if params:
                request["parameters"] = params
            tags = dict(request.get("tags") or {})
            tags["batchgui:submission"] = new_id
            request["tags"] = tags
            requests.append(apply_changes(request, changes))
        return sub, requests

    # --- sending ------------------------------------------------------------------------------
    def _send_one(self, gateway: BatchGateway, submission_id: str, seq: int, request: dict[str, Any]) -> str:
        """On a worker: mark the item sending, submit, record the job id (each step committed)."""
        self.journal.set_item(submission_id, seq, ItemState.SENDING)
        self.calls += 1
        job = gateway.submit_job_once(request)
        self.journal.set_item(submission_id, seq, ItemState.SUBMITTED, job.job_id)
        return job.job_id

    def _reconcile(self, gateway: BatchGateway, submission_id: str, only_seq: int | None = None) -> int:
        """Items left `sending` (answer lost, or the app died): find their jobs by name.

        Found ones are recorded as submitted; the rest go back to pending. Returns how many were found.
        While sending, only the item whose answer was lost (`only_seq`) is looked at: other items are
        `sending` because their calls are in flight, and putting one of those back to pending before
        its own answer arrives would have it sent twice.
        """
        sending = self.journal.items(submission_id, [ItemState.SENDING])
        if only_seq is not None:
            sending = [item for item in sending if item["seq"] == only_seq]
        if not sending:
            return 0
        sub = self.journal.submission(submission_id)
        found = {j.name: j for j in gateway.jobs_named(sub.queue, sub.name_prefix) if j.array_index is None}
        recovered = 0
        for item in sending:
            job = found.get(item["job_name"])
            if job is not None:
                self.journal.set_item(submission_id, item["seq"], ItemState.SUBMITTED, job.job_id)
                recovered += 1
            else:
                self.journal.set_item(submission_id, item["seq"], ItemState.PENDING)
        return recovered

    async def submit(
        self,
        backend_batch: BatchGateway,
        submission_id: str,
        *,
        progress: Callable[[SubmitProgress], None] | None = None,
        cancel: asyncio.Event | None = None,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        concurrency: int = 4,
    ) -> SubmitOutcome:
        """Send every item not yet submitted (a resume is the same call). Paced to `rate_per_s`."""
        self.sending.add(submission_id)
        try:
            return await self._send_all(
                backend_batch, submission_id, progress, cancel, rate_per_s, concurrency
            )
        finally:
            self.sending.discard(submission_id)

    async def _send_all(  # noqa: PLR0917 - submit's own arguments, passed straight on
        self,
        backend_batch: BatchGateway,
        submission_id: str,
        progress: Callable[[SubmitProgress], None] | None,
        cancel: asyncio.Event | None,
        rate_per_s: float,
        concurrency: int,
    ) -> SubmitOutcome:
        started = time.monotonic()
        calls_before = self.calls
        journal = self.journal
        await self.runner.run(journal.set_state, submission_id, SubmissionState.SUBMITTING)
        self._changed(submission_id)
        try:
            await self.runner.run(self._reconcile, backend_batch, submission_id)
        except BatchGuiError as error:
            await self._interrupted(submission_id, error)
            raise
        todo = await self.runner.run(journal.items, submission_id, [ItemState.PENDING])
        sub = await self.runner.run(journal.submission, submission_id)
        total = sub.total
        done = sub.submitted
        failed = sub.counts.get(ItemState.FAILED, 0)
        throttled = 0
        # Burst 1: SubmitJob calls evenly spaced at the rate, slower while AWS throttles.
        limiter = TokenBucket(rate_per_s, burst=1)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for item in todo:
            queue.put_nowait(item)
        last_report = 0.0
        stop_error: list[BaseException] = []

        def report(force: bool = False) -> None:
            nonlocal last_report
            now = time.monotonic()
            if progress is not None and (force or now - last_report >= 0.1):
                last_report = now
                progress(SubmitProgress(done, total, throttled, limiter.per_s))

        async def worker() -> None:
            nonlocal done, throttled, failed
            while not queue.empty() and not stop_error:
                if cancel is not None and cancel.is_set():
                    return
                item = queue.get_nowait()
                request = json.loads(item["request"])
                attempts = 0
                while True:
                    await limiter.take()
                    try:
                        await self.runner.run(
                            self._send_one, backend_batch, submission_id, item["seq"], request
                        )
                        done += 1
                        limiter.succeeded()
                        break
                    except Throttled:
                        # A 429 is an answer: the job was not created; safe to send again.
                        throttled += 1
                        attempts += 1
                        limiter.throttled()
                        await self.runner.run(journal.set_item, submission_id, item["seq"], ItemState.PENDING)
                        if attempts > MAX_THROTTLE_RETRIES:
                            stop_error.append(Throttled("still throttled after many retries"))
                            return
                        await asyncio.sleep(min(5.0, 0.1 * 2 ** min(attempts, 6)))
                    except OutcomeUnknown:
                        attempts += 1
                        try:
                            await self.runner.run(self._reconcile, backend_batch, submission_id, item["seq"])
                        except BatchGuiError as error:
                            stop_error.append(error)
                            return
                        state = await self.runner.run(journal.item_state, submission_id, item["seq"])
                        if state == ItemState.SUBMITTED:
                            done += 1
                            break
                        if attempts > 5:
                            stop_error.append(EndpointUnreachable("SubmitJob keeps going unanswered"))
                            return
                    except InvalidInput as error:
                        # Batch refused this request (4xx): nothing was created. Record and go on.
                        failed += 1
                        await self.runner.run(
                            journal.set_item,
                            submission_id,
                            item["seq"],
                            ItemState.FAILED,
                            "",
                            error.message(),
                        )
                        break
                    except BaseException as error:
                        # Network gone or similar: stop; the item stays `sending` for reconciliation.
                        stop_error.append(error)
                        return
                report()

        workers = [asyncio.ensure_future(worker()) for _ in range(max(1, concurrency))]
        try:
            await asyncio.gather(*workers)
        except BaseException as error:
            for task in workers:
                task.cancel()
            await self.runner.run(journal.set_state, submission_id, SubmissionState.INTERRUPTED)
            self._changed(submission_id)
            if isinstance(error, Exception):
                raise plain(error) from error
            raise
        report(force=True)
        if stop_error:
            await self._interrupted(submission_id, stop_error[0])
            raise plain(stop_error[0]) from stop_error[0]
        final = await self.runner.run(journal.submission, submission_id)
        if cancel is not None and cancel.is_set() and final.submitted + final.counts.get("failed", 0) < total:
            await self.runner.run(
                journal.set_state, submission_id, SubmissionState.INTERRUPTED, "Stopped by the user."
            )
        else:
            message = (
                f"{final.counts.get('failed', 0)} request(s) refused" if final.counts.get("failed") else ""
            )
            await self.runner.run(journal.set_state, submission_id, SubmissionState.SUBMITTED, message)
        self._changed(submission_id)
        return SubmitOutcome(
            submitted=final.submitted,
            total=total,
            failed=final.counts.get(ItemState.FAILED, 0),
            throttled=throttled,
            calls=self.calls - calls_before,
            seconds=time.monotonic() - started,
            submission_id=submission_id,
        )

    async def _interrupted(self, submission_id: str, error: BaseException) -> None:
        text = error.message() if isinstance(error, BatchGuiError) else str(error)
        await self.runner.run(journal_set_interrupted, self.journal, submission_id, text)
        self._changed(submission_id)

    # --- following ----------------------------------------------------------------------------
    async def refresh_status(self, batch: BatchGateway, submission_id: str) -> list[Unit]:
        """Describe the submission's jobs (and array children) and store their status per rows."""
        units = await self.runner.run(self._describe_units, batch, submission_id)
        await self.runner.run(self.journal.save_units, units)
        self._changed(submission_id)
        return units

    def _describe_units(self, batch: BatchGateway, submission_id: str) -> list[Unit]:
        sub = self.journal.submission(submission_id)
        items = [i for i in self.journal.items(submission_id) if i["job_id"]]
        described = {j["jobId"]: j for j in batch.describe_jobs([i["job_id"] for i in items])}
        units: list[Unit] = []
        child_ids: list[str] = []
        child_meta: dict[str, tuple[int, int, int, int]] = {}
        per_child = max(1, sub.rows_per_child)
        for item in items:
            job = described.get(item["job_id"])
            size = item["size"]
            if size:
                for index in range(size):
                    first = item["first_row"] + index * per_child
                    count = min(per_child, item["first_row"] + item["row_count"] - first)
                    child_id = f"{item['job_id']}:{index}"
                    child_ids.append(child_id)
                    child_meta[child_id] = (item["seq"], index, first, count)
                continue
            units.append(
                _unit(
                    submission_id, item["seq"], -1, item["job_id"], item["first_row"], item["row_count"], job
                )
            )
        if child_ids:
            children = {j["jobId"]: j for j in batch.describe_jobs(child_ids)}
            for child_id in child_ids:
                seq, index, first, count = child_meta[child_id]
                units.append(_unit(submission_id, seq, index, child_id, first, count, children.get(child_id)))
        return units


def _unit(  # noqa: PLR0917 - one column per argument, called in two places
    submission_id: str, seq: int, index: int, job_id: str, first: int, count: int, job: dict[str, Any] | None
) -> Unit:
    if job is None:
        return Unit(submission_id, seq, index, job_id, first, count, "UNKNOWN", None, "not found")
    container = job.get("container") or {}
    return Unit(
        submission_id,
        seq,
        index,
        job_id,
        first,
        count,
        str(job.get("status", "UNKNOWN")),
        container.get("exitCode"),
        str(job.get("statusReason", "")),
        str(container.get("logStreamName", "")),
    )


def journal_set_interrupted(journal: Journal, submission_id: str, message: str) -> None:
    journal.set_state(submission_id, SubmissionState.INTERRUPTED, message)


def is_finished(status: str) -> bool:
    return status in (JobStatus.SUCCEEDED.value, JobStatus.FAILED.value)


def units_failed(units: Sequence[Unit]) -> list[Unit]:
    return [u for u in units if u.status == JobStatus.FAILED.value]
