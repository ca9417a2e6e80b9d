"""The jobs table's rows, kept compact: 100,000 jobs cost a few hundred bytes each, not 1,700.

A JobSummary per job (a dataclass with a __dict__, its own queue, definition and ARN strings) cost
the app ~1,680 bytes per job at 100,000 jobs. Here each job is:
- one plain tuple of its text fields, with the strings that repeat across jobs (queue, definition,
  status reason) interned through one table, and the ARN left out (None) when it is the usual
  `arn:…:job/<job id>` (rebuilt from one shared prefix when asked for);
- its three times in `array('q')` columns (8 bytes each instead of a 32-byte int object).

A JobSummary is built only when someone asks for one job (`job(n)`): a painted cell, the selected
row. Bulk readers (sort keys, filters) read the columns themselves (`values`, `tuples`).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from typing import Any, Final

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.ui.jobs.columns import definition_name

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
        self._arn_prefix = ""

    def __len__(self) -> int:
        return len(self.tuples)

    def number(self, job_id: str) -> int | None:
        return self._index.get(job_id)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._index

    # --- reading ---------------------------------------------------------------------------------
    def job(self, number: int) -> JobSummary:
        row = self.tuples[number]
        arn = row[ARN]
        return JobSummary(
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

    def jobs(self, numbers: Iterable[int]) -> list[JobSummary]:
        return [self.job(n) for n in numbers]

    def job_id(self, number: int) -> str:
        return self.tuples[number][ID]

    def status(self, number: int) -> JobStatus:
        return self.tuples[number][STATUS]

    def values(self, attribute: str, start: int = 0, stop: int | None = None) -> list[Any]:
        """One attribute of rows `start:stop`, read from the columns (no JobSummary built)."""
        if attribute in self._times:
            column = self._times[attribute][start:stop]
            return [None if value == _NO_TIME else value for value in column]
        position = TUPLE_FIELDS[attribute]
        return [row[position] for row in self.tuples[start:stop]]

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
        found = self._strings.setdefault(definition, definition)
        self._definitions.add(found)  # also when the same text came first as a queue or a reason
        return found

    def append(self, jobs: Sequence[JobSummary]) -> list[int]:
        """Add new jobs (ids not held yet); returns their row numbers."""
        start = len(self.tuples)
        numbers = list(range(start, start + len(jobs)))
        index, make = self._index, self._row
        self.tuples.extend([make(job) for job in jobs])
        for number, job in zip(numbers, jobs, strict=True):
            index[job.job_id] = number  # the same int objects as the order lists: no copy per row
        self._created.extend([_stamp(job.created_at) for job in jobs])
        self._started.extend([_stamp(job.started_at) for job in jobs])
        self._stopped.extend([_stamp(job.stopped_at) for job in jobs])
        return numbers

    def same(self, number: int, job: JobSummary) -> bool:
        return (
            self._row(job) == self.tuples[number]
            and self._created[number] == _stamp(job.created_at)
            and self._started[number] == _stamp(job.started_at)
            and self._stopped[number] == _stamp(job.stopped_at)
        )

    def replace(self, number: int, job: JobSummary) -> None:
        self.tuples[number] = self._row(job)
        self._created[number] = _stamp(job.created_at)
        self._started[number] = _stamp(job.started_at)
        self._stopped[number] = _stamp(job.stopped_at)

    def keep(self, numbers: Sequence[int]) -> None:
        """Keep only these rows (in this order), renumbered from 0."""
        self.tuples = [self.tuples[n] for n in numbers]
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
