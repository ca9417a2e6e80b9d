"""The pricing facade on the real sandbox (its Price List API answers GetProducts as AWS does), the
week-long cache, the snapshot offline, and a known sandbox run's cost against a hand-computed figure."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import boto3
import pytest

from batchgui.aws.batch import BatchGateway
from batchgui.aws.ecs import EcsGateway
from batchgui.aws.pricing import PricingGateway
from batchgui.aws.session import AwsConnection
from batchgui.domain.connection import ConnectionSpec
from batchgui.services.connections import Backend, ConnectionManager
from batchgui.services.pricing import LIVE_SOURCE, SANDBOX_SOURCE, PricingService
from batchgui.services.runner import Runner
from tests.services.test_runnable import definition, ec2, fargate, queue, status_of, submit, wait_for

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
