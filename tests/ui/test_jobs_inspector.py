"""The Details / Log pane on stub facades: the log's status never older than the table's row, Follow
on by default while a job runs (the person's choice kept), Details keeping its scroll position."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.services.log_follower import JobLogFollow, LogHooks
from batchgui.ui.jobs.details import JobDetailsView
from batchgui.ui.jobs.panel import JobsPanel
from tests.ui.jobs_stubs import FakeJobs, FakeStore, job, panel_services

pytestmark = pytest.mark.timeout(60)
Wait = Callable[..., None]


class StaleDescribe(FakeJobs):
    """DescribeJobs answers from before the job started: STARTING, no log stream yet."""

    async def describe(self, job_ids: Sequence[str]) -> list[JobDetail]:
        return [JobDetail(JobSummary(i, f"job-{i}", JobStatus.STARTING, queue="q1")) for i in job_ids]

    def follow_log(self, job_id: str, hooks: LogHooks, interval_s: float = 1.0) -> Any:
        return JobLogFollow(cast(Any, self), job_id, hooks, 0.05)


def make_panel(tmp_path: Path, fake: FakeJobs, errors: list[BaseException]) -> JobsPanel:
    return JobsPanel(panel_services(tmp_path, errors), cast(Any, fake), cast(Any, FakeStore(fake)))


def test_log_status_is_never_older_than_the_tables_row(tmp_path: Path, wait_until: Wait) -> None:
    errors: list[BaseException] = []
    fake = StaleDescribe([job("a", JobStatus.RUNNING)])
    panel = make_panel(tmp_path, fake, errors)
    panel.refresh()
    wait_until(lambda: panel.load_count >= 1, what="loaded")
    panel.model.flush()
    wait_until(lambda: "No log yet" in panel.log_view.state_label.text(), what="log state")
    assert "the job is RUNNING" in panel.log_view.state_label.text()
    assert "STARTING" not in panel.log_view.state_label.text()
    # Follow unticked: the state line still follows the table when the row changes.
    panel.log_view.set_following(False)
    fake.jobs["a"] = job("a", JobStatus.SUCCEEDED)
    panel.model.upsert([fake.jobs["a"]])
    panel.model.flush()
    wait_until(
        lambda: "the job is SUCCEEDED" in panel.log_view.state_label.text(), what="state follows the row"
    )
    panel.inspector.cancel()
    assert errors == []
    panel.deleteLater()


def test_follow_is_on_while_a_job_runs_and_the_persons_choice_stays(tmp_path: Path, wait_until: Wait) -> None:
    errors: list[BaseException] = []
    fake = FakeJobs([job("run", JobStatus.RUNNING), job("done", JobStatus.SUCCEEDED)])
    panel = make_panel(tmp_path, fake, errors)
    panel.refresh()
    wait_until(lambda: panel.load_count >= 1, what="loaded")
    panel.model.flush()

    def show(job_id: str) -> None:
        panel.show_job(job_id)
        wait_until(
            lambda: panel.inspector.log is not None and panel.inspector.log.job_id == job_id, what=job_id
        )

    def following() -> bool:
        return panel.log_view.following

    show("run")
    assert following()
    show("done")
    assert not following()
    show("run")
    panel.log_view.set_following(False)  # the person unticks it
    show("done")
    show("run")
    assert not following()  # ...and it stays unticked for that job
    assert errors == []
    panel.deleteLater()


def test_details_keep_their_scroll_position_on_refresh(qapp: Any) -> None:
    environment = tuple((f"VAR_{n}", f"value {n}") for n in range(300))
    detail = JobDetail(job("a", JobStatus.RUNNING), environment=environment, command=("run",))
    view = JobDetailsView()
    view.resize(500, 300)
    view.show()
    view.show_detail(detail)
    qapp.processEvents()
    bar = view.browser.verticalScrollBar()
    assert bar.maximum() > 1000
    bar.setValue(bar.maximum() // 2)
    kept = bar.value()
    for _ in range(3):
        view.show_detail(JobDetail(job("a", JobStatus.RUNNING), environment=environment, command=("run",)))
        qapp.processEvents()
        assert bar.value() == kept
    view.show_detail(JobDetail(job("b", JobStatus.RUNNING), environment=environment))
    qapp.processEvents()
    assert bar.value() == 0  # another job starts at the top
