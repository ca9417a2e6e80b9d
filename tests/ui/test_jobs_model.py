from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QPersistentModelIndex, Qt

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.ui.jobs.model import COLUMN_OF, JobsTableModel

pytestmark = pytest.mark.timeout(60)


def job(n: int, status: JobStatus = JobStatus.RUNNING, **fields: Any) -> JobSummary:
    return JobSummary(
        job_id=f"id-{n:05d}",
        name=fields.pop("name", f"job-{n:05d}"),
        status=status,
        queue="q",
        job_definition="arn:aws:batch:us-east-1:1:job-definition/def:3",
        created_at=1_000_000 + n,
        **fields,
    )


def names(model: JobsTableModel) -> list[str]:
    return [j.name for j in model.visible_jobs()]


def test_model_passes_qt_model_tester(qtmodeltester: Any) -> None:
    model = JobsTableModel(flush_ms=0)
    model.upsert(job(n) for n in range(20))
    model.flush()
    qtmodeltester.check(model)
    model.sort(COLUMN_OF["Name"], Qt.SortOrder.DescendingOrder)
    model.upsert([job(n, JobStatus.SUCCEEDED) for n in range(0, 20, 3)] + [job(50)])
    model.flush()
    model.set_status_filter(JobStatus.SUCCEEDED)
    model.set_filter_text("job-0000")
    qtmodeltester.check(model)


def test_upserts_are_buffered_until_flush() -> None:
    model = JobsTableModel()
    model.upsert([job(1), job(2)])
    assert model.rowCount() == 0
    assert model.pending == 2
    model.flush()
    assert model.rowCount() == 2
    assert model.index(0, COLUMN_OF["Definition"]).data() == "def:3"


def test_sort_each_way_keeps_empty_values_last() -> None:
    model = JobsTableModel()
    model.upsert([job(1, exit_code=3), job(2), job(3, exit_code=0)])
    model.flush()
    model.sort(COLUMN_OF["Exit code"], Qt.SortOrder.AscendingOrder)
    assert names(model) == ["job-00003", "job-00001", "job-00002"]
    model.sort(COLUMN_OF["Exit code"], Qt.SortOrder.DescendingOrder)
    assert names(model) == ["job-00001", "job-00003", "job-00002"]


def test_new_rows_merge_into_a_sorted_view() -> None:
    model = JobsTableModel()
    model.upsert(job(n) for n in range(0, 100, 2))
    model.flush()
    model.sort(COLUMN_OF["Created"], Qt.SortOrder.DescendingOrder)
    model.upsert(job(n) for n in range(1, 100, 2))
    model.flush()
    assert names(model) == [f"job-{n:05d}" for n in range(99, -1, -1)]


def test_status_tabs_count_and_filter() -> None:
    model = JobsTableModel()
    model.upsert([job(1), job(2, JobStatus.FAILED), job(3, JobStatus.FAILED)])
    model.flush()
    assert model.counts()[JobStatus.FAILED] == 2
    assert model.counts()[JobStatus.RUNNING] == 1
    model.set_status_filter(JobStatus.FAILED)
    assert names(model) == ["job-00002", "job-00003"]
    model.upsert([job(1, JobStatus.FAILED)])
    model.flush()
    assert model.counts()[JobStatus.FAILED] == 3
    assert model.counts()[JobStatus.RUNNING] == 0
    assert model.rowCount() == 3


def test_text_filter_matches_name_id_and_definition() -> None:
    model = JobsTableModel()
    model.upsert([job(1, name="alpha"), job(2, name="beta"), job(3, name="Alphabet")])
    model.flush()
    model.set_filter_text("ALPHA")
    assert names(model) == ["alpha", "Alphabet"]
    model.set_filter_text("id-00002")
    assert names(model) == ["beta"]
    model.set_filter_text("def:3 beta")
    assert names(model) == ["beta"]
    model.set_filter_text("")
    assert model.rowCount() == 3


