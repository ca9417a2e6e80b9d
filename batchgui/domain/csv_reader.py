"""The one CSV reader: the check, the preview, the counts, the array plan and per-row submission all
read rows through `CsvReader`, so the rows a check counts are the rows a submission sends.

Rows are what Python's csv module reads from the file opened with `newline=""`: lines end at CR, LF
or CRLF (mixed too), quoted fields may hold newlines, and blank lines are no rows (as
`csv.DictReader` skips them, the header being the first row that is not blank). The field-size limit
is csv's own (`csv.field_size_limit()`), for the check and the submission alike.

Pure: the input is a binary stream the caller opened. It is read in fixed-size chunks, so a 1 GB
file or a 100 MB line never sits in memory whole.

Speed: a block of lines with no quote character, no bare CR and no line over the field limit is
handed out whole (`Lines`): each of its lines is exactly one row, `line.split(delimiter)`, so the
check can count and inspect it with string methods running in C over the block. Any other block
goes through the csv module line by line (`Record`); its reader persists across blocks so a quoted
field may span them. `fast=False` sends everything through the csv module (tests compare the two).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from batchgui.domain.problems import Problem, Severity

CHUNK_BYTES = 1 << 20
SAMPLE_BYTES = 64 * 1024
# A line longer than this is not a CSV row anyone meant to submit; it is skipped without being held.
# It must stay above CHUNK_BYTES: only a line that spans chunks can be this long.
MAX_LINE_CHARS = 4 << 20
# Kinds of problem that mean rows could not be read as csv reads them: a file with any is refused.
UNREADABLE = frozenset({"csv", "long-line", "unterminated-quote"})

Progress = Callable[[int], None]
Cancelled = Callable[[], bool]
Report = Callable[[Problem], None]


@dataclass(frozen=True)
class Dialect:
    """How to read a file: what the check detected, or what the person chose."""

    encoding: str = "utf-8"
    delimiter: str = ","
    quotechar: str = '"'
    has_header: bool = True


# --- detection -----------------------------------------------------------------------------------


def looks_binary(sample: bytes) -> bool:
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


def sample_lines(text: str, limit: int = 50) -> list[str]:
    """The first complete lines of a sample, split as the reader splits them."""
    lines = list(itertools.islice(io.StringIO(text, newline=""), limit + 1))
    if len(lines) > 1 and not lines[-1].endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample's last line may be cut
    return lines[:limit]


def sniff_dialect(text: str) -> tuple[str, str]:
    """(delimiter, quote character) of a text sample; comma when nothing stands out."""
    sample = "".join(sample_lines(text))
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        if dialect.delimiter in ",;\t|":
            return dialect.delimiter, dialect.quotechar or '"'
    except Exception:  # the sniffer is a heuristic: whatever it trips on, fall back to counting
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
    rows = [r for r in rows if r]
    if not rows:
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


def sample_rows(text: str, delimiter: str, quotechar: str) -> list[list[str]]:
    """Rows of a text sample, for header detection; whatever csv refuses ends the sample."""
    rows: list[list[str]] = []
    reader = csv.reader(sample_lines(text), delimiter=delimiter, quotechar=quotechar)
    try:
        rows.extend(itertools.islice(reader, 50))
    except csv.Error:
        pass
    return rows


# --- blocks of whole lines -----------------------------------------------------------------------


def _last_line_end(text: str, final: bool) -> int:
    """Index just past the last complete line of `text`; a CR at the very end is held back unless
    `final` (the next chunk may begin with the LF of a CRLF)."""
    end = max(text.rfind("\n"), text.rfind("\r"))
    if end >= 0 and end == len(text) - 1 and text[end] == "\r" and not final:
        end = max(text.rfind("\n", 0, end), text.rfind("\r", 0, end))
    return end + 1


def _long_line(line: int) -> Problem:
    return Problem.at_line(
        line,
        "long-line",
        f"Line {line:,} is longer than {MAX_LINE_CHARS // (1 << 20)} MB: not a CSV row; it cannot be "
        "read. Fix or remove that line and check again.",
        Severity.ERROR,
    )


@dataclass(slots=True)
class Block:
    """Whole lines of the file, each with its line ending (the file's last may have none)."""

    text: str
    first_line: int  # physical lines before this block
    _lines: list[str] | None = None
    scan: Any = None  # the block's bytes and newline offsets, when the reader scanned them
    _count: int = -1

    @property
    def lines(self) -> list[str]:
        """The lines split at LF (a CRLF line keeps its CR): only for blocks with no bare CR."""
        if self._lines is None:
            lines = self.text.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            self._lines = lines
        return self._lines

    def line_count(self) -> int:
        if self._count < 0:
            text = self.text
            count = text.count("\n")
            if "\r" in text:  # one scan for the usual LF-only block; CR lines are counted only if any
                count += text.count("\r") - text.count("\r\n")
            self._count = count if text.endswith(("\n", "\r")) else count + 1
        return self._count


@dataclass
class Reading:
    """What a read found on its way, besides rows: how far it got, and whether it was stopped."""

    bytes_read: int = 0
    cancelled: bool = False
    problems: list[Problem] = field(default_factory=list)


def decoded_blocks(
    stream: BinaryIO,
    encoding: str,
    report: Report,
    reading: Reading,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Iterator[Block]:
    """The stream as blocks of whole lines, chunk by chunk.

    A line over MAX_LINE_CHARS is reported and stands as a blank line, so line numbers stay right.
    A NUL is reported (csv reads it as a character, and so does the submission). A leading U+FEFF is
    dropped once: by the utf-8-sig codec, or here when another encoding left it.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    strip_bom = codecs.lookup(encoding).name != "utf-8-sig"
    pending = ""
    lines_done = 0  # physical lines in the blocks handed out so far
    skipping = False  # inside an over-long line: its text is dropped until its end
    while True:
        if cancelled is not None and cancelled():
            reading.cancelled = True
            return
        chunk = stream.read(CHUNK_BYTES)
        reading.bytes_read += len(chunk)
        if progress is not None:
            progress(reading.bytes_read)
        final = not chunk
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            line = lines_done + 1 + _count_lines(pending) - (1 if pending else 0)
            report(
                Problem.at_line(
                    line,
                    "encoding",
                    f"Invalid {encoding} byte 0x{exc.object[exc.start]:02x} near line {line:,}; "
                    "replaced with \ufffd.",
                )
            )
            # exc.object is what the strict decoder held back plus this chunk: nothing is lost.
            decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
            text = decoder.decode(exc.object, final=final)
        if strip_bom and text:
            strip_bom = False
            if text.startswith("\ufeff"):
                text = text[1:]
        if skipping:
            ends = [i for i in (text.find("\n"), text.find("\r")) if i >= 0]
            if not ends:
                if final:
                    return
                continue
            after = min(ends) + 1
            if text[after - 1] == "\r" and text[after : after + 1] == "\n":
                after += 1
            text = "\n" + text[after:]  # the blank line standing for the long one
            skipping = False
        combined = pending + text if pending else text
        end = len(combined) if final else _last_line_end(combined, final)
        whole, pending = combined[:end], combined[end:]
        if whole:
            ends = [i for i in (whole.find("\n"), whole.find("\r")) if i >= 0]
            first_end = min(ends) if ends else len(whole)
            if first_end > MAX_LINE_CHARS:
                # Only the first line can be this long (it carries the chunks before): see above.
                report(_long_line(lines_done + 1))
                after = first_end + 1
                if whole[first_end : first_end + 2] == "\r\n":
                    after += 1
                whole = "\n" + whole[after:]
            if "\x00" in whole:
                _report_nul(whole, lines_done, report)
            block = Block(whole, lines_done)
            lines_done += block.line_count()
            yield block
        if len(pending) > MAX_LINE_CHARS:
            report(_long_line(lines_done + 1))
            pending = ""
            skipping = True
        if final:
            return


def _count_lines(text: str) -> int:
    return sum(1 for _ in io.StringIO(text, newline=""))


def _report_nul(text: str, before: int, report: Report) -> None:
    for number, line in enumerate(io.StringIO(text, newline=""), start=before + 1):
        if "\x00" in line:
            report(
                Problem.at_line(
                    number,
                    "nul",
                    f"Line {number:,} contains NUL characters: they are passed to the jobs as they are.",
                    Severity.ERROR,
                )
            )


# --- rows ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Lines:
    """A block whose every line is one row, `line.split(delimiter)` (its blank lines: no row)."""

    block: Block


@dataclass(slots=True)
class Record:
    """One row read by the csv module; `line` is its last physical line, `first_line` its first."""

    fields: list[str]
    line: int
    first_line: int
    unterminated: bool = False  # a quote opened on first_line is never closed (already reported)


class _Feeder:
    """The csv reader's input: one block's lines at a time.

    At the end of a block it stops the reader (so the next block may take the fast path), unless
    the reader is inside a record (a quoted field spanning lines): then it goes on into the next
    block. `inside` is set when a line is handed out and cleared by whoever receives a row, so a
    request for a line while `inside` means a quoted field runs on; at the end of the file that is
    a quote never closed (`open_at_end`).
    """

    def __init__(self, reader: CsvReader) -> None:
        self._reader = reader
        self._lines: Iterator[str] = iter(())
        self.inside = False
        self.handed = 0  # physical lines handed to csv so far
        self.record_start = 0
        self.open_at_end = False

    def __iter__(self) -> _Feeder:
        return self

    def load(self, block: Block) -> None:
        self._lines = iter(io.StringIO(block.text, newline=""))

    def __next__(self) -> str:
        line = next(self._lines, None)
        while line is None:
            if not self.inside:
                raise StopIteration
            block = self._reader.next_block()
            if block is None:
                self.open_at_end = True
                raise StopIteration
            self.load(block)
            line = next(self._lines, None)
        if not self.inside:
            self.record_start = self._reader.lines_before + self.handed + 1
        self.inside = True
        self.handed += 1
        return line


class CsvReader:
    """Reads a stream once: `pieces()` gives the rows as Lines blocks and Records; `rows()` as lists.

    Problems found on the way (unreadable lines, a quote never closed, NUL, bad bytes) go to `report`.
    """

    def __init__(
        self,
        stream: BinaryIO,
        dialect: Dialect,
        report: Report | None = None,
        *,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        fast: bool = True,
    ) -> None:
        self.dialect = dialect
        self.reading = Reading()
        self.report: Report = report if report is not None else self.reading.problems.append
        self._blocks = decoded_blocks(
            stream, dialect.encoding, self.report, self.reading, progress=progress, cancelled=cancelled
        )
        self.fast = fast
        self.limit = csv.field_size_limit()
        self.feeder = _Feeder(self)
        self.csv = csv.reader(self.feeder, delimiter=dialect.delimiter, quotechar=dialect.quotechar)
        self.lines_before = 0  # physical lines before the csv reader's current stretch
        self.seen_record = False

    def next_block(self) -> Block | None:
        return next(self._blocks, None)

    def pieces(self) -> Iterator[Lines | Record]:
        for block in self._blocks:
            # Here the csv reader is never inside a record: it went on into the next block itself.
            self.feeder.handed = 0
            if self.fast and self.seen_record and self._simple(block):
                self.lines_before = block.first_line + block.line_count()
                yield Lines(block)
                continue
            self.lines_before = block.first_line
            self.feeder.load(block)
            yield from self._records()

    def _simple(self, block: Block) -> bool:
        """Every line of `block` is one row that `split` reads as csv does."""
        text = block.text
        quote = self.dialect.quotechar
        if quote and quote in text:
            return False
        if "\r" in text and text.count("\r") != text.count("\r\n"):
            return False
        lines = block.lines
        if ord(self.dialect.delimiter) >= 128:
            return max(map(len, lines), default=0) <= self.limit
        import numpy as np

        # UTF-8 keeps ASCII bytes (separator, newline) where they were and never inside another
        # character, so line structure can be read from the encoded bytes in vectorised passes;
        # the check reuses the scan for its empty-cell search.
        data = np.frombuffer(text.encode("utf-8"), np.uint8)
        newlines = np.flatnonzero(data == 10)
        block.scan = (data, newlines)
        longest = int(np.diff(newlines).max()) if len(newlines) > 1 else len(text)
        if max(longest, len(lines[0]), len(lines[-1])) <= self.limit:
            return True
        return max(map(len, lines)) <= self.limit

    def _records(self) -> Iterator[Record]:
        reader, feeder = self.csv, self.feeder
        while True:
            try:
                for row in reader:
                    feeder.inside = False
                    line = self.lines_before + feeder.handed
                    start = feeder.record_start
                    unterminated = feeder.open_at_end
                    if unterminated:
                        feeder.open_at_end = False
                        self.report(
                            Problem.at_line(
                                start,
                                "unterminated-quote",
                                f"Line {start:,}: a quote opens here and is never closed, so the rest of "
                                "the file reads as one field. Close it (write two quotes for one inside "
                                "a field).",
                                Severity.ERROR,
                            )
                        )
                    if row:
                        self.seen_record = True
                        yield Record(row, line, start, unterminated)
                return
            except csv.Error as exc:
                feeder.inside = False
                line = self.lines_before + feeder.handed
                text = str(exc)
                if "field larger than field limit" in text:
                    text = (
                        f"a field is longer than {self.limit:,} characters (the CSV reader's limit), "
                        "so the line cannot be read"
                    )
                self.report(Problem.at_line(line, "csv", f"Line {line:,}: {text}.", Severity.ERROR))

    def rows(self) -> Iterator[list[str]]:
        """Every row, the header included, as csv reads them (blank lines are no rows)."""
        sep = self.dialect.delimiter
        for piece in self.pieces():
            if isinstance(piece, Record):
                yield piece.fields
                continue
            for line in piece.block.lines:
                text = line[:-1] if line.endswith("\r") else line
                if text:
                    yield text.split(sep)

    def data_rows(self) -> Iterator[list[str]]:
        """The rows after the header (all rows when the file has none)."""
        rows = self.rows()
        if self.dialect.has_header:
            next(rows, None)
        yield from rows


def iter_rows(
    stream: BinaryIO, encoding: str, delimiter: str, quotechar: str, has_header: bool
) -> Iterator[list[str]]:
    """The data rows of a CSV (after the header), streamed: what per-row submission sends."""
    return CsvReader(stream, Dialect(encoding, delimiter, quotechar, has_header)).data_rows()
