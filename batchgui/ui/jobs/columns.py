"""The jobs table's columns: what each shows, and how it sorts (one key per row, computed in bulk
where it can be: see JobsTableModel)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.ui.jobs.cost import COLUMN_TITLE, COLUMN_WIDTH, cost_key, cost_text

STATUS_ORDER = {status: number for number, status in enumerate(JobStatus)}
_NAN = math.nan
# Cached sort keys of one column, one per row: float (NaN when empty) for numeric columns,
# str (None when empty) for text columns.
CachedKeys = list[Any]
DetailOf = Callable[[str], "JobDetail | None"]
# One attribute's values of many rows (read from the compact row columns, or from summaries).
ValuesOf = Callable[[str], list[Any]]


def format_time(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.1f} s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def definition_name(arn_or_name: str) -> str:
    """`name:revision` from a job definition ARN (or the name as given)."""
    return arn_or_name.rsplit("/", 1)[-1]


def _duration(job: JobSummary) -> float | None:
    return job.duration_s


def _array_text(job: JobSummary, detail: JobDetail | None) -> str:
    if job.array_index is not None:
        return f"#{job.array_index}"
    if job.array_size is None:
        return ""
    if detail is not None and detail.array_status_summary:
        return f"{detail.children_done}/{job.array_size} done"
    return str(job.array_size)


def with_fallback(values: list[Any], fallback: list[Any]) -> list[Any]:
    """`values`, with None replaced by the same row's `fallback` value."""
    return [f if v is None else v for v, f in zip(values, fallback, strict=True)]


@dataclass(frozen=True)
class JobColumn:
    title: str
    text: Callable[[JobSummary, JobDetail | None], str]
    # The sort key: a str or a number; None means empty (always sorted last).
    key: Callable[[JobSummary, JobDetail | None], str | float | None]
    numeric: bool = False
    width: int = 120
    align_right: bool = False
    # When the key comes from one attribute of the summary: its name, and the keys of many rows
    # from that attribute's values at once (read from the model's compact columns, no JobSummary
    # built per row; see ui/jobs/rows.py).
    attribute: str = ""
    from_values: Callable[[list[Any]], CachedKeys] | None = None
    # A second attribute whose value stands in where `attribute` is None (an array child's index
    # where it has no array size), so such a key is read from the compact columns too.
    fallback_attribute: str = ""
    # When the key comes from several attributes (a duration): the keys of many rows from their
    # values (also read from the compact columns).
    from_columns: Callable[[ValuesOf], CachedKeys] | None = None
    # The key is empty without the job's DescribeJobs details, which most rows of a big queue do not
    # have: the keys of many rows build a JobSummary only for the rows that have details.
    detail_only: bool = False

    @property
    def reads_values(self) -> bool:
        """Whether the keys come from the summary's attributes only (`keys_from_values`)."""
        return (bool(self.attribute) and self.from_values is not None) or self.from_columns is not None

    def keys_from_values(self, values_of: ValuesOf) -> CachedKeys:
        """The keys of many rows from their attributes' values (`values_of(attribute)`, one list)."""
        if self.from_columns is not None:
            return self.from_columns(values_of)
        assert self.from_values is not None
        values = values_of(self.attribute)
        if self.fallback_attribute:
            values = with_fallback(values, values_of(self.fallback_attribute))
        return self.from_values(values)

    def detail_keys(
        self, job_ids: Sequence[str], job_of: Callable[[int], JobSummary], detail_of: DetailOf
    ) -> CachedKeys:
        """Keys of a `detail_only` column: `job_of(n)` is the job of `job_ids[n]`."""
        keys: CachedKeys = [_NAN if self.numeric else None] * len(job_ids)
        for n, job_id in enumerate(job_ids):
            if detail_of(job_id) is not None:
                keys[n] = self.cached_keys([job_of(n)], detail_of)[0]
        return keys

    def cached_keys(self, jobs: Sequence[JobSummary], detail_of: DetailOf) -> CachedKeys:
        """Sort keys of `jobs` in the model's cached form: NaN or None for empty values."""
        if self.reads_values:
            return self.keys_from_values(lambda attribute: [getattr(job, attribute) for job in jobs])
        raw = [self.key(job, detail_of(job.job_id)) for job in jobs]
        if self.numeric:
            return [_NAN if value is None else float(value) for value in raw]
        return [None if value is None or value == "" else value for value in raw]


def _lower(value: str) -> str:
    """Lowercase, keeping the same string object when it is lowercase already (no copy per row)."""
    low = value.lower()
    return value if low == value else low


