from __future__ import annotations

import math

import numpy as np
import pytest

from batchgui.domain.batch import ComputeEnvironment, JobQueue, JobStatus, Platform
from batchgui.domain.history import History, throughput_per_minute
from batchgui.domain.job_resources import JobResources, TrackedJob, resources_from_description
from batchgui.domain.samples import (
    QUEUE_FIELDS,
    CapacitySample,
    QueueEvents,
    QueueSample,
    Sample,
    attribute_platforms,
    build_sample,
    memory_field,
    status_field,
    vcpu_field,
)


def ce(name: str, platform: str, max_vcpus: int = 8, desired: int | None = None) -> ComputeEnvironment:
    resources: dict[str, object] = {"type": platform, "maxvCpus": max_vcpus}
    if desired is not None:
        resources["desiredvCpus"] = desired
    return ComputeEnvironment.from_api(
        {
            "computeEnvironmentName": name,
            "computeEnvironmentArn": f"arn:aws:batch:us-east-1:1:compute-environment/{name}",
            "type": "MANAGED",
            "computeResources": resources,
        }
    )


def queue(name: str, *ces: str) -> JobQueue:
    return JobQueue.from_api(
        {
            "jobQueueName": name,
            "jobQueueArn": f"arn:aws:batch:us-east-1:1:job-queue/{name}",
            "priority": 1,
            "computeEnvironmentOrder": [
                {"order": i, "computeEnvironment": f"arn:aws:batch:us-east-1:1:compute-environment/{c}"}
                for i, c in enumerate(ces, start=1)
            ],
        }
    )


def job(  # noqa: PLR0917 - a compact test fixture
    job_id: str,
    status: JobStatus,
    q: str = "q",
    vcpus: float = 1,
    memory: float = 2048,
    caps: tuple[str, ...] = ("FARGATE",),
    created: int = 1000,
    reason: str = "",
) -> TrackedJob:
    return TrackedJob(job_id, job_id, q, status, created, reason, JobResources(vcpus, memory, caps))


def test_resources_come_from_requirements_or_the_legacy_fields() -> None:
    modern = {
        "container": {
            "resourceRequirements": [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}]
        },
        "platformCapabilities": ["FARGATE"],
    }
    assert resources_from_description(modern) == JobResources(0.25, 512.0, ("FARGATE",))
    legacy = {"container": {"vcpus": 2, "memory": 4096}}
    assert resources_from_description(legacy) == JobResources(2.0, 4096.0, ())
    assert resources_from_description({"arrayProperties": {"size": 3}}) == JobResources(0.0, 0.0, ())
    bad = {"container": {"resourceRequirements": [{"type": "VCPU", "value": "lots"}]}}
    assert resources_from_description(bad).vcpus == 0.0


def test_platforms_fill_the_queues_environments_in_order() -> None:
    queues = {"q": queue("q", "fargate", "spot-fargate", "ec2")}
    envs = {
        "fargate": ce("fargate", "FARGATE", 2),
        "spot-fargate": ce("spot-fargate", "FARGATE_SPOT", 4),
        "ec2": ce("ec2", "EC2", 16),
    }
    running = [job(f"j{i}", JobStatus.RUNNING, created=i) for i in range(4)]
    running.append(job("e", JobStatus.RUNNING, caps=("EC2",)))
    placed = attribute_platforms(running, queues, envs)
    assert [placed[f"j{i}"] for i in range(4)] == [
        Platform.FARGATE,
        Platform.FARGATE,
        Platform.FARGATE_SPOT,
        Platform.FARGATE_SPOT,
    ]
    assert placed["e"] is Platform.EC2


def test_platform_falls_back_to_the_jobs_capabilities_without_a_known_queue() -> None:
    placed = attribute_platforms([job("x", JobStatus.RUNNING, q="gone", caps=("EC2",))], {}, {})
    assert placed == {"x": Platform.EC2}


