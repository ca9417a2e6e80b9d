"""What ECS gives every container, served on loopback: the task metadata endpoint (v3 and v4) and
the task-role credentials endpoint.

A job's environment gets what ECS sets in a Batch container:

- `AWS_EXECUTION_ENV` — `AWS_ECS_FARGATE` or `AWS_ECS_EC2` (Metaflow's `@batch` reads it);
- `ECS_CONTAINER_METADATA_URI_V4` and `ECS_CONTAINER_METADATA_URI` — `GET` it for the container's
  document, `/task` for the task's, `/stats` and `/task/stats` for (approximate) Docker stats, in
  the shapes the ECS developer guide documents (task-metadata-endpoint-v4 and -v4-fargate);
- `AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN` — what botocore's
  container credential provider reads: a `GET` with that token as `Authorization` answers
  `{RoleArn, AccessKeyId, SecretAccessKey, Token, Expiration}` for the job's role. ECS sets
  `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` instead, which SDKs resolve against 169.254.170.2, a
  link-local address this machine does not serve; the full URI is the form SDKs offer for that.

The credentials are short-lived session keys (`ASIA…`, an hour, renewed when a fetch finds less
than a quarter of an hour left) that the sandbox's front door accepts, with their session token,
only while the job runs: a job holds no long-lived keys in its environment. Every URL holds a
random per-task id, and the credentials also need the task's authorization token, so a job cannot
read another job's documents or keys.
"""

from __future__ import annotations

import contextlib
import datetime
import hmac
import json
import logging
import os
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from batchgui.sandbox.api.common import container_resources
from batchgui.sandbox.settings import ACCOUNT_ID

log = logging.getLogger(__name__)

Json = dict[str, Any]
CREDENTIALS_LIFETIME_S = 3600.0
RENEW_BEFORE_S = 900.0
DEFAULT_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/batchgui-sandbox-job-role"
LOOPBACK_IP = "127.0.0.1"


def iso(ts: float) -> str:
    """ECS's timestamps: RFC 3339 in UTC with nanoseconds."""
    stamp = datetime.datetime.fromtimestamp(ts, datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}000Z"


