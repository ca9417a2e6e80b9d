"""The CSV check: read the whole file once through the one reader (domain/csv_reader.py) and say what
it holds: encoding, dialect, header, preview, row count, empty cells, problems.

The count is the number of rows per-row submission sends, because both read through `CsvReader`.
A file with lines csv cannot read (a field over the size limit, a quote never closed, a line of
megabytes) is refused: a submission of it would not send what the person saw.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from batchgui.domain import csv_reader
from batchgui.domain.csv_reader import (
    UNREADABLE,
    Cancelled,
    CsvReader,
    Dialect,
    Lines,
    Progress,
    Record,
    detect_encoding,
    detect_header,
    looks_binary,
    sample_rows,
    sniff_dialect,
)
from batchgui.domain.problems import Problem, Severity

PREVIEW_ROWS = 200
MAX_PROBLEMS = 1000


@dataclass
class ColumnStats:
    empty: int = 0
    first_empty_lines: list[int] = field(default_factory=list)


@dataclass
class Inspection:
    size: int
    encoding: str = "utf-8"
    encoding_note: str = ""
    delimiter: str = ","
    quotechar: str = '"'
    has_header: bool = True
    header: list[str] = field(default_factory=list)
    preview: list[list[str]] = field(default_factory=list)
    rows: int = 0
    bytes_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    unreadable: int = 0  # problems meaning csv could not read some lines (the file is refused)
    columns: list[ColumnStats] = field(default_factory=list)
    fatal: str = ""
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """Usable for a submission: text csv reads whole, with at least one data row."""
        return not self.fatal and not self.cancelled and self.rows > 0 and not self.unreadable

    @property
    def dialect(self) -> Dialect:
        """How the reader reads this file again (per-row submission, the review's first rows)."""
        return Dialect(self.encoding, self.delimiter, self.quotechar, self.has_header)

    @property
    def column_names(self) -> list[str]:
        if self.has_header and self.header:
            return list(self.header)
        width = len(self.header) if self.header else (len(self.preview[0]) if self.preview else 0)
        return [f"column_{i + 1}" for i in range(width)]

    def empty_in(self, column: str) -> ColumnStats:
        names = self.column_names
        if column not in names:
            return ColumnStats()
        index = names.index(column)
        return self.columns[index] if index < len(self.columns) else ColumnStats()

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if problem.kind in UNREADABLE:
            self.unreadable += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def summary(self) -> str:
        if self.fatal:
            return self.fatal
        parts = [f"{self.rows:,} data rows", f"{len(self.column_names)} columns", self.encoding]
        if self.problem_count:
            parts.append(f"{self.problem_count:,} problem{'s' if self.problem_count != 1 else ''}")
        return ", ".join(parts)


class _Rewound:
    """The sample already read, then the rest of the stream."""

    def __init__(self, sample: bytes, stream: BinaryIO) -> None:
        self._first: bytes | None = sample
        self._stream = stream

    def read(self, n: int = -1) -> bytes:
        if self._first is not None:
            first, self._first = self._first, None
            return first + self._stream.read(max(0, n - len(first)))
        return self._stream.read(n)


def inspect_csv(
    stream: BinaryIO,
    size: int,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    encoding: str | None = None,
    has_header: bool | None = None,
    delimiter: str | None = None,
    preview_rows: int = PREVIEW_ROWS,
    fast: bool = True,
) -> Inspection:
    """Read the whole stream once: encoding, dialect, header, preview, row count, problems.

    `encoding`/`has_header`/`delimiter` override detection (the user's choice in the wizard).
    `fast=False` reads every line through the csv module (the fast path must agree with it).
    """
    inspection = Inspection(size=size)
    sample = stream.read(csv_reader.SAMPLE_BYTES)
    if not sample:
        inspection.fatal = "The file is empty: there is nothing to submit."
        return inspection
    if looks_binary(sample):
        inspection.fatal = (
            "This is not a text file (it contains binary data). Choose a CSV file saved as text."
        )
        return inspection
    if encoding is None:
        encoding, inspection.encoding_note = detect_encoding(sample)
    inspection.encoding = encoding
    sample_text = sample.decode(encoding, errors="replace").removeprefix("\ufeff")
    if delimiter is None:
        inspection.delimiter, inspection.quotechar = sniff_dialect(sample_text)
    else:
        inspection.delimiter = delimiter
    if has_header is None:
        has_header = detect_header(sample_rows(sample_text, inspection.delimiter, inspection.quotechar))
    inspection.has_header = has_header
    reader = CsvReader(
        _Rewound(sample, stream),  # type: ignore[arg-type]
        inspection.dialect,
        inspection.add,
        progress=progress,
        cancelled=cancelled,
        fast=fast,
    )
    _RowChecker(reader, inspection, preview_rows).run()
    inspection.bytes_read = reader.reading.bytes_read
    inspection.cancelled = reader.reading.cancelled
    if inspection.cancelled:
        return inspection
    if inspection.rows == 0 and not inspection.fatal:
        if inspection.header and inspection.has_header:
            inspection.fatal = "The file has a header but no data rows: there is nothing to submit."
        else:
            inspection.fatal = "The file has no rows: there is nothing to submit."
    return inspection


class _RowChecker:
    """Counts rows and finds ragged rows and empty cells, piece by piece.

    A `Lines` block is checked with string methods that run in C over the whole block (a field is
    then exactly what `line.split(delimiter)` gives); a `Record` is checked as it is. Both report
    the same problems.
    """

    def __init__(self, reader: CsvReader, inspection: Inspection, preview_rows: int) -> None:
        self.reader = reader
        self.inspection = inspection
        self.preview_rows = preview_rows
        self.sep = inspection.delimiter
        self.rows = 0
        self.width = 0
        self.header_seen = False

    def run(self) -> None:
        for piece in self.reader.pieces():
            if isinstance(piece, Record):
                if self.header_seen:
                    # A quote never closed is reported already; its row's field count says nothing.
                    self._row(piece.fields, piece.line, 0 if piece.unterminated else piece.first_line)
                else:
                    self._header(piece.fields, piece.line)
            else:
                self._fast_block(piece)
            self.inspection.rows = self.rows
        self.inspection.rows = self.rows

    def _header(self, first: list[str], line: int) -> None:
        inspection = self.inspection
        add = inspection.add
        self.header_seen = True
        self.width = len(first)
        inspection.header = first
        inspection.columns = [ColumnStats() for _ in range(self.width)]
        if inspection.has_header:
            seen: dict[str, int] = {}
            for position, name in enumerate(first, start=1):
                if not name.strip():
                    add(Problem.at_line(line, "header", f"Header column {position} has no name."))
                elif name in seen:
                    add(
                        Problem.at_line(
                            line,
                            "duplicate-header",
                            f"Header name {name!r} appears in columns {seen[name]} and {position}.",
                            Severity.ERROR,
                        )
                    )
                else:
                    seen[name] = position
        else:
            self._row(first, line)

    def _row(self, row: list[str], line: int, first_line: int | None = None) -> None:
        """One non-blank row: ragged? empty cells? preview. `first_line` 0: its shape is not judged."""
        inspection = self.inspection
        width = self.width
        self.rows += 1
        if len(row) != width and first_line != 0:
            fields = f"{len(row)} field{'s' if len(row) != 1 else ''}"
            if first_line is not None and first_line < line:
                # A quote that opens a field and closes lines later is the usual cause: say where.
                message = (
                    f"Line {first_line:,}: a quoted field opens here and closes on line {line:,}, so "
                    f"lines {first_line:,}-{line:,} read as one row of {fields}, expected {width}. "
                    "Check the quotes on that line."
                )
                inspection.add(Problem.at_line(first_line, "ragged", message, Severity.ERROR))
            else:
                message = f"Line {line:,} has {fields}, expected {width}."
                inspection.add(Problem.at_line(line, "ragged", message, Severity.ERROR))
        if "" in row:
            columns = inspection.columns
            for index, value in enumerate(row):
                if value == "" and index < width:
                    stats = columns[index]
                    stats.empty += 1
                    if len(stats.first_empty_lines) < 5:
                        stats.first_empty_lines.append(line)
        if len(inspection.preview) < self.preview_rows:
            inspection.preview.append(row)

    def _has_empty(self, line: str) -> bool:
        sep = self.sep
        return line.startswith(sep) or sep + sep in line or line.endswith((sep, sep + "\r"))

    def _empty_candidates(self, lines: list[str], scan: Any) -> set[int]:
        """Indices of lines that may hold an empty cell (a superset: each is checked by splitting)."""
        found = {i for i in (0, len(lines) - 1) if self._has_empty(lines[i])}
        if scan is None:
            found.update(i for i, line in enumerate(lines) if self._has_empty(line))
            return found
        import numpy as np

        data, newlines = scan
        sep = ord(self.sep)
        seps = data == sep
        # Two separators in a row (one pass); then the bytes around each newline (one per line).
        at = [np.searchsorted(newlines, np.flatnonzero(seps[:-1] & seps[1:]))]
        if len(newlines):
            before = data[np.maximum(newlines - 1, 0)]
            before2 = data[np.maximum(newlines - 2, 0)]
            ends_with_sep = ((before == sep) | ((before == 13) & (before2 == sep))) & (newlines >= 1)
            at.append(np.flatnonzero(ends_with_sep))
            after = data[np.minimum(newlines + 1, len(data) - 1)]
            at.append(np.flatnonzero((after == sep) & (newlines + 1 < len(data))) + 1)
        indices = np.unique(np.concatenate(at))
        found.update(int(i) for i in indices[indices < len(lines)])
        return found

    def _fast_block(self, piece: Lines) -> None:
        block = piece.block
        lines = block.lines
        sep = self.sep
        width = self.width
        expected = width - 1
        count = len(lines)
        base = block.first_line
        counts = list(map(str.count, lines, itertools.repeat(sep, count)))
        special: set[int] = set()
        if counts.count(expected) != count:
            special.update(i for i, c in enumerate(counts) if c != expected)  # ragged or blank
        if width == 1:
            if "" in lines or "\r" in lines:
                special.update(i for i, line in enumerate(lines) if line in ("", "\r"))
        else:
            special.update(self._empty_candidates(lines, block.scan))
        if len(self.inspection.preview) < self.preview_rows:
            special = set(range(count))
        else:
            self.rows += count - len(special)
        for i in sorted(special):
            line = lines[i]
            if line in ("", "\r"):
                continue  # a blank line: no row
            self._row((line[:-1] if line.endswith("\r") else line).split(sep), base + i + 1)