def test_status_change_keeps_selection_and_current_row(qapp: Any) -> None:
    model = JobsTableModel()
    model.upsert(job(n) for n in range(100))
    model.flush()
    model.sort(COLUMN_OF["Status"], Qt.SortOrder.AscendingOrder)
    selection = QItemSelectionModel(model)
    target = model.row_of("id-00050")
    selection.setCurrentIndex(
        model.index(target, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    kept = QPersistentModelIndex(model.index(target, 0))
    model.upsert([job(50, JobStatus.SUCCEEDED), job(10, JobStatus.FAILED)])
    model.flush()
    assert model.job_at(selection.currentIndex()) == job(50, JobStatus.SUCCEEDED)
    assert model.job_at(model.index(kept.row(), 0)).job_id == "id-00050"  # type: ignore[union-attr]
    assert [model.job_at(i).job_id for i in selection.selectedRows()] == ["id-00050"]  # type: ignore[union-attr]
    assert names(model)[-2:] == ["job-00050", "job-00010"]


def test_details_add_columns() -> None:
    model = JobsTableModel()
    model.upsert([job(1)])
    detail = JobDetail.from_api(
        {
            "jobId": "id-00001",
            "jobName": "job-00001",
            "status": "FAILED",
            "jobQueue": "arn:aws:batch:us-east-1:1:job-queue/q",
            "jobDefinition": "arn:aws:batch:us-east-1:1:job-definition/def:3",
            "attempts": [{"container": {"exitCode": 2}}, {"container": {"exitCode": 1}}],
            "platformCapabilities": ["FARGATE"],
            "createdAt": 1_000_001,
        }
    )
    model.set_details([detail])
    model.flush()
    assert model.index(0, COLUMN_OF["Attempts"]).data() == "2"
    assert model.index(0, COLUMN_OF["Platform"]).data() == "FARGATE"
    assert model.index(0, COLUMN_OF["Exit code"]).data() == "1"
    assert model.counts()[JobStatus.FAILED] == 1


def test_unchanged_upsert_emits_nothing() -> None:
    model = JobsTableModel()
    model.upsert([job(1)])
    model.flush()
    seen: list[int] = []
    model.dataChanged.connect(lambda *_: seen.append(1))
    model.layoutChanged.connect(lambda *_: seen.append(2))
    model.upsert([replace(job(1))])
    model.flush()
    assert seen == []


def _reference_order(model: JobsTableModel, title: str, descending: bool) -> list[str]:
    """The order a plain sort by the column's own key gives: empty values last both ways, ties in
    arrival order (read backwards when descending, as the model does)."""
    column = model.columns[COLUMN_OF[title]]
    jobs = model.all_jobs()
    keyed = [(column.key(j, model.detail(j.job_id)), n, j.job_id) for n, j in enumerate(jobs)]
    filled = [k for k in keyed if k[0] is not None and k[0] != ""]
    empty = [k for k in keyed if k[0] is None or k[0] == ""]
    filled.sort(key=lambda k: (k[0], k[1]))
    if descending:
        filled.reverse()
        empty.reverse()
    return [k[2] for k in filled + empty]


def test_sorts_follow_updates_to_cached_keys(qtmodeltester: Any) -> None:
    """Sort keys are cached per column; later upserts must keep every cached column right."""
    import random

    shuffle = random.Random(5)
    model = JobsTableModel()
    model.upsert(
        job(n, shuffle.choice(list(JobStatus)), exit_code=shuffle.choice([None, 0, 1, 2])) for n in range(300)
    )
    model.flush()
    titles = ["Name", "Status", "Exit code", "Created", "Status reason", "Duration"]
    for title in titles:  # fill the caches of several columns
        model.sort(COLUMN_OF[title], Qt.SortOrder.AscendingOrder)
    for round_number in range(4):
        changes = [
            job(
                n,
                shuffle.choice(list(JobStatus)),
                exit_code=shuffle.choice([None, 0, 7]),
                status_reason=shuffle.choice(["", "b", "A"]),
                started_at=1_000,
                stopped_at=shuffle.choice([None, 2_000, 9_000]),
            )
            for n in shuffle.sample(range(400), 60)  # some new, most known
        ]
        model.upsert(changes)
        model.flush()
        for title in titles:
            for order in (Qt.SortOrder.DescendingOrder, Qt.SortOrder.AscendingOrder):
                model.sort(COLUMN_OF[title], order)
                expected = _reference_order(model, title, order == Qt.SortOrder.DescendingOrder)
                assert [j.job_id for j in model.visible_jobs()] == expected, (round_number, title, order)
    qtmodeltester.check(model)


def test_same_sort_twice_keeps_the_order_and_signals_nothing() -> None:
    model = JobsTableModel()
    model.upsert(job(n) for n in range(10))
    model.flush()
    model.sort(COLUMN_OF["Created"], Qt.SortOrder.DescendingOrder)
    before = names(model)
    seen: list[int] = []
    model.layoutChanged.connect(lambda *_: seen.append(1))
    model.sort(COLUMN_OF["Created"], Qt.SortOrder.DescendingOrder)
    assert names(model) == before
    assert seen == []


def test_idle_key_computation_covers_every_row(qapp: Any) -> None:
    model = JobsTableModel(flush_ms=0)
    model.upsert(job(n, name=f"n{(n * 37) % 101:03d}") for n in range(101))
    model.flush()
    while model._warm_timer.isActive():  # the idle slices, run by hand
        model._warm_timer.stop()
        model._warm_keys()
    assert all(len(model._key_cache[c]) == 101 for c in range(len(model.columns)))
    model.sort(COLUMN_OF["Name"], Qt.SortOrder.AscendingOrder)
    assert names(model) == sorted(names(model))
    model.upsert([job(500, name="a-first")])
    model.flush()
    assert names(model)[0] == "a-first"


def test_many_selected_rows_stay_selected_across_a_sort(qapp: Any) -> None:
    model = JobsTableModel()
    model.upsert(job(n, name=f"job-{(n * 7) % 50:05d}") for n in range(50))
    model.flush()
    selection = QItemSelectionModel(model)
    for row in range(0, 40, 2):  # twenty separate ranges: the one-pass remapping path
        selection.select(
            model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    chosen = {model.job_at(i).job_id for i in selection.selectedRows()}  # type: ignore[union-attr]
    assert len(chosen) == 20
    model.sort(COLUMN_OF["Name"], Qt.SortOrder.DescendingOrder)
    assert {model.job_at(i).job_id for i in selection.selectedRows()} == chosen  # type: ignore[union-attr]
    model.sort(COLUMN_OF["Created"], Qt.SortOrder.AscendingOrder)
    assert {model.job_at(i).job_id for i in selection.selectedRows()} == chosen  # type: ignore[union-attr]


def test_a_reload_with_a_filter_active_shows_each_matching_job_once() -> None:
    """F5 with a local filter: the model was cleared and refilled while the filter stayed on; the
    table said "45 of 44 jobs", showed rows that did not match and the same job id twice."""
    model = JobsTableModel(flush_ms=0)
    rows = [job(n, name=f"{'match' if n % 4 == 0 else 'other'}-{n}") for n in range(44)]
    model.upsert(rows)
    model.flush()
    model.set_filter_text("match")
    assert model.rowCount() == 11
    model.clear()
    model.upsert(rows)
    model.flush()
    shown = model.visible_jobs()
    assert model.total() == 44
    assert model.rowCount() == 11
    assert all("match" in j.name for j in shown)
    assert len({j.job_id for j in shown}) == len(shown)


def test_add_all_into_an_empty_model_is_one_reset_and_keeps_the_sort() -> None:
    model = JobsTableModel()
    model.sort(COLUMN_OF["Name"], Qt.SortOrder.DescendingOrder)
    resets, inserts = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda *_: inserts.append(1))
    model.add_all([job(n, name=f"n{n:03d}") for n in range(300)])
    assert resets == [1]
    assert inserts == []
    assert model.pending == 0
    assert model.rowCount() == 300
    assert names(model)[:2] == ["n299", "n298"]
    model.add_all([job(1, name="renamed"), job(400, name="n400")])  # rows held: upserts
    model.flush()
    assert model.total() == 301
    assert names(model)[0] == "renamed"


def test_array_column_sorts_parents_by_size_and_children_by_index_after_a_bulk_load() -> None:
    model = JobsTableModel(flush_ms=0)
    model.add_all(
        [
            job(1, array_size=50),
            job(2),
            job(3, array_index=7),
            job(4, array_size=3),
            job(5, array_index=20),
        ]
    )
    model.sort(COLUMN_OF["Array"], Qt.SortOrder.AscendingOrder)
    assert names(model) == ["job-00004", "job-00003", "job-00005", "job-00001", "job-00002"]
    # A change keeps the order right: a plain job becomes a 10-child array.
    model.upsert([job(2, array_size=10)])
    model.flush()
    assert names(model) == ["job-00004", "job-00003", "job-00002", "job-00005", "job-00001"]
    model.sort(COLUMN_OF["Array"], Qt.SortOrder.DescendingOrder)
    assert names(model) == ["job-00001", "job-00005", "job-00002", "job-00003", "job-00004"]


def test_going_back_to_a_sorted_column_merges_the_rows_added_since_and_equals_a_full_sort(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import batchgui.ui.jobs.model as model_module

    sorts: list[int] = []
    real_sort_order = model_module.sort_order  # type: ignore[attr-defined]

    def counting(*args: Any) -> Any:
        sorts.append(1)
        return real_sort_order(*args)

    monkeypatch.setattr(model_module, "sort_order", counting)
    model = JobsTableModel(flush_ms=0)
    model.add_all([job(n, name=f"n{(n * 37) % 101:03d}") for n in range(100)])
    model.sort(COLUMN_OF["Name"], Qt.SortOrder.AscendingOrder)
    model.sort(COLUMN_OF["Created"], Qt.SortOrder.DescendingOrder)
    assert len(sorts) == 2
    # Rows added while sorted by Created (no Name key of a held row changed): going back to Name
    # takes its kept order and merges the new rows in, no sort of every row.
    model.upsert([job(n, name=f"n{(n * 37) % 101:03d}") for n in range(100, 110)])
    model.flush()
    model.sort(COLUMN_OF["Name"], Qt.SortOrder.AscendingOrder)
    assert len(sorts) == 2
    expected = JobsTableModel(flush_ms=0)
    expected.add_all(model.all_jobs())
    expected.sort(COLUMN_OF["Name"], Qt.SortOrder.AscendingOrder)
    assert names(model) == names(expected)
    # Back to Created, descending: its kept order, with the ten new rows merged in.
    sorts.clear()
    model.sort(COLUMN_OF["Created"], Qt.SortOrder.DescendingOrder)
    assert sorts == []
    assert [j.created_at for j in model.visible_jobs()] == sorted(
        (j.created_at or 0 for j in model.all_jobs()), reverse=True
    )


def test_a_changed_key_drops_that_columns_kept_order() -> None:
    model = JobsTableModel(flush_ms=0)
    model.add_all([job(n, name=f"n{n:03d}") for n in range(50)])
    model.sort(COLUMN_OF["Name"], Qt.SortOrder.AscendingOrder)
    model.sort(COLUMN_OF["Created"], Qt.SortOrder.AscendingOrder)
    model.upsert([job(3, name="a-first"), job(7, name="zz-last"), job(60, name="n025b")])
    model.flush()
    model.sort(COLUMN_OF["Name"], Qt.SortOrder.AscendingOrder)
    shown = names(model)
    assert shown == sorted(shown)
    assert shown[0] == "a-first"
    assert shown[-1] == "zz-last"
    assert shown.index("n025b") == shown.index("n025") + 1
    assert model.total() == 51


def test_a_block_built_on_another_thread_is_taken_with_its_sort() -> None:
    import threading

    jobs = [job(n, name=f"n{(n * 13) % 97:03d}") for n in range(97)] + [job(5, name="again")]
    model = JobsTableModel(flush_ms=0)
    model.sort(COLUMN_OF["Name"], Qt.SortOrder.DescendingOrder)
    build = model.block_builder()
    blocks = []
    worker = threading.Thread(target=lambda: blocks.append(build(jobs)))
    worker.start()
    worker.join()
    (block,) = blocks
    assert block.sort == (COLUMN_OF["Name"], True)
    model.add_block(block)
    assert model.total() == 97
    assert model.job("id-00005").name == "again"  # type: ignore[union-attr]
    shown = names(model)
    assert shown == sorted(shown, reverse=True)
    assert model.counts()[JobStatus.RUNNING] == 97
    # Sorted for another column than the table's now: the table sorts it itself.
    other = JobsTableModel(flush_ms=0)
    other.sort(COLUMN_OF["Created"], Qt.SortOrder.AscendingOrder)
    other.add_block(build(jobs))
    assert [j.created_at for j in other.visible_jobs()] == sorted(j.created_at or 0 for j in jobs[:97])


def test_detail_columns_sort_the_described_rows_and_leave_the_others_last() -> None:
    from batchgui.domain.job_detail import Attempt

    def tries(count: int) -> tuple[Attempt, ...]:
        return tuple(Attempt(None, None, None, "", "") for _ in range(count))

    model = JobsTableModel(flush_ms=0)
    model.add_all([job(n) for n in range(30)])
    model.set_details(
        [
            JobDetail(job(4), attempts=tries(3), platform="FARGATE"),
            JobDetail(job(9), attempts=tries(1), platform="EC2"),
        ]
    )
    model.flush()
    model.sort(COLUMN_OF["Attempts"], Qt.SortOrder.AscendingOrder)
    ids = [j.job_id for j in model.visible_jobs()]
    assert ids[:2] == ["id-00009", "id-00004"]
    assert len(ids) == 30
    model.sort(COLUMN_OF["Attempts"], Qt.SortOrder.DescendingOrder)
    assert [j.job_id for j in model.visible_jobs()][:2] == ["id-00004", "id-00009"]
    model.sort(COLUMN_OF["Platform"], Qt.SortOrder.AscendingOrder)
    assert [j.job_id for j in model.visible_jobs()][:2] == ["id-00009", "id-00004"]
    # A detail that arrives later moves its row.
    model.set_details([JobDetail(job(20), attempts=tries(2), platform="AAA")])
    model.flush()
    assert [j.job_id for j in model.visible_jobs()][:3] == ["id-00020", "id-00009", "id-00004"]


def test_a_block_into_a_table_that_holds_rows_applies_only_what_differs() -> None:
    model = JobsTableModel(flush_ms=0)
    model.add_all([job(n) for n in range(50)])
    again = [job(n) for n in range(50)]
    again[3] = job(3, name="renamed")
    again[7] = job(7, JobStatus.FAILED)
    again[9] = job(9, stopped_at=5)
    block = model.block_builder()([*again, job(60), job(61)])
    model.add_block(block)
    assert model.pending == 5  # three changed, two new; the 47 unchanged rows are not upserted
    model.flush()
    assert model.total() == 52
    assert model.job("id-00003").name == "renamed"  # type: ignore[union-attr]
    assert model.job("id-00007").status is JobStatus.FAILED  # type: ignore[union-attr]
    assert model.job("id-00009").stopped_at == 5  # type: ignore[union-attr]
