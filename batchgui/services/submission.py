"""Submissions: a journal of every SubmitJob, paced submission, and resume after a crash.

The journal is SQLite in the app's data folder. Before a SubmitJob is sent its item is marked
`sending`; the job id is written as soon as it returns. After a crash or a dropped network, items
left `sending` are ambiguous: they are looked up by their unique job name (ListJobs' JOB_NAME
filter) before anything is sent again, so no row is submitted twice and none is skipped.
Journal writes happen on worker threads (inside the same runner call as the SubmitJob), never on
the GUI thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchgui.aws.batch import BatchGateway, OutcomeUnknown
from batchgui.domain.batch import JobStatus
from batchgui.domain.csv_plan import DEFAULT_RATE_PER_S, Plan, SplitMode, job_name_prefix
from batchgui.domain.errors import BatchGuiError, EndpointUnreachable, InvalidInput, Throttled
from batchgui.services.runner import Runner

log = logging.getLogger(__name__)

MAX_THROTTLE_RETRIES = 30
INSERT_BATCH = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    file_path TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    file_sha256 TEXT NOT NULL,
    s3_uri TEXT NOT NULL,
    mode TEXT NOT NULL,
    queue TEXT NOT NULL,
    definition TEXT NOT NULL,
    job_name TEXT NOT NULL,
    name_prefix TEXT NOT NULL,
    rows INTEGER NOT NULL,
    rows_per_child INTEGER NOT NULL,
    connection TEXT NOT NULL DEFAULT '',
    parent_id TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    results_table TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS items (
    submission_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    first_row INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    job_name TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    job_id TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    array_size INTEGER,
    updated_at REAL NOT NULL,
    PRIMARY KEY (submission_id, seq)
);
CREATE INDEX IF NOT EXISTS items_state ON items (submission_id, state);
CREATE TABLE IF NOT EXISTS units (
    submission_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    job_id TEXT NOT NULL,
    first_row INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    log_stream TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    PRIMARY KEY (submission_id, seq, idx)
);
"""


class ItemState:
    PENDING = "pending"
    SENDING = "sending"
    SUBMITTED = "submitted"
    FAILED = "failed"


class SubmissionState:
    READY = "ready"
    SUBMITTING = "submitting"
    INTERRUPTED = "interrupted"
    SUBMITTED = "submitted"
    DRY_RUN = "dry run"


