"""The pricing facade: a region's prices from the AWS Price List API, cached locally for a week, with
the dated snapshot shipped in resources/ when the API cannot be reached (offline, no permission).

Every estimate carries the book's source and date, which the UI shows beside it ("estimate"). On the
local sandbox the Price List API is the sandbox's own, answering from the same shipped snapshot.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

from batchgui import resources
from batchgui.domain.batch import ComputeEnvironment, JobDefinition, JobQueue
from batchgui.domain.cost_rollup import (
    ARRAY,
    SUBMISSION,
    FinishedRun,
    PricedRun,
    RunSize,
    by_day,
    price_finished,
    rollup,
    total,
)
from batchgui.domain.instance_types import InstanceCatalogue
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.pricing import (
    ARM64,
    X86_64,
    CostEstimate,
    FargateRates,
    PriceBook,
    RegionPrices,
    book_from_snapshot,
    ecs_cluster_of,
    job_cost,
    job_instances,
    run_cost,
    snapshot_entry,
)
from batchgui.services.bound import BoundService
from batchgui.services.connections import ConnectionManager
from batchgui.services.cost_history import finished_runs
from batchgui.services.job_history import history_path
from batchgui.services.runner import Runner

log = logging.getLogger(__name__)

CACHE_MAX_AGE_S = 7 * 24 * 3600
SNAPSHOT = "aws-prices.json"
LIVE_SOURCE = "AWS Price List API"
SANDBOX_SOURCE = "local sandbox's Price List (the shipped snapshot)"


@cache
def snapshot() -> dict[str, Any]:
    """resources/aws-prices.json (packaging/make_price_snapshot.py writes it)."""
    document: dict[str, Any] = json.loads(resources.path(SNAPSHOT).read_text(encoding="utf-8"))
    return document


@cache
def snapshot_book(region: str) -> PriceBook | None:
    """The snapshot's prices for a region, made once (the Jobs table asks for every row it paints)."""
    return book_from_snapshot(snapshot(), region)


@dataclass(frozen=True)
class RunEstimate:
    """What a planned run may cost: `jobs` jobs of `seconds_each`, with the prices' source and date."""

    cost: CostEstimate | None
    jobs: int
    seconds_each: float
    book: PriceBook | None

    @property
    def text(self) -> str:
        if self.cost is None:
            return "no price known for this queue's compute environments"
        return f"about {self.cost.text}"


def _book_to_cache(book: PriceBook, fetched: float) -> dict[str, Any]:
    return {"region": book.region, "fetched": fetched, "as_of": book.as_of, **snapshot_entry(book.prices)}


def _book_from_cache(data: dict[str, Any]) -> PriceBook:
    region = str(data["region"])
    fargate = {arch: FargateRates(**rates) for arch, rates in (data.get("fargate") or {}).items()}
    prices = RegionPrices(region, fargate, {str(k): float(v) for k, v in (data.get("ec2") or {}).items()})
    return PriceBook(prices, str(data["as_of"]), f"{LIVE_SOURCE} (cached)")