def _expiration(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SessionKeys:
    access_key: str
    secret_key: str
    token: str
    expires: float

    @classmethod
    def issue(cls, now: float) -> SessionKeys:
        return cls(
            "ASIA" + secrets.token_hex(8).upper(),
            secrets.token_urlsafe(30),
            secrets.token_urlsafe(96),
            now + CREDENTIALS_LIFETIME_S,
        )


@dataclass
class Task:
    """One running job attempt as ECS would describe it."""

    job_id: str
    task_arn: str
    cluster_arn: str
    family: str
    revision: str
    fargate: bool
    vcpus: float
    memory_mib: int
    image: str
    log_group: str
    log_stream: str
    region: str
    role_arn: str
    private_ip: str = LOOPBACK_IP
    instance_id: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    pid: int | None = None
    endpoint_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    auth_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    docker_id: str = field(default_factory=lambda: secrets.token_hex(32))
    container_arn: str = ""
    keys: list[SessionKeys] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.container_arn:
            self.container_arn = f"arn:aws:ecs:{self.region}:{ACCOUNT_ID}:container/{uuid.uuid4()}"

    def network(self) -> Json:
        subnet = "10.0.0.0/24"
        out: Json = {
            "NetworkMode": "awsvpc" if self.fargate else "host",
            "IPv4Addresses": [self.private_ip],
        }
        if self.fargate:
            out.update(
                {
                    "AttachmentIndex": 0,
                    "MACAddress": "0e:00:00:00:00:01",
                    "IPv4SubnetCIDRBlock": subnet,
                    "PrivateDNSName": f"ip-{self.private_ip.replace('.', '-')}.ec2.internal",
                    "SubnetGatewayIpv4Address": "10.0.0.1/24",
                }
            )
        return out

    def container(self) -> Json:
        """The container metadata document (ECS_CONTAINER_METADATA_URI_V4)."""
        task_id = self.task_arn.rsplit("/", 1)[-1]
        doc: Json = {
            "DockerId": self.docker_id,
            "Name": "default",
            "DockerName": f"ecs-{self.family}-{self.revision}-default-{task_id[:20]}",
            "Image": self.image,
            "ImageID": "sha256:" + "0" * 64,
            "Labels": {
                "com.amazonaws.ecs.cluster": self.cluster_arn,
                "com.amazonaws.ecs.container-name": "default",
                "com.amazonaws.ecs.task-arn": self.task_arn,
                "com.amazonaws.ecs.task-definition-family": self.family,
                "com.amazonaws.ecs.task-definition-version": self.revision,
            },
            "DesiredStatus": "RUNNING",
            "KnownStatus": "RUNNING" if self.started is not None else "PENDING",
            "Limits": {"CPU": int(self.vcpus * 1024), "Memory": self.memory_mib},
            "CreatedAt": iso(self.created),
            "Type": "NORMAL",
            "LogDriver": "awslogs",
            "LogOptions": {
                "awslogs-group": self.log_group,
                "awslogs-region": self.region,
                "awslogs-stream": self.log_stream,
            },
            "ContainerARN": self.container_arn,
            "Networks": [self.network()],
        }
        if self.started is not None:
            doc["StartedAt"] = iso(self.started)
        return doc

    def task(self) -> Json:
        """The task metadata document (ECS_CONTAINER_METADATA_URI_V4/task)."""
        doc: Json = {
            "Cluster": self.cluster_arn,
            "TaskARN": self.task_arn,
            "Family": self.family,
            "Revision": self.revision,
            "DesiredStatus": "RUNNING",
            "KnownStatus": "RUNNING" if self.started is not None else "PENDING",
            "Containers": [self.container()],
            "PullStartedAt": iso(self.created),
            "PullStoppedAt": iso(self.created),
            "AvailabilityZone": f"{self.region}a",
            "LaunchType": "FARGATE" if self.fargate else "EC2",
            "VPCID": "vpc-0batchguisandbox",
        }
        if self.fargate:
            doc["Limits"] = {"CPU": self.vcpus, "Memory": self.memory_mib}
            doc["ClockDrift"] = {
                "ClockErrorBound": 0.5,
                "ReferenceTimestamp": iso(time.time()),
                "ClockSynchronizationStatus": "SYNCHRONIZED",
            }
            doc["EphemeralStorageMetrics"] = {"Utilized": 0, "Reserved": 20496}
            doc["PlatformVersion"] = "1.4.0"
        else:
            doc["ContainerInstanceTags"] = {}
            doc["TaskTags"] = {}
        if self.started is not None:
            doc["StartedAt"] = iso(self.started)
        return doc

    def stats(self) -> Json:
        """Docker's stats document, from the job process's /proc entries (the process only, not
        its children)."""
        rss = cpu_ns = 0
        if self.pid is not None:
            with (
                contextlib.suppress(OSError, ValueError, IndexError),
                open(f"/proc/{self.pid}/statm", encoding="ascii") as handle,
            ):
                rss = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{self.pid}/stat", encoding="ascii") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                ticks = int(fields[11]) + int(fields[12])
                cpu_ns = ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")
        now = iso(time.time())
        return {
            "read": now,
            "preread": now,
            "name": "default",
            "id": self.docker_id,
            "num_procs": 0,
            "pids_stats": {},
            "cpu_stats": {"cpu_usage": {"total_usage": cpu_ns}, "online_cpus": os.cpu_count() or 1},
            "precpu_stats": {"cpu_usage": {"total_usage": cpu_ns}},
            "memory_stats": {"usage": rss, "limit": self.memory_mib * 1024 * 1024},
            "networks": {},
            "blkio_stats": {},
        }

    def credentials(self, now: float) -> SessionKeys:
        """The newest keys, renewed when they are close to expiring (older ones stay valid)."""
        if not self.keys or self.keys[-1].expires - now < RENEW_BEFORE_S:
            self.keys = [k for k in self.keys if k.expires > now]
            self.keys.append(SessionKeys.issue(now))
        return self.keys[-1]


class TaskEndpoints:
    """The loopback HTTP server that answers jobs' metadata and credentials requests."""

    def __init__(self, host: str = LOOPBACK_IP) -> None:
        self._lock = threading.Lock()
        self._by_endpoint: dict[str, Task] = {}
        self._by_job: dict[str, Task] = {}
        self._by_key: dict[str, tuple[Task, SessionKeys]] = {}
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self.base_url = f"http://{host}:{self._server.server_address[1]}"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-ecs", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(1.0)
            self._thread = None
        self._server.server_close()

    # ---- the executor's side --------------------------------------------------------------------
    def register(self, task: Task) -> dict[str, str]:
        """Remember a task that is about to start; the environment variables ECS would set."""
        with self._lock:
            old = self._by_job.pop(task.job_id, None)
            if old is not None:
                self._drop(old)
            self._by_job[task.job_id] = task
            self._by_endpoint[task.endpoint_id] = task
        metadata = f"{self.base_url}/v4/{task.endpoint_id}"
        return {
            "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE" if task.fargate else "AWS_ECS_EC2",
            "AWS_REGION": task.region,
            "AWS_DEFAULT_REGION": task.region,
            "ECS_CONTAINER_METADATA_URI_V4": metadata,
            "ECS_CONTAINER_METADATA_URI": f"{self.base_url}/v3/{task.endpoint_id}",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{self.base_url}/v2/credentials/{task.endpoint_id}",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": task.auth_token,
        }

    def started(self, job_id: str, pid: int) -> None:
        with self._lock:
            task = self._by_job.get(job_id)
            if task is not None:
                task.started = time.time()
                task.pid = pid

    def forget(self, job_id: str) -> None:
        """The job's process ended: its documents and keys go with it."""
        with self._lock:
            task = self._by_job.pop(job_id, None)
            if task is not None:
                self._drop(task)

    def _drop(self, task: Task) -> None:
        self._by_endpoint.pop(task.endpoint_id, None)
        for keys in task.keys:
            self._by_key.pop(keys.access_key, None)

    def tasks(self) -> int:
        with self._lock:
            return len(self._by_job)

    # ---- the front door's side ------------------------------------------------------------------
    def keys_for(self, environ: Mapping[str, Any]) -> tuple[str, str] | None:
        """(access key, secret) of a running job's session keys the request is signed with, when
        its session token matches; None when it names no job key. Raises ExpiredToken."""
        access_key = _request_access_key(environ)
        if not access_key.startswith("ASIA"):
            return None
        with self._lock:
            found = self._by_key.get(access_key)
        if found is None:
            return None
        _task, keys = found
        sent = str(environ.get("HTTP_X_AMZ_SECURITY_TOKEN") or "")
        if not sent:
            sent = (parse_qs(str(environ.get("QUERY_STRING", ""))).get("X-Amz-Security-Token") or [""])[0]
        if not hmac.compare_digest(sent.encode(), keys.token.encode()):
            return None
        if time.time() >= keys.expires:
            raise ExpiredToken
        return keys.access_key, keys.secret_key

    # ---- HTTP -----------------------------------------------------------------------------------
    def answer(self, path: str, authorization: str | None) -> tuple[int, Json]:
        parts = [unquote(p) for p in path.split("?", 1)[0].strip("/").split("/")]
        if len(parts) >= 3 and parts[0] == "v2" and parts[1] == "credentials":
            return self._credentials(parts[2], authorization)
        if len(parts) < 2 or parts[0] not in ("v3", "v4"):
            return 404, {"message": "not an ECS metadata path"}
        with self._lock:
            task = self._by_endpoint.get(parts[1])
        if task is None:
            return 404, {"message": "no such task: it has stopped, or the id is wrong"}
        rest = parts[2:]
        if rest == []:
            return 200, task.container()
        if rest == ["task"]:
            return 200, task.task()
        if rest == ["stats"]:
            return 200, task.stats()
        if rest == ["task", "stats"]:
            return 200, {task.docker_id: task.stats()}
        return 404, {"message": f"unknown metadata path /{'/'.join(rest)}"}

    def _credentials(self, endpoint_id: str, authorization: str | None) -> tuple[int, Json]:
        with self._lock:
            task = self._by_endpoint.get(endpoint_id)
            if task is None or not hmac.compare_digest(
                (authorization or "").encode(), task.auth_token.encode()
            ):
                return 403, {"code": "AccessDenied", "message": "Unable to authorize the request"}
            keys = task.credentials(time.time())
            self._by_key[keys.access_key] = (task, keys)
        return 200, {
            "RoleArn": task.role_arn,
            "AccessKeyId": keys.access_key,
            "SecretAccessKey": keys.secret_key,
            "Token": keys.token,
            "Expiration": _expiration(keys.expires),
        }


class ExpiredToken(Exception):
    """A job's session keys were used after their expiration."""


def _request_access_key(environ: Mapping[str, Any]) -> str:
    header = str(environ.get("HTTP_AUTHORIZATION") or "")
    marker = "Credential="
    if marker in header:
        return header.split(marker, 1)[1].split("/", 1)[0].strip()
    query = str(environ.get("QUERY_STRING", ""))
    if "X-Amz-Credential=" in query:
        credential = (parse_qs(query).get("X-Amz-Credential") or [""])[0]
        return credential.split("/", 1)[0]
    return (parse_qs(query).get("AWSAccessKeyId") or [""])[0]


def _handler_for(endpoints: TaskEndpoints) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10  # a client that opens a connection and says nothing is dropped
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status, body = endpoints.answer(self.path, self.headers.get("Authorization"))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("ecs metadata: " + format, *args)

    return Handler


def task_for(  # noqa: PLR0917
    job_id: str,
    spec: Json,
    task_arn: str,
    cluster_arn: str,
    log_group: str,
    log_stream: str,
    region: str,
    instance_id: str | None,
) -> Task:
    """The Task of a job attempt, from the job's DescribeJobs document (`spec`)."""
    container: Json = spec.get("container") or {}
    vcpus, memory = container_resources(container)
    name_rev = str(spec.get("jobDefinition", "")).rsplit("/", 1)[-1]
    family, _, revision = name_rev.rpartition(":")
    return Task(
        job_id=job_id,
        task_arn=task_arn,
        cluster_arn=cluster_arn,
        family=family or name_rev,
        revision=revision or "1",
        fargate=list(spec.get("platformCapabilities") or ["EC2"]) == ["FARGATE"],
        vcpus=vcpus,
        memory_mib=memory,
        image=str(container.get("image", "")),
        log_group=log_group,
        log_stream=log_stream,
        region=region,
        role_arn=str(container.get("jobRoleArn") or DEFAULT_ROLE),
        instance_id=instance_id,
    )


__all__ = ["DEFAULT_ROLE", "ExpiredToken", "Task", "TaskEndpoints", "task_for"]
