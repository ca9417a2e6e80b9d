"""Front-door bounds: memory a standalone sandbox gains while refusing big unauthenticated bodies.

The sandbox runs as `python -m batchgui.sandbox.cli serve` in its own process, so the figure is its
own resident memory. Eight connections at once each send 60 MB after headers signed with the
sandbox's access key but a bogus signature (DynamoDB and S3 requests: the services whose bodies
are largest). The figure is the peak resident-set growth, sampled every 20 ms while they run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.benchmarks.results import record

pytestmark = pytest.mark.timeout(300)
BODY = 60 * 1024 * 1024
CONNECTIONS = 8


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def flood(host: str, port: int, access_key: str, index: int) -> None:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    service, method, path = (
        ("dynamodb", "POST", "/") if index % 2 else ("s3", "PUT", f"/batchgui-demo/f{index}")
    )
    auth = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{stamp[:8]}/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
    )
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {auth}\r\n"
        f"X-Amz-Date: {stamp}\r\nContent-Length: {BODY}\r\n\r\n"
    ).encode()
    block = b"x" * (1024 * 1024)
    try:
        with socket.create_connection((host, port), timeout=10) as conn:
            conn.sendall(head)
            for _ in range(BODY // len(block)):
                conn.sendall(block)
            conn.recv(4096)
    except OSError:
        pass  # the sandbox refused and closed: what it should do


def test_unauthenticated_big_bodies_rss(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "batchgui.sandbox.cli", "serve", "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        host, port = info["endpoint_url"].split("//", 1)[1].rsplit(":", 1)
        time.sleep(5)  # moto loaded and the demo seeded: the baseline is the steady state
        baseline = rss_mb(process.pid)
        peak = baseline
        threads = [
            threading.Thread(target=flood, args=(host, int(port), info["access_key_id"], i))
            for i in range(CONNECTIONS)
        ]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            peak = max(peak, rss_mb(process.pid))
            time.sleep(0.02)
        peak = max(peak, rss_mb(process.pid))
    finally:
        process.terminate()
        process.wait(20)
    record("sandbox_unauth_8x60mb_rss_growth_mb", peak - baseline, "MB", 50, "lower")