def test_a_sample_counts_statuses_resources_and_the_oldest_runnable_job() -> None:
    queues = [queue("q", "fargate"), queue("empty", "fargate")]
    envs = [ce("fargate", "FARGATE", 8), ce("ec2", "EC2", 32, desired=4)]
    jobs = [
        job("r1", JobStatus.RUNNING, vcpus=1, memory=2048),
        job("r2", JobStatus.RUNNING, vcpus=2, memory=4096),
        job("w1", JobStatus.RUNNABLE, created=5000, reason="waiting for capacity"),
        job("w2", JobStatus.RUNNABLE, created=3000, reason="oldest"),
        job("s", JobStatus.SUBMITTED),
    ]
    sample = build_sample(
        100.0, 5.0, jobs=jobs, queues=queues, environments=envs, events={"q": QueueEvents(3, 2, 1)}
    )
    by_name = {s.queue: s for s in sample.queues}
    q = by_name["q"]
    assert q.count(JobStatus.RUNNING) == 2
    assert q.count(JobStatus.RUNNABLE) == 2
    assert q.count(JobStatus.SUBMITTED) == 1
    assert q.get(vcpu_field(Platform.FARGATE)) == 3
    assert q.get(memory_field(Platform.FARGATE)) == 6144
    assert (q.get("submitted"), q.get("succeeded"), q.get("failed")) == (3, 2, 1)
    assert q.oldest_runnable_job == "w2"
    assert q.oldest_runnable_reason == "oldest"
    assert q.get("oldest_runnable_created") == 3.0
    assert by_name["empty"].count(JobStatus.RUNNING) == 0
    assert math.isnan(by_name["empty"].get("oldest_runnable_created"))
    capacity = {c.environment: c for c in sample.capacity}
    assert capacity["fargate"].max_vcpus == 8
    assert math.isnan(capacity["fargate"].desired_vcpus)
    assert capacity["ec2"].desired_vcpus == 4
    assert capacity["fargate"].queues == ("q", "empty")


def make_sample(t: float, per_queue: dict[str, dict[str, float]], interval: float = 5.0) -> Sample:
    queues = []
    for name, values in per_queue.items():
        row = [0.0] * len(QUEUE_FIELDS)
        row[QUEUE_FIELDS.index("oldest_runnable_created")] = math.nan
        for key, value in values.items():
            row[QUEUE_FIELDS.index(key)] = value
        queues.append(QueueSample(name, tuple(row)))
    capacity = (CapacitySample("ce", Platform.EC2, 16.0, 2.0, ("a",)),)
    return Sample(t, interval, tuple(queues), capacity)


def test_history_sums_the_selected_queues_as_samples_arrive() -> None:
    history = History()
    running = status_field(JobStatus.RUNNING)
    history.append(make_sample(1000, {"a": {running: 2}, "b": {running: 3}}))
    history.select(["a"])
    history.append(make_sample(1005, {"a": {running: 4}, "b": {running: 5}}))
    assert history.view().series(running).tolist() == [2, 4]
    history.select(None)
    history.append(make_sample(1010, {"a": {running: 1}, "b": {running: 1}}))
    assert history.view().series(running).tolist() == [5, 9, 2]
    history.select(["b"])
    assert history.view().series(running).tolist() == [3, 5, 1]
    assert [c.environment for c in history.view().capacity] == []
    history.select(["a"])
    assert [c.environment for c in history.view().capacity] == ["ce"]


def test_a_long_silence_becomes_a_gap_not_a_line() -> None:
    history = History()
    running = status_field(JobStatus.RUNNING)
    history.append(make_sample(1000, {"a": {running: 1}}))
    history.append(make_sample(1005, {"a": {running: 2}}))
    history.append(make_sample(2000, {"a": {running: 3}}))  # the app was closed in between
    values = history.view().series(running)
    assert len(values) == 4
    assert values[0] == 1
    assert values[1] == 2
    assert math.isnan(values[2])
    assert values[3] == 3
    times = history.view().times
    assert np.all(np.diff(times) > 0)


def test_history_keeps_only_its_window_and_ignores_out_of_order_samples() -> None:
    history = History(keep_s=60)
    for i in range(100):
        history.append(make_sample(1000 + 5 * i, {"a": {}}))
    assert len(history) == 13
    assert history.view().times[0] >= 1000 + 5 * 99 - 60
    history.append(make_sample(10, {"a": {}}))
    assert len(history) == 13


def test_a_queue_that_appears_later_is_backfilled() -> None:
    history = History()
    running = status_field(JobStatus.RUNNING)
    history.append(make_sample(1000, {"a": {running: 1}}))
    history.append(make_sample(1005, {"a": {running: 1}, "new": {running: 7}}))
    history.select(["new"])
    assert history.view().series(running).tolist()[1] == 7
    assert history.queues == ["a", "new"]


