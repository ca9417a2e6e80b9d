"""CSV submission planning: inspect a CSV as a stream, then turn it into SubmitJob requests.

Pure: the only input is a binary stream the caller opened (a file, a test's BytesIO); nothing here
touches the network or the disk. Inspection reads fixed-size chunks, so a 1 GB file or a 100 MB
line never sits in memory whole: lines longer than MAX_LINE_CHARS are reported and skipped.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import math
import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, BinaryIO

CHUNK_BYTES = 1 << 20
SAMPLE_BYTES = 64 * 1024
PREVIEW_ROWS = 200
MAX_PROBLEMS = 1000
# A row longer than this is not a CSV row anyone meant to submit; csv's own field limit is 128 KiB.
MAX_LINE_CHARS = 4 << 20
# Batch: array size 2..10,000; about 50 requests/s per account across Batch APIs.
MAX_ARRAY_SIZE = 10_000
DEFAULT_RATE_PER_S = 45.0
PER_ROW_WARN_ROWS = 1000
# SubmitJob's payload limit is 30 KiB.
MAX_REQUEST_BYTES = 30 * 1024
SUBMISSION_TAG = "batchgui:submission"
ROW_TAG = "batchgui:rows"
# Parameters the wizard fills by itself when a definition declares them (the demo processor's names).
AUTO_PARAMETERS = ("bucket", "key", "rows_per_child", "first_row", "submission_id", "row_number")

_REF = re.compile(r"Ref::([A-Za-z0-9_\-]+)")
_JOB_NAME_BAD = re.compile(r"[^A-Za-z0-9_\-]")
# Fargate task sizes: vCPU -> allowed memory (MiB), per the AWS Batch/ECS documentation.
_FARGATE_MEMORY: dict[str, tuple[int, ...]] = {
    "0.25": (512, 1024, 2048),
    "0.5": tuple(range(1024, 4096 + 1, 1024)),
    "1": tuple(range(2048, 8192 + 1, 1024)),
    "2": tuple(range(4096, 16384 + 1, 1024)),
    "4": tuple(range(8192, 30720 + 1, 1024)),
    "8": tuple(range(16384, 61440 + 1, 4096)),
    "16": tuple(range(32768, 122880 + 1, 8192)),
}


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """Something wrong with the file; `line` is the 1-based physical line (0: the whole file)."""

    line: int
    kind: str
    message: str
    severity: Severity = Severity.WARNING


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
    columns: list[ColumnStats] = field(default_factory=list)
    fatal: str = ""
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """Usable for a submission: text, with at least one data row."""
        return not self.fatal and not self.cancelled and self.rows > 0

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
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def summary(self) -> str:
        if self.fatal:
            return self.fatal
        parts = [f"{self.rows:,} data rows", f"{len(self.column_names)} columns", self.encoding]
        if self.problem_count:
            parts.append(f"{self.problem_count:,} problem{'s' if self.problem_count != 1 else ''}")
        return ", ".join(parts)


Progress = Callable[[int], None]
Cancelled = Callable[[], bool]


def _looks_binary(sample: bytes) -> bool:
    if not sample:
        return False
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    head = sample[:8192]
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    # Text with a stray NUL is reported line by line; binary data is full of control bytes.
    return len(head) >= 16 and controls / len(head) > 0.10


def detect_encoding(sample: bytes) -> tuple[str, str]:
    """The encoding to read with and, when it is a guess, a warning for the person."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", ""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # a character cut at the sample's end is not an error
        return "utf-8", ""
    except UnicodeDecodeError as exc:
        where = exc.start
    try:
        sample.decode("cp1252")
        chosen = "cp1252"
    except UnicodeDecodeError:
        chosen = "latin-1"
    return chosen, (
        f"The file is not UTF-8 (invalid byte 0x{sample[where]:02x} at byte {where:,}); reading it as "
        f"{chosen}. Check accented characters in the preview, or save the file as UTF-8."
    )


def sniff_dialect(text: str) -> tuple[str, str]:
    """(delimiter, quote character) of a text sample; comma when nothing stands out."""
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample's last line may be cut
    sample = "\n".join(lines)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        return dialect.delimiter, dialect.quotechar or '"'
    except csv.Error:
        pass
    counts = {d: sample.count(d) for d in ",;\t|"}
    best = max(counts, key=lambda d: counts[d])
    return (best if counts[best] else ","), '"'


