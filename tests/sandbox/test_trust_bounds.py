"""Bounds before trust: refused before the body is read, capped connections, AWS-style 400s."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from batchgui.sandbox import RunningSandbox, start_in_process
from batchgui.sandbox.httpd import WSGIServer
from batchgui.sandbox.server import DataDirInUse
from tests.sandbox.conftest import FAST, Clients
from tests.sandbox.test_trust_signatures import send, signed

pytestmark = pytest.mark.timeout(120)
SIXTY_MB = 60 * 1024 * 1024


def address(sandbox: RunningSandbox) -> tuple[str, int]:
    host, port = sandbox.endpoint_url.split("//", 1)[1].rsplit(":", 1)
    return host, int(port)


def headers_only(target: tuple[str, int], head: bytes, wait: float = 5.0) -> bytes:
    """Send a request's headers and no body; return what the server answers meanwhile."""
    with socket.create_connection(target, timeout=wait) as conn:
        conn.sendall(head)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                piece = conn.recv(65536)
                if not piece:
                    break
                data += piece
        except TimeoutError:
            pass
        return data


def test_bad_signatures_are_refused_before_a_60_mb_body_is_sent(sandbox: RunningSandbox) -> None:
    target = address(sandbox)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for key, service, path, signed_headers in (
        ("AKIAWRONGKEY", "batch", "/v1/submitjob", "host;x-amz-date"),
        (sandbox.access_key_id, "batch", "/v1/submitjob", "host;x-amz-date"),  # over Batch's limit
        (sandbox.access_key_id, "dynamodb", "/", "host;x-amz-date"),  # over DynamoDB's 16 MB
        (
            sandbox.access_key_id,
            "s3",
            "/batchgui-demo/uploads/huge.bin",
            "host;x-amz-content-sha256;x-amz-date",
        ),
        (sandbox.access_key_id, "s3", "/batchgui-demo/uploads/huge.bin", "host;x-amz-date"),
    ):
        auth = (
            f"AWS4-HMAC-SHA256 Credential={key}/{stamp[:8]}/us-east-1/{service}/aws4_request, "
            f"SignedHeaders={signed_headers}, Signature=" + "0" * 64
        )
        method = "PUT" if service == "s3" else "POST"
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {target[0]}:{target[1]}\r\nAuthorization: {auth}\r\n"
            f"X-Amz-Date: {stamp}\r\nX-Amz-Content-SHA256: {'a' * 64}\r\nContent-Length: {SIXTY_MB}\r\n\r\n"
        ).encode()
        started = time.monotonic()
        answer = headers_only(target, head)
        assert answer.split(b" ", 2)[1] in (b"400", b"403", b"413"), (service, key, answer)
        assert time.monotonic() - started < 4


def test_connection_cap_answers_with_throttling() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    server = WSGIServer("127.0.0.1", 0, app, max_connections=4, header_timeout_s=0.5)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    target = ("127.0.0.1", server.server_port)
    idle = [socket.create_connection(target, timeout=5) for _ in range(4)]
    try:
        time.sleep(0.3)
        answer = headers_only(target, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert b"ThrottlingException" in answer
        # Idle keep-alive connections may wait longer than the header timeout for their request...
        time.sleep(0.8)
        idle[0].sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert idle[0].recv(1024).startswith(b"HTTP/1.1 200")
        # ...but a started request whose headers stall is cut off.
        idle[1].sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        idle[1].settimeout(3)
        started = time.monotonic()
        assert idle[1].recv(1024) == b""
        assert time.monotonic() - started < 2
    finally:
        for conn in idle:
            conn.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # closed connections free their slots
            if headers_only(target, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 200"):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("slots were not released")
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "length", ["abc", "-1", "1e3", "12, 13", "99999999999999999999999"], ids=lambda v: v[:8]
)
def test_bad_content_length_gets_an_aws_style_400(sandbox: RunningSandbox, length: str) -> None:
    head = f"POST /v1/submitjob HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode()
    answer = headers_only(address(sandbox), head)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert b"x-amzn-ErrorType: BadRequest" in answer
    assert b"<html" not in answer.lower()


def test_content_length_with_chunked_is_refused(sandbox: RunningSandbox) -> None:
    head = (
        b"POST /v1/submitjob HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    answer = headers_only(address(sandbox), head)
    assert answer.startswith(b"HTTP/1.1 400"), answer


def test_json_nested_5000_deep_gets_400(sandbox: RunningSandbox, clients: Clients) -> None:
    deep = b'{"jobName": "deep", "parameters": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}"
    status, _, body = send(
        sandbox, "POST", "/v1/submitjob", deep, signed(sandbox, "batch", "POST", "/v1/submitjob", deep)
    )
    assert status == 400, body
    assert json.loads(body)["__type"] == "SerializationException"
    deep_list = b"[" * 5000 + b"]" * 5000
    logs_headers = {
        "X-Amz-Target": "Logs_20140328.DescribeLogGroups",
        "Content-Type": "application/x-amz-json-1.1",
    }
    status, _, body = send(
        sandbox, "POST", "/", deep_list, signed(sandbox, "logs", "POST", "/", deep_list, headers=logs_headers)
    )
    assert status == 400, body
    clients.batch.describe_job_queues()  # still serving


@pytest.mark.parametrize("body", [b"\xff\xfe{", b"{", b"[]", b'"text"', b"null", b'{"jobName": }'])
def test_malformed_bodies_get_aws_style_400(sandbox: RunningSandbox, body: bytes) -> None:
    status, headers, answer = send(
        sandbox, "POST", "/v1/submitjob", body, signed(sandbox, "batch", "POST", "/v1/submitjob", body)
    )
    assert status == 400, answer
    assert "x-amzn-ErrorType" in headers
    assert b"<html" not in answer.lower()


def _hostile_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "broken-aws-config"
    broken.write_text("[profile prod\nthis is = not [an ini file\n")
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(broken))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(broken))


