"""What a job costs, estimated: Fargate by vCPU-hour and GB-hour, EC2 by its share of an instance.

The rules (AWS's pricing pages for Fargate and EC2 On-Demand):
- Fargate bills the vCPUs and memory a task asks for, per second, with a one-minute minimum, at a
  rate per region and architecture; Fargate Spot at its own (lower) rate, or — when the prices at hand
  have no Spot figure — at the documented "up to 70%" discount.
- On EC2 an instance is billed whoever uses it; a job's part of it is the instance's hourly price x
  max(job vCPUs ÷ instance vCPUs, job memory ÷ instance memory) x run time. When the instance type is
  not known, the estimate is a range over the types the environment allows that fit the job.

Also here: reading the AWS Price List API's product documents (GetProducts' `PriceList` entries) into
a `RegionPrices`, one home for the generator, the app and the sandbox. Pure: no I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from batchgui.domain.csv_plan import PlanInput, SplitMode
from batchgui.domain.instance_types import InstanceCatalogue, InstanceType
from batchgui.domain.job_detail import JobDetail

X86_64 = "x86_64"
ARM64 = "arm64"
# Fargate Spot "up to 70% discount" (AWS Fargate pricing page), used only when no Spot rate is known.
DEFAULT_SPOT_DISCOUNT = 0.70
FARGATE_MINIMUM_S = 60
MIB_PER_GB = 1024
# Price List API: the services and the attributes that pick Linux On-Demand shared-tenancy prices.
EC2_SERVICE = "AmazonEC2"
FARGATE_SERVICE = "AmazonECS"
EC2_FILTERS: tuple[tuple[str, str], ...] = (
    ("operatingSystem", "Linux"),
    ("tenancy", "Shared"),
    ("preInstalledSw", "NA"),
    ("capacitystatus", "Used"),
    ("licenseModel", "No License required"),
)


@dataclass(frozen=True)
class FargateRates:
    """Per vCPU-hour and per GB-hour, in USD; Spot rates when the price list has them."""

    vcpu_hour: float
    gb_hour: float
    spot_vcpu_hour: float | None = None
    spot_gb_hour: float | None = None


@dataclass(frozen=True)
class RegionPrices:
    region: str
    # Architecture (x86_64, arm64) -> Fargate rates.
    fargate: Mapping[str, FargateRates] = field(default_factory=dict)
    # Instance type -> Linux On-Demand USD per hour.
    ec2: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PriceBook:
    """Prices of one region, with where they come from and as of when (shown beside every estimate)."""

    prices: RegionPrices
    as_of: str
    source: str
    spot_discount: float = DEFAULT_SPOT_DISCOUNT

    @property
    def region(self) -> str:
        return self.prices.region

    @property
    def label(self) -> str:
        return f"{self.source}, {self.as_of}"


@dataclass(frozen=True)
class CostEstimate:
    """An estimate in USD: one figure, or a range when the instance type is not known."""

    low: float
    high: float
    basis: str
    as_of: str = ""

    @property
    def is_range(self) -> bool:
        return not math.isclose(self.low, self.high, rel_tol=1e-9, abs_tol=1e-12)

    @property
    def text(self) -> str:
        if self.is_range:
            # An en dash between the two ends, the dollar sign once: "$0.043\u20130.048".
            return f"{format_usd(self.low)}\u2013{format_usd(self.high).lstrip('$')}"
        return format_usd(self.low)

    def __add__(self, other: CostEstimate) -> CostEstimate:
        basis = self.basis if self.basis == other.basis else "mixed"
        return CostEstimate(self.low + other.low, self.high + other.high, basis, self.as_of or other.as_of)

    def times(self, factor: float) -> CostEstimate:
        return CostEstimate(self.low * factor, self.high * factor, self.basis, self.as_of)


def format_usd(amount: float) -> str:
    """$0.0042, $0.42, $12.30, $1,234: enough digits that a small job's cost is not shown as $0.00."""
    if amount == 0:
        return "$0"
    if amount < 0.0001:
        return "<$0.0001"
    if amount < 0.1:
        return f"${amount:.2g}"
    if amount < 100:
        return f"${amount:,.2f}"
    return f"${amount:,.0f}"


