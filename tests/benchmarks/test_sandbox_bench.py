"""Sandbox benchmarks: SubmitJob rate, DescribeJobs vs moto, dispatch rate, RSS and restart at 100k jobs.

How the 100,000 jobs are made: 100 real jobs go through SubmitJob and run to SUCCEEDED, then their
rows are copied inside the sandbox's SQLite store (new ids and names, same spec) until 100,000
finished jobs exist. Submitting and running 100,000 processes would take many minutes; the paths
measured (start-up recovery, ListJobs by status, DescribeJobs) read the same rows either way.
RSS and restart are measured on the standalone server (`python -m batchgui.sandbox.cli serve`) in a
child process, so the figure is the sandbox's own memory, moto included.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from batchgui.sandbox import RunningSandbox, SandboxSettings, start_in_process
from tests.benchmarks.results import median, record

pytestmark = pytest.mark.timeout(900)

NO_DELAY = SandboxSettings(
    transition_delay_s=0.0,
    fargate_start_delay_s=0.0,
    ec2_provision_delay_s=0.0,
    ec2_start_delay_s=0.0,
    tick_s=0.02,
    max_processes=512,
)
CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=120)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    empty = tmp_path / "aws-config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))


def batch_client(info: dict[str, str]) -> Any:
    return boto3.session.Session(
        aws_access_key_id=info["access_key_id"],
        aws_secret_access_key=info["secret_access_key"],
        region_name=info["region"],
    ).client("batch", endpoint_url=info["endpoint_url"], config=CONFIG)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    sb = start_in_process(tmp_path / "data", settings=NO_DELAY)
    try:
        yield sb
    finally:
        sb.stop()


def make_queue(batch: Any, name: str, max_vcpus: int, enabled: bool = True) -> str:
    batch.create_compute_environment(
        computeEnvironmentName=f"{name}-ce",
        type="MANAGED",
        state="ENABLED" if enabled else "DISABLED",
        computeResources={"type": "FARGATE", "maxvCpus": max_vcpus, "subnets": ["subnet-1"]},
    )
    batch.create_job_queue(
        jobQueueName=name,
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": f"{name}-ce"}],
    )
    batch.register_job_definition(
        jobDefinitionName=f"{name}-true",
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={
            "image": "busybox",
            "command": ["true"],
            "resourceRequirements": [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}],
        },
    )
    deadline = time.monotonic() + 10
    while batch.describe_job_queues(jobQueues=[name])["jobQueues"][0]["status"] != "VALID":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return name


def test_submit_job_rate(sandbox: RunningSandbox) -> None:
    # Steady state: moto's import and the demo seeding run on start-up threads and would share the
    # CPU with the first timed round (start-up has its own figure).
    assert sandbox.wait_services()
    batch = batch_client(sandbox.connection_info())
    queue = make_queue(batch, "submit-bench", 4, enabled=False)  # jobs stay queued: only the API is timed
    for _ in range(20):
        batch.submit_job(jobName="warm", jobQueue=queue, jobDefinition=f"{queue}-true")
    rates = []
    for _ in range(3):
        n = 400
        started = time.perf_counter()
        for i in range(n):
            batch.submit_job(jobName=f"s{i}", jobQueue=queue, jobDefinition=f"{queue}-true")
        rates.append(n / (time.perf_counter() - started))
    record("sandbox_submit_job_per_s", median(rates), "1/s", 500, "higher")


def test_describe_jobs_vs_moto(sandbox: RunningSandbox) -> None:
    from moto.server import ThreadedMotoServer

    ours = batch_client(sandbox.connection_info())
    queue = make_queue(ours, "describe-bench", 4, enabled=False)
    our_ids = [
        ours.submit_job(jobName=f"d{i}", jobQueue=queue, jobDefinition=f"{queue}-true")["jobId"]
        for i in range(100)
    ]

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        moto_url = f"http://{host}:{port}"
        urllib.request.urlopen(
            urllib.request.Request(
                f"{moto_url}/moto-api/config",
                data=json.dumps({"batch": {"use_docker": False}}).encode(),
                method="POST",
            ),
            timeout=10,
        ).read()
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        theirs = session.client("batch", endpoint_url=moto_url, config=CONFIG)
        ec2 = session.client("ec2", endpoint_url=moto_url, config=CONFIG)
        iam = session.client("iam", endpoint_url=moto_url, config=CONFIG)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(GroupName="bench", Description="bench", VpcId=vpc)["GroupId"]
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        theirs.create_compute_environment(
            computeEnvironmentName="m-ce",
            type="MANAGED",
            state="ENABLED",
            serviceRole=role,
            computeResources={
                "type": "FARGATE",
                "maxvCpus": 4,
                "subnets": [subnet],
                "securityGroupIds": [sg],
            },
        )
        theirs.create_job_queue(
            jobQueueName="m-q",
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "m-ce"}],
        )
        theirs.register_job_definition(
            jobDefinitionName="m-true",
            type="container",
            platformCapabilities=["FARGATE"],
            containerProperties={
                "image": "busybox",
                "command": ["true"],
                "resourceRequirements": [
                    {"type": "VCPU", "value": "0.25"},
                    {"type": "MEMORY", "value": "512"},
                ],
            },
        )
        moto_ids = [
            theirs.submit_job(jobName=f"d{i}", jobQueue="m-q", jobDefinition="m-true")["jobId"]
            for i in range(100)
        ]
        assert len(theirs.describe_jobs(jobs=moto_ids)["jobs"]) == 100
        assert len(ours.describe_jobs(jobs=our_ids)["jobs"]) == 100

        def latency(client: Any, ids: list[str]) -> float:
            started = time.perf_counter()
            client.describe_jobs(jobs=ids)
            return time.perf_counter() - started

        ratios = []
        for _ in range(5):
            mine = median(latency(ours, our_ids) for _ in range(10))
            peer = median(latency(theirs, moto_ids) for _ in range(10))
            ratios.append(mine / peer)
        record("sandbox_describe_jobs_100_ratio_vs_moto", median(ratios), "ratio", 1.0, "lower")
    finally:
        server.stop()


def test_dispatch_rate_10k_array(sandbox: RunningSandbox) -> None:
    batch = batch_client(sandbox.connection_info())
    queue = make_queue(batch, "dispatch-bench", 256)
    started = time.perf_counter()
    job_id = batch.submit_job(
        jobName="array", jobQueue=queue, jobDefinition=f"{queue}-true", arrayProperties={"size": 10_000}
    )["jobId"]
    deadline = time.monotonic() + 600
    while True:
        job = batch.describe_jobs(jobs=[job_id])["jobs"][0]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            break
        assert time.monotonic() < deadline, job["arrayProperties"]
        time.sleep(0.25)
    elapsed = time.perf_counter() - started
    assert job["status"] == "SUCCEEDED", job["arrayProperties"]
    record("sandbox_dispatch_jobs_per_s", 10_000 / elapsed, "1/s", 200, "higher")


def fill_100k(data_dir: Path) -> None:
    """100 real finished jobs, copied inside the store up to 100,000."""
    sb = start_in_process(data_dir, settings=NO_DELAY)
    try:
        batch = batch_client(sb.connection_info())
        queue = make_queue(batch, "rss-bench", 64)
        ids = [
            batch.submit_job(jobName=f"r{i}", jobQueue=queue, jobDefinition=f"{queue}-true")["jobId"]
            for i in range(100)
        ]
        deadline = time.monotonic() + 120
        while True:
            done = sum(
                len(batch.list_jobs(jobQueue=queue, jobStatus=s)["jobSummaryList"])
                for s in ("SUCCEEDED", "FAILED")
            )
            if done == len(ids):
                break
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        sb.stop()
    conn = sqlite3.connect(data_dir / "sandbox.sqlite3")
    cols = [
        r[1] for r in conn.execute("PRAGMA table_info(jobs)") if r[1] not in ("seq", "job_id", "name", "spec")
    ]
    rows = conn.execute(f"SELECT job_id, spec, {', '.join(cols)} FROM jobs WHERE name LIKE 'r%'").fetchall()
    copies: list[tuple[Any, ...]] = []
    total = conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
    i = 0
    while total + len(copies) < 100_000:
        src = rows[i % len(rows)]
        new_id = str(uuid.uuid4())
        spec = json.loads(src[1])
        spec["jobId"] = new_id
        spec["jobArn"] = spec["jobArn"].rsplit("/", 1)[0] + "/" + new_id
        spec["jobName"] = f"copy-{i}"
        copies.append((new_id, f"copy-{i}", json.dumps(spec), *src[2:]))
        i += 1
    marks = ", ".join("?" * (len(cols) + 3))
    conn.executemany(f"INSERT INTO jobs (job_id, name, spec, {', '.join(cols)}) VALUES ({marks})", copies)
    conn.commit()
    assert conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] >= 100_000
    conn.close()


def serve(data_dir: Path) -> tuple[subprocess.Popen[str], dict[str, str], float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "batchgui.sandbox.cli", "serve", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    # The API answers: one signed DescribeJobQueues (made with botocore's signer, no client set-up).
    request = AWSRequest(method="POST", url=info["endpoint_url"] + "/v1/describejobqueues", data=b"{}")
    SigV4Auth(
        Credentials(info["access_key_id"], info["secret_access_key"]), "batch", info["region"]
    ).add_auth(request)
    prepared = request.prepare()
    http = urllib.request.Request(prepared.url, data=b"{}", method="POST", headers=dict(prepared.headers))
    with urllib.request.urlopen(http, timeout=30) as response:
        assert response.status == 200
    return proc, info, time.perf_counter() - started


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()


def test_rss_and_restart_with_100k_jobs(tmp_path: Path) -> None:
    data_dir = tmp_path / "big"
    fill_100k(data_dir)
    restarts = []
    rss = []
    for _ in range(3):
        proc, info, elapsed = serve(data_dir)
        try:
            restarts.append(elapsed)
            batch = batch_client(info)
            # Touch the data the way the app does: page through every finished job, describe some.
            token = None
            seen = 0
            while True:
                kwargs: dict[str, Any] = {
                    "jobQueue": "rss-bench",
                    "jobStatus": "SUCCEEDED",
                    "maxResults": 1000,
                }
                if token:
                    kwargs["nextToken"] = token
                page = batch.list_jobs(**kwargs)
                seen += len(page["jobSummaryList"])
                ids = [j["jobId"] for j in page["jobSummaryList"][:100]]
                batch.describe_jobs(jobs=ids)
                token = page.get("nextToken")
                if not token:
                    break
            assert seen >= 99_000
            rss.append(rss_mb(proc.pid))
        finally:
            stop(proc)
    record("sandbox_restart_s_100k_jobs", median(restarts), "s", 2.0, "lower")
    record("sandbox_rss_mb_100k_jobs", max(rss), "MB", 300, "lower")
