from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from batchgui.domain.csv_plan import (
    MAX_LINE_CHARS,
    DefinitionInfo,
    Inspection,
    Overrides,
    PlanInput,
    QueueInfo,
    SplitMode,
    check_fargate,
    cli_command,
    inspect_csv,
    iter_rows,
    make_plan,
)

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample.csv"

PROCESSOR = DefinitionInfo(
    name_revision="csv-row-processor:1",
    status="ACTIVE",
    platform="FARGATE",
    command=(
        "python",
        "-m",
        "proc",
        "--bucket",
        "Ref::bucket",
        "--key",
        "Ref::key",
        "--n",
        "Ref::rows_per_child",
    ),
    parameters={"bucket": "b", "key": "k", "rows_per_child": "50"},
    vcpus="0.25",
    memory_mib="512",
)


def inspect(data: bytes, **kwargs: object) -> Inspection:
    return inspect_csv(io.BytesIO(data), len(data), **kwargs)  # type: ignore[arg-type]


def spec(**changes: object) -> PlanInput:
    base: dict[str, object] = {
        "job_name": "orders",
        "queue": QueueInfo("fargate-queue"),
        "definition": PROCESSOR,
        "bucket": "bucket",
        "key": "in/orders.csv",
        "rows": 400,
        "columns": ("order_id", "customer", "amount"),
        "submission_id": "abc123",
        "mode": SplitMode.ARRAY,
        "rows_per_child": 50,
    }
    base.update(changes)
    return PlanInput(**base)  # type: ignore[arg-type]


# --- inspection -------------------------------------------------------------------------------


def test_sample_file_is_read_with_header_preview_and_count() -> None:
    result = inspect(SAMPLE.read_bytes())
    assert result.ok
    assert result.encoding == "utf-8"
    assert result.delimiter == ","
    assert result.has_header
    assert result.header[0] == "order_id"
    assert result.rows == 400
    assert len(result.preview) == 200
    assert result.problems == []


def test_empty_file_is_refused() -> None:
    result = inspect(b"")
    assert not result.ok
    assert "empty" in result.fatal


def test_header_only_has_no_data_rows() -> None:
    result = inspect(b"id,name,amount\n")
    assert not result.ok
    assert "header but no data rows" in result.fatal


