"""Per-row submission sends exactly the rows the check read; failures at submit are plain messages;
failed rows are resubmitted with changes, linked to their first attempt."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from batchgui.aws.errors import translate
from batchgui.domain.csv_plan import (
    DefinitionInfo,
    Overrides,
    PlanInput,
    QueueInfo,
    RetryChanges,
    SplitMode,
    inspect_csv,
    make_plan,
)
from batchgui.domain.errors import BatchGuiError
from batchgui.services.journal import Journal, Unit
from batchgui.services.runner import Runner
from batchgui.services.submission import SubmitFailed, Submitter, new_submission_id, submission_rows

DEFINITION = DefinitionInfo("proc:1", "ACTIVE", "FARGATE", command=("run", "Ref::id", "Ref::text"))


@pytest.fixture
def runner() -> Iterator[Runner]:
    made = Runner(workers=2, translate=translate)
    yield made
    made.close(timeout_s=2)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    made = Journal(tmp_path / "submissions.sqlite3")
    yield made
    made.close()


def per_row(path: Path, sid: str) -> tuple[Any, Any]:
    inspection = inspect_csv(path.open("rb"), path.stat().st_size)
    assert inspection.ok, inspection.problems
    plan = make_plan(
        PlanInput(
            job_name="rows",
            queue=QueueInfo("q"),
            definition=DEFINITION,
            bucket="b",
            key="k.csv",
            rows=inspection.rows,
            columns=tuple(inspection.column_names),
            submission_id=sid,
            mode=SplitMode.PER_ROW,
            column_map={"id": "id", "text": "text"},
        )
    )
    assert plan.ok, plan.errors
    return inspection, plan


def create(run_async: Callable[..., Any], submitter: Submitter, path: Path) -> str:
    sid = new_submission_id()
    inspection, plan = per_row(path, sid)
    run_async(
        submitter.create(
            plan,
            str(path),
            inspection.size,
            "0" * 64,
            rows=lambda: submission_rows(path, inspection.dialect),
        )
    )
    return sid


def test_per_row_requests_carry_the_rows_csv_reads(
    runner: Runner, journal: Journal, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    data = b'id,text\r1,"a\rb"\r\n\n2,plain\r3,"say ""hi"""\n4,\xc3\xa9\r'
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    submitter = Submitter(runner, journal)
    sid = create(run_async, submitter, path)
    items = journal.items(sid)
    sent = [[json.loads(i["request"])["parameters"][k] for k in ("id", "text")] for i in items]
    expected = [r for r in csv.reader(io.StringIO(data.decode(), newline="")) if r][1:]
    assert sent == expected
    assert journal.submission(sid).rows == 4


def test_a_file_that_changed_after_the_check_is_a_plain_message_and_nothing_is_journaled(
    runner: Runner, journal: Journal, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(b"id,text\n1,a\n2,b\n")
    sid = new_submission_id()
    inspection, plan = per_row(path, sid)
    path.write_bytes(b"id,text\n1,a\n")  # edited meanwhile
    submitter = Submitter(runner, journal)
    with pytest.raises(SubmitFailed) as caught:
        run_async(
            submitter.create(
                plan, str(path), 1, "0" * 64, rows=lambda: submission_rows(path, inspection.dialect)
            )
        )
    assert "check counted 2" in caught.value.message()
    assert journal.submissions() == []  # nothing half-made: the same create can run again
    path.write_bytes(b"id,text\n1,a\n2,b\n")
    run_async(
        submitter.create(plan, str(path), 1, "0" * 64, rows=lambda: submission_rows(path, inspection.dialect))
    )
    assert journal.submission(sid).total == 2


def test_a_missing_file_at_submit_is_a_plain_message(
    runner: Runner, journal: Journal, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "gone.csv"
    path.write_bytes(b"id,text\n1,a\n")
    sid = new_submission_id()
    inspection, plan = per_row(path, sid)
    path.unlink()
    with pytest.raises(BatchGuiError) as caught:
        run_async(
            Submitter(runner, journal).create(
                plan, str(path), 1, "0" * 64, rows=lambda: submission_rows(path, inspection.dialect)
            )
        )
    assert "gone.csv" in caught.value.message()
    assert "Resume" in caught.value.message()


def test_failed_rows_are_resubmitted_with_changes_linked_to_the_first_attempt(
    runner: Runner, journal: Journal, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(b"id,text\n1,a\n2,b\n3,c\n")
    submitter = Submitter(runner, journal)
    sid = create(run_async, submitter, path)
    units = [
        Unit(sid, n, -1, f"job-{n}", n, 1, "FAILED" if n == 1 else "SUCCEEDED", 1 if n == 1 else 0)
        for n in range(3)
    ]
    journal.save_units(units)
    failed = [u for u in units if u.status == "FAILED"]
    changes = RetryChanges(
        parameters={"text": "fixed"}, overrides=Overrides(memory_mib=2048, retries=3), definition="proc:2"
    )
    _sub, preview = submitter.retry_requests(sid, failed, "preview", changes)
    [request] = preview
    assert request["jobDefinition"] == "proc:2"
    assert request["parameters"]["text"] == "fixed"
    assert request["parameters"]["id"] == "2"  # the row's own value stays
    assert {"type": "MEMORY", "value": "2048"} in request["containerOverrides"]["resourceRequirements"]
    assert request["retryStrategy"] == {"attempts": 3}

    retry = run_async(submitter.create_retry(sid, failed, changes=changes))
    assert retry.parent_id == sid
    assert retry.definition == "proc:2"
    assert "text=fixed" in retry.changes
    stored = json.loads(journal.items(retry.id)[0]["request"])
    assert stored["parameters"]["text"] == "fixed"
    journal.save_units([Unit(retry.id, 0, -1, "job-new", 1, 1, "SUCCEEDED", 0)])
    history = journal.row_history(retry.id, 1)
    assert [(s.id, u.job_id, u.status) for s, u in history] == [
        (sid, "job-1", "FAILED"),
        (retry.id, "job-new", "SUCCEEDED"),
    ]
    assert journal.row_history(sid, 1) == history  # from either end of the chain
    assert journal.family(retry.id) == [sid, retry.id]