def _is_number(value: str) -> bool:
    try:
        float(value.replace(",", ""))
    except ValueError:
        return False
    return True


def detect_header(rows: Sequence[Sequence[str]]) -> bool:
    """True when the first row looks like names: no empties, no numbers, and differs from the rest."""
    if not rows or not rows[0]:
        return False
    first = rows[0]
    if any(not cell.strip() or _is_number(cell) for cell in first):
        return False
    if len(rows) == 1:
        return True
    # A column numeric below a text first cell is the strongest sign; otherwise trust the shape.
    body = rows[1:]
    for index in range(len(first)):
        values = [r[index] for r in body if index < len(r) and r[index].strip()]
        if values and all(_is_number(v) for v in values):
            return True
    return len(set(first)) == len(first)


def _long_line(line: int) -> Problem:
    return Problem(
        line,
        "long-line",
        f"Line {line:,} is longer than {MAX_LINE_CHARS // (1 << 20)} MB: not a CSV row; it was skipped.",
        Severity.ERROR,
    )


@dataclass(slots=True)
class _Block:
    """One chunk's complete lines, without their '\\n'; `text` is the chunk as decoded (for cheap
    whole-chunk checks); `terminated` is False only for the file's last line when it has no newline."""

    lines: list[str]
    text: str
    terminated: bool = True

    def terminated_lines(self) -> list[str]:
        """The lines as the csv module reads them: each ending in '\\n' (but an unterminated last)."""
        lines = [line + "\n" for line in self.lines]
        if not self.terminated:
            lines[-1] = self.lines[-1]
        return lines