class PricingService(BoundService):
    def __init__(
        self,
        runner: Runner,
        connections: ConnectionManager,
        cache_dir: Path,
        clock: Callable[[], float] = time.time,
        history_dir: Path | None = None,
    ) -> None:
        super().__init__(runner, connections)
        self._cache_dir = cache_dir
        self._history_dir = history_dir  # where services/job_history.py keeps each connection's file
        self._clock = clock
        self._books: dict[tuple[bool, str], PriceBook] = {}
        self._instance_types: dict[str, str] = {}

    def cache_path(self, region: str) -> Path:
        return self._cache_dir / f"prices-{region}.json"

    async def price_book(self, region: str | None = None) -> PriceBook | None:
        """The region's prices (default: the connection's): from memory, the week-old cache, the Price
        List API, else the shipped snapshot; None when none of them prices the region."""
        backend = self._backend()
        region = region or backend.spec.region
        key = (backend.is_local, region)
        known = self._books.get(key)
        if known is not None:
            return known
        book = await self._run(self._load, backend.is_local, region)
        if book is not None:
            self._books[key] = book
        return book

    def _load(self, local: bool, region: str) -> PriceBook | None:
        path = self.cache_path(region)
        if not local and path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if self._clock() - float(data["fetched"]) < CACHE_MAX_AGE_S:
                    return _book_from_cache(data)
            except (OSError, ValueError, KeyError, TypeError) as error:
                log.info("price cache %s unreadable (%s): fetching again", path, error)
        try:
            prices = self._backend().pricing.region_prices(region)
        except Exception as error:  # offline, no pricing:GetProducts permission, an old endpoint…
            log.info("Price List API not available (%s): using the shipped snapshot", error)
            return snapshot_book(region)
        if not prices.fargate and not prices.ec2:
            return snapshot_book(region)
        if local:
            return PriceBook(prices, str(snapshot().get("as_of", "")), SANDBOX_SOURCE)
        fetched = self._clock()
        day = datetime.fromtimestamp(fetched, tz=UTC).strftime("%Y-%m-%d")
        book = PriceBook(prices, day, LIVE_SOURCE)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(_book_to_cache(book, fetched)), encoding="utf-8")
        except OSError as error:
            log.info("price cache %s not written: %s", path, error)
        return book

    async def job_cost(self, detail: JobDetail, now_ms: int | None = None) -> CostEstimate | None:
        """One job's estimated cost at the connection's prices (every attempt's run time), on its
        queue's first compute environment (its platform); on EC2 at the instance type ECS names for
        each attempt's container instance, else a range over the environment's instance types."""
        book = await self.price_book()
        if book is None:
            return None
        batch = self._backend().batch
        queues = await self._run(batch.describe_job_queues)
        queue = next((q for q in queues if q.name == detail.summary.queue), None)
        first = None
        if queue is not None:
            first = _first_environment(queue, await self._run(batch.describe_compute_environments))
        platform = "" if first is None or first.platform is None else first.platform.value
        allowed = () if first is None else first.instance_types
        cluster = "" if first is None else first.ecs_cluster_arn
        types = await self.instance_types(job_instances(detail), cluster)
        catalogue = resources.instance_catalogue()
        return job_cost(
            book, catalogue, detail, platform=platform, allowed=allowed, now_ms=now_ms, instance_types=types
        )

    async def instance_types(self, arns: Iterable[str], cluster: str = "") -> dict[str, str]:
        """containerInstanceArn -> EC2 instance type, as ECS DescribeContainerInstances tells it (kept:
        an instance's type never changes); those ECS no longer knows, or cannot be asked about, are
        left out (the estimate then says the type is not known)."""
        wanted = [a for a in arns if a not in self._instance_types]
        by_cluster: dict[str, list[str]] = {}
        for arn in wanted:
            by_cluster.setdefault(ecs_cluster_of(arn) or cluster or "default", []).append(arn)
        for name, group in by_cluster.items():
            try:
                found = await self._run(self._backend().ecs.instance_types, name, group)
            except Exception as error:  # no ecs:DescribeContainerInstances permission, an old endpoint…
                log.info("container instances of %s not described: %s", name, error)
                continue
            self._instance_types.update(found)
        return {a: self._instance_types[a] for a in arns if a in self._instance_types}

    async def jobs_cost(self, job_ids: Sequence[str], group: str = "") -> JobsCost:
        """What a set of jobs cost (a submission's: plain jobs and array children), and each array's
        part. Arrays are read through ListJobs arrayJobId (1,000 children a page), priced at their
        parent's size; a child counts one attempt (its retries are not read). `group` names the
        submission the runs belong to."""
        book = await self.price_book()
        if book is None:
            return JobsCost(None, {}, 0, len(job_ids))
        batch = self._backend().batch
        parents = sorted({i.split(":", 1)[0] for i in job_ids if ":" in i})
        plain = [i for i in job_ids if ":" not in i]
        described = await self._run(batch.describe_job_details, [*parents, *plain])
        by_id = {d.job_id: d for d in described}
        catalogue = resources.instance_catalogue()
        now = int(self._clock() * 1000)
        runs: list[PricedRun] = []
        wanted = set(job_ids)
        for parent_id in parents:
            parent = by_id.get(parent_id)
            if parent is None:
                continue
            for child in await self._run(batch.list_array_children, parent_id):
                if child.job_id in wanted:
                    one = replace(parent, summary=child, attempts=(), raw={})
                    runs.extend(_priced(book, catalogue, one, now, {ARRAY: parent_id, SUBMISSION: group}))
        for job_id in plain:
            if job_id in by_id:
                runs.extend(_priced(book, catalogue, by_id[job_id], now, {SUBMISSION: group}))
        return JobsCost(total(r.cost for r in runs), rollup(runs, ARRAY), len(runs), len(job_ids) - len(runs))

    async def estimate_run(
        self, queue_name: str, vcpus: float, memory_mib: float, seconds_each: float, jobs: int
    ) -> RunEstimate:
        """What `jobs` jobs of this size, each running `seconds_each`, may cost on the queue's first
        compute environment (its platform; on EC2 a range over its instance types)."""
        book = await self.price_book()
        batch = self._backend().batch
        queue = next((q for q in await self._run(batch.describe_job_queues) if q.name == queue_name), None)
        environments = await self._run(batch.describe_compute_environments)
        first = None if queue is None else _first_environment(queue, environments)
        one: CostEstimate | None = None
        if book is not None and first is not None:
            platform = first.platform.value if first.platform is not None else "EC2"
            allowed = first.instance_types or ("optimal",)
            catalogue = resources.instance_catalogue()
            one = run_cost(book, catalogue, platform, vcpus, memory_mib, seconds_each, allowed=allowed)
        return RunEstimate(None if one is None else one.times(jobs), jobs, seconds_each, book)

    async def history_by_day(self, zone: tzinfo, since_ms: int = 0) -> HistoryCost:
        """The cost per local day of the finished jobs the connection's local jobs history holds
        (read-only, services/cost_history.py), each priced at its definition's size on its queue's
        first compute environment (EC2: a range over its instance types; overrides not known)."""
        book = await self.price_book()
        if book is None or self._history_dir is None:
            return HistoryCost({}, 0, 0, book)
        backend = self._backend()
        runs = await self._run(finished_runs, history_path(self._history_dir, backend.spec), since_ms)
        if not runs:
            return HistoryCost({}, 0, 0, book)
        batch = backend.batch
        queues = {q.name: q for q in await self._run(batch.describe_job_queues)}
        environments = await self._run(batch.describe_compute_environments)
        definitions = {d.arn: d for d in await self._run(batch.describe_job_definitions, None)}
        sizes: dict[tuple[str, str], RunSize | None] = {}

        def size_of(run: FinishedRun) -> RunSize | None:
            key = (run.queue, run.job_definition)
            if key not in sizes:
                queue = queues.get(run.queue)
                first = None if queue is None else _first_environment(queue, environments)
                sizes[key] = run_size(definitions.get(run.job_definition), first)
            return sizes[key]

        priced, missed = price_finished(book, resources.instance_catalogue(), runs, size_of)
        return HistoryCost(by_day(priced, zone), len(priced), missed, book)