def _text_keys(lower: bool, repeats: bool = True) -> Callable[[list[Any]], CachedKeys]:
    def keys(values: list[Any]) -> CachedKeys:
        if not lower:
            return [value or None for value in values]
        if not repeats:
            # Names: nearly every value differs, so no table of them (it took 130 of the 180 ms of
            # 100,000 keys); a lowercase name stays the same string object.
            return [(value if (low := value.lower()) == value else low) or None for value in values]
        # One lowered string per distinct value (status reasons repeat across thousands of jobs).
        lowered = {value: _lower(value) or None for value in set(values)}
        return [lowered[value] for value in values]

    return keys


def _number_keys(values: list[Any]) -> CachedKeys:
    return [_NAN if value is None else float(value) for value in values]


def _status_keys(values: list[Any]) -> CachedKeys:
    order = STATUS_ORDER
    return [float(order[status]) for status in values]


def _definition_keys(values: list[Any]) -> CachedKeys:
    names = {value: definition_name(value).lower() or None for value in set(values)}
    return [names[value] for value in values]


def _duration_keys(values_of: ValuesOf) -> CachedKeys:
    return [
        _NAN if started is None or stopped is None else (stopped - started) / 1000
        for started, stopped in zip(values_of("started_at"), values_of("stopped_at"), strict=True)
    ]


def _opt_int(value: int | None) -> str:
    return "" if value is None else str(value)


def _text_column(
    title: str, attribute: str, width: int, lower: bool = False, repeats: bool = True
) -> JobColumn:
    """A column showing one text attribute of the summary, sorted case-insensitively if `lower`
    (`repeats`: the same values recur across many rows)."""

    def text(job: JobSummary, _detail: JobDetail | None) -> str:
        return str(getattr(job, attribute))

    def key(job: JobSummary, _detail: JobDetail | None) -> str | None:
        value = str(getattr(job, attribute))
        return (value.lower() if lower else value) or None

    return JobColumn(
        title, text, key, width=width, attribute=attribute, from_values=_text_keys(lower, repeats)
    )


def _time_column(title: str, attribute: str) -> JobColumn:
    """A column showing one epoch-milliseconds attribute as local time, sorted by the number."""

    def text(job: JobSummary, _detail: JobDetail | None) -> str:
        return format_time(getattr(job, attribute))

    def key(job: JobSummary, _detail: JobDetail | None) -> float | None:
        value: int | None = getattr(job, attribute)
        return value

    return JobColumn(title, text, key, True, 140, attribute=attribute, from_values=_number_keys)


COLUMNS: list[JobColumn] = [
    _text_column("Name", "name", 180, lower=True, repeats=False),
    _text_column("Job id", "job_id", 250),
    JobColumn(
        "Status",
        lambda j, _d: j.status.value,
        lambda j, _d: STATUS_ORDER[j.status],
        numeric=True,
        width=90,
        attribute="status",
        from_values=_status_keys,
    ),
    JobColumn(
        "Array",
        _array_text,
        lambda j, _d: j.array_size if j.array_size is not None else j.array_index,
        True,
        # Wide enough for an array parent's progress: "8 running · 42 runnable · 0 failed of 50".
        270,
        attribute="array_size",
        from_values=_number_keys,
        fallback_attribute="array_index",
    ),
    _text_column("Status reason", "status_reason", 180, lower=True),
    _text_column("Queue", "queue", 120),
    JobColumn(
        "Definition",
        lambda j, _d: definition_name(j.job_definition),
        lambda j, _d: definition_name(j.job_definition).lower() or None,
        width=160,
        attribute="job_definition",
        from_values=_definition_keys,
    ),
    _time_column("Created", "created_at"),
    _time_column("Started", "started_at"),
    _time_column("Stopped", "stopped_at"),
    JobColumn(
        "Duration",
        lambda j, _d: format_duration(_duration(j)),
        lambda j, _d: _duration(j),
        True,
        70,
        True,
        from_columns=_duration_keys,
    ),
    JobColumn(
        COLUMN_TITLE,
        cost_text,
        cost_key,
        numeric=True,
        width=COLUMN_WIDTH,
        align_right=True,
        detail_only=True,
    ),
    JobColumn(
        "Attempts",
        lambda _j, d: "" if d is None else str(len(d.attempts)),
        lambda _j, d: None if d is None else len(d.attempts),
        True,
        60,
        True,
        detail_only=True,
    ),
    JobColumn(
        "Exit code",
        lambda j, _d: _opt_int(j.exit_code),
        lambda j, _d: j.exit_code,
        True,
        60,
        True,
        attribute="exit_code",
        from_values=_number_keys,
    ),
    JobColumn(
        "Platform",
        lambda _j, d: "" if d is None else d.platform,
        lambda _j, d: None if d is None or not d.platform else d.platform,
        width=80,
        detail_only=True,
    ),
]
