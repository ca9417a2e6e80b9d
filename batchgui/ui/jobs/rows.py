"""The jobs table's rows, kept compact: 100,000 jobs cost a few hundred bytes each, not 1,700.

A JobSummary per job (a dataclass with a __dict__, its own queue, definition and ARN strings) cost
the app ~1,680 bytes per job at 100,000 jobs. Here each job is:
- one plain tuple of its text fields, with the strings that repeat across jobs (queue, definition,
  status reason) interned through one table, and the ARN left out (None) when it is the usual
  `arn:…:job/<job id>` (rebuilt from one shared prefix when asked for);
- its three times in `array('q')` columns (8 bytes each instead of a 32-byte int object).

A JobSummary is built only when someone asks for one job (`job(n)`): a painted cell, the selected
row. Bulk readers (sort keys, filters) read the columns themselves (`values`, `tuples`).

A queue's whole history (100,000 rows at once) is made into rows off the GUI thread: `build_block`
is Qt-free and runs on a worker (the jobs service calls it there), and the table takes the
finished RowBlock in one reset (building 100,000 rows on the GUI thread held it ~400 ms).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, KeysView, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.ui.jobs.columns import DetailOf, JobColumn, definition_name
from batchgui.ui.jobs.sort_keys import KeyColumn, SortKey, sort_order

# A compact row: (job id, name, status, ARN or None when derived, reason, queue, definition,
# exit code, array size, array index or node index, multi-node job's node count, main node). The
# times live in columns.
Row = tuple[
    str, str, JobStatus, str | None, str, str, str, int | None, int | None, int | None, int | None, bool
]
ID: Final = 0
NAME: Final = 1
STATUS: Final = 2
ARN: Final = 3
REASON: Final = 4
QUEUE: Final = 5
DEFINITION: Final = 6
EXIT: Final = 7
SIZE: Final = 8
INDEX: Final = 9
NODES: Final = 10
MAIN_NODE: Final = 11
TUPLE_FIELDS = {
    "job_id": ID,
    "name": NAME,
    "status": STATUS,
    "status_reason": REASON,
    "queue": QUEUE,
    "job_definition": DEFINITION,
    "exit_code": EXIT,
    "array_size": SIZE,
    "array_index": INDEX,
    "num_nodes": NODES,
    "is_main_node": MAIN_NODE,
}
TIME_FIELDS = ("created_at", "started_at", "stopped_at")
_NO_TIME = -(2**63)  # an empty time in an array('q') column


class JobRows:
    """Jobs by row number (arrival order) and by id; rows are replaced in place, never reordered."""

    def __init__(self) -> None:
        self.tuples: list[Row] = []
        self._times = {name: array("q") for name in TIME_FIELDS}
        self._created, self._started, self._stopped = (self._times[n] for n in TIME_FIELDS)
        self._index: dict[str, int] = {}
        self._strings: dict[str, str] = {}
        # The distinct job definitions held (a handful, however many rows): the text filter tests
        # these, not every interned string, once per word.
        self._definitions: set[str] = set()
        # Job definition text -> its interned string, looked up once per row (one dict read).
        self._definition_of: dict[str, str] = {}
        self._arn_prefix = ""
        # The last job built by `job(n)`: a view paints a row cell by cell, 15 cells asking for the
        # same row's JobSummary (one built per cell cost most of a paint).
        self._last: tuple[int, JobSummary] | None = None

    def __len__(self) -> int:
        return len(self.tuples)

    def number(self, job_id: str) -> int | None:
        return self._index.get(job_id)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._index

    def job_ids(self) -> KeysView[str]:
        return self._index.keys()

    # --- reading ---------------------------------------------------------------------------------
    def job(self, number: int) -> JobSummary:
        last = self._last
        if last is not None and last[0] == number:
            return last[1]
        row = self.tuples[number]
        arn = row[ARN]
        job = JobSummary(
            job_id=row[ID],
            name=row[NAME],
            status=row[STATUS],
            job_arn=self._arn_prefix + row[ID] if arn is None else arn,
            status_reason=row[REASON],
            queue=row[QUEUE],
            job_definition=row[DEFINITION],
            created_at=_time(self._created[number]),
            started_at=_time(self._started[number]),
            stopped_at=_time(self._stopped[number]),
            exit_code=row[EXIT],
            array_size=row[SIZE],
            array_index=row[INDEX],
            num_nodes=row[NODES],
            is_main_node=row[MAIN_NODE],
        )
        self._last = (number, job)
        return job

    def jobs(self, numbers: Iterable[int]) -> list[JobSummary]:
        return [self.job(n) for n in numbers]

    def job_id(self, number: int) -> str:
        return self.tuples[number][ID]

    def status(self, number: int) -> JobStatus:
        return self.tuples[number][STATUS]

    def counts(self) -> dict[JobStatus, int]:
        counts = dict.fromkeys(JobStatus, 0)
        for row in self.tuples:
            counts[row[STATUS]] += 1
        return counts

    def top_level_ids(self) -> set[str]:
        return {row[ID] for row in self.tuples if row[INDEX] is None}

    def parent_ids(self) -> set[str]:
        """Array parents and multi-node jobs: the rows with children's progress to show."""
        return {
            row[ID] for row in self.tuples if (row[SIZE] or row[NODES]) is not None and row[INDEX] is None
        }

    def values(self, attribute: str, start: int = 0, stop: int | None = None) -> list[Any]:
        """One attribute of rows `start:stop`, read from the columns (no JobSummary built)."""
        if attribute in self._times:
            column = self._times[attribute][start:stop]
            return [None if value == _NO_TIME else value for value in column]
        position = TUPLE_FIELDS[attribute]
        return [row[position] for row in self.tuples[start:stop]]

    def keys(self, column: JobColumn, start: int, stop: int, detail_of: DetailOf) -> list[Any]:
        """A column's sort keys of rows `start:stop`, read from the compact columns where the key
        needs only attributes (no JobSummary built per row)."""
        if column.reads_values:
            return column.keys_from_values(lambda attribute: self.values(attribute, start, stop))
        if column.detail_only:
            ids = self.values("job_id", start, stop)
            return column.detail_keys(ids, lambda n: self.job(start + n), detail_of)
        return column.cached_keys(self.jobs(range(start, stop)), detail_of)

    # --- writing ---------------------------------------------------------------------------------
    def _row(self, job: JobSummary) -> Row:
        text = self._strings
        arn: str | None = job.job_arn
        if arn and arn.endswith(job.job_id):
            prefix = arn[: len(arn) - len(job.job_id)]
            if not self._arn_prefix:
                self._arn_prefix = prefix
            if prefix == self._arn_prefix:
                arn = None
        return (
            job.job_id,
            job.name,
            job.status,
            arn,
            text.setdefault(job.status_reason, job.status_reason),
            text.setdefault(job.queue, job.queue),
            self._definition(job.job_definition),
            job.exit_code,
            job.array_size,
            job.array_index,
            job.num_nodes,
            job.is_main_node,
        )

    def _definition(self, definition: str) -> str:
        found = self._definition_of.get(definition)
        if found is None:
            found = self._strings.setdefault(definition, definition)
            self._definitions.add(found)  # also when the same text came first as a queue or a reason
            self._definition_of[definition] = found
        return found

    def _rows(self, jobs: Sequence[JobSummary]) -> list[Row]:
        """`_row` of many jobs, its lookups hoisted out of the loop (100,000 rows on a reopen)."""
        intern = self._strings.setdefault
        definition_of, definition = self._definition_of, self._definition
        rows: list[Row] = []
        add = rows.append
        prefix = self._arn_prefix
        for job in jobs:
            job_id = job.job_id
            arn: str | None = job.job_arn
            if arn and arn.endswith(job_id):
                if not prefix:
                    prefix = self._arn_prefix = arn[: len(arn) - len(job_id)]
                if len(arn) == len(prefix) + len(job_id) and arn.startswith(prefix):
                    arn = None
            reason, queue, text = job.status_reason, job.queue, job.job_definition
            add(
                (
                    job_id,
                    job.name,
                    job.status,
                    arn,
                    intern(reason, reason),
                    intern(queue, queue),
                    definition_of.get(text) or definition(text),
                    job.exit_code,
                    job.array_size,
                    job.array_index,
                    job.num_nodes,
                    job.is_main_node,
                )
            )
        return rows

    def append(self, jobs: Sequence[JobSummary]) -> list[int]:
        """Add new jobs (ids not held yet); returns their row numbers."""
        start = len(self.tuples)
        numbers = list(range(start, start + len(jobs)))
        index = self._index
        self.tuples.extend(self._rows(jobs))
        for number, job in zip(numbers, jobs, strict=True):
            index[job.job_id] = number  # the same int objects as the order lists: no copy per row
        self._created.extend([_stamp(job.created_at) for job in jobs])
        self._started.extend([_stamp(job.started_at) for job in jobs])
        self._stopped.extend([_stamp(job.stopped_at) for job in jobs])
        return numbers

    def changed_in(self, other: JobRows) -> list[int]:
        """Row numbers of `other` whose job this holds otherwise or not at all (tuples compared, no
        JobSummary built: a refresh from the history finds nearly all 100,000 rows unchanged)."""
        index, tuples = self._index, self.tuples
        created, started, stopped = self._created, self._started, self._stopped
        theirs = other._created, other._started, other._stopped
        changed = []
        for m, row in enumerate(other.tuples):
            n = index.get(row[ID])
            if (
                n is None
                or tuples[n] != row
                or (created[n], started[n], stopped[n]) != (theirs[0][m], theirs[1][m], theirs[2][m])
            ):
                changed.append(m)
        return changed

    def same(self, number: int, job: JobSummary) -> bool:
        return (
            self._row(job) == self.tuples[number]
            and self._created[number] == _stamp(job.created_at)
            and self._started[number] == _stamp(job.started_at)
            and self._stopped[number] == _stamp(job.stopped_at)
        )

    def replace(self, number: int, job: JobSummary) -> None:
        self.tuples[number] = self._row(job)
        self._last = None
        self._created[number] = _stamp(job.created_at)
        self._started[number] = _stamp(job.started_at)
        self._stopped[number] = _stamp(job.stopped_at)

    def keep(self, numbers: Sequence[int]) -> None:
        """Keep only these rows (in this order), renumbered from 0."""
        self.tuples = [self.tuples[n] for n in numbers]
        self._last = None
        for name in TIME_FIELDS:
            old = self._times[name]
            self._times[name] = array("q", [old[n] for n in numbers])
        self._created, self._started, self._stopped = (self._times[n] for n in TIME_FIELDS)
        self._index = {row[ID]: n for n, row in enumerate(self.tuples)}

    # --- the text filter -------------------------------------------------------------------------
    def matching(self, numbers: Iterable[int], word: str) -> list[int]:
        """Rows whose name, id or definition name contains `word` (lowercase)."""
        rows = self.tuples
        definitions = {d for d in self._definitions if word in definition_name(d).lower()}
        return [
            n
            for n in numbers
            if word in rows[n][ID] or rows[n][DEFINITION] in definitions or word in rows[n][NAME].lower()
        ]


