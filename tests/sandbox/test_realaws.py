"""Real-AWS mode: latency on every answer, and the account-wide Batch request rate (429s).

Through real boto3 clients, the AWS CLI and the `batchgui-sandbox serve` command, on loopback.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from batchgui.sandbox import RunningSandbox, SandboxSettings, start_in_process
from tests.sandbox.conftest import FAST, isolate_environment

pytestmark = pytest.mark.timeout(120)
AWS = str(Path(sys.executable).with_name("aws"))


def _client(endpoint_url: str, info: dict[str, str] | RunningSandbox, **retries: Any) -> Any:
    get = info.get if isinstance(info, dict) else lambda key: getattr(info, key)
    session = boto3.session.Session(
        aws_access_key_id=get("access_key_id"),
        aws_secret_access_key=get("secret_access_key"),
        region_name=get("region"),
    )
    config = Config(
        retries=retries or {"max_attempts": 1, "mode": "standard"},  # type: ignore[arg-type]
        max_pool_connections=32,
        connect_timeout=5,
        read_timeout=30,
    )
    return session.client("batch", endpoint_url=endpoint_url, config=config)


def _started(
    tmp_path_factory: pytest.TempPathFactory, latency_ms: float = 0.0, account_rate: float = 0.0
) -> Iterator[RunningSandbox]:
    mp = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("realaws")
    isolate_environment(mp, base / "home")
    settings = dataclasses.replace(FAST, latency_ms=latency_ms, account_rate=account_rate)
    sb = start_in_process(base / "data", seed=False, settings=settings)
    try:
        yield sb
    finally:
        sb.stop()
        mp.undo()


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    yield from _started(tmp_path_factory, latency_ms=200)


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    yield from _started(tmp_path_factory, account_rate=2)


def _burst(info: RunningSandbox | dict[str, str], endpoint_url: str, callers: int = 8) -> list[Any]:
    """One DescribeJobQueues from each of `callers` clients (own connections) at once: the answers
    or the ClientErrors."""
    clients = [_client(endpoint_url, info) for _ in range(callers)]
    outcomes: list[Any] = [None] * callers
    ready = threading.Barrier(callers)

    def call(number: int) -> None:
        ready.wait()
        try:
            outcomes[number] = clients[number].describe_job_queues()
        except ClientError as exc:
            outcomes[number] = exc

    threads = [threading.Thread(target=call, args=(number,)) for number in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_settings_refuse_negative_or_nan_values() -> None:
    with pytest.raises(ValueError, match="latency_ms"):
        SandboxSettings(latency_ms=-1)
    with pytest.raises(ValueError, match="account_rate"):
        SandboxSettings(account_rate=float("nan"))


def test_every_answer_takes_the_latency_and_concurrent_requests_overlap(slow: RunningSandbox) -> None:
    client = _client(slow.endpoint_url, slow)
    client.describe_job_queues()  # the connection is open
    started = time.monotonic()
    client.describe_job_queues()
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    with pytest.raises(ClientError):  # errors are delayed too
        client.describe_jobs(jobs=["x"] * 101)
    assert time.monotonic() - started >= 0.2

    clients = [_client(slow.endpoint_url, slow) for _ in range(8)]
    for each in clients:
        each.describe_job_queues()
    ready = threading.Barrier(len(clients))

    def call(client: Any) -> None:
        ready.wait()
        client.describe_job_queues()

    threads = [threading.Thread(target=call, args=(each,)) for each in clients]
    slow.in_flight.reset_peak()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each answer still takes the latency (a sleep never ends early)...
    assert time.monotonic() - started >= 0.2
    # ...and the eight were inside the server at once: answered one after another, the peak is 1.
    # A count the server keeps, not a stopwatch bound (those flake on a loaded machine).
    assert slow.in_flight.peak == len(clients)


def test_over_the_account_rate_batch_answers_too_many_requests_as_aws(limited: RunningSandbox) -> None:
    # The bucket is the account's: eight callers on their own connections share 2 requests/s.
    outcomes = _burst(limited, limited.endpoint_url)
    refused = [o for o in outcomes if isinstance(o, ClientError)]
    assert len(refused) >= 4, outcomes
    error = refused[0].response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["Error"]["Message"] == "Too Many Requests"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["RequestId"]
    time.sleep(1.0)  # tokens come back at the rate
    _client(limited.endpoint_url, limited).describe_compute_environments()


def test_botocore_retries_throttled_calls_in_both_retry_modes(limited: RunningSandbox) -> None:
    for mode in ("standard", "legacy"):
        client = _client(limited.endpoint_url, limited, max_attempts=12, mode=mode)
        client.describe_job_queues()
        answers = [client.describe_job_queues() for _ in range(6)]
        retried = sum(answer["ResponseMetadata"]["RetryAttempts"] for answer in answers)
        assert retried >= 1, mode
        # 6 calls at 2/s from a bucket of at most 2: throttled answers retried, none refused.
        assert all(a["ResponseMetadata"]["HTTPStatusCode"] == 200 for a in answers), mode


def test_unsigned_requests_are_refused_before_the_rate_counts_them(limited: RunningSandbox) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"{limited.endpoint_url}/v1/describejobqueues", data=b"{}")
    time.sleep(1.0)  # the bucket is full (2 tokens)
    for _ in range(20):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        assert caught.value.code == 403
    client = _client(limited.endpoint_url, limited)
    client.describe_job_queues()
    client.describe_job_queues()


def _aws(info: dict[str, str], home: Path, *args: str, attempts: int) -> subprocess.CompletedProcess[str]:
    config = home / "empty-aws-config"
    config.write_text("")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": info["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": info["secret_access_key"],
        "AWS_DEFAULT_REGION": info["region"],
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(config),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": str(attempts),
        "AWS_RETRY_MODE": "standard",
    }
    return subprocess.run(
        [AWS, "--endpoint-url", info["endpoint_url"], "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`batchgui-sandbox serve --latency-ms 100 --account-rate 2`, in its own process."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env["HOME"] = str(tmp_path / "home")
    command = [sys.executable, "-m", "batchgui.sandbox.cli", "serve", "--no-seed"]
    command += ["--data-dir", str(tmp_path / "data"), "--latency-ms", "100", "--account-rate", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        yield json.loads(line)
    finally:
        process.terminate()
        process.wait(10)


def test_serve_command_takes_latency_and_rate_and_the_aws_cli_sees_them(
    served: dict[str, str], tmp_path: Path
) -> None:
    client = _client(served["endpoint_url"], served, max_attempts=20, mode="standard")
    client.describe_job_queues()
    started = time.monotonic()
    client.describe_job_queues()
    assert time.monotonic() - started >= 0.1
    for number in range(10):
        client.register_job_definition(
            jobDefinitionName=f"paged-{number}",
            type="container",
            containerProperties={"image": "busybox", "command": ["true"], "vcpus": 1, "memory": 128},
        )
    if not Path(AWS).exists():
        pytest.skip("AWS CLI not installed in this environment")
    # Ten pages at 2 requests/s (a burst of 2): without retries the listing is cut off by a 429...
    listing = ("batch", "describe-job-definitions", "--status", "ACTIVE", "--page-size", "1")
    refused = _aws(served, tmp_path, *listing, attempts=1)
    assert refused.returncode != 0
    assert "TooManyRequestsException" in refused.stderr
    assert "Too Many Requests" in refused.stderr
    # ...and with them the CLI backs off and gets every page.
    retried = _aws(served, tmp_path, *listing, attempts=10)
    assert retried.returncode == 0, retried.stderr
    names = {d["jobDefinitionName"] for d in json.loads(retried.stdout)["jobDefinitions"]}
    assert names == {f"paged-{number}" for number in range(10)}


def test_serve_refuses_a_negative_latency(capsys: pytest.CaptureFixture[str]) -> None:
    from batchgui.sandbox.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["serve", "--latency-ms", "-5"])
    assert caught.value.code == 2
    assert "must be a number >= 0" in capsys.readouterr().err