@dataclass(frozen=True)
class HistoryCost:
    """The history's cost per day, how many finished jobs were priced and not, and at what prices."""

    days: dict[date, CostEstimate]
    priced: int
    not_priced: int
    book: PriceBook | None


def run_size(definition: JobDefinition | None, first: ComputeEnvironment | None) -> RunSize | None:
    """A run's size from its definition, on its queue's first environment (else the definition's
    own platform); None when the definition or its vCPUs and memory are not known."""
    if definition is None or not definition.vcpus or not definition.memory_mib:
        return None
    platform = definition.platform if first is None or first.platform is None else first.platform.value
    allowed = () if first is None else tuple(first.instance_types)
    runtime = (definition.raw.get("containerProperties") or {}).get("runtimePlatform") or {}
    arm = str(runtime.get("cpuArchitecture", "")).upper() == "ARM64"
    return RunSize(
        float(definition.vcpus), float(definition.memory_mib), platform, allowed, ARM64 if arm else X86_64
    )


@dataclass(frozen=True)
class JobsCost:
    """A set of jobs' estimated cost, each array's part, and how many could (not) be priced (not
    started yet, gone, or no price)."""

    cost: CostEstimate | None
    arrays: dict[str, CostEstimate]
    priced: int
    not_priced: int


def _priced(
    book: PriceBook, catalogue: InstanceCatalogue, detail: JobDetail, now_ms: int, groups: dict[str, str]
) -> list[PricedRun]:
    cost = job_cost(book, catalogue, detail, now_ms=now_ms)
    if cost is None:
        return []
    s = detail.summary
    return [PricedRun(s.job_id, cost, s.started_at or now_ms, s.stopped_at or now_ms, groups)]


def _first_environment(
    queue: JobQueue, environments: Sequence[ComputeEnvironment]
) -> ComputeEnvironment | None:
    by_arn = {e.arn: e for e in environments}
    for order in queue.compute_environments:
        if order.arn in by_arn:
            return by_arn[order.arn]
    return None
