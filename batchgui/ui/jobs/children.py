"""Array children in the jobs table: which rows are children of which parent, which parents are
expanded, and the rows shown when some are (each expanded parent followed by its children).

Qt-free bookkeeping for JobsTableModel: children are real rows of the model (so actions act on
them), shown under their expanded parent; the status tabs show them among the other rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from batchgui.domain.batch import JobStatus
from batchgui.domain.job_tracking import ArrayProgress, parent_of
from batchgui.ui.jobs.rows import ID, INDEX, MAIN_NODE, NAME, NODES, SIZE, STATUS, JobRows


class ArrayChildren:
    def __init__(self) -> None:
        self.kids: dict[str, list[int]] = {}
        self.expanded: set[str] = set()
        self.status: JobStatus | None = None
        self.progress: dict[str, ArrayProgress] = {}

    def clear(self) -> None:
        """The rows are gone (expanded parents stay expanded when listed again)."""
        self.kids = {}
        self.progress = {}

    def add(self, rows: JobRows, numbers: Iterable[int]) -> None:
        tuples = rows.tuples
        for number in numbers:
            row = tuples[number]
            if row[INDEX] is not None:
                parent = parent_of(row[ID])
                if parent is not None:
                    self.kids.setdefault(parent, []).append(number)

    def rebuild(self, rows: JobRows, dropped: Iterable[str]) -> None:
        """After rows were removed and renumbered."""
        for job_id in dropped:
            self.progress.pop(job_id, None)
            self.expanded.discard(job_id)
        self.kids = {}
        self.add(rows, range(len(rows)))

    def total(self) -> int:
        return sum(len(kids) for kids in self.kids.values())

    def of(self, rows: JobRows, parent_id: str) -> list[int]:
        tuples = rows.tuples
        return sorted(self.kids.get(parent_id, ()), key=lambda n: tuples[n][INDEX] or 0)

    def visible(self, rows: JobRows, parent_id: str, words: Sequence[str]) -> list[int]:
        kids = self.of(rows, parent_id)
        if self.status is not None:
            status, tuples = self.status, rows.tuples
            kids = [n for n in kids if tuples[n][STATUS] is status]
        for word in words:
            kids = rows.matching(kids, word)
        return kids

    def display(self, rows: JobRows, shown: Iterable[int], words: Sequence[str]) -> list[int]:
        """Top-level rows in shown order, each expanded parent followed by its visible children."""
        out: list[int] = []
        tuples, expanded = rows.tuples, self.expanded
        for number in shown:
            out.append(number)
            job_id = tuples[number][ID]
            if job_id in expanded:
                out.extend(self.visible(rows, job_id, words))
        return out

    def name_text(self, rows: JobRows, number: int, displayed: bool) -> str:
        row = rows.tuples[number]
        if row[INDEX] is not None and displayed:
            return f"    #{row[INDEX]}  {row[NAME]}{'  (main node)' if row[MAIN_NODE] else ''}"
        if (row[SIZE] or row[NODES]) is not None and row[INDEX] is None:
            return ("▾ " if row[ID] in self.expanded else "▸ ") + row[NAME]
        return row[NAME]

    def set_progress(self, progress: dict[str, ArrayProgress]) -> bool:
        """New progress texts; whether any changed."""
        changed = {k: v for k, v in progress.items() if self.progress.get(k) != v}
        self.progress.update(changed)
        return bool(changed)