def test_ragged_rows_are_listed_with_line_numbers() -> None:
    result = inspect(b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n")
    assert result.rows == 4
    ragged = [p for p in result.problems if p.kind == "ragged"]
    assert [p.line for p in ragged] == [3, 4]
    assert "expected 3" in ragged[0].message


def test_latin1_file_is_named_and_read_as_cp1252_with_a_warning() -> None:
    data = "name,city\nJosé,Zürich\nRené,Besançon\n".encode("cp1252")
    result = inspect(data)
    assert result.encoding == "cp1252"
    assert "not UTF-8" in result.encoding_note
    assert result.preview[0] == ["José", "Zürich"]


def test_utf8_bom_is_detected_and_stripped() -> None:
    result = inspect(b"\xef\xbb\xbfid,name\n1,x\n")
    assert result.encoding == "utf-8-sig"
    assert result.header == ["id", "name"]


def test_semicolon_and_tab_dialects_are_sniffed() -> None:
    assert inspect(b"a;b;c\n1;2;3\n4;5;6\n").delimiter == ";"
    assert inspect(b"a\tb\tc\n1\t2\t3\n4\t5\t6\n").delimiter == "\t"


def test_quoted_fields_with_newlines_keep_line_numbers() -> None:
    result = inspect(b'id,text\n1,"two\nlines"\n2,x\n3\n')
    assert result.rows == 3
    assert [p.line for p in result.problems if p.kind == "ragged"] == [5]


def test_binary_file_is_refused() -> None:
    result = inspect(bytes(range(256)) * 100)
    assert not result.ok
    assert "not a text file" in result.fatal


def test_nul_bytes_are_reported_on_their_line() -> None:
    result = inspect(b"a,b\n1,2\n3,\x004\n5,6\n")
    nul = [p for p in result.problems if p.kind == "nul"]
    assert [p.line for p in nul] == [3]
    assert result.rows == 3


def test_duplicate_header_names_are_errors() -> None:
    result = inspect(b"id,name,id\n1,2,3\n")
    assert any(p.kind == "duplicate-header" and "'id'" in p.message for p in result.problems)


def test_headerless_file_gets_column_names() -> None:
    result = inspect(b"1,2,3\n4,5,6\n")
    assert not result.has_header
    assert result.rows == 2
    assert result.column_names == ["column_1", "column_2", "column_3"]


def test_empty_cells_are_counted_per_column() -> None:
    result = inspect(b"id,email\n1,a@x\n2,\n3,\n")
    stats = result.empty_in("email")
    assert stats.empty == 2
    assert stats.first_empty_lines == [3, 4]


class _OneLongLine:
    """A 100 MB single line produced chunk by chunk, never held whole."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.largest_read = 0

    def read(self, n: int = -1) -> bytes:
        size = min(n, self.left)
        self.left -= size
        self.largest_read = max(self.largest_read, size)
        return b"x" * size


def test_a_100mb_single_line_is_skipped_without_loading_it() -> None:
    stream = _OneLongLine(100 << 20)
    result = inspect_csv(stream, 100 << 20)  # type: ignore[arg-type]
    assert stream.left == 0
    assert stream.largest_read <= 1 << 20
    assert any(p.kind == "long-line" for p in result.problems)
    assert not result.ok


def test_long_line_in_the_middle_is_reported_and_the_rest_counted() -> None:
    data = b"a,b\n1,2\n" + b"y" * (MAX_LINE_CHARS + 10) + b"\n3,4\n"
    result = inspect(data)
    assert [p.line for p in result.problems if p.kind == "long-line"] == [3]
    assert result.rows == 2


def test_progress_and_cancel() -> None:
    data = SAMPLE.read_bytes() * 100
    seen: list[int] = []
    result = inspect(data, progress=seen.append, cancelled=lambda: len(seen) > 0)
    assert result.cancelled
    assert not result.ok


def test_iter_rows_streams_data_rows() -> None:
    rows = list(iter_rows(io.BytesIO(b"a,b\n1,2\n3,4\n"), "utf-8", ",", '"', has_header=True))
    assert rows == [["1", "2"], ["3", "4"]]


# --- planning ---------------------------------------------------------------------------------


def test_array_plan_is_one_call_with_ceil_size() -> None:
    plan = make_plan(spec(rows=401))
    assert plan.ok, plan.errors
    assert plan.call_count == 1
    request = plan.jobs[0].request
    assert request["arrayProperties"] == {"size": 9}
    assert request["parameters"]["rows_per_child"] == "50"
    assert request["parameters"]["bucket"] == "bucket"
    assert request["tags"]["batchgui:submission"] == "abc123"


def test_array_over_10000_proposes_bigger_n_or_several_jobs() -> None:
    plan = make_plan(spec(rows=25_000, rows_per_child=1))
    assert not plan.ok
    assert "3 rows per child" in plan.errors[0]
    assert "3 array jobs" in plan.errors[0]
    several = make_plan(
        spec(
            rows=25_000,
            rows_per_child=1,
            several_arrays=True,
            definition=DefinitionInfo(**{**PROCESSOR.__dict__, "parameters": {"first_row": "0"}}),
        )
    )
    assert several.ok, several.errors
    assert [j.request["arrayProperties"]["size"] for j in several.jobs] == [10_000, 10_000, 5_000]
    assert [j.request["parameters"]["first_row"] for j in several.jobs] == ["0", "10000", "20000"]


def test_one_child_is_a_plain_job() -> None:
    plan = make_plan(spec(rows=10, rows_per_child=50))
    assert "arrayProperties" not in plan.jobs[0].request


def test_whole_file_is_one_job() -> None:
    plan = make_plan(spec(mode=SplitMode.WHOLE))
    assert plan.call_count == 1
    assert "arrayProperties" not in plan.jobs[0].request


def test_per_row_maps_columns_to_parameters_and_warns_above_1000() -> None:
    definition = DefinitionInfo("d:1", "ACTIVE", "EC2", command=("run", "Ref::order", "Ref::who"))
    plan = make_plan(
        spec(
            mode=SplitMode.PER_ROW,
            rows=1500,
            definition=definition,
            column_map={"order": "order_id", "who": "customer"},
        )
    )
    assert plan.ok, plan.errors
    assert plan.call_count == 1500
    assert any("array job" in w for w in plan.warnings)
    request = plan.request_for_row(7, ["ORD-1", "Acme", "1.0"])
    assert request["parameters"] == {"order": "ORD-1", "who": "Acme"}
    assert request["jobName"].endswith("-r7")


def test_mapped_column_with_empty_values_is_an_error() -> None:
    definition = DefinitionInfo("d:1", "ACTIVE", "EC2", command=("run", "Ref::order"))
    plan = make_plan(
        spec(
            mode=SplitMode.PER_ROW,
            definition=definition,
            column_map={"order": "customer"},
            empty_counts={"customer": 3},
        )
    )
    assert any("empty on 3" in e for e in plan.errors)


def test_unfilled_parameter_is_an_error() -> None:
    definition = DefinitionInfo("d:1", "ACTIVE", "EC2", command=("run", "Ref::threshold"))
    plan = make_plan(spec(definition=definition))
    assert any("threshold" in e and "nothing fills" in e for e in plan.errors)
    typed = make_plan(spec(definition=definition, parameters={"threshold": "5"}))
    assert typed.ok
    assert typed.jobs[0].request["parameters"]["threshold"] == "5"


def test_disabled_queue_and_inactive_definition_are_errors() -> None:
    plan = make_plan(spec(queue=QueueInfo("q", state="DISABLED")))
    assert any("DISABLED" in e for e in plan.errors)
    inactive = DefinitionInfo(**{**PROCESSOR.__dict__, "status": "INACTIVE"})
    assert any("INACTIVE" in e for e in make_plan(spec(definition=inactive)).errors)


def test_fargate_sizes_are_checked() -> None:
    assert check_fargate("1", 2048) == ""
    assert "not allowed" in check_fargate("1", 1024)
    assert "vCPU must be one of" in check_fargate("3", 4096)
    plan = make_plan(spec(overrides=Overrides(vcpus="0.25", memory_mib=4096)))
    assert any("Fargate" in e for e in plan.errors)


def test_overrides_go_into_the_request() -> None:
    plan = make_plan(
        spec(
            overrides=Overrides(
                environment={"MODE": "fast"},
                vcpus="0.5",
                memory_mib=1024,
                retries=3,
                timeout_s=600,
                tags={"team": "data"},
                depends_on=("job-1",),
            )
        )
    )
    assert plan.ok, plan.errors
    request = plan.jobs[0].request
    env = {e["name"]: e["value"] for e in request["containerOverrides"]["environment"]}
    assert env["MODE"] == "fast"
    assert {"type": "MEMORY", "value": "1024"} in request["containerOverrides"]["resourceRequirements"]
    assert request["retryStrategy"] == {"attempts": 3}
    assert request["timeout"] == {"attemptDurationSeconds": 600}
    assert request["dependsOn"] == [{"jobId": "job-1"}]
    assert request["tags"]["team"] == "data"
    assert make_plan(spec(overrides=Overrides(timeout_s=10))).errors


def test_cli_command_round_trips_the_request() -> None:
    request = make_plan(spec()).jobs[0].request
    command = cli_command(request, region="us-east-1")
    assert command.startswith("aws batch submit-job --job-name orders-abc123")
    assert "--array-properties '{\"size\":8}'" in command
    params = command.split("--parameters ")[1].split(" --")[0]
    assert json.loads(params.strip("'")) == request["parameters"]


@pytest.mark.parametrize("rate", [45.0, 10.0])
def test_time_at_rate_budget(rate: float) -> None:
    plan = make_plan(
        spec(mode=SplitMode.PER_ROW, rows=900, definition=DefinitionInfo("d:1", "ACTIVE", "EC2"))
    )
    assert plan.seconds_at(rate) == pytest.approx(900 / rate)


# --- the fast path (string methods over whole blocks) agrees with the csv module --------------


def _both_ways(data: bytes, monkeypatch: pytest.MonkeyPatch, chunk: int, **kwargs: object) -> None:
    """Inspect `data` with and without the fast path, in small chunks so many blocks go each way."""
    from batchgui.domain import csv_reader

    monkeypatch.setattr(csv_reader, "SAMPLE_BYTES", 64)
    monkeypatch.setattr(csv_reader, "CHUNK_BYTES", chunk)
    fast = inspect(data, fast=True, **kwargs)
    slow = inspect(data, fast=False, **kwargs)
    assert fast.fatal == slow.fatal
    assert fast.header == slow.header
    assert fast.rows == slow.rows
    assert fast.preview == slow.preview
    assert fast.problem_count == slow.problem_count
    assert fast.problems == slow.problems
    assert fast.columns == slow.columns


def _rows(width: int, count: int, *, empties: bool = False, ragged: bool = False) -> list[list[str]]:
    rows = []
    for n in range(count):
        row = [f"v{n}x{c}" for c in range(width)]
        if empties and n % 7 == 3:
            row[n % width] = ""
        if empties and n % 11 == 5:
            row[0] = row[-1] = ""
        if ragged and n % 13 == 6:
            row = row[:-1] if n % 2 else [*row, "extra"]
        rows.append(row)
    return rows


def _csv(header: list[str], rows: list[list[str]], newline: str = "\n", sep: str = ",") -> str:
    return "".join(sep.join(r) + newline for r in [header, *rows])


CASES = {
    "unquoted": _csv(["a", "b", "c"], _rows(3, 300)),
    "empties": _csv(["a", "b", "c", "d"], _rows(4, 300, empties=True)),
    "ragged": _csv(["a", "b", "c"], _rows(3, 300, ragged=True, empties=True)),
    "crlf": _csv(["a", "b", "c"], _rows(3, 300, empties=True, ragged=True), "\r\n"),
    "semicolon": _csv(["a", "b"], _rows(2, 300, empties=True), sep=";"),
    "one column with blank lines": "name\n"
    + "".join(f"n{i}\n" + ("\n" if i % 9 == 0 else "") for i in range(300)),
    "blank lines": _csv(["a", "b"], _rows(2, 300)).replace("v50x1\n", "v50x1\n\n\r\n"),
    "quoted here and there": _csv(["a", "b", "c"], _rows(3, 300, empties=True))
    .replace("v40x1", '"v40,\nx1"')
    .replace("v200x2", '"say ""hi"""'),
    "quote left open at the end": _csv(["a", "b"], _rows(2, 100)) + '"open,\nrow\n',
    "bare carriage return": _csv(["a", "b"], _rows(2, 200)).replace("v90x0", "v90\rx0"),
    "no trailing newline": _csv(["a", "b", "c"], _rows(3, 300, empties=True)).rstrip("\n"),
    "ends in a separator": _csv(["a", "b", "c"], _rows(3, 300)).rstrip("\n") + ",",
    "non-ascii": _csv(["näme", "städt"], [[f"é{i}", "" if i % 5 == 0 else "ü"] for i in range(300)]),
    "no header, numbers": "".join(f"{i},{i * 2},{'' if i % 6 == 0 else i}\n" for i in range(400)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("chunk", [37, 256, 1 << 20])
def test_fast_path_and_csv_module_agree(name: str, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    text = CASES[name]
    _both_ways(text.encode(), monkeypatch, chunk)
    _both_ways(b"\xef\xbb\xbf" + text.encode(), monkeypatch, chunk)  # with a BOM


@pytest.mark.parametrize("chunk", [41, 300])
def test_fast_path_agrees_on_nul_bytes_bad_bytes_and_long_lines(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from batchgui.domain import csv_reader

    monkeypatch.setattr(csv_reader, "MAX_LINE_CHARS", 200)
    body = _csv(["a", "b", "c"], _rows(3, 300, empties=True)).encode()
    data = body.replace(b"v30x1", b"v30\x00x1").replace(b"v60x1", b"v60\xffx1")
    data = data.replace(b"v90x1", b"v90" + b"y" * 700 + b"x1")
    _both_ways(data, monkeypatch, chunk, encoding="utf-8")
    _both_ways(data, monkeypatch, chunk, encoding="cp1252")


def test_fast_path_agrees_on_random_csv(monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    chooser = random.Random(12)
    pieces = ["a", "bb", "", ",", '"', '""', "\n", "\r\n", "é", " ", ";", "\r"]
    weights = [30, 20, 10, 25, 1, 1, 12, 3, 2, 2, 1, 0.2]
    for _ in range(60):
        text = "h1,h2,h3\n" + "".join(chooser.choices(pieces, weights, k=600))
        _both_ways(text.encode(), monkeypatch, chooser.choice([17, 64, 200]))


def test_fast_path_is_taken_for_unquoted_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    from batchgui.domain import csv_check, csv_reader

    monkeypatch.setattr(csv_reader, "SAMPLE_BYTES", 64)
    monkeypatch.setattr(csv_reader, "CHUNK_BYTES", 256)
    taken: list[int] = []
    original = csv_check._RowChecker._fast_block

    def spy(self: csv_check._RowChecker, piece: csv_reader.Lines) -> None:
        taken.append(len(piece.block.lines))
        original(self, piece)

    monkeypatch.setattr(csv_check._RowChecker, "_fast_block", spy)
    result = inspect(CASES["ragged"].encode())
    assert taken
    assert sum(taken) > 200
    assert result.rows == 300
    assert sum(p.kind == "ragged" for p in result.problems) == 23
