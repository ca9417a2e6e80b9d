"""Sandbox at account scale: filtered ListJobs pages with 300,000 jobs; DescribeJobs of finished jobs
against moto's server.

Both measure a sandbox serving from disk in its own process (`python -m batchgui.sandbox.cli serve`),
called by boto3 from this one.

- `sandbox_filtered_page_ms_300k`: 300,000 jobs of one queue (200 real finished jobs, their rows
  copied in the store with varied names, creation times over 30 days and statuses; one block of
  10,000 named `search-…`, submitted together as a user's batch would be). Kinds of page, each with
  its own varied bounds: created-after with nothing newer (empty), created-after with a few hundred
  newer (a full page, then the next), created-before in the middle, the `search-*` prefix (10,000
  matches: first page and the pages after it), a prefix nothing matches, one exact name. The figure
  is the slowest kind's median page time.
- `sandbox_describe_finished_100_ratio_vs_moto`: 400 finished jobs (varied names, commands,
  parameters, environments; some FAILED after two attempts) on each side, moto's server in its own
  process (`moto_server`, batch without Docker). Each call asks for another 100 of them. Ours and
  moto's alternate, A B A B, 6 pairs of 15 calls; the figure is the median of the pair ratios of
  median latencies.
"""

from __future__ import annotations

import json
import random
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from batchgui.sandbox import start_in_process
from tests.benchmarks.results import median, record
from tests.benchmarks.test_sandbox_bench import CONFIG, NO_DELAY, batch_client, make_queue, serve, stop
from tests.sandbox.conftest import wait_for

pytestmark = pytest.mark.timeout(1800)
DAY_MS = 86_400_000
JOBS_300K = 300_000
SEARCH_BLOCK = 10_000


def _finished(batch: Any, queue: str, count: int, timeout: float = 300) -> None:
    def done() -> bool:
        pages = [
            page
            for status in ("SUCCEEDED", "FAILED")
            for page in batch.get_paginator("list_jobs").paginate(jobQueue=queue, jobStatus=status)
        ]
        return sum(len(page["jobSummaryList"]) for page in pages) >= count

    wait_for(done, timeout, f"{count} jobs to finish")


def _varied_jobs(batch: Any, queue: str, definition: str, count: int, rng: random.Random) -> list[str]:
    """`count` jobs of varied shape: names, commands, parameters, environment; a fifth fail twice."""
    ids = []
    for number in range(count):
        failing = number % 5 == 4
        env = [{"name": f"VAR_{k}", "value": "x" * rng.randint(1, 60)} for k in range(rng.randint(0, 6))]
        overrides: dict[str, Any] = {
            "command": ["false"] if failing else ["sh", "-c", f"echo row {number}; exit 0"],
            "environment": env,
        }
        word = rng.choice(["etl", "train", "score", "export"])
        kwargs: dict[str, Any] = {
            "jobName": f"{word}-{uuid.uuid4().hex[: rng.randint(4, 20)]}",
            "jobQueue": queue,
            "jobDefinition": definition,
            "containerOverrides": overrides,
            "parameters": {f"p{k}": str(rng.random()) for k in range(rng.randint(0, 4))},
        }
        if failing:
            kwargs["retryStrategy"] = {"attempts": 2}
        ids.append(batch.submit_job(**kwargs)["jobId"])
    return ids