def fargate_cost(
    book: PriceBook,
    vcpus: float,
    memory_mib: float,
    seconds: float,
    *,
    spot: bool = False,
    architecture: str = X86_64,
) -> CostEstimate | None:
    """A Fargate task's cost; None when the book has no Fargate rates for the architecture."""
    rates = book.prices.fargate.get(architecture)
    if rates is None:
        return None
    billed_h = max(seconds, FARGATE_MINIMUM_S) / 3600
    vcpu_rate, gb_rate = rates.vcpu_hour, rates.gb_hour
    basis = "Fargate"
    if spot:
        basis = "Fargate Spot"
        keep = 1 - book.spot_discount
        vcpu_rate = rates.spot_vcpu_hour if rates.spot_vcpu_hour is not None else vcpu_rate * keep
        gb_rate = rates.spot_gb_hour if rates.spot_gb_hour is not None else gb_rate * keep
    cost = (vcpus * vcpu_rate + memory_mib / MIB_PER_GB * gb_rate) * billed_h
    return CostEstimate(cost, cost, basis, book.as_of)


def instance_share(instance: InstanceType, vcpus: float, memory_mib: float) -> float:
    """The part of an instance a job holds: the larger of its vCPU and memory shares."""
    return max(vcpus / instance.vcpus, memory_mib / instance.memory_mib)


def ec2_cost(
    hourly_usd: float, instance: InstanceType, vcpus: float, memory_mib: float, seconds: float
) -> float:
    return hourly_usd * instance_share(instance, vcpus, memory_mib) * seconds / 3600


def ec2_estimate(  # noqa: PLR0917 - a job's size and run time, and where it runs
    book: PriceBook,
    catalogue: InstanceCatalogue,
    allowed: Sequence[str],
    vcpus: float,
    memory_mib: float,
    seconds: float,
    instance_type: str | None = None,
) -> CostEstimate | None:
    """On the known instance type, one figure; else the range over allowed, priced types that fit."""
    if instance_type is not None and instance_type in book.prices.ec2 and instance_type in catalogue.types:
        cost = ec2_cost(
            book.prices.ec2[instance_type], catalogue.types[instance_type], vcpus, memory_mib, seconds
        )
        return CostEstimate(cost, cost, f"EC2 {instance_type}", book.as_of)
    costs = [
        ec2_cost(book.prices.ec2[t.name], t, vcpus, memory_mib, seconds)
        for t in catalogue.expand(allowed or ("optimal",))
        if t.name in book.prices.ec2 and t.fits(vcpus, int(memory_mib))
    ]
    if not costs:
        return None
    unknown = "instance type not known" if instance_type is None else f"{instance_type} not priced"
    basis = f"EC2, {unknown}: range over {len(costs)} allowed type{'s' if len(costs) != 1 else ''}"
    return CostEstimate(min(costs), max(costs), basis, book.as_of)


def attempt_seconds(
    attempts: Iterable[tuple[int | None, int | None]], now_ms: int | None = None
) -> list[float]:
    """Run time of each attempt (startedAt..stoppedAt, ms); a running attempt counts up to `now_ms`."""
    out = []
    for started, stopped in attempts:
        if started is None:
            continue
        end = stopped if stopped is not None else now_ms
        if end is not None and end >= started:
            out.append((end - started) / 1000)
    return out