def _stamp(ms: int | None) -> int:
    return _NO_TIME if ms is None else ms


def _time(value: int) -> int | None:
    return None if value == _NO_TIME else value


@dataclass
class RowBlock:
    """Jobs made into rows off the GUI thread, for a table that holds none yet (`build_block`)."""

    # One row per job id (the last given wins), in arrival order. The JobSummary objects are not
    # kept: freeing 100,000 of them on the GUI thread would cost it tens of milliseconds.
    rows: JobRows
    counts: dict[JobStatus, int]
    # Row numbers of array children and multi-node nodes (for ui/jobs/children.py).
    children: list[int]
    # The order sorted by `sort` (column number, descending), when one was asked for: that column's
    # keys, the sorted row numbers and the sorted keys (built when a merge first needs them).
    sort: tuple[int, bool] | None = None
    keys: KeyColumn | None = None
    order: list[int] = field(default_factory=list)
    order_keys: Callable[[], list[SortKey]] | None = None


def build_block(jobs: Sequence[JobSummary], sort: tuple[int, JobColumn, bool] | None = None) -> RowBlock:
    """Rows of `jobs` (Qt-free: runs on a worker), sorted by `sort` (column number, column,
    descending) when given and its keys need only the jobs (no DescribeJobs details)."""
    unique = list({job.job_id: job for job in jobs}.values())
    rows = JobRows()
    rows.append(unique)
    children = [n for n, row in enumerate(rows.tuples) if row[INDEX] is not None]
    block = RowBlock(rows, rows.counts(), children)
    if sort is not None:
        number, column, descending = sort
        if column.reads_values:
            # From the rows' own (interned) strings, as the table computes them.
            values = column.keys_from_values(rows.values)
            keys: KeyColumn = array("d", values) if column.numeric else values
            block.sort, block.keys = (number, descending), keys
            block.order, block.order_keys = sort_order(keys, column.numeric, descending)
    return block
