"""The estimated cost in the Jobs table (a column), in a job's details, and in the CSV wizard's Review:
always labelled an estimate, with the prices' date."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

import pytest

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.csv_plan import DefinitionInfo, Plan, PlanInput, QueueInfo, SplitMode
from batchgui.domain.job_detail import Attempt, JobDetail
from batchgui.domain.pricing import CostEstimate
from batchgui.services.pricing import PricingService, RunEstimate, snapshot_book
from batchgui.ui.csv_wizard.cost_estimate import CostLine
from batchgui.ui.jobs.cost import COLUMN_TITLE, InstanceLookup
from batchgui.ui.jobs.details import JobDetailsView, details_html
from batchgui.ui.jobs.model import COLUMN_OF, JobsTableModel
from tests.ui.test_runnable_pane import spawner

ARN = "arn:aws:batch:us-east-1:123456789012:job/j-1"
HALF_HOUR_MS = 1_800_000


def fargate_job(stopped: int | None = HALF_HOUR_MS) -> JobDetail:
    summary = JobSummary(
        "j-1", "render", JobStatus.SUCCEEDED, job_arn=ARN, queue="q", started_at=0, stopped_at=stopped
    )
    attempts = (Attempt(0, stopped, 0, "", ""),)
    return JobDetail(summary, attempts, vcpus="2", memory_mib="4096", platform="FARGATE")


def test_cost_column_shows_the_estimate_and_sorts_by_it(qtmodeltester: Any) -> None:
    model = JobsTableModel(flush_ms=0)
    qtmodeltester.check(model)
    detail = fargate_job()
    cheap = JobDetail(
        JobSummary("j-2", "tiny", JobStatus.SUCCEEDED, job_arn=ARN.replace("j-1", "j-2"), started_at=0),
        (Attempt(0, 60_000, 0, "", ""),),
        vcpus="0.25",
        memory_mib="512",
        platform="FARGATE",
    )
    model.upsert([detail.summary, cheap.summary, JobSummary("j-3", "waiting", JobStatus.RUNNABLE)])
    model.set_details([detail, cheap])
    model.flush()
    column = COLUMN_OF[COLUMN_TITLE]
    texts = {model.index(r, 0).data(): model.index(r, column).data() for r in range(3)}
    # 2 vCPU x $0.04048 x 0.5 h + 4 GB x $0.004445 x 0.5 h = $0.04937
    assert texts == {"render": "~$0.049", "tiny": "~$0.00021", "waiting": ""}
    model.sort(column)
    assert [model.index(r, 0).data() for r in range(3)] == ["tiny", "render", "waiting"]
    qtmodeltester.check(model)


def test_details_say_it_is_an_estimate_with_the_prices_date() -> None:
    html = details_html(fargate_job())
    assert "about $0.049 — an estimate (Fargate; prices: shipped price snapshot, 2024)" in html
    running = details_html(fargate_job(stopped=None))
    assert "so far" in running


class StubPricing:
    connected = True

    def __init__(self) -> None:
        self.asked: list[tuple[str, float, float, float, int]] = []

    async def estimate_run(
        self, queue: str, vcpus: float, memory_mib: float, seconds_each: float, jobs: int
    ) -> RunEstimate:
        self.asked.append((queue, vcpus, memory_mib, seconds_each, jobs))
        cost = CostEstimate(0.42 * seconds_each / 20, 0.42 * seconds_each / 20, "Fargate", "2024")
        return RunEstimate(cost, jobs, seconds_each, snapshot_book("us-east-1"))


def test_review_estimate_for_rows_at_seconds_each(qtbot: Any, run_async: Callable[..., Any]) -> None:
    stub = StubPricing()
    tasks: list[asyncio.Task[Any]] = []

    def spawn(coro: Any, _what: str) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        tasks.append(task)
        return task

    line = CostLine(cast(PricingService, stub), spawn)
    qtbot.addWidget(line)
    spec = PlanInput(
        "job",
        QueueInfo("q"),
        DefinitionInfo("def:1", "ACTIVE", "FARGATE", vcpus="0.25", memory_mib="512"),
        "bucket",
        "key",
        10_000,
        ("a",),
        "sub-1",
        mode=SplitMode.ARRAY,
        rows_per_child=100,
    )
    line.seconds.setValue(20)
    line.show_plan(Plan(spec))
    run_async(asyncio.gather(*tasks))
    assert stub.asked[-1] == ("q", 0.25, 512.0, 2000.0, 100)  # 100 children of 100 rows at 20 s
    text = line.label.text()
    assert "about $42" in text
    assert "for 10,000 rows (100 jobs of 0.25 vCPU, 0.5 GB) — an estimate" in text
    assert "prices: shipped price snapshot, 2024" in text


@pytest.mark.parametrize("mode", [SplitMode.PER_ROW, SplitMode.WHOLE])
def test_review_estimate_shapes(mode: SplitMode) -> None:
    from batchgui.domain.pricing import run_shape

    spec = PlanInput(
        "job", QueueInfo("q"), DefinitionInfo("d:1", "ACTIVE", "EC2"), "b", "k", 50, ("a",), "s", mode=mode
    )
    shape = run_shape(spec)
    assert (shape.jobs, shape.rows_each) == ((50, 1) if mode is SplitMode.PER_ROW else (1, 50))
    assert (shape.vcpus, shape.memory_mib) == (1.0, 512.0)


class StubInstances:
    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    async def instance_types(self, arns: list[str], cluster: str = "") -> dict[str, str]:
        self.asked.append(arns)
        return {a: "m5.large" for a in arns}


def ec2_job(job_id: str, instance: str, hours: int = 1) -> JobDetail:
    """A finished EC2 job of 1 vCPU and 2 GiB that ran `hours` on container instance `instance`."""
    summary = JobSummary(
        job_id, "ec2", JobStatus.SUCCEEDED, job_arn=ARN, queue="q", started_at=0, stopped_at=1
    )
    raw = {"attempts": [{"container": {"containerInstanceArn": instance}}]}
    attempts = (Attempt(0, hours * 3_600_000, 0, "", ""),)
    return JobDetail(summary, attempts, vcpus="1", memory_mib="2048", platform="EC2", raw=raw)


def served_details(qtbot: Any) -> tuple[JobDetailsView, StubInstances, list[asyncio.Task[Any]]]:
    """A details view whose EC2 jobs' instance types are looked up on a stub, and the lookups' tasks."""
    details = JobDetailsView()
    qtbot.addWidget(details)
    stub = StubInstances()
    tasks: list[asyncio.Task[Any]] = []
    InstanceLookup(cast(PricingService, stub), spawner(tasks)).serve_details(details)
    return details, stub, tasks


def test_details_of_an_ec2_job_show_the_cost_on_the_instance_ecs_names(
    qtbot: Any, run_async: Callable[..., Any]
) -> None:
    instance = "arn:aws:ecs:us-east-1:123456789012:container-instance/c/i-1"
    detail = ec2_job("j-9", instance, hours=2)
    details, stub, tasks = served_details(qtbot)
    details.show_detail(detail)
    assert "instance type not known" in details.text()
    assert len(tasks) == 1
    run_async(tasks[0])
    assert stub.asked == [[instance]]
    # Half of m5.large ($0.096 an hour: 1 of 2 vCPU, 2 of 8 GiB) for two hours.
    assert "about $0.096 — an estimate (EC2 m5.large;" in details.text()


def test_instance_types_are_looked_up_once_per_container_instance(
    qtbot: Any, run_async: Callable[..., Any]
) -> None:
    # Going back and forth between two jobs asked ECS again each time a job was shown.
    first, second = (f"arn:aws:ecs:us-east-1:123456789012:container-instance/c/i-{n}" for n in (1, 2))
    details, stub, tasks = served_details(qtbot)
    for job in (ec2_job("a", first), ec2_job("b", second), ec2_job("a", first), ec2_job("b", second)):
        details.show_detail(job)
        for task in tasks:
            if not task.done():
                run_async(task)
        assert "EC2 m5.large" in details.text()
    assert stub.asked == [[first], [second]]
    assert len(tasks) == 2
