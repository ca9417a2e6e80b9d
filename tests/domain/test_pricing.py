"""Cost estimates against figures computed by hand from the shipped snapshot's us-east-1 prices:
Fargate $0.04048 per vCPU-hour and $0.004445 per GB-hour (x86_64), Spot at 70% off; m5.large $0.096
an hour (2 vCPU, 8 GiB), c5.large $0.085 (2 vCPU, 4 GiB)."""

from __future__ import annotations

import json

import pytest

from batchgui import resources
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_detail import Attempt, JobDetail
from batchgui.domain.pricing import (
    FargateRates,
    PriceBook,
    RegionPrices,
    ec2_estimate,
    fargate_cost,
    format_usd,
    job_cost,
    matches,
    parse_products,
    product_documents,
)

HOUR_MS = 3_600_000


def detail(vcpus: str, memory: str, runs: list[tuple[int, int]], platform: str = "FARGATE") -> JobDetail:
    summary = JobSummary("j", "n", JobStatus.SUCCEEDED, queue="q")
    attempts = tuple(Attempt(start, stop, 0, "", "") for start, stop in runs)
    return JobDetail(summary, attempts, vcpus=vcpus, memory_mib=memory, platform=platform)


def test_fargate_half_an_hour_by_hand(book: PriceBook) -> None:
    # 2 vCPU x $0.04048 x 0.5 h + 4 GB x $0.004445 x 0.5 h = $0.04048 + $0.00889
    cost = fargate_cost(book, 2, 4096, 1800)
    assert cost is not None
    assert cost.low == pytest.approx(0.04937)
    assert cost.basis == "Fargate"
    assert cost.text == "$0.049"


def test_fargate_spot_by_hand(book: PriceBook) -> None:
    # The same run at 70% off: $0.04937 x 0.3
    cost = fargate_cost(book, 2, 4096, 1800, spot=True)
    assert cost is not None
    assert cost.low == pytest.approx(0.014811)
    assert cost.basis == "Fargate Spot"
    # With Spot rates in the price list, those are used rather than the discount.
    listed = PriceBook(RegionPrices("r", {"x86_64": FargateRates(0.04, 0.004, 0.01, 0.001)}), "d", "s")
    spot = fargate_cost(listed, 1, 2048, 3600, spot=True)
    assert spot is not None
    assert spot.low == pytest.approx(0.01 + 2 * 0.001)


def test_fargate_bills_at_least_a_minute(book: PriceBook) -> None:
    short = fargate_cost(book, 1, 2048, 10)
    minute = fargate_cost(book, 1, 2048, 60)
    assert short is not None
    assert minute is not None
    assert short.low == minute.low == pytest.approx((0.04048 + 2 * 0.004445) / 60)


def test_ec2_share_of_a_known_instance_by_hand(book: PriceBook) -> None:
    catalogue = resources.instance_catalogue()
    # 1 vCPU of m5.large's 2 (half), 2 GiB of its 8 (a quarter): half of $0.096 for 2 hours.
    cost = ec2_estimate(book, catalogue, ["m5"], 1, 2048, 7200, instance_type="m5.large")
    assert cost is not None
    assert cost.low == pytest.approx(0.096)
    # Memory-bound: 6 GiB of 8 is three quarters of the instance.
    memory_bound = ec2_estimate(book, catalogue, ["m5"], 1, 6144, 3600, instance_type="m5.large")
    assert memory_bound is not None
    assert memory_bound.low == pytest.approx(0.072)


def test_ec2_range_over_the_allowed_types_when_the_instance_is_unknown(book: PriceBook) -> None:
    catalogue = resources.instance_catalogue()
    # 1 vCPU, 2 GiB for an hour: c5.large $0.085 x ½ = $0.0425 … m5.large $0.096 x ½ = $0.048.
    cost = ec2_estimate(book, catalogue, ["m5", "c5"], 1, 2048, 3600)
    assert cost is not None
    assert cost.low == pytest.approx(0.0425)
    assert cost.high == pytest.approx(0.048)
    assert cost.text == "$0.043\u20130.048"
    # Too big for anything allowed that has a price: no estimate rather than a wrong one.
    assert ec2_estimate(book, catalogue, ["m5.large"], 4, 2048, 3600) is None


def test_job_cost_sums_every_attempt(book: PriceBook) -> None:
    catalogue = resources.instance_catalogue()
    # Two Fargate attempts of half an hour each: twice $0.04937.
    job = detail("2", "4096", [(0, HOUR_MS // 2), (HOUR_MS, HOUR_MS + HOUR_MS // 2)])
    cost = job_cost(book, catalogue, job)
    assert cost is not None
    assert cost.low == pytest.approx(2 * 0.04937)
    spot = job_cost(book, catalogue, job, platform="FARGATE_SPOT")
    assert spot is not None
    assert spot.low == pytest.approx(2 * 0.014811)
    on_ec2 = job_cost(book, catalogue, detail("1", "2048", [(0, HOUR_MS)], "EC2"), allowed=("m5.large",))
    assert on_ec2 is not None
    assert on_ec2.low == pytest.approx(0.048)
    assert job_cost(book, catalogue, detail("1", "2048", [])) is None


def test_price_list_documents_round_trip_and_filter(book: PriceBook) -> None:
    documents = product_documents(book.prices, "2024")
    assert parse_products("us-east-1", [json.dumps(d) for d in documents]) == book.prices
    m5 = [
        d
        for d in documents
        if matches(d, [{"Type": "TERM_MATCH", "Field": "instanceType", "Value": "m5.large"}])
    ]
    assert len(m5) == 1
    spot_docs = [
        {
            "serviceCode": "AmazonECS",
            "product": {"attributes": {"regionCode": "r", "usagetype": usage}},
            "terms": {"OnDemand": {"t": {"priceDimensions": {"d": {"pricePerUnit": {"USD": usd}}}}}},
        }
        for usage, usd in (
            ("USE1-Fargate-vCPU-Hours:perCPU", "0.04"),
            ("USE1-Fargate-GB-Hours", "0.004"),
            ("USE1-SpotUsage-Fargate-vCPU-Hours:perCPU", "0.012"),
            ("USE1-SpotUsage-Fargate-GB-Hours", "0.0013"),
            ("USE1-Fargate-EphemeralStorage-GB-Hours", "0.000111"),
        )
    ]
    parsed = parse_products("r", spot_docs)
    assert parsed.fargate["x86_64"] == FargateRates(0.04, 0.004, 0.012, 0.0013)


def test_money_is_shown_with_enough_digits() -> None:
    assert format_usd(0.42) == "$0.42"
    assert format_usd(0.0042) == "$0.0042"
    assert format_usd(1234.5) == "$1,234"
    assert format_usd(0) == "$0"
