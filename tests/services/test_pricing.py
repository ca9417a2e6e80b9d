"""The pricing facade on the real sandbox (its Price List API answers GetProducts as AWS does), the
week-long cache, the snapshot offline, and a known sandbox run's cost against a hand-computed figure."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import boto3
import pytest

from batchgui.aws.batch import BatchGateway
from batchgui.aws.ecs import EcsGateway
from batchgui.aws.pricing import PricingGateway
from batchgui.aws.session import AwsConnection
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.connection import ConnectionSpec
from batchgui.services.connections import Backend, ConnectionManager
from batchgui.services.job_history import JobHistory, history_path
from batchgui.services.pricing import LIVE_SOURCE, SANDBOX_SOURCE, PricingService
from batchgui.services.runner import Runner
from tests.services.runnable_support import wait_for
from tests.services.test_runnable import definition, ec2, fargate, queue, status_of, submit

pytestmark = pytest.mark.timeout(90)


def client_for(quick: Any, service: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=quick.endpoint_url,
        region_name=quick.region,
        aws_access_key_id=quick.access_key_id,
        aws_secret_access_key=quick.secret_access_key,
    )


def local_backend(quick: Any, batch: Any, **more: Any) -> Any:
    """The gateways the pricing facade uses, on the sandbox."""
    return SimpleNamespace(
        spec=ConnectionSpec.local(),
        is_local=True,
        batch=BatchGateway(batch),
        pricing=PricingGateway(client_for(quick, "pricing")),
        **more,
    )


def facade(
    runner: Runner, backend: Any, cache: Path, clock: Callable[[], float] = time.time
) -> PricingService:
    manager = ConnectionManager(runner, start_local=lambda: pytest.fail("no local start here"))
    manager.backend = cast(Backend, backend)
    return PricingService(runner, manager, cache, clock)


def test_get_products_pages_through_the_sandbox(quick: Any) -> None:
    gateway = PricingGateway(client_for(quick, "pricing"))
    products = gateway.products("AmazonEC2", [("TERM_MATCH", "regionCode", "us-east-1")])
    assert len(products) == 44  # 11 families x 4 sizes in the snapshot
    prices = gateway.region_prices("eu-west-1")
    assert prices.ec2["m5.large"] == pytest.approx(0.107)
    assert prices.fargate["x86_64"].vcpu_hour == pytest.approx(0.04048)
    paged = client_for(quick, "pricing").get_products(ServiceCode="AmazonEC2", MaxResults=5)
    assert len(paged["PriceList"]) == 5
    assert paged["NextToken"]
    with pytest.raises(Exception, match="ServiceCode"):
        client_for(quick, "pricing").get_products(ServiceCode="AmazonS3")


def test_a_known_fargate_run_costs_the_hand_computed_figure(
    quick: Any, runner: Runner, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    batch = client_for(quick, "batch")
    queue(batch, fargate(batch, "spot", kind="FARGATE_SPOT"))
    short = definition(batch, seconds=0.2, vcpus="2", memory="4096")
    job = submit(batch, short, "known")
    wait_for(lambda: status_of(batch, job) == "SUCCEEDED", "the job to finish")
    backend = local_backend(quick, batch)
    pricing = facade(runner, backend, tmp_path / "cache")
    [detail] = BatchGateway(batch).describe_job_details([job])
    cost = run_async(pricing.job_cost(detail))
    # Under a minute: billed as one. (2 x $0.04048 + 4 x $0.004445) / 60, at Spot's 70% off.
    assert cost.low == pytest.approx((2 * 0.04048 + 4 * 0.004445) / 60 * 0.3)
    assert cost.basis == "Fargate Spot"
    book = run_async(pricing.price_book())
    assert book.source == SANDBOX_SOURCE
    assert not (tmp_path / "cache").exists()  # the sandbox's prices are not cached as AWS's


def test_prices_are_cached_for_a_week_and_the_snapshot_is_used_offline(
    quick: Any, runner: Runner, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    now = [1_800_000_000.0]
    live = SimpleNamespace(
        spec=ConnectionSpec.local(), is_local=False, pricing=PricingGateway(client_for(quick, "pricing"))
    )
    first = run_async(facade(runner, live, tmp_path, lambda: now[0]).price_book("us-east-1"))
    assert first.source == LIVE_SOURCE
    assert first.as_of == "2027-01-15"
    assert (tmp_path / "prices-us-east-1.json").exists()

    class Offline:
        def region_prices(self, region: str) -> Any:
            raise ConnectionError("no network")

    offline = SimpleNamespace(spec=ConnectionSpec.local(), is_local=False, pricing=Offline())
    now[0] += 6 * 24 * 3600
    cached = run_async(facade(runner, offline, tmp_path, lambda: now[0]).price_book("us-east-1"))
    assert cached.source == f"{LIVE_SOURCE} (cached)"
    assert cached.prices == first.prices
    now[0] += 2 * 24 * 3600
    stale = run_async(facade(runner, offline, tmp_path, lambda: now[0]).price_book("us-east-1"))
    assert stale.source == "shipped price snapshot"
    assert stale.as_of == "2024"
    assert run_async(facade(runner, offline, tmp_path, lambda: now[0]).price_book("af-south-1")) is None


def test_a_planned_run_on_a_fargate_queue_by_hand(
    quick: Any, runner: Runner, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    batch = client_for(quick, "batch")
    queue(batch, fargate(batch))
    backend = local_backend(quick, batch)
    found = run_async(facade(runner, backend, tmp_path).estimate_run("q", 0.25, 512, 20, 10_000))
    # 10,000 jobs of 20 s, each billed Fargate's minute: 10,000 x (0.25 x $0.04048 + 0.5 x $0.004445) / 60
    assert found.cost.low == pytest.approx(10_000 * (0.25 * 0.04048 + 0.5 * 0.004445) / 60)
    assert found.text == "about $2.06"
    missing = run_async(facade(runner, backend, tmp_path).estimate_run("nope", 1, 2048, 20, 1))
    assert missing.cost is None


def test_an_ec2_run_is_priced_on_the_instance_type_ecs_names(
    quick: Any, runner: Runner, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    batch = client_for(quick, "batch")
    queue(batch, ec2(batch, "ec2", ["m5.large", "m5.xlarge"]))
    job = submit(batch, definition(batch, seconds=0.2, platformCapabilities=["EC2"]), "on-ec2")
    wait_for(lambda: status_of(batch, job) == "SUCCEEDED", "the job to finish")
    [detail] = BatchGateway(batch).describe_job_details([job])
    [instance] = {a["container"]["containerInstanceArn"] for a in detail.raw["attempts"]}
    ecs = client_for(quick, "ecs")
    described = ecs.describe_container_instances(cluster="any", containerInstances=[instance, instance + "0"])
    [found] = described["containerInstances"]
    assert found["attributes"] == [{"name": "ecs.instance-type", "value": "m5.large"}]
    assert described["failures"] == [{"arn": instance + "0", "reason": "MISSING"}]
    backend = local_backend(quick, batch, ecs=EcsGateway(ecs))
    pricing = facade(runner, backend, tmp_path / "cache")
    cost = run_async(pricing.job_cost(detail))
    attempt = detail.attempts[0]
    assert attempt.started_at is not None
    assert attempt.stopped_at is not None
    hours = (attempt.stopped_at - attempt.started_at) / 3_600_000
    # 1 vCPU of m5.large's 2 and 2 GiB of its 8: half of $0.096 an hour, for the run's time.
    assert cost.low == pytest.approx(0.096 * 0.5 * hours)
    assert not cost.is_range
    assert cost.basis == "EC2 m5.large"
    # Without ECS's answer the estimate is the range over the environment's types, and says why.
    backend.ecs = SimpleNamespace(instance_types=lambda *_: (_ for _ in ()).throw(RuntimeError("no ecs")))
    unknown = run_async(facade(runner, backend, tmp_path / "cache2").job_cost(detail))
    assert unknown.basis == "EC2, instance type not known: range over 2 allowed types"


def test_the_ecs_client_is_made_on_a_worker_not_on_the_event_loop(
    quick: Any, runner: Runner, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    """Making a client parses its service model (ECS's: ~100 ms): the GUI's loop must not wait on it."""
    made_on: dict[str, threading.Thread] = {}

    class Connection:
        spec = ConnectionSpec.local()

        def client(self, service: str) -> Any:
            made_on[service] = threading.current_thread()
            return client_for(quick, service)

    backend = Backend(cast(AwsConnection, Connection()))
    pricing = facade(runner, backend, tmp_path / "cache")
    unknown = "arn:aws:ecs:us-east-1:123456789012:container-instance/c/i-unknown"
    assert run_async(pricing.instance_types([unknown], "c")) == {}
    assert "ecs" in made_on
    assert made_on["ecs"] is not threading.current_thread()  # the loop runs on this thread


def test_a_submissions_cost_and_its_arrays_part_by_hand(
    quick: Any, runner: Runner, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    batch = client_for(quick, "batch")
    queue(batch, fargate(batch))
    short = definition(batch, seconds=0.1, vcpus="2", memory="4096")
    array = submit(batch, short, "array", arrayProperties={"size": 3})
    single = submit(batch, short, "single")
    wait_for(
        lambda: status_of(batch, array) == "SUCCEEDED" and status_of(batch, single) == "SUCCEEDED", "done"
    )
    backend = local_backend(quick, batch)
    pricing = facade(runner, backend, tmp_path / "cache")
    ids = [f"{array}:{n}" for n in range(3)] + [single, "no-such-job"]
    found = run_async(pricing.jobs_cost(ids, "sub-1"))
    # Each run is under a minute, billed as one: (2 x $0.04048 + 4 x $0.004445) / 60 = $0.0016457.
    minute = (2 * 0.04048 + 4 * 0.004445) / 60
    assert found.cost.low == pytest.approx(4 * minute)
    assert found.arrays[array].low == pytest.approx(3 * minute)
    assert (found.priced, found.not_priced) == (4, 1)


def test_cost_per_day_of_the_local_jobs_history_by_hand(
    quick: Any, runner: Runner, run_async: Callable[..., Any], tmp_path: Path
) -> None:
    batch = client_for(quick, "batch")
    queue(batch, fargate(batch, "fg-history"))
    queue(batch, ec2(batch, "ec2-history", ["m5.large"]), name="q-ec2")
    on_fargate = definition(batch, vcpus="2", memory="4096")
    on_ec2 = definition(batch, platformCapabilities=["EC2"])
    utc = datetime(2026, 11, 30, 23, 30, tzinfo=UTC).timestamp() * 1000
    hour = 3_600_000

    def done(job_id: str, definition_arn: str, started: float, hours: float, **more: Any) -> JobSummary:
        start = int(started)
        return JobSummary(
            job_id, job_id, JobStatus.SUCCEEDED, job_definition=definition_arn, created_at=start,
            started_at=start, stopped_at=start + int(hours * hour), **more,
        )  # fmt: skip

    history = JobHistory(history_path(tmp_path, ConnectionSpec.local()))
    over_midnight = done("fg", on_fargate, utc, 1)  # 23:30 to 00:30: half on each day
    array = done("arr", on_fargate, utc, 5, array_size=10)  # a parent: its children carry the cost
    unknown = done("gone", "arn:aws:batch:us-east-1:1:job-definition/gone:1", utc, 1)
    history.record("q", [over_midnight, array, unknown], [], int(utc), None)
    history.record("q-ec2", [done("ec2", on_ec2, utc + 2 * hour, 2)], [], int(utc), None)
    history.close()
    backend = local_backend(quick, batch)
    manager = ConnectionManager(runner, start_local=lambda: pytest.fail("no local start here"))
    manager.backend = cast(Backend, backend)
    pricing = PricingService(runner, manager, tmp_path / "cache", history_dir=tmp_path)
    found = run_async(pricing.history_by_day(UTC))
    assert (found.priced, found.not_priced) == (2, 1)
    # Fargate in us-east-1: 2 vCPUs x $0.04048 + 4 GB x $0.004445 an hour, for one hour, split at
    # midnight; EC2: half of an m5.large ($0.096 an hour) for two hours, on 1 December.
    fargate_hour = 2 * 0.04048 + 4 * 0.004445
    first, second = date(2026, 11, 30), date(2026, 12, 1)
    assert sorted(found.days) == [first, second]
    assert found.days[first].low == pytest.approx(fargate_hour / 2)
    assert found.days[second].low == pytest.approx(fargate_hour / 2 + 0.096 * 0.5 * 2)
    assert not found.days[second].is_range
    # Only what stopped at or after since_ms is read.
    assert run_async(pricing.history_by_day(UTC, since_ms=int(utc + 5 * hour))).days == {}