# ---- filtered ListJobs pages with 300,000 jobs ---------------------------------------------------
def _fill_300k(data_dir: Path, rng: random.Random) -> tuple[str, int, int]:
    """The queue, the newest creation time, and the creation time of the `search-` block's first job."""
    sb = start_in_process(data_dir, seed=False, settings=NO_DELAY)
    try:
        batch = batch_client(sb.connection_info())
        queue = make_queue(batch, "filter-bench", 64)
        _varied_jobs(batch, queue, f"{queue}-true", 200, rng)
        _finished(batch, queue, 200)
    finally:
        sb.stop()
    conn = sqlite3.connect(data_dir / "sandbox.sqlite3")
    skip = ("seq", "job_id", "name", "spec", "created_at", "status")
    cols = [r[1] for r in conn.execute("PRAGMA table_info(jobs)") if r[1] not in skip]
    rows = conn.execute(f"SELECT spec, status, {', '.join(cols)} FROM jobs WHERE child = 0").fetchall()
    conn.execute("DELETE FROM jobs")
    start = int(time.time() * 1000) - 30 * DAY_MS
    step = 30 * DAY_MS // JOBS_300K
    block_at = rng.randint(JOBS_300K // 4, JOBS_300K // 2)
    words = ["etl", "train", "score", "export", "ingest", "report", "clean", "tile"]
    copies: list[tuple[Any, ...]] = []
    for number in range(JOBS_300K):
        src = rows[number % len(rows)]
        job_id = str(uuid.uuid4())
        if block_at <= number < block_at + SEARCH_BLOCK:
            name = f"search-{number - block_at:05d}"
        else:
            name = f"{rng.choice(words)}-{uuid.uuid4().hex[: rng.randint(4, 16)]}"
        spec = json.loads(src[0])
        spec.update(jobId=job_id, jobName=name, jobArn=spec["jobArn"].rsplit("/", 1)[0] + "/" + job_id)
        created = start + number * step + rng.randint(0, step // 2)
        copies.append((job_id, name, json.dumps(spec), created, src[1], *src[2:]))
    marks = ", ".join("?" * (len(cols) + 5))
    names = ", ".join(cols)
    conn.executemany(
        f"INSERT INTO jobs (job_id, name, spec, created_at, status, {names}) VALUES ({marks})", copies
    )
    conn.commit()
    assert conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == JOBS_300K
    conn.close()
    return queue, copies[-1][3], copies[block_at][3]


def _page_ms(batch: Any, **kwargs: Any) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    answer = batch.list_jobs(**kwargs)
    return (time.perf_counter() - started) * 1000, answer


def test_filtered_page_with_300k_jobs(tmp_path: Path) -> None:
    rng = random.Random(15)
    data_dir = tmp_path / "big"
    queue, newest, block_created = _fill_300k(data_dir, rng)
    proc, info, _ = serve(data_dir)
    try:
        batch = batch_client(info)
        timings: dict[str, list[float]] = {}

        def page(kind: str, filters: list[dict[str, Any]], expect: int | None, token: Any = None) -> Any:
            kwargs: dict[str, Any] = {"jobQueue": queue, "filters": filters}
            if token:
                kwargs["nextToken"] = token
            ms, answer = _page_ms(batch, **kwargs)
            if expect is not None:
                assert len(answer["jobSummaryList"]) == expect, (kind, filters)
            timings.setdefault(kind, []).append(ms)
            return answer.get("nextToken")

        for _ in range(3):  # warm: connections, the server's first queries
            page("warm", [{"name": "AFTER_CREATED_AT", "values": [str(newest - DAY_MS)]}], None)
        for _ in range(20):
            after = str(newest + rng.randint(1, DAY_MS))
            page("created_after_empty", [{"name": "AFTER_CREATED_AT", "values": [after]}], 0)
            recent = str(newest - rng.randint(200, 400) * (30 * DAY_MS // JOBS_300K))
            token = page("created_after_full", [{"name": "AFTER_CREATED_AT", "values": [recent]}], 100)
            page("created_after_next", [{"name": "AFTER_CREATED_AT", "values": [recent]}], None, token)
            middle = str(newest - rng.randint(5, 25) * DAY_MS)
            page("created_before_middle", [{"name": "BEFORE_CREATED_AT", "values": [middle]}], 100)
            prefix = [{"name": "JOB_NAME", "values": [rng.choice(["search-*", "SEARCH-*", "Search-*"])]}]
            token = page("name_prefix_10k_first", prefix, 100)
            for _ in range(3):
                token = page("name_prefix_10k_next", prefix, 100, token)
            missing = f"nomatch-{rng.randint(0, 10**6)}*"
            page("name_prefix_empty", [{"name": "JOB_NAME", "values": [missing]}], 0)
            exact = f"search-{rng.randint(0, SEARCH_BLOCK - 1):05d}"
            page("name_exact", [{"name": "JOB_NAME", "values": [exact]}], 1)
        timings.pop("warm")
        medians = {kind: median(values) for kind, values in timings.items()}
        for kind, value in sorted(medians.items()):
            print(f"[bench]   {kind}: median {value:.2f} ms, max {max(timings[kind]):.2f} ms")
        assert block_created < newest
        record("sandbox_filtered_page_ms_300k", max(medians.values()), "ms", 10, "lower")
    finally:
        stop(proc)


# ---- DescribeJobs of 100 finished jobs: ours vs moto's server ------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _moto_server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    moto = Path(sys.executable).with_name("moto_server")
    command = [str(moto), "-H", "127.0.0.1", "-p", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    no_docker = json.dumps({"batch": {"use_docker": False}}).encode()

    def configured() -> bool:
        try:
            request = urllib.request.Request(f"{url}/moto-api/config", data=no_docker, method="POST")
            urllib.request.urlopen(request, timeout=5).read()
        except OSError:
            return False
        return True

    wait_for(configured, 60, "moto_server to start")
    return proc, url


def _moto_finished_jobs(url: str, rng: random.Random, count: int) -> tuple[Any, list[str]]:
    """A Fargate queue on moto's server (which checks the VPC, subnet, group and role exist)."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    clients: list[Any] = [
        session.client(name, endpoint_url=url, config=CONFIG) for name in ("batch", "ec2", "iam")
    ]
    batch, ec2, iam = clients
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    network = {
        "subnets": [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]],
        "securityGroupIds": [ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc)["GroupId"]],
    }
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    resources = {"type": "FARGATE", "maxvCpus": 64, **network}
    batch.create_compute_environment(
        computeEnvironmentName="m-ce",
        type="MANAGED",
        state="ENABLED",
        serviceRole=role,
        computeResources=resources,
    )
    order = [{"order": 1, "computeEnvironment": "m-ce"}]
    batch.create_job_queue(jobQueueName="m-q", state="ENABLED", priority=1, computeEnvironmentOrder=order)
    small = [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}]
    container = {"image": "busybox", "command": ["true"], "resourceRequirements": small}
    batch.register_job_definition(
        jobDefinitionName="m-true",
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties=container,
    )
    ids = _varied_jobs(batch, "m-q", "m-true", count, rng)

    def finished() -> bool:
        pages = [batch.describe_jobs(jobs=ids[k : k + 100])["jobs"] for k in range(0, count, 100)]
        return all(job["status"] in ("SUCCEEDED", "FAILED") for page in pages for job in page)

    wait_for(finished, 300, "moto's jobs to finish")
    return batch, ids


def test_describe_finished_100_vs_moto(tmp_path: Path) -> None:
    rng = random.Random(13)
    count = 400
    data_dir = tmp_path / "ours"
    sb = start_in_process(data_dir, seed=False, settings=NO_DELAY)
    try:
        filler = batch_client(sb.connection_info())
        queue = make_queue(filler, "describe-finished", 64)
        our_ids = _varied_jobs(filler, queue, f"{queue}-true", count, rng)
        _finished(filler, queue, count)
    finally:
        sb.stop()
    proc, info, _ = serve(data_dir)
    moto_proc, moto_url = _moto_server()
    try:
        ours = batch_client(info)
        theirs, moto_ids = _moto_finished_jobs(moto_url, rng, count)
        finished = ours.describe_jobs(jobs=our_ids[:100])["jobs"]
        assert {j["status"] for j in finished} <= {"SUCCEEDED", "FAILED"}
        assert any(j["status"] == "FAILED" and len(j["attempts"]) == 2 for j in finished)
        samples = [rng.sample(range(count), 100) for _ in range(200)]

        def latency(client: Any, ids: list[str], sample: list[int]) -> float:
            started = time.perf_counter()
            jobs = client.describe_jobs(jobs=[ids[k] for k in sample])["jobs"]
            elapsed = time.perf_counter() - started
            assert len(jobs) == 100
            return elapsed

        for sample in samples[:10]:  # warm both
            latency(ours, our_ids, sample)
            latency(theirs, moto_ids, sample)
        ratios = []
        for pair in range(6):
            batch_of = samples[10 + pair * 15 : 25 + pair * 15]
            mine = median(latency(ours, our_ids, sample) for sample in batch_of)
            peer = median(latency(theirs, moto_ids, sample) for sample in batch_of)
            ratios.append(mine / peer)
            print(f"[bench]   pair {pair}: ours {mine * 1000:.2f} ms, moto {peer * 1000:.2f} ms")
        record("sandbox_describe_finished_100_ratio_vs_moto", median(ratios), "ratio", 1.0, "lower")
    finally:
        stop(proc)
        moto_proc.terminate()
        moto_proc.wait(10)