# --- the Price List API's product documents --------------------------------------------------------
def _usd(document: Mapping[str, Any]) -> float | None:
    """The On-Demand USD price per unit of one product document."""
    for term in (document.get("terms") or {}).get("OnDemand", {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = (dimension.get("pricePerUnit") or {}).get("USD")
            if usd is not None:
                return float(usd)
    return None


def _fargate_kind(usagetype: str) -> tuple[str, str, bool] | None:
    """(architecture, vcpu|gb, spot) of a Fargate usage type such as USE1-Fargate-ARM-GB-Hours."""
    if "Fargate" not in usagetype or "Windows" in usagetype or "Ephemeral" in usagetype:
        return None
    if usagetype.endswith("vCPU-Hours:perCPU"):
        unit = "vcpu"
    elif usagetype.endswith("GB-Hours"):
        unit = "gb"
    else:
        return None
    return (ARM64 if "-ARM-" in usagetype else X86_64, unit, "SpotUsage" in usagetype)


def parse_products(region: str, price_list: Iterable[str | Mapping[str, Any]]) -> RegionPrices:
    """GetProducts' PriceList entries (JSON strings, or already decoded) as the region's prices."""
    ec2: dict[str, float] = {}
    fargate: dict[str, dict[str, float]] = {}
    for entry in price_list:
        document: Mapping[str, Any] = json.loads(entry) if isinstance(entry, str) else entry
        attributes: Mapping[str, str] = (document.get("product") or {}).get("attributes") or {}
        if attributes.get("regionCode", region) != region:
            continue
        price = _usd(document)
        if price is None:
            continue
        if document.get("serviceCode") == EC2_SERVICE and "instanceType" in attributes:
            if all(attributes.get(k, v) == v for k, v in EC2_FILTERS) and price > 0:
                ec2[attributes["instanceType"]] = price
            continue
        kind = _fargate_kind(attributes.get("usagetype", ""))
        if kind is not None:
            architecture, unit, spot = kind
            fargate.setdefault(architecture, {})[f"spot_{unit}" if spot else unit] = price
    rates = {
        arch: FargateRates(v["vcpu"], v["gb"], v.get("spot_vcpu"), v.get("spot_gb"))
        for arch, v in fargate.items()
        if "vcpu" in v and "gb" in v
    }
    return RegionPrices(region, rates, ec2)


def product_documents(prices: RegionPrices, publication: str) -> list[dict[str, Any]]:
    """RegionPrices as Price List product documents (what the sandbox answers, what parse_products reads)."""
    documents: list[dict[str, Any]] = []

    def document(service: str, sku: str, attributes: dict[str, str], usd: float, unit: str) -> None:
        term = f"{sku}.JRTCKXETXF"
        documents.append(
            {
                "product": {"productFamily": "Compute", "attributes": attributes, "sku": sku},
                "serviceCode": service,
                "terms": {
                    "OnDemand": {
                        term: {
                            "priceDimensions": {
                                f"{term}.6YS6EN2CT7": {"unit": unit, "pricePerUnit": {"USD": f"{usd:.10f}"}}
                            },
                            "sku": sku,
                            "effectiveDate": publication,
                        }
                    }
                },
                "version": publication,
                "publicationDate": publication,
            }
        )

    region = prices.region
    for name, usd in sorted(prices.ec2.items()):
        attributes = {"instanceType": name, "regionCode": region, "usagetype": f"BoxUsage:{name}"}
        attributes.update(dict(EC2_FILTERS))
        document(EC2_SERVICE, f"EC2-{region}-{name}", attributes, usd, "Hrs")
    for architecture, rates in sorted(prices.fargate.items()):
        arm = "ARM-" if architecture == ARM64 else ""
        kinds: list[tuple[bool, float | None, float | None]] = [
            (False, rates.vcpu_hour, rates.gb_hour),
            (True, rates.spot_vcpu_hour, rates.spot_gb_hour),
        ]
        for spot, vcpu, gb in kinds:
            prefix = "SpotUsage-" if spot else ""
            units: list[tuple[str, float | None, str]] = [
                ("vCPU-Hours", vcpu, "vCPU-Hours:perCPU"),
                ("GB-Hours", gb, "GB-Hours"),
            ]
            for unit, rate, suffix in units:
                if rate is None:
                    continue
                usagetype = f"{prefix}Fargate-{arm}{suffix}"
                attributes = {"regionCode": region, "usagetype": usagetype}
                document(FARGATE_SERVICE, f"ECS-{region}-{usagetype}", attributes, rate, unit)
    return documents


def matches(document: Mapping[str, Any], filters: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a product document passes GetProducts' filters (TERM_MATCH/EQUALS, CONTAINS, ANY_OF,
    NONE_OF)."""
    attributes: Mapping[str, str] = (document.get("product") or {}).get("attributes") or {}
    for one in filters:
        value = attributes.get(str(one.get("Field", "")))
        wanted = str(one.get("Value", ""))
        kind = one.get("Type", "TERM_MATCH")
        if kind in ("TERM_MATCH", "EQUALS") and value != wanted:
            return False
        if kind == "CONTAINS" and (value is None or wanted not in value):
            return False
        if kind == "ANY_OF" and value not in wanted.split(","):
            return False
        if kind == "NONE_OF" and value in wanted.split(","):
            return False
    return True


def book_from_snapshot(document: Mapping[str, Any], region: str) -> PriceBook | None:
    """The shipped snapshot's prices for a region (None when it has none)."""
    entry = (document.get("regions") or {}).get(region)
    if entry is None:
        return None
    fargate = {
        arch: FargateRates(
            float(r["vcpu_hour"]),
            float(r["gb_hour"]),
            None if r.get("spot_vcpu_hour") is None else float(r["spot_vcpu_hour"]),
            None if r.get("spot_gb_hour") is None else float(r["spot_gb_hour"]),
        )
        for arch, r in (entry.get("fargate") or {}).items()
    }
    ec2 = {str(k): float(v) for k, v in (entry.get("ec2") or {}).items()}
    return PriceBook(
        RegionPrices(region, fargate, ec2),
        str(document.get("as_of", "")),
        str(document.get("source_short", "price snapshot")),
        float(document.get("fargate_spot_discount", DEFAULT_SPOT_DISCOUNT)),
    )


def snapshot_entry(prices: RegionPrices) -> dict[str, Any]:
    """A region's prices as the snapshot file holds them (the inverse of book_from_snapshot)."""
    return {
        "fargate": {
            arch: {
                "vcpu_hour": r.vcpu_hour,
                "gb_hour": r.gb_hour,
                "spot_vcpu_hour": r.spot_vcpu_hour,
                "spot_gb_hour": r.spot_gb_hour,
            }
            for arch, r in sorted(prices.fargate.items())
        },
        "ec2": dict(sorted(prices.ec2.items())),
    }


def job_architecture(detail: JobDetail) -> str:
    """The CPU architecture a job asks Fargate for (runtimePlatform), x86_64 unless it says ARM64."""
    platform = (detail.raw.get("container") or {}).get("runtimePlatform") or {}
    return ARM64 if str(platform.get("cpuArchitecture", "")).upper() == "ARM64" else X86_64


def run_cost(  # noqa: PLR0917 - a run's size and time, and where it ran
    book: PriceBook,
    catalogue: InstanceCatalogue,
    platform: str,
    vcpus: float,
    memory_mib: float,
    seconds: float,
    *,
    allowed: Sequence[str] = (),
    architecture: str = X86_64,
    instance_type: str | None = None,
) -> CostEstimate | None:
    """One run on a platform (FARGATE, FARGATE_SPOT, EC2, SPOT): Fargate's rates, or the EC2
    instance's share (of `instance_type` when known, else a range over `allowed`, default every type
    the book prices). EC2 Spot is priced at On-Demand: an upper bound, said in the basis."""
    kind = (platform or "EC2").upper()
    if kind.startswith("FARGATE"):
        return fargate_cost(
            book, vcpus, memory_mib, seconds, spot=kind == "FARGATE_SPOT", architecture=architecture
        )
    found = ec2_estimate(
        book, catalogue, allowed or tuple(book.prices.ec2), vcpus, memory_mib, seconds, instance_type
    )
    if found is not None and kind == "SPOT":
        return CostEstimate(found.low, found.high, f"{found.basis} Spot at On-Demand (at most)", found.as_of)
    return found


def ecs_cluster_of(arn: str) -> str:
    """The ECS cluster a task or container-instance ARN names in its long form (…/CLUSTER/ID); ''
    for the short form (…/ID), which names none."""
    parts = arn.split(":", 5)[-1].split("/")
    return parts[1] if len(parts) == 3 else ""


def attempt_instances(detail: JobDetail) -> list[str]:
    """The containerInstanceArn of each attempt ('' where none: Fargate, or not told)."""
    out = []
    for attempt in detail.raw.get("attempts") or ():
        container = attempt.get("container") or {}
        out.append(str(container.get("containerInstanceArn") or ""))
    return out


def job_instances(detail: JobDetail) -> set[str]:
    """Every container instance the job's attempts (and its current run) were placed on."""
    found = {a for a in attempt_instances(detail) if a}
    current = (detail.raw.get("container") or {}).get("containerInstanceArn")
    if current:
        found.add(str(current))
    return found


def job_cost(
    book: PriceBook,
    catalogue: InstanceCatalogue,
    detail: JobDetail,
    *,
    platform: str = "",
    allowed: Sequence[str] = (),
    now_ms: int | None = None,
    instance_types: Mapping[str, str] | None = None,
) -> CostEstimate | None:
    """Each attempt's run time x the job's resources x the price. `platform` is the environment's
    (FARGATE, FARGATE_SPOT, EC2, SPOT; default: the job's own platformCapabilities); `allowed` the
    environment's instance types (default: every type the book prices); `instance_types` maps a
    containerInstanceArn to its instance type where ECS told it (then EC2 is one figure, not a
    range). None when it cannot be said: not started, an array parent (its children carry the
    cost), or no price for it."""
    if detail.is_array_parent or not detail.vcpus or not detail.memory_mib:
        return None
    attempts = [(a.started_at, a.stopped_at) for a in detail.attempts]
    instances = attempt_instances(detail) if attempts else []
    if not attempts:
        attempts = [(detail.summary.started_at, detail.summary.stopped_at)]
        instances = [str((detail.raw.get("container") or {}).get("containerInstanceArn") or "")]
    types = instance_types or {}
    total: CostEstimate | None = None
    for number, (started, stopped) in enumerate(attempts):
        seconds = attempt_seconds([(started, stopped)], now_ms)
        if not seconds:
            continue
        arn = instances[number] if number < len(instances) else ""
        one = run_cost(
            book,
            catalogue,
            platform or detail.platform,
            float(detail.vcpus),
            float(detail.memory_mib),
            seconds[0],
            allowed=allowed,
            architecture=job_architecture(detail),
            instance_type=types.get(arn),
        )
        if one is None:
            return None
        total = one if total is None else total + one
    return total


@dataclass(frozen=True)
class RunShape:
    """A CSV submission as jobs to price: how many, rows each, and each one's vCPUs and memory."""

    jobs: int
    rows_each: int
    vcpus: float
    memory_mib: float


def run_shape(spec: PlanInput) -> RunShape:
    """How a planned CSV submission runs: one job, an array's children, or a job per row."""
    if spec.mode is SplitMode.PER_ROW:
        rows_each = 1
    elif spec.mode is SplitMode.ARRAY:
        rows_each = max(1, spec.rows_per_child)
    else:
        rows_each = max(1, spec.rows)
    jobs = max(1, math.ceil(spec.rows / rows_each))
    default_vcpus = "0.25" if spec.definition.is_fargate else "1"
    vcpus = float(spec.overrides.vcpus or spec.definition.vcpus or default_vcpus)
    memory = float(spec.overrides.memory_mib or spec.definition.memory_mib or 512)
    return RunShape(jobs, rows_each, vcpus, memory)
