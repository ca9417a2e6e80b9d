"""The one reader: what the check accepts, per-row submission reads row for row as Python's csv does.

Each finding of the CSV issue has a test here; the property tests compare random files with
`csv.reader` (files opened with newline="", blank rows skipped as csv.DictReader skips them).
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchgui.domain import csv_reader
from batchgui.domain.csv_plan import Inspection, inspect_csv, iter_rows


def inspect(data: bytes, **kwargs: object) -> Inspection:
    return inspect_csv(io.BytesIO(data), len(data), **kwargs)  # type: ignore[arg-type]


def sent(data: bytes, inspection: Inspection) -> list[list[str]]:
    """The rows per-row submission sends for `data` as the check read it."""
    return list(
        iter_rows(
            io.BytesIO(data),
            inspection.encoding,
            inspection.delimiter,
            inspection.quotechar,
            inspection.has_header,
        )
    )


def python_csv(data: bytes, inspection: Inspection) -> list[list[str]]:
    """Python's csv module on the same file and dialect: the rows after the header."""
    text = data.decode(inspection.encoding)
    if inspection.encoding != "utf-8-sig":
        text = text.removeprefix("\ufeff")
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=inspection.delimiter, quotechar=inspection.quotechar
    )
    rows = [row for row in reader if row]
    return rows[1:] if inspection.has_header else rows


# --- the findings, one test each -----------------------------------------------------------------


def test_a_bare_cr_inside_a_line_is_a_line_end_for_check_and_submission_alike() -> None:
    data = b"id,name\n1,a\r2,b\n3,c\n"
    result = inspect(data)
    assert result.ok
    assert result.rows == 3
    assert sent(data, result) == python_csv(data, result) == [["1", "a"], ["2", "b"], ["3", "c"]]


def test_a_field_over_the_size_limit_is_refused_by_the_check_and_never_raises_at_submit() -> None:
    big = "x" * (csv.field_size_limit() + 10)
    data = f'id,text\n1,"{big}"\n2,y\n'.encode()
    result = inspect(data)
    assert not result.ok
    unreadable = [p for p in result.problems if p.kind == "csv"]
    assert [p.line for p in unreadable] == [2]
    assert "limit" in unreadable[0].message
    assert sent(data, result) == [["2", "y"]]  # the same reader: what it cannot read, it skips


def test_classic_mac_cr_only_files_are_read() -> None:
    data = b"id,name\r1,a\r2,b\r3,c\r"
    result = inspect(data)
    assert result.ok, result.problems
    assert result.rows == 3
    assert not result.problems
    assert sent(data, result) == python_csv(data, result)


def test_a_one_line_file_of_mixed_line_endings_counts_as_csv_counts() -> None:
    lines = [f"{n},v{n}" for n in range(99)]
    ends = ["\r", "\n", "\r\n"]
    data = ("id,value\n" + "".join(line + ends[n % 3] for n, line in enumerate(lines))).encode()
    result = inspect(data)
    expected = python_csv(data, result)
    assert len(expected) == 99
    assert result.rows == 99
    assert sent(data, result) == expected


def test_a_leading_blank_line_does_not_make_the_header_a_data_row() -> None:
    data = b"\nid,name\n1,a\n2,b\n"
    result = inspect(data)
    assert result.header == ["id", "name"]
    assert result.rows == 2
    assert [p for p in result.problems if p.severity == "error"] == []
    assert sent(data, result) == [["1", "a"], ["2", "b"]]


def test_a_file_of_blank_lines_has_no_rows() -> None:
    result = inspect(b"\n\r\n\n\r\n")
    assert not result.ok
    assert result.rows == 0
    assert "no rows" in result.fatal


def test_an_unterminated_quote_is_reported_where_it_opened() -> None:
    data = b'id,name\n1,a\n2,b\n3,"c\n4,d\n5,e\n'
    result = inspect(data)
    assert not result.ok
    opened = [p for p in result.problems if p.kind == "unterminated-quote"]
    assert [p.line for p in opened] == [4]
    assert "never closed" in opened[0].message


def test_a_quote_that_swallows_the_next_line_is_reported_at_its_line() -> None:
    data = b'a,b,c\n1,2,3\n4,"5,6\n7,8"\n9,10,11\n'
    result = inspect(data)
    ragged = [p for p in result.problems if p.kind == "ragged"]
    assert [p.line for p in ragged] == [3]
    assert "opens here and closes on line 4" in ragged[0].message


def test_quoted_newlines_and_a_bom_are_read_as_csv_reads_them() -> None:
    data = b'\xef\xbb\xbfid,text\r\n1,"two\r\nlines"\r\n2,"a ""quote"""\r\n'
    result = inspect(data)
    assert result.ok
    assert result.header == ["id", "text"]
    assert sent(data, result) == python_csv(data, result) == [["1", "two\r\nlines"], ["2", 'a "quote"']]


def test_the_check_uses_csv_s_own_field_size_limit() -> None:
    limit = csv.field_size_limit()
    try:
        csv.field_size_limit(64)
        data = b"id,text\n1," + b"y" * 100 + b"\n"
        result = inspect(data)
        assert [p.kind for p in result.problems] == ["csv"]
    finally:
        csv.field_size_limit(limit)


# --- property tests: random files against Python's csv ------------------------------------------

PIECES = ["a", "bc", "é", "€", "𝄞", ",", ";", '"', "'", "\r", "\n", "\r\n", "\x00", "\ufeff", " ", "\x85"]
WEIGHTED = st.sampled_from(PIECES * 1 + ["a", "bc", ",", "\n"] * 3)


@contextlib.contextmanager
def small_chunks(chunk: int, sample: int) -> Iterator[None]:
    """Many blocks per file, so line ends, quotes and characters fall across block boundaries."""
    with (
        mock.patch.object(csv_reader, "CHUNK_BYTES", chunk),
        mock.patch.object(csv_reader, "SAMPLE_BYTES", sample),
    ):
        yield


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = draw(st.lists(st.sampled_from(["id", "name", "value", "é"]), min_size=1, max_size=4))
    body = "".join(draw(st.lists(WEIGHTED, max_size=200)))
    text = ",".join(header) + draw(st.sampled_from(["\n", "\r", "\r\n"])) + body
    bom = draw(st.booleans())
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=csv_files(), chunk=st.sampled_from([7, 64, 1 << 20]), fast=st.booleans())
def test_every_accepted_file_is_submitted_row_for_row_as_csv_reads_it(
    data: bytes, chunk: int, fast: bool
) -> None:
    with small_chunks(chunk, 64):
        result = inspect(data, fast=fast)
        if not result.ok:
            return
        rows = sent(data, result)
    expected = python_csv(data, result)
    assert rows == expected
    assert result.rows == len(expected)


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(csv_files(), st.binary(max_size=400)),
    encoding=st.sampled_from([None, "utf-8", "utf-8-sig", "cp1252", "latin-1"]),
    header=st.sampled_from([None, True, False]),
    delimiter=st.sampled_from([None, ",", ";", "\t", "|"]),
    chunk=st.sampled_from([5, 64, 1 << 20]),
)
def test_the_check_never_crashes(
    data: bytes, encoding: str | None, header: bool | None, delimiter: str | None, chunk: int
) -> None:
    with small_chunks(chunk, 32):
        result = inspect(data, encoding=encoding, has_header=header, delimiter=delimiter)
        assert result.rows >= 0
        if result.ok:
            assert len(sent(data, result)) == result.rows
