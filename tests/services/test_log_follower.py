from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from batchgui.aws.logs import LogsGateway
from batchgui.domain.job_logs import LogEvent
from batchgui.services.log_follower import LogFollower, LogState
from batchgui.services.runner import Runner
from tests.support import MotoEndpoint

pytestmark = pytest.mark.timeout(30)
GROUP = "/aws/batch/job"


@pytest.fixture
def runner() -> Iterator[Runner]:
    made = Runner(workers=2)
    yield made
    made.close()


def test_follow_appends_only_new_events(moto: MotoEndpoint, runner: Runner, run_async: Any) -> None:
    client = moto.client("logs")
    client.create_log_group(logGroupName=GROUP)
    seen: list[str] = []
    states: list[LogState] = []
    follower = LogFollower(
        runner,
        LogsGateway(client),
        GROUP,
        "job/stream",
        lambda page: seen.extend(e.message for e in page.events),
        on_state=states.append,
        interval_s=0.05,
    )
    assert run_async(follower.read_new()) is False  # not created yet
    client.create_log_stream(logGroupName=GROUP, logStreamName="job/stream")
    now = int(time.time() * 1000)

    def put(n: int, message: str) -> None:
        client.put_log_events(
            logGroupName=GROUP,
            logStreamName="job/stream",
            logEvents=[{"timestamp": now + n, "message": message}],
        )

    put(0, "first")
    assert run_async(follower.read_new()) is True
    put(1, "second")
    assert run_async(follower.read_new()) is True
    assert run_async(follower.read_new()) is True
    assert seen == ["first", "second"]
    assert follower.events_read == 2
    run_async(follower.run(follow=False))
    assert states == [LogState.READING, LogState.DONE]


def test_missing_stream_is_reported_and_waited_for(
    moto: MotoEndpoint, runner: Runner, run_async: Any
) -> None:
    client = moto.client("logs")
    client.create_log_group(logGroupName=GROUP)
    states: list[LogState] = []
    events: list[LogEvent] = []
    polls = {"n": 0}

    def stop() -> bool:
        polls["n"] += 1
        return polls["n"] >= 3

    follower = LogFollower(
        runner,
        LogsGateway(client),
        GROUP,
        "later",
        lambda page: events.extend(page.events),
        on_state=states.append,
        interval_s=0.01,
    )
    run_async(follower.run(follow=True, should_stop=stop))
    assert LogState.NO_STREAM in states
    assert states[-1] is LogState.NO_STREAM
    assert events == []


def test_a_jobs_log_status_is_the_later_of_describe_and_the_table(run_async: Any) -> None:
    from batchgui.domain.batch import JobStatus, JobSummary
    from batchgui.domain.job_detail import JobDetail
    from batchgui.services.log_follower import JobLogFollow, LogHooks, LogStatus, later_status

    assert later_status(JobStatus.STARTING, JobStatus.RUNNING) is JobStatus.RUNNING
    assert later_status(JobStatus.FAILED, JobStatus.RUNNING) is JobStatus.FAILED
    assert later_status(None, JobStatus.PENDING) is JobStatus.PENDING

    class Stale:
        """A DescribeJobs sent before the job started: STARTING, no stream."""

        async def describe(self, ids: list[str]) -> list[JobDetail]:
            return [JobDetail(JobSummary(ids[0], "j", JobStatus.STARTING))]

    statuses: list[LogStatus] = []
    hooks = LogHooks(lambda _e: None, statuses.append, lambda: False, job_status=lambda: JobStatus.RUNNING)
    run_async(JobLogFollow(Stale(), "j1", hooks).run())  # type: ignore[arg-type]
    assert [s.job_status for s in statuses] == [JobStatus.RUNNING]


def test_the_freeze_policy_is_applied_once_after_the_first_page(
    moto: MotoEndpoint, runner: Runner, run_async: Any
) -> None:
    client = moto.client("logs")
    client.create_log_group(logGroupName=GROUP)
    frozen: list[int] = []
    seen: list[int] = []
    follower = LogFollower(
        runner,
        LogsGateway(client),
        GROUP,
        "job/frozen",
        lambda page: seen.append(len(page.events)),
        freeze=lambda: frozen.append(len(seen)),
    )
    assert run_async(follower.read_new()) is False  # no stream yet: nothing read, nothing frozen
    assert frozen == []
    client.create_log_stream(logGroupName=GROUP, logStreamName="job/frozen")
    client.put_log_events(
        logGroupName=GROUP,
        logStreamName="job/frozen",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "one"}],
    )
    assert run_async(follower.read_new()) is True
    assert run_async(follower.read_new()) is True
    assert frozen == [1]  # once, after the first page was handed on