def test_throughput_per_minute_with_totals_and_empty_minutes() -> None:
    history = History()
    for t, submitted, succeeded in [(60.0, 2, 0), (90.0, 3, 1), (125.0, 0, 4), (250.0, 1, 0)]:
        history.append(make_sample(t, {"a": {"submitted": submitted, "succeeded": succeeded}}, interval=60))
    flow = throughput_per_minute(history.view())
    # Minute centres, but the last (still open) minute at its latest sample.
    assert flow.minutes.tolist() == [90.0, 150.0, 210.0, 250.0]
    assert flow.submitted[0] == 5
    assert flow.succeeded[1] == 4
    assert math.isnan(flow.submitted[2])  # no sample in that minute
    assert flow.total_submitted.tolist() == [5, 5, 5, 6]
    assert flow.total_succeeded[-1] == 5
    assert len(throughput_per_minute(History().view()).minutes) == 0


def test_now_figures() -> None:
    history = History()
    runnable = status_field(JobStatus.RUNNABLE)
    running = status_field(JobStatus.RUNNING)
    history.append(make_sample(0, {"a": {"failed": 5}}))
    sample = make_sample(
        4000,
        {
            "a": {
                running: 2,
                runnable: 3,
                "failed": 1,
                vcpu_field(Platform.FARGATE): 2,
                "oldest_runnable_created": 3900,
            }
        },
    )
    sample = Sample(
        sample.t,
        sample.interval_s,
        (QueueSample("a", sample.queues[0].values, "job-1", "waiting for capacity"),),
        sample.capacity,
    )
    history.append(sample)
    now = history.now()
    assert (now.running, now.runnable, now.failed_last_hour) == (2, 3, 1)
    assert now.vcpus_in_use == 2
    assert now.vcpus_provisioned == 4  # 2 desired on EC2 + 2 used on Fargate
    assert now.vcpus_max == 16
    assert now.oldest_runnable_age_s == pytest.approx(100)
    assert (now.oldest_runnable_job, now.oldest_runnable_reason) == ("job-1", "waiting for capacity")
    assert History().now().sampled_at is None


def test_min_max_decimation_keeps_peaks_and_gaps_and_the_cache_matches_a_full_pass() -> None:
    from batchgui.domain.plot_data import MinMaxCache, bucket_seconds, decimate_min_max

    times = np.arange(0.0, 2000.0, 5.0)
    values = np.column_stack((np.sin(times / 50) * 10 + 10, times / 5))
    values[40, 0] = 100.0  # a one-sample peak
    values[200, :] = np.nan  # a gap
    x, y = decimate_min_max(times, values, 60.0)
    assert len(x) == len(y) == 3 * 34
    assert np.nanmax(y[:, 0]) == 100.0
    assert np.isnan(y[2::3, 0]).sum() == 1  # the bucket holding the gap ends the line
    cache = MinMaxCache()
    for end in range(50, len(times) + 1, 7):  # grown a few samples at a time, as a poller does
        got_x, got_y = cache.update(("k", 1), times[:end], lambda a, b: values[a:b], 60.0, times[0])
    want_x, want_y = decimate_min_max(times, values, 60.0)
    assert np.array_equal(got_x, want_x)
    assert np.array_equal(got_y, want_y, equal_nan=True)
    assert bucket_seconds(86400, 500) == 300.0
    assert bucket_seconds(900, 500) == 2.0


def test_the_oldest_runnable_age_of_a_queue_sample() -> None:
    from batchgui.domain.samples import FIELD_INDEX, OLDEST_FIELD, QUEUE_FIELDS, QueueSample

    def sample(created: float) -> QueueSample:
        values = [0.0] * len(QUEUE_FIELDS)
        values[FIELD_INDEX[OLDEST_FIELD]] = created
        return QueueSample("q", tuple(values))

    assert sample(float("nan")).oldest_runnable_age_s(1000.0) is None  # nothing waits
    assert sample(940.0).oldest_runnable_age_s(1000.0) == 60.0
    # AWS's clock ahead of ours: the job has waited no time, not minus five seconds.
    assert sample(1005.0).oldest_runnable_age_s(1000.0) == 0.0