def test_sandbox_ignores_the_hosts_aws_profile_and_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with monkeypatch.context() as hostile:
        _hostile_aws_environment(hostile, tmp_path)
        sb = start_in_process(tmp_path / "data", settings=FAST)
    try:
        with monkeypatch.context() as hostile:
            _hostile_aws_environment(hostile, tmp_path)
            assert sb.wait_services(60)
            # Signed by hand (this test's own boto3 would read the broken files); moto makes the
            # STS and EC2 backends on first use, while the host's settings are still broken.
            body = b"Action=GetCallerIdentity&Version=2011-06-15"
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            status, _, answer = send(
                sb, "POST", "/", body, signed(sb, "sts", "POST", "/", body, headers=form)
            )
            assert status == 200, answer
            status, _, answer = send(
                sb,
                "POST",
                "/v1/describejobqueues",
                b"{}",
                signed(sb, "batch", "POST", "/v1/describejobqueues", b"{}"),
            )
            assert status == 200, answer
        assert "batchgui-demo-results" in Clients(sb).dynamodb.list_tables()["TableNames"]
    finally:
        sb.stop()


def test_cli_serve_works_with_aws_profile_prod(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _hostile_aws_environment(monkeypatch, tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "batchgui.sandbox.cli", "serve", "--data-dir", str(tmp_path / "cli-data")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        info = json.loads(line)
        assert info["endpoint_url"].startswith("http://127.0.0.1:")
    finally:
        process.terminate()
        process.wait(20)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "lock-data"


def test_failed_start_releases_the_data_dir_lock(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    from batchgui.sandbox import logs_api

    def broken(self: object, store: object) -> None:
        raise RuntimeError("simulated start failure")

    with monkeypatch.context() as patch:
        patch.setattr(logs_api.LogsApi, "__init__", broken)
        with pytest.raises(RuntimeError, match="simulated"):
            start_in_process(data_dir, seed=False, settings=FAST)
    try:
        sb = start_in_process(data_dir, seed=False, settings=FAST)
    except DataDirInUse:
        pytest.fail("a failed start kept the data-dir lock")
    sb.stop()


@pytest.fixture
def echo_server() -> Any:
    """A WSGIServer whose app reads the whole body and answers its length."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        try:
            body = environ["wsgi.input"].read()
        except OSError:
            body = b"?"
        answer = str(len(body)).encode()
        start_response("200 OK", [("Content-Length", str(len(answer)))])
        return [answer]

    server = WSGIServer("127.0.0.1", 0, app, header_timeout_s=2.0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield ("127.0.0.1", server.server_port)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "head",
    [
        b"POST / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded: 2\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost : x\r\n\r\n",
    ],
    ids=["no-colon", "obs-fold", "space-before-colon"],
)
def test_malformed_header_lines_get_an_aws_style_400(echo_server: tuple[str, int], head: bytes) -> None:
    answer = headers_only(echo_server, head)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert b"x-amzn-ErrorType: BadRequest" in answer


def test_more_than_100_headers_get_431(echo_server: tuple[str, int]) -> None:
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(101))
    answer = headers_only(echo_server, b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431"), answer


def test_keep_alive_requests_read_their_headers_and_bodies(echo_server: tuple[str, int]) -> None:
    with socket.create_connection(echo_server, timeout=5) as conn:
        for body in (b"", b"hello", b"x" * 70_000):
            conn.sendall(
                b"POST / HTTP/1.1\r\nHost: x\r\nX-Spaced:   a  b  \r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body)
            )
            data = b""
            while not data.endswith(b"\r\n\r\n" + str(len(body)).encode()):
                piece = conn.recv(65536)
                assert piece, data
                data += piece
            assert data.startswith(b"HTTP/1.1 200")


def test_a_stalled_body_ends_the_connection(
    echo_server: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from batchgui.sandbox import httpd

    monkeypatch.setattr(httpd, "BODY_READ_TIMEOUT_S", 0.5)
    with socket.create_connection(echo_server, timeout=5) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part")
        started = time.monotonic()
        data = b""
        while piece := conn.recv(65536):
            data += piece
        assert time.monotonic() - started < 3, data  # cut off by the deadline, not the idle timeout
        assert b"\r\n\r\n100" not in data  # the body was never taken for complete