def _decoded_blocks(
    stream: BinaryIO,
    encoding: str,
    inspection: Inspection,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> Iterator[_Block]:
    """The stream's lines, chunk by chunk.

    Over-long lines are dropped with a problem (a blank line stands in, so line numbers stay right);
    NUL bytes are reported and removed (csv refuses them).
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    pending = ""
    line_no = 0  # physical lines completed so far
    skipping = False
    while True:
        if cancelled is not None and cancelled():
            inspection.cancelled = True
            return
        chunk = stream.read(CHUNK_BYTES)
        inspection.bytes_read += len(chunk)
        if progress is not None:
            progress(inspection.bytes_read)
        final = not chunk
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            line = line_no + 1 + pending.count("\n")
            inspection.add(
                Problem(
                    line,
                    "encoding",
                    f"Invalid {encoding} byte 0x{chunk[exc.start]:02x} near line {line:,}; "
                    "replaced with \ufffd.",
                    Severity.WARNING,
                )
            )
            decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
            text = decoder.decode(chunk, final=final)
        if "\x00" in text:
            for piece_no, piece in enumerate((pending + text).split("\n")):
                if "\x00" in piece:
                    inspection.add(
                        Problem(
                            line_no + piece_no + 1,
                            "nul",
                            f"Line {line_no + piece_no + 1:,} contains NUL bytes (removed for checking).",
                            Severity.ERROR,
                        )
                    )
            text = text.replace("\x00", "")
            pending = pending.replace("\x00", "")
        parts = text.split("\n")
        if len(parts) == 1:
            if skipping:
                pending = ""
            else:
                pending += parts[0]
                if len(pending) > MAX_LINE_CHARS:
                    skipping = True
                    pending = ""
                    inspection.add(_long_line(line_no + 1))
            if final:
                if pending and not skipping:
                    yield _Block([pending], pending, terminated=False)
                return
            continue
        head = parts[0]
        lines = parts[:-1]
        if skipping:
            # The over-long line ends here: a blank stand-in keeps the line numbers right.
            skipping = False
            lines[0] = ""
        elif len(pending) + len(head) > MAX_LINE_CHARS:
            lines[0] = ""
            inspection.add(_long_line(line_no + 1))
        elif pending:
            lines[0] = pending + head
        pending = parts[-1]
        line_no += len(parts) - 1
        if len(pending) > MAX_LINE_CHARS:
            skipping = True
            pending = ""
            inspection.add(_long_line(line_no + 1))
        yield _Block(lines, text)
        if final:
            if pending and not skipping:
                yield _Block([pending], pending, terminated=False)
            return


def _decoded_lines(
    stream: BinaryIO,
    encoding: str,
    inspection: Inspection,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> Iterator[list[str]]:
    """Lists of lines (each ending in '\\n' except perhaps the last), chunk by chunk."""
    for block in _decoded_blocks(stream, encoding, inspection, progress, cancelled):
        yield block.terminated_lines()


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
    sample = stream.read(SAMPLE_BYTES)
    if not sample:
        inspection.fatal = "The file is empty: there is nothing to submit."
        return inspection
    if _looks_binary(sample):
        inspection.fatal = (
            "This is not a text file (it contains binary data). Choose a CSV file saved as text."
        )
        return inspection
    if encoding is None:
        encoding, inspection.encoding_note = detect_encoding(sample)
    inspection.encoding = encoding
    sample_text = sample.decode(encoding, errors="replace")
    if sample_text.startswith("\ufeff"):
        sample_text = sample_text[1:]
    if delimiter is None:
        inspection.delimiter, inspection.quotechar = sniff_dialect(sample_text)
    else:
        inspection.delimiter = delimiter
    sample_rows = list(
        itertools.islice(
            csv.reader(
                sample_text.replace("\x00", "").splitlines(),
                delimiter=inspection.delimiter,
                quotechar=inspection.quotechar,
            ),
            50,
        )
    )
    inspection.has_header = detect_header(sample_rows) if has_header is None else has_header

    class _Rewound:
        """The sample, then the rest of the stream."""

        def __init__(self) -> None:
            self._first: bytes | None = sample

        def read(self, n: int) -> bytes:
            if self._first is not None:
                first, self._first = self._first, None
                return first + stream.read(max(0, n - len(first)))
            return stream.read(n)

    inspection.bytes_read = 0
    blocks = _decoded_blocks(_Rewound(), encoding, inspection, progress, cancelled)  # type: ignore[arg-type]
    _RowChecker(blocks, inspection, preview_rows, fast=fast).run()
    if inspection.cancelled:
        return inspection
    if inspection.rows == 0 and not inspection.fatal:
        if inspection.header and inspection.has_header:
            inspection.fatal = "The file has a header but no data rows: there is nothing to submit."
        else:
            inspection.fatal = "The file has no rows: there is nothing to submit."
    return inspection


class _Feeder:
    """The csv reader's input: one block's lines at a time.

    At the end of a block it stops the reader (so the next block may take the fast path), unless
    the reader is inside a record (a quoted field spanning lines): then it goes on into the next
    block. `inside` is set when a line is handed out and cleared by whoever receives a row.
    """

    def __init__(self, blocks: Iterator[_Block]) -> None:
        self._blocks = blocks
        self._lines: Iterator[str] = iter(())
        self.inside = False

    def __iter__(self) -> _Feeder:
        return self

    def load(self, block: _Block) -> None:
        self._lines = iter(block.terminated_lines())

    def __next__(self) -> str:
        line = next(self._lines, None)
        while line is None:
            if not self.inside:
                raise StopIteration
            block = next(self._blocks, None)
            if block is None:
                raise StopIteration
            self.load(block)
            line = next(self._lines, None)
        self.inside = True
        return line


class _RowChecker:
    """Counts rows and finds ragged rows and empty cells, block by block.

    Blocks with no quote character, no bare carriage return and no line over csv's field limit
    are checked with string methods that run in C over the whole block (a field is then exactly
    what `line.split(delimiter)` gives); any other block goes through the csv module, whose
    reader persists across blocks so quoted fields may span them. Both report the same problems.
    """

    def __init__(
        self, blocks: Iterator[_Block], inspection: Inspection, preview_rows: int, fast: bool
    ) -> None:
        self.blocks = blocks
        self.inspection = inspection
        self.preview_rows = preview_rows
        self.fast = fast
        self.feeder = _Feeder(blocks)
        self.reader = csv.reader(
            self.feeder, delimiter=inspection.delimiter, quotechar=inspection.quotechar, strict=False
        )
        self.sep = inspection.delimiter
        self.quote = inspection.quotechar
        self.limit = csv.field_size_limit()
        self.fast_lines = 0  # physical lines checked by the fast path (the reader never saw them)
        self.rows = 0
        self.width = 0
        self._scan: tuple[Any, Any] = ((), ())  # the current block's bytes and newline offsets

    def run(self) -> None:
        inspection = self.inspection
        first_block = next(self.blocks, None)
        if first_block is None:
            return
        self.feeder.load(first_block)
        if not self._header():
            return
        self._slow()
        for block in self.blocks:
            if self.fast and self._fast_ok(block):
                self._fast_block(block)
            else:
                self.feeder.load(block)
                self._slow()
        inspection.rows = self.rows

    def _header(self) -> bool:
        inspection = self.inspection
        add = inspection.add
        try:
            first = next(self.reader)
        except StopIteration:
            return False
        except csv.Error as exc:
            inspection.fatal = f"Line 1 cannot be read as CSV: {exc}."
            return False
        self.feeder.inside = False
        if first and first[0].startswith("\ufeff"):
            first[0] = first[0][1:]
        self.width = len(first)
        inspection.header = first
        inspection.columns = [ColumnStats() for _ in range(self.width)]
        if inspection.has_header:
            seen: dict[str, int] = {}
            for position, name in enumerate(first, start=1):
                if not name.strip():
                    add(Problem(1, "header", f"Header column {position} has no name.", Severity.WARNING))
                elif name in seen:
                    add(
                        Problem(
                            1,
                            "duplicate-header",
                            f"Header name {name!r} appears in columns {seen[name]} and {position}.",
                            Severity.ERROR,
                        )
                    )
                else:
                    seen[name] = position
        else:
            inspection.preview.append(first)
            self.rows = 1
            _empties(first, 1, inspection)
        inspection.rows = self.rows
        return True

    def _row(self, row: list[str], line: int) -> None:
        """One non-blank row: ragged? empty cells? preview."""
        inspection = self.inspection
        width = self.width
        self.rows += 1
        if len(row) != width:
            inspection.add(
                Problem(
                    line,
                    "ragged",
                    f"Line {line:,} has {len(row)} field{'s' if len(row) != 1 else ''}, expected {width}.",
                    Severity.ERROR,
                )
            )
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

    def _slow(self) -> None:
        reader = self.reader
        feeder = self.feeder
        while True:
            try:
                for row in reader:
                    feeder.inside = False
                    if row:
                        self._row(row, reader.line_num + self.fast_lines)
                break
            except csv.Error as exc:
                feeder.inside = False
                line = reader.line_num + self.fast_lines
                self.inspection.add(Problem(line, "csv", f"Line {line:,}: {exc}.", Severity.ERROR))
        self.inspection.rows = self.rows

    def _fast_ok(self, block: _Block) -> bool:
        text, lines = block.text, block.lines
        quote = self.quote
        if self.feeder.inside or (quote and (quote in text or quote in lines[0])):
            return False
        if "\r" in text and text.count("\r") != text.count("\r\n"):
            return False
        for line in (lines[0], lines[-1]):
            cr = line.find("\r")
            if cr not in (-1, len(line) - 1):
                return False  # csv refuses a carriage return inside an unquoted field
        if ord(self.sep) >= 128:
            return max(map(len, lines)) <= self.limit
        import numpy as np

        # UTF-8 keeps ASCII bytes (separator, newline) where they were and never inside another
        # character, so line structure can be read from the encoded bytes in vectorised passes.
        data = np.frombuffer(text.encode("utf-8"), np.uint8)
        newlines = np.flatnonzero(data == 10)
        self._scan = (data, newlines)
        longest = int(np.diff(newlines).max()) if len(newlines) > 1 else len(text)
        if max(longest, len(lines[0]), len(lines[-1])) <= self.limit:
            return True
        return max(map(len, lines)) <= self.limit

    def _has_empty(self, line: str) -> bool:
        sep = self.sep
        return line.startswith(sep) or sep + sep in line or line.endswith((sep, sep + "\r"))

    def _empty_candidates(self, block: _Block) -> set[int]:
        """Indices of lines that may hold an empty cell (a superset: each is checked by splitting)."""
        lines = block.lines
        found = {i for i in (0, len(lines) - 1) if self._has_empty(lines[i])}
        if ord(self.sep) >= 128:
            found.update(i for i, line in enumerate(lines) if self._has_empty(line))
            return found
        import numpy as np

        data, newlines = self._scan
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

    def _fast_block(self, block: _Block) -> None:
        lines = block.lines
        sep = self.sep
        width = self.width
        expected = width - 1
        count = len(lines)
        base = self.reader.line_num + self.fast_lines
        counts = list(map(str.count, lines, itertools.repeat(sep, count)))
        special: set[int] = set()
        if counts.count(expected) != count:
            special.update(i for i, c in enumerate(counts) if c != expected)  # ragged or blank
        if width == 1:
            if "" in lines or "\r" in lines:
                special.update(i for i, line in enumerate(lines) if line in ("", "\r"))
        else:
            special.update(self._empty_candidates(block))
        inspection = self.inspection
        preview_wanted = len(inspection.preview) < self.preview_rows
        if preview_wanted:
            special = set(range(count))
        else:
            self.rows += count - len(special)
        for i in sorted(special):
            line = lines[i]
            if line in ("", "\r"):
                continue  # a blank line: no row
            self._row((line[:-1] if line.endswith("\r") else line).split(sep), base + i + 1)
        self.fast_lines += count
        inspection.rows = self.rows


def _empties(row: list[str], line: int, inspection: Inspection) -> None:
    for index, value in enumerate(row):
        if value == "" and index < len(inspection.columns):
            stats = inspection.columns[index]
            stats.empty += 1
            if len(stats.first_empty_lines) < 5:
                stats.first_empty_lines.append(line)


def iter_rows(
    stream: BinaryIO, encoding: str, delimiter: str, quotechar: str, has_header: bool
) -> Iterator[list[str]]:
    """The data rows of a CSV (after the header), streamed; for per-row submission."""
    scratch = Inspection(size=0)
    chunks = _decoded_lines(stream, encoding, scratch, None, None)
    reader = csv.reader(itertools.chain.from_iterable(chunks), delimiter=delimiter, quotechar=quotechar)
    first = True
    for row in reader:
        if first:
            first = False
            if row and row[0].startswith("\ufeff"):
                row[0] = row[0][1:]
            if has_header:
                continue
        if row:
            yield row


# --- planning ---------------------------------------------------------------------------------


class SplitMode(StrEnum):
    WHOLE = "whole"
    ARRAY = "array"
    PER_ROW = "per_row"

    @property
    def label(self) -> str:
        return {
            SplitMode.WHOLE: "One job for the whole file",
            SplitMode.ARRAY: "One array job, N rows per child",
            SplitMode.PER_ROW: "One job per row",
        }[self]


@dataclass(frozen=True)
class Overrides:
    environment: dict[str, str] = field(default_factory=dict)
    vcpus: str = ""
    memory_mib: int | None = None
    retries: int | None = None
    timeout_s: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class DefinitionInfo:
    """What planning needs of a job definition (from domain.batch.JobDefinition)."""

    name_revision: str
    status: str
    platform: str
    command: tuple[str, ...] = ()
    parameters: dict[str, str] = field(default_factory=dict)
    vcpus: str | None = None
    memory_mib: str | None = None

    @property
    def referenced(self) -> list[str]:
        """`Ref::name` parameters used by the command, in order of first use."""
        names: list[str] = []
        for part in self.command:
            for name in _REF.findall(part):
                if name not in names:
                    names.append(name)
        return names

    @property
    def is_fargate(self) -> bool:
        return self.platform.upper() == "FARGATE"


@dataclass(frozen=True)
class QueueInfo:
    name: str
    state: str = "ENABLED"
    status: str = "VALID"


@dataclass(frozen=True)
class PlanInput:
    job_name: str
    queue: QueueInfo
    definition: DefinitionInfo
    bucket: str
    key: str
    rows: int
    columns: tuple[str, ...]
    submission_id: str
    mode: SplitMode = SplitMode.ARRAY
    rows_per_child: int = 1
    several_arrays: bool = False
    column_map: dict[str, str] = field(default_factory=dict)  # parameter -> CSV column
    parameters: dict[str, str] = field(default_factory=dict)  # fixed values typed in the wizard
    overrides: Overrides = field(default_factory=Overrides)
    empty_counts: dict[str, int] = field(default_factory=dict)  # CSV column -> empty values


@dataclass(frozen=True)
class PlannedJob:
    """One SubmitJob call covering data rows [first_row, first_row + row_count)."""

    seq: int
    first_row: int
    row_count: int
    request: dict[str, Any]

    @property
    def array_size(self) -> int | None:
        props = self.request.get("arrayProperties")
        return int(props["size"]) if props else None


@dataclass
class Plan:
    input: PlanInput
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    jobs: list[PlannedJob] = field(default_factory=list)  # whole / array modes
    call_count: int = 0
    array_size: int | None = None
    suggestion: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def request_for_row(self, row_number: int, values: Sequence[str]) -> dict[str, Any]:
        """The SubmitJob request of data row `row_number` (per-row mode)."""
        return _row_request(self.input, row_number, values)

    def first_requests(self, rows: Iterable[Sequence[str]], count: int = 3) -> list[dict[str, Any]]:
        if self.input.mode is SplitMode.PER_ROW:
            return [self.request_for_row(n, r) for n, r in zip(range(count), rows, strict=False)]
        return [j.request for j in self.jobs[:count]]

    def seconds_at(self, rate_per_s: float = DEFAULT_RATE_PER_S) -> float:
        return self.call_count / rate_per_s if rate_per_s > 0 else math.inf


def job_name_prefix(name: str, submission_id: str) -> str:
    """A job name unique to the submission; ListJobs' JOB_NAME filter finds its jobs by prefix."""
    clean = _JOB_NAME_BAD.sub("-", name.strip()) or "csv"
    return f"{clean[:90]}-{submission_id[:12]}"


def row_job_name(prefix: str, row_number: int) -> str:
    return f"{prefix}-r{row_number}"


def part_job_name(prefix: str, seq: int, parts: int) -> str:
    return prefix if parts == 1 else f"{prefix}-p{seq + 1}"


def check_fargate(vcpus: str, memory_mib: int) -> str:
    """An error message when the vCPU/memory pair is not a Fargate task size, else ''."""
    key = vcpus.rstrip("0").rstrip(".") if "." in vcpus else vcpus
    key = {"0.25": "0.25", ".25": "0.25", ".5": "0.5"}.get(key, key)
    allowed = _FARGATE_MEMORY.get(key)
    if allowed is None:
        return f"Fargate vCPU must be one of {', '.join(_FARGATE_MEMORY)}; {vcpus} is not."
    if memory_mib not in allowed:
        choices = (
            ", ".join(f"{m:,}" for m in allowed)
            if len(allowed) <= 4
            else (f"{allowed[0]:,} to {allowed[-1]:,} in steps of {allowed[1] - allowed[0]:,}")
        )
        return f"Fargate with {key} vCPU takes {choices} MiB of memory; {memory_mib:,} MiB is not allowed."
    return ""


def _auto_values(spec: PlanInput, first_row: int, rows_per_child: int) -> dict[str, str]:
    return {
        "bucket": spec.bucket,
        "key": spec.key,
        "rows_per_child": str(rows_per_child),
        "first_row": str(first_row),
        "submission_id": spec.submission_id,
        "row_number": str(first_row),
    }


def _base_request(spec: PlanInput, name: str, parameters: dict[str, str], rows: str) -> dict[str, Any]:
    request: dict[str, Any] = {
        "jobName": name,
        "jobQueue": spec.queue.name,
        "jobDefinition": spec.definition.name_revision,
    }
    if parameters:
        request["parameters"] = parameters
    o = spec.overrides
    container: dict[str, Any] = {}
    environment = {
        "BATCHGUI_SUBMISSION_ID": spec.submission_id,
        "BATCHGUI_CSV_URI": f"s3://{spec.bucket}/{spec.key}",
        **o.environment,
    }
    container["environment"] = [{"name": k, "value": v} for k, v in environment.items()]
    requirements = []
    if o.vcpus:
        requirements.append({"type": "VCPU", "value": o.vcpus})
    if o.memory_mib:
        requirements.append({"type": "MEMORY", "value": str(o.memory_mib)})
    if requirements:
        container["resourceRequirements"] = requirements
    request["containerOverrides"] = container
    if o.retries is not None:
        request["retryStrategy"] = {"attempts": o.retries}
    if o.timeout_s is not None:
        request["timeout"] = {"attemptDurationSeconds": o.timeout_s}
    if o.depends_on:
        request["dependsOn"] = [{"jobId": job_id} for job_id in o.depends_on]
    request["tags"] = {**o.tags, SUBMISSION_TAG: spec.submission_id, ROW_TAG: rows}
    request["propagateTags"] = True
    return request


def _parameters(spec: PlanInput, first_row: int, rows_per_child: int) -> dict[str, str]:
    declared = set(spec.definition.parameters) | set(spec.definition.referenced)
    auto = _auto_values(spec, first_row, rows_per_child)
    values = {k: v for k, v in auto.items() if k in declared}
    values.update({k: v for k, v in spec.parameters.items() if v != ""})
    return values


def _row_request(spec: PlanInput, row_number: int, values: Sequence[str]) -> dict[str, Any]:
    parameters = _parameters(spec, row_number, 1)
    for parameter, column in spec.column_map.items():
        if column in spec.columns:
            index = spec.columns.index(column)
            parameters[parameter] = values[index] if index < len(values) else ""
    name = row_job_name(job_name_prefix(spec.job_name, spec.submission_id), row_number)
    return _base_request(spec, name, parameters, f"{row_number}")


def make_plan(spec: PlanInput) -> Plan:
    """Check the choices and build the requests (per-row requests are built row by row later)."""
    plan = Plan(spec)
    errors, warnings = plan.errors, plan.warnings
    if spec.queue.state != "ENABLED":
        errors.append(
            f"Job queue {spec.queue.name} is {spec.queue.state}: it accepts no jobs. Enable it in Job "
            "queues, or choose another queue."
        )
    elif spec.queue.status not in ("VALID", "UPDATING", "CREATING", ""):
        warnings.append(f"Job queue {spec.queue.name} is {spec.queue.status}.")
    if spec.definition.status and spec.definition.status != "ACTIVE":
        errors.append(
            f"Job definition {spec.definition.name_revision} is {spec.definition.status}: Batch refuses "
            "jobs for it. Choose an active revision."
        )
    if spec.rows <= 0:
        errors.append("The file has no data rows.")
    _check_parameters(spec, errors)
    _check_overrides(spec, errors)
    if spec.mode is SplitMode.WHOLE:
        plan.jobs = [
            PlannedJob(
                0,
                0,
                spec.rows,
                _base_request(
                    spec,
                    job_name_prefix(spec.job_name, spec.submission_id),
                    _parameters(spec, 0, 0),
                    f"0-{max(0, spec.rows - 1)}",
                ),
            )
        ]
    elif spec.mode is SplitMode.ARRAY:
        _plan_array(spec, plan)
    else:
        if spec.rows > PER_ROW_WARN_ROWS:
            warnings.append(
                f"{spec.rows:,} rows means {spec.rows:,} SubmitJob calls (about "
                f"{math.ceil(spec.rows / DEFAULT_RATE_PER_S):,} s at {DEFAULT_RATE_PER_S:.0f}/s). "
                "An array job does the same work with one call."
            )
        for parameter, column in spec.column_map.items():
            empty = spec.empty_counts.get(column, 0)
            if empty:
                errors.append(
                    f"Column {column!r} is mapped to parameter {parameter!r} but is empty on {empty:,} "
                    "row(s); fill those cells or map another column."
                )
    plan.call_count = spec.rows if spec.mode is SplitMode.PER_ROW else len(plan.jobs)
    for job in plan.jobs[:1]:
        if len(repr(job.request).encode()) > MAX_REQUEST_BYTES:
            errors.append("A SubmitJob request is over 30 KiB: shorten the environment or parameters.")
    return plan


def _check_parameters(spec: PlanInput, errors: list[str]) -> None:
    definition = spec.definition
    mapped = set(spec.column_map) if spec.mode is SplitMode.PER_ROW else set()
    filled = set(definition.parameters) | set(AUTO_PARAMETERS) | mapped
    filled |= {k for k, v in spec.parameters.items() if v != ""}
    missing = [name for name in definition.referenced if name not in filled]
    if missing:
        names = ", ".join(missing)
        how = "map a column to it or type a value" if spec.mode is SplitMode.PER_ROW else "type a value"
        errors.append(
            f"The definition's command needs parameter{'s' if len(missing) > 1 else ''} {names} and "
            f"nothing fills {'them' if len(missing) > 1 else 'it'}: {how}."
        )
    for parameter, column in spec.column_map.items():
        if column not in spec.columns:
            errors.append(f"Parameter {parameter!r} is mapped to column {column!r}, which the file lacks.")


def _check_overrides(spec: PlanInput, errors: list[str]) -> None:
    o = spec.overrides
    if o.vcpus:
        try:
            if float(o.vcpus) <= 0:
                raise ValueError
        except ValueError:
            errors.append(f"vCPU override {o.vcpus!r} is not a positive number.")
            return
    if o.memory_mib is not None and o.memory_mib <= 0:
        errors.append("Memory override must be a positive number of MiB.")
    if spec.definition.is_fargate and (o.vcpus or o.memory_mib):
        vcpus = o.vcpus or spec.definition.vcpus or "0.25"
        memory = o.memory_mib or int(float(spec.definition.memory_mib or "512"))
        message = check_fargate(vcpus, memory)
        if message:
            errors.append(message)
    if o.retries is not None and not 1 <= o.retries <= 10:
        errors.append("Retry attempts must be between 1 and 10.")
    if o.timeout_s is not None and o.timeout_s < 60:
        errors.append("The timeout must be at least 60 seconds (Batch's minimum).")
    if len(o.depends_on) > 20:
        errors.append("A job can depend on at most 20 jobs.")


def _plan_array(spec: PlanInput, plan: Plan) -> None:
    per_child = spec.rows_per_child
    if per_child < 1:
        plan.errors.append("Rows per child must be at least 1.")
        return
    children = math.ceil(spec.rows / per_child) if spec.rows else 0
    plan.array_size = children
    prefix = job_name_prefix(spec.job_name, spec.submission_id)
    if children > MAX_ARRAY_SIZE:
        bigger = math.ceil(spec.rows / MAX_ARRAY_SIZE)
        parts = math.ceil(children / MAX_ARRAY_SIZE)
        plan.suggestion = (
            f"{spec.rows:,} rows at {per_child:,} per child is an array of {children:,} children; Batch "
            f"allows {MAX_ARRAY_SIZE:,}. Use {bigger:,} rows per child (one array job), or submit "
            f"{parts} array jobs of up to {MAX_ARRAY_SIZE:,} children each."
        )
        if not spec.several_arrays:
            plan.errors.append(plan.suggestion)
            return
        plan.warnings.append(f"Submitting {parts} array jobs, each starting at its own first_row.")
        if "first_row" not in set(spec.definition.parameters) | set(spec.definition.referenced):
            plan.errors.append(
                "Several array jobs need a first_row parameter in the definition to tell the parts "
                f"apart; this definition has none. Use {bigger:,} rows per child instead."
            )
            return
    rows_per_part = MAX_ARRAY_SIZE * per_child
    parts = max(1, math.ceil(spec.rows / rows_per_part))
    for seq in range(parts):
        first = seq * rows_per_part
        count = min(rows_per_part, spec.rows - first)
        size = math.ceil(count / per_child)
        request = _base_request(
            spec,
            part_job_name(prefix, seq, parts),
            _parameters(spec, first, per_child),
            f"{first}-{first + count - 1}",
        )
        if size >= 2:
            # Array size is 2..10,000; a single child is submitted as a plain job.
            request["arrayProperties"] = {"size": size}
        plan.jobs.append(PlannedJob(seq, first, count, request))
    if children == 1:
        plan.warnings.append("All rows fit in one child: submitting a single (non-array) job.")


# --- the equivalent AWS CLI command -----------------------------------------------------------


def cli_command(request: dict[str, Any], region: str = "", endpoint_url: str = "") -> str:
    """`aws batch submit-job` with the same request, shell-quoted."""
    import json

    parts = ["aws", "batch", "submit-job"]
    flags = {
        "jobName": "--job-name",
        "jobQueue": "--job-queue",
        "jobDefinition": "--job-definition",
    }
    for key, flag in flags.items():
        if key in request:
            parts += [flag, str(request[key])]
    json_flags = {
        "arrayProperties": "--array-properties",
        "parameters": "--parameters",
        "containerOverrides": "--container-overrides",
        "retryStrategy": "--retry-strategy",
        "timeout": "--timeout",
        "dependsOn": "--depends-on",
        "tags": "--tags",
    }
    for key, flag in json_flags.items():
        if key in request:
            parts += [flag, json.dumps(request[key], separators=(",", ":"))]
    if request.get("propagateTags"):
        parts.append("--propagate-tags")
    if region:
        parts += ["--region", region]
    if endpoint_url:
        parts += ["--endpoint-url", endpoint_url]
    return " ".join(shlex.quote(p) for p in parts)


def definition_info(definition: Any) -> DefinitionInfo:
    """From a domain.batch.JobDefinition (duck-typed to keep this module free of other imports)."""
    return DefinitionInfo(
        name_revision=definition.name_revision,
        status=definition.status,
        platform=definition.platform,
        command=tuple(definition.command),
        parameters=dict(definition.parameters),
        vcpus=definition.vcpus,
        memory_mib=definition.memory_mib,
    )


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(count) < 1024 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1024
    return f"{count:,.1f} GB"