@dataclass(frozen=True)
class Submission:
    id: str
    created_at: float
    file_path: str
    file_size: int
    file_sha256: str
    s3_uri: str
    mode: str
    queue: str
    definition: str
    job_name: str
    name_prefix: str
    rows: int
    rows_per_child: int
    connection: str
    parent_id: str
    state: str
    results_table: str
    message: str
    counts: dict[str, int] = field(default_factory=dict)  # item state -> count
    statuses: dict[str, int] = field(default_factory=dict)  # job status -> count (last refresh)

    @property
    def submitted(self) -> int:
        return self.counts.get(ItemState.SUBMITTED, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def resumable(self) -> bool:
        """Resume has something to send: requests not sent yet (refused ones are not sent again)."""
        unsent = self.counts.get(ItemState.PENDING, 0) + self.counts.get(ItemState.SENDING, 0)
        return self.state != SubmissionState.DRY_RUN and unsent > 0


@dataclass(frozen=True)
class Unit:
    """One job or array child of a submission, with the rows it covers and its last known status."""

    submission_id: str
    seq: int
    index: int  # array index, -1 for a plain job
    job_id: str
    first_row: int
    row_count: int
    status: str
    exit_code: int | None = None
    reason: str = ""
    log_stream: str = ""

    @property
    def key(self) -> str:
        return f"{self.seq}:{self.index}"

    @property
    def rows_text(self) -> str:
        if self.row_count <= 1:
            return str(self.first_row)
        return f"{self.first_row}-{self.first_row + self.row_count - 1}"


class Journal:
    """The SQLite journal; thread-safe (one connection behind a lock; WAL so readers don't wait)."""

    def __init__(self, path: Path) -> None:
        # Nothing touches the disk here: the file is opened (and its schema made) on first use, which
        # is always on a runner thread, so building the application never waits for the disk.
        self.path = path
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection, opened on first use (callers hold the lock or run before anyone shares it)."""
        with self._lock:
            if self._connection is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                # NORMAL with WAL: a commit survives an app crash (not a power cut) at a fraction of
                # FULL's cost.
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
                self._connection = db
            return self._connection

    @property
    def opened(self) -> bool:
        return self._connection is not None

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _exec(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # --- writing ------------------------------------------------------------------------------
    def create(self, sub: Submission, items: Iterable[tuple[int, int, int, str, dict[str, Any]]]) -> int:
        """Store a submission and its items (seq, first_row, row_count, job_name, request), atomically."""
        count = 0
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        sub.id,
                        sub.created_at,
                        sub.file_path,
                        sub.file_size,
                        sub.file_sha256,
                        sub.s3_uri,
                        sub.mode,
                        sub.queue,
                        sub.definition,
                        sub.job_name,
                        sub.name_prefix,
                        sub.rows,
                        sub.rows_per_child,
                        sub.connection,
                        sub.parent_id,
                        sub.state,
                        sub.results_table,
                        sub.message,
                    ),
                )
                batch: list[tuple[Any, ...]] = []
                for seq, first, rows, name, request in items:
                    size = (request.get("arrayProperties") or {}).get("size")
                    batch.append(
                        (sub.id, seq, first, rows, name, json.dumps(request), ItemState.PENDING, size, now)
                    )
                    count += 1
                    if len(batch) >= INSERT_BATCH:
                        self._insert_items(batch)
                        batch = []
                self._insert_items(batch)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return count

    def _insert_items(self, batch: list[tuple[Any, ...]]) -> None:
        self._db.executemany(
            "INSERT INTO items (submission_id, seq, first_row, row_count, job_name, request, state, "
            "array_size, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            batch,
        )

    def set_item(self, submission_id: str, seq: int, state: str, job_id: str = "", error: str = "") -> None:
        self._exec(
            "UPDATE items SET state=?, job_id=?, error=?, updated_at=? WHERE submission_id=? AND seq=?",
            (state, job_id, error, time.time(), submission_id, seq),
        )

    def set_state(self, submission_id: str, state: str, message: str = "") -> None:
        self._exec("UPDATE submissions SET state=?, message=? WHERE id=?", (state, message, submission_id))

    def save_units(self, units: Sequence[Unit]) -> None:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO units VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        u.submission_id,
                        u.seq,
                        u.index,
                        u.job_id,
                        u.first_row,
                        u.row_count,
                        u.status,
                        u.exit_code,
                        u.reason,
                        u.log_stream,
                        now,
                    )
                    for u in units
                ],
            )
            self._db.execute("COMMIT")

    # --- reading ------------------------------------------------------------------------------
    def submissions(self) -> list[Submission]:
        rows = self._exec("SELECT * FROM submissions ORDER BY created_at DESC")
        counts: dict[str, dict[str, int]] = {}
        for sid, state, n in self._exec("SELECT submission_id, state, COUNT(*) FROM items GROUP BY 1, 2"):
            counts.setdefault(sid, {})[state] = n
        statuses: dict[str, dict[str, int]] = {}
        for sid, status, n in self._exec(
            "SELECT submission_id, status, SUM(row_count) FROM units GROUP BY 1, 2"
        ):
            statuses.setdefault(sid, {})[status] = n
        names = [f for f in Submission.__dataclass_fields__ if f not in ("counts", "statuses")]
        return [
            Submission(
                **dict(zip(names, r, strict=True)),
                counts=counts.get(r[0], {}),
                statuses=statuses.get(r[0], {}),
            )
            for r in rows
        ]

    def submission(self, submission_id: str) -> Submission:
        for sub in self.submissions():
            if sub.id == submission_id:
                return sub
        raise KeyError(submission_id)

    def items(self, submission_id: str, states: Sequence[str] | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT seq, first_row, row_count, job_name, request, state, job_id, error, array_size "
            "FROM items WHERE submission_id=?"
        )
        args: list[Any] = [submission_id]
        if states:
            sql += f" AND state IN ({','.join('?' for _ in states)})"
            args.extend(states)
        sql += " ORDER BY seq"
        names = ("seq", "first_row", "row_count", "job_name", "request", "state", "job_id", "error", "size")
        return [dict(zip(names, row, strict=True)) for row in self._exec(sql, args)]

    def item_state(self, submission_id: str, seq: int) -> str:
        rows = self._exec("SELECT state FROM items WHERE submission_id=? AND seq=?", (submission_id, seq))
        return str(rows[0][0]) if rows else ""

    def job_ids(self, submission_id: str) -> list[str]:
        rows = self._exec(
            "SELECT job_id FROM items WHERE submission_id=? AND job_id != '' ORDER BY seq", (submission_id,)
        )
        return [r[0] for r in rows]

    def units(self, submission_id: str) -> list[Unit]:
        rows = self._exec(
            "SELECT submission_id, seq, idx, job_id, first_row, row_count, status, exit_code, reason, "
            "log_stream FROM units WHERE submission_id=? ORDER BY first_row, idx",
            (submission_id,),
        )
        return [Unit(*r) for r in rows]


@dataclass
class SubmitProgress:
    submitted: int
    total: int
    throttled: int = 0
    rate_per_s: float = 0.0
    message: str = ""


class RateLimiter:
    """Paces calls to `rate` per second; slows down when throttled and recovers gradually."""

    def __init__(self, rate_per_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_rate = rate_per_s
        self.rate = rate_per_s
        self._clock = clock
        self._next = 0.0
        self._good = 0

    async def acquire(self) -> None:
        now = self._clock()
        at = max(now, self._next)
        self._next = at + 1.0 / self.rate
        if at > now:
            await asyncio.sleep(at - now)

    def throttled(self) -> None:
        self.rate = max(1.0, self.rate * 0.7)
        self._good = 0

    def succeeded(self) -> None:
        self._good += 1
        if self._good >= 20 and self.rate < self.max_rate:
            self.rate = min(self.max_rate, self.rate * 1.1)
            self._good = 0


@dataclass
class SubmitOutcome:
    submission_id: str
    submitted: int
    total: int
    failed: int
    throttled: int
    calls: int
    seconds: float


def new_submission_id() -> str:
    return uuid.uuid4().hex[:12]


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
                for number, values in enumerate(rows()):
                    request = plan.request_for_row(number, values)
                    yield number, number, 1, request["jobName"], request
            else:
                for job in plan.jobs:
                    yield job.seq, job.first_row, job.row_count, job.request["jobName"], job.request

        await self.runner.run(self.journal.create, sub, items())
        self._changed(sub.id)
        return await self.runner.run(self.journal.submission, sub.id)

    async def create_retry(
        self, source_id: str, units: Sequence[Unit], submission_id: str = ""
    ) -> Submission:
        """A new submission resubmitting only `units` (failed rows or children) of `source_id`.

        Per-row items are resent as they were; array children become plain jobs over their rows
        (first_row/rows_per_child parameters), since their rows need not be contiguous any more.
        """
        source = await self.runner.run(self.journal.submission, source_id)
        originals = {i["seq"]: i for i in await self.runner.run(self.journal.items, source_id)}
        new_id = submission_id or new_submission_id()
        prefix = job_name_prefix(source.job_name, new_id)
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
                "rows": sum(u.row_count for u in units),
                "counts": {},
                "statuses": {},
            }
        )

        def items() -> Iterable[tuple[int, int, int, str, dict[str, Any]]]:
            for seq, unit in enumerate(units):
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
                yield seq, unit.first_row, unit.row_count, request["jobName"], request

        await self.runner.run(self.journal.create, sub, items())
        self._changed(new_id)
        return await self.runner.run(self.journal.submission, new_id)

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
                backend_batch,
                submission_id,
                progress=progress,
                cancel=cancel,
                rate_per_s=rate_per_s,
                concurrency=concurrency,
            )
        finally:
            self.sending.discard(submission_id)

    async def _send_all(
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
        limiter = RateLimiter(rate_per_s)
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
                progress(SubmitProgress(done, total, throttled, limiter.rate))

        async def worker() -> None:
            nonlocal done, throttled, failed
            while not queue.empty() and not stop_error:
                if cancel is not None and cancel.is_set():
                    return
                item = queue.get_nowait()
                request = json.loads(item["request"])
                attempts = 0
                while True:
                    await limiter.acquire()
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
        except BaseException:
            for task in workers:
                task.cancel()
            await self.runner.run(journal.set_state, submission_id, SubmissionState.INTERRUPTED)
            self._changed(submission_id)
            raise
        report(force=True)
        if stop_error:
            await self._interrupted(submission_id, stop_error[0])
            raise stop_error[0]
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
            submission_id,
            final.submitted,
            total,
            final.counts.get(ItemState.FAILED, 0),
            throttled,
            self.calls - calls_before,
            time.monotonic() - started,
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
