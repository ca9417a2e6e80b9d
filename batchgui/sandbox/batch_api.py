"""The AWS Batch control plane (rest-json), shapes exactly as botocore's service model.

Routes are the model's `requestUri`s (POST /v1/<operation lowercased>, plus /v1/tags/{arn}). Input
is validated with botocore's ParamValidator against the operation's input shape, then with Batch's
own rules; errors are `ClientException` (400) with a message and `x-amzn-ErrorType`, so botocore
raises the same ClientError as against AWS. Nothing changes when a request is refused.

State lives in the Store; the Engine (scheduler + executor) is told when something changed.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from botocore.model import OperationModel, ServiceModel
from botocore.validate import ParamValidator

from batchgui.sandbox import instances
from batchgui.sandbox.settings import ACCOUNT_ID, REGION, SandboxSettings
from batchgui.sandbox.store import ACTIVE, TERMINAL, Store, array_summary, summary_delta

if TYPE_CHECKING:
    from batchgui.sandbox.engine import Engine

Json = dict[str, Any]
Response = tuple[int, list[tuple[str, str]], bytes]

NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
JOB_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
MAX_SUBMIT_BYTES = 30 * 1024
MAX_DEPENDENCIES = 20
ARN_PREFIX = f"arn:aws:batch:{REGION}:{ACCOUNT_ID}:"
FARGATE_TYPES = ("FARGATE", "FARGATE_SPOT")
JOB_STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
IMPLEMENTED = {
    "CreateComputeEnvironment",
    "UpdateComputeEnvironment",
    "DeleteComputeEnvironment",
    "DescribeComputeEnvironments",
    "CreateJobQueue",
    "UpdateJobQueue",
    "DeleteJobQueue",
    "DescribeJobQueues",
    "RegisterJobDefinition",
    "DeregisterJobDefinition",
    "DescribeJobDefinitions",
    "SubmitJob",
    "ListJobs",
    "DescribeJobs",
    "CancelJob",
    "TerminateJob",
    "CancelJobs",
    "TerminateJobs",
    "GetJobQueueSnapshot",
    "CreateSchedulingPolicy",
    "UpdateSchedulingPolicy",
    "DeleteSchedulingPolicy",
    "DescribeSchedulingPolicies",
    "ListSchedulingPolicies",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
}


class ClientError(Exception):
    def __init__(self, message: str, code: str = "ClientException", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def now_ms() -> int:
    return int(time.time() * 1000)


def arn(kind: str, name: str) -> str:
    return f"{ARN_PREFIX}{kind}/{name}"


def _token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def _untoken(token: str | None) -> Any:
    if not token:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise ClientError("Invalid nextToken") from None


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def _load_service_model() -> ServiceModel:
    from batchgui.sandbox.settings import private_botocore_session

    return private_botocore_session().get_service_model("batch")  # never the host's AWS profile


def container_resources(container: Json) -> tuple[float, int]:
    """(vCPUs, memory MiB) a container asks for, from resourceRequirements or the legacy fields."""
    vcpus = float(container.get("vcpus") or 0)
    memory = int(container.get("memory") or 0)
    for req in container.get("resourceRequirements") or []:
        try:
            if req.get("type") == "VCPU":
                vcpus = float(req["value"])
            elif req.get("type") == "MEMORY":
                memory = int(req["value"])
        except (TypeError, ValueError):
            raise ClientError(f"Invalid resourceRequirements value: {req.get('value')!r}") from None
    return vcpus, memory


def substitute_refs(args: Iterable[str], params: dict[str, str]) -> list[str]:
    """Batch's `Ref::name` parameter substitution in a command."""

    def one(arg: str) -> str:
        if arg.startswith("Ref::") and arg[5:] in params:
            return params[arg[5:]]
        return re.sub(r"Ref::([A-Za-z0-9_]+)", lambda m: params.get(m.group(1), m.group(0)), arg)

    return [one(a) for a in args]


class BatchApi:
    def __init__(self, store: Store, engine: Engine, settings: SandboxSettings) -> None:
        self.store = store
        self.engine = engine
        self.settings = settings
        self.model = _load_service_model()
        self.validator = ParamValidator()
        self._routes: dict[tuple[str, str], str] = {}
        for name in self.model.operation_names:
            http = self.model.operation_model(name).http
            self._routes[(http["method"], http["requestUri"])] = name
        self._ops: dict[str, Callable[[Json], Json]] = {
            name: getattr(self, "op_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()) for name in IMPLEMENTED
        }

    # ---- HTTP -----------------------------------------------------------------------------------
    def handle(self, environ: dict[str, Any], body: bytes) -> Response:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "/"))
        try:
            op_name, params = self._route(method, path, str(environ.get("QUERY_STRING", "")), body)
            result = self.call(op_name, params)
        except ClientError as exc:
            payload = _dumps({"__type": exc.code, "message": exc.message}).encode()
            return exc.status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", exc.code)], payload
        return 200, [("Content-Type", "application/json")], _dumps(result).encode()

    def _route(self, method: str, path: str, query: str, body: bytes) -> tuple[str, Json]:
        if path.startswith("/v1/tags/"):
            resource = unquote(path[len("/v1/tags/") :])
            key = {"GET": "ListTagsForResource", "POST": "TagResource", "DELETE": "UntagResource"}.get(method)
            if key is None:
                raise ClientError(f"Unknown operation {method} {path}", "UnknownOperationException", 404)
            params: Json = {"resourceArn": resource}
            if key == "TagResource":
                params.update(self._json_body(body))
            elif key == "UntagResource":
                params["tagKeys"] = parse_qs(query).get("tagKeys", [])
            return key, params
        op_name = self._routes.get((method, path.rstrip("/").lower()))
        if op_name is None:
            raise ClientError(
                f"Unknown operation {method} {path}: not an AWS Batch API route",
                "UnknownOperationException",
                404,
            )
        if op_name == "SubmitJob" and len(body) > MAX_SUBMIT_BYTES:
            raise ClientError(
                f"SubmitJob request of {len(body)} bytes exceeds the 30 KiB (30720 bytes) limit"
            )
        return op_name, self._json_body(body)

    @staticmethod
    def _json_body(body: bytes) -> Json:
        if not body.strip():
            return {}
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ClientError("Could not parse request body into json: malformed JSON") from None
        if not isinstance(data, dict):
            raise ClientError("Could not parse request body into json: expected an object")
        return data

    def call(self, op_name: str, params: Json) -> Json:
        """Validate `params` against the operation's input shape and run it."""
        operation: OperationModel = self.model.operation_model(op_name)
        if op_name not in IMPLEMENTED:
            raise ClientError(f"{op_name} is not implemented by the local sandbox")
        if operation.input_shape is not None:
            report = self.validator.validate(params, operation.input_shape)
            if report.has_errors():
                raise ClientError(report.generate_report())
        return self._ops[op_name](params)

    # ---- lookups --------------------------------------------------------------------------------
    def _ce_row(self, conn: sqlite3.Connection, ref: str, include_deleted: bool = False) -> Json | None:
        return self._named_row(conn, "compute_environments", ref, include_deleted)

    def _queue_row(self, conn: sqlite3.Connection, ref: str, include_deleted: bool = False) -> Json | None:
        return self._named_row(conn, "job_queues", ref, include_deleted)

    @staticmethod
    def _named_row(conn: sqlite3.Connection, table: str, ref: str, include_deleted: bool) -> Json | None:
        """A compute environment or queue by name or ARN; DELETED ones only when asked for."""
        col = "arn" if ref.startswith("arn:") else "name"
        row = conn.execute(f"SELECT data FROM {table} WHERE {col} = ?", (ref,)).fetchone()
        if row is None:
            return None
        data: Json = json.loads(row[0])
        if data["status"] == "DELETED" and not include_deleted:
            return None
        return data

    def _jobdef_row(self, conn: sqlite3.Connection, ref: str, active_only: bool = False) -> Json | None:
        if ref.startswith("arn:"):
            row = conn.execute("SELECT data FROM job_definitions WHERE arn = ?", (ref,)).fetchone()
        elif ":" in ref:
            name, _, rev = ref.rpartition(":")
            if not rev.isdigit():
                return None
            row = conn.execute(
                "SELECT data FROM job_definitions WHERE name = ? AND revision = ?", (name, int(rev))
            ).fetchone()
        else:
            row = conn.execute(
                "SELECT data FROM job_definitions WHERE name = ? AND status = 'ACTIVE' "
                "ORDER BY revision DESC LIMIT 1",
                (ref,),
            ).fetchone()
        if row is None:
            return None
        data: Json = json.loads(row[0])
        if active_only and data["status"] != "ACTIVE":
            return None
        return data

    def _save_ce(self, conn: sqlite3.Connection, ce: Json, transition_at: float | None) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO compute_environments (name, arn, status, transition_at, data) "
            "VALUES (?,?,?,?,?)",
            (
                ce["computeEnvironmentName"],
                ce["computeEnvironmentArn"],
                ce["status"],
                transition_at,
                _dumps(ce),
            ),
        )

    def _save_queue(self, conn: sqlite3.Connection, q: Json, transition_at: float | None) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO job_queues (name, arn, status, transition_at, data) VALUES (?,?,?,?,?)",
            (q["jobQueueName"], q["jobQueueArn"], q["status"], transition_at, _dumps(q)),
        )

    def _later(self) -> float:
        return time.time() + self.settings.transition_delay_s

    # ---- compute environments -------------------------------------------------------------------
    def op_create_compute_environment(self, p: Json) -> Json:
        name = p["computeEnvironmentName"]
        if not NAME_RE.match(name):
            raise ClientError(
                "computeEnvironmentName must be 1-128 letters, numbers, hyphens (-) and underscores (_)"
            )
        ce_type = p["type"]
        if ce_type not in ("MANAGED", "UNMANAGED"):
            raise ClientError(f"Invalid compute environment type {ce_type!r}: must be MANAGED or UNMANAGED")
        state = p.get("state", "ENABLED")
        if state not in ("ENABLED", "DISABLED"):
            raise ClientError(f"Invalid state {state!r}: must be ENABLED or DISABLED")
        resources = p.get("computeResources")
        if ce_type == "MANAGED":
            if resources is None:
                raise ClientError("computeResources must be specified for a MANAGED compute environment")
            resources = self._check_resources(dict(resources))
        elif resources is not None:
            raise ClientError("computeResources can't be specified for an UNMANAGED compute environment")
        ce: Json = {
            "computeEnvironmentName": name,
            "computeEnvironmentArn": arn("compute-environment", name),
            "ecsClusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:cluster/{name}_Batch_{uuid.uuid4()}",
            "tags": dict(p.get("tags") or {}),
            "type": ce_type,
            "state": state,
            "status": "CREATING",
            "statusReason": "Compute environment is being created",
            "serviceRole": p.get(
                "serviceRole",
                f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch",
            ),
            "containerOrchestrationType": "ECS",
            "uuid": str(uuid.uuid4()),
        }
        if resources is not None:
            ce["computeResources"] = resources
        if ce_type == "UNMANAGED":
            ce["unmanagedvCpus"] = int(p.get("unmanagedvCpus", 0))
        with self.store.write() as conn:
            existing = self._ce_row(conn, name, include_deleted=True)
            if existing is not None and existing["status"] != "DELETED":
                raise ClientError(f"Object already exists: compute environment {name}")
            self._save_ce(conn, ce, self._later())
        self.engine.wake(resources_changed=True)
        return {"computeEnvironmentName": name, "computeEnvironmentArn": ce["computeEnvironmentArn"]}

    def _check_resources(self, r: Json, old: Json | None = None) -> Json:
        cr_type = r.get("type") or (old or {}).get("type")
        if cr_type not in ("EC2", "SPOT", "FARGATE", "FARGATE_SPOT"):
            raise ClientError(
                f"computeResources.type {cr_type!r} is not supported: use EC2, SPOT, FARGATE or FARGATE_SPOT"
            )
        r["type"] = cr_type
        merged = {**(old or {}), **r}
        max_v = merged.get("maxvCpus")
        if not isinstance(max_v, int) or max_v < 0:
            raise ClientError("computeResources.maxvCpus must be a non-negative integer")
        if cr_type in FARGATE_TYPES:
            for banned in (
                "instanceTypes",
                "minvCpus",
                "desiredvCpus",
                "instanceRole",
                "imageId",
                "ec2KeyPair",
                "allocationStrategy",
                "bidPercentage",
                "launchTemplate",
                "placementGroup",
            ):
                if banned in r and r[banned] not in (None, [], 0):
                    raise ClientError(
                        f"computeResources.{banned} isn't applicable to {cr_type} compute resources"
                    )
            merged.pop("minvCpus", None)
            merged.pop("desiredvCpus", None)
            merged.setdefault("subnets", [])
            merged.setdefault("securityGroupIds", [])
            return merged
        types = merged.get("instanceTypes")
        if not types:
            raise ClientError(
                "computeResources.instanceTypes must be specified for EC2 and SPOT compute resources"
            )
        unknown = [t for t in types if not instances.is_known(t)]
        if unknown:
            raise ClientError(f"Invalid instance type(s): {', '.join(unknown)}")
        min_v = merged.get("minvCpus", 0)
        if not isinstance(min_v, int) or min_v < 0 or min_v > max_v:
            raise ClientError("computeResources.minvCpus must be between 0 and maxvCpus")
        desired = merged.get("desiredvCpus", min_v)
        if "desiredvCpus" in r and not (min_v <= desired <= max_v):
            raise ClientError("computeResources.desiredvCpus must be between minvCpus and maxvCpus")
        merged["minvCpus"] = min_v
        if old is not None and "desiredvCpus" not in r:
            desired = old.get("desiredvCpus", min_v)
        # An explicit desiredvCpus above the current fleet makes the engine launch up to it.
        merged["desiredvCpus"] = max(min_v, desired)
        merged.setdefault("allocationStrategy", "BEST_FIT_PROGRESSIVE" if old is None else "BEST_FIT")
        merged.setdefault("subnets", [])
        merged.setdefault("securityGroupIds", [])
        merged.setdefault("instanceRole", f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/ecsInstanceRole")
        merged.setdefault("ec2Configuration", [{"imageType": "ECS_AL2"}])
        merged.setdefault("tags", {})
        return merged

    def op_update_compute_environment(self, p: Json) -> Json:
        ref = p["computeEnvironment"]
        with self.store.write() as conn:
            ce = self._ce_row(conn, ref)
            if ce is None:
                raise ClientError(f"Compute environment {ref} does not exist")
            if ce["status"] in ("CREATING", "DELETING"):
                raise ClientError(
                    f"Cannot update compute environment {ce['computeEnvironmentName']} "
                    f"in status {ce['status']}"
                )
            if "state" in p:
                if p["state"] not in ("ENABLED", "DISABLED"):
                    raise ClientError(f"Invalid state {p['state']!r}: must be ENABLED or DISABLED")
                ce["state"] = p["state"]
            if "computeResources" in p:
                if "computeResources" not in ce:
                    raise ClientError("computeResources can't be updated on an UNMANAGED compute environment")
                new = dict(p["computeResources"])
                if "type" in new and new["type"] != ce["computeResources"]["type"]:
                    raise ClientError("computeResources.type can't be changed")
                ce["computeResources"] = self._check_resources(new, ce["computeResources"])
            if "unmanagedvCpus" in p:
                if ce["type"] != "UNMANAGED":
                    raise ClientError("unmanagedvCpus applies only to UNMANAGED compute environments")
                ce["unmanagedvCpus"] = p["unmanagedvCpus"]
            if "serviceRole" in p:
                ce["serviceRole"] = p["serviceRole"]
            ce["status"] = "UPDATING"
            ce["statusReason"] = "Compute environment is being updated"
            self._save_ce(conn, ce, self._later())
        self.engine.wake(resources_changed=True)
        return {
            "computeEnvironmentName": ce["computeEnvironmentName"],
            "computeEnvironmentArn": ce["computeEnvironmentArn"],
        }

    def op_delete_compute_environment(self, p: Json) -> Json:
        ref = p["computeEnvironment"]
        with self.store.write() as conn:
            ce = self._ce_row(conn, ref)
            if ce is None:
                raise ClientError(f"Compute environment {ref} does not exist")
            if ce["state"] == "ENABLED":
                raise ClientError(
                    f"Cannot delete compute environment {ce['computeEnvironmentName']}: it is ENABLED; "
                    "disable it first (UpdateComputeEnvironment state=DISABLED)"
                )
            for (qdata,) in conn.execute("SELECT data FROM job_queues WHERE status != 'DELETED'"):
                q = json.loads(qdata)
                if any(
                    o["computeEnvironment"] == ce["computeEnvironmentArn"]
                    for o in q["computeEnvironmentOrder"]
                ):
                    raise ClientError(
                        f"Cannot delete, found existing JobQueue relationship: {q['jobQueueName']} uses "
                        f"compute environment {ce['computeEnvironmentName']}"
                    )
            ce["status"] = "DELETING"
            ce["statusReason"] = "Compute environment is being deleted"
            self._save_ce(conn, ce, self._later())
        self.engine.wake(resources_changed=True)
        return {}

    def op_describe_compute_environments(self, p: Json) -> Json:
        names = p.get("computeEnvironments")
        with self.store.read() as conn:
            if names:
                items = [
                    ce for ref in names if (ce := self._ce_row(conn, ref, include_deleted=True)) is not None
                ]
                return {"computeEnvironments": items}
            rows = [
                json.loads(d)
                for (d,) in conn.execute(
                    "SELECT data FROM compute_environments WHERE status != 'DELETED' ORDER BY name"
                )
            ]
        return self._page(rows, p, "computeEnvironments", default_max=100)

    @staticmethod
    def _page(items: list[Json], p: Json, key: str, default_max: int) -> Json:
        start = int(_untoken(p.get("nextToken")) or 0)
        size = int(p.get("maxResults") or default_max)
        if size < 1:
            raise ClientError("maxResults must be at least 1")
        out: Json = {key: items[start : start + size]}
        if start + size < len(items):
            out["nextToken"] = _token(start + size)
        return out

    # ---- job queues -----------------------------------------------------------------------------
    def _check_order(self, conn: sqlite3.Connection, order: list[Json]) -> tuple[list[Json], str]:
        if not order:
            raise ClientError("computeEnvironmentOrder must name at least one compute environment")
        if len(order) > 3:
            raise ClientError("computeEnvironmentOrder can name at most 3 compute environments")
        resolved: list[Json] = []
        kinds: set[str] = set()
        seen_orders: set[int] = set()
        for entry in order:
            ce = self._ce_row(conn, entry["computeEnvironment"])
            if ce is None or ce["status"] in ("DELETING", "DELETED"):
                raise ClientError(f"computeEnvironment {entry['computeEnvironment']} does not exist")
            if entry["order"] in seen_orders:
                raise ClientError("computeEnvironmentOrder entries must have distinct order values")
            seen_orders.add(entry["order"])
            cr_type = ce.get("computeResources", {}).get("type", "EC2")
            kinds.add("FARGATE" if cr_type in FARGATE_TYPES else "EC2")
            resolved.append({"order": entry["order"], "computeEnvironment": ce["computeEnvironmentArn"]})
        if len(kinds) > 1:
            raise ClientError(
                "computeEnvironmentOrder can't mix Fargate (FARGATE, FARGATE_SPOT) and EC2 (EC2, SPOT, "
                "UNMANAGED) compute environments in one job queue"
            )
        return sorted(resolved, key=lambda e: e["order"]), kinds.pop()

    def _check_time_limit_actions(self, actions: list[Json]) -> list[Json]:
        reasons = (
            "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
            "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
            "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
        )
        for action in actions:
            if action["state"] != "RUNNABLE":
                raise ClientError("jobStateTimeLimitActions.state must be RUNNABLE")
            if action["action"] != "CANCEL":
                raise ClientError("jobStateTimeLimitActions.action must be CANCEL")
            if not 600 <= action["maxTimeSeconds"] <= 86400 and self.settings.min_timeout_s >= 60:
                raise ClientError("jobStateTimeLimitActions.maxTimeSeconds must be between 600 and 86400")
            if action["reason"] not in reasons:
                raise ClientError(f"jobStateTimeLimitActions.reason must be one of {', '.join(reasons)}")
        return actions

    def op_create_job_queue(self, p: Json) -> Json:
        name = p["jobQueueName"]
        if not NAME_RE.match(name):
            raise ClientError("jobQueueName must be 1-128 letters, numbers, hyphens (-) and underscores (_)")
        state = p.get("state", "ENABLED")
        if state not in ("ENABLED", "DISABLED"):
            raise ClientError(f"Invalid state {state!r}: must be ENABLED or DISABLED")
        if not 0 <= p["priority"] <= 1000:
            raise ClientError("priority must be between 0 and 1000")
        if "serviceEnvironmentOrder" in p or p.get("jobQueueType") not in (None, "ECS", "ECS_FARGATE"):
            raise ClientError(
                "Service environments and SageMaker/EKS job queues are not supported by the local sandbox"
            )
        actions = self._check_time_limit_actions(list(p.get("jobStateTimeLimitActions") or []))
        with self.store.write() as conn:
            existing = self._queue_row(conn, name, include_deleted=True)
            if existing is not None and existing["status"] != "DELETED":
                raise ClientError(f"Object already exists: job queue {name}")
            order, kind = self._check_order(conn, list(p.get("computeEnvironmentOrder") or []))
            policy = p.get("schedulingPolicyArn")
            if (
                policy is not None
                and conn.execute("SELECT 1 FROM scheduling_policies WHERE arn = ?", (policy,)).fetchone()
                is None
            ):
                raise ClientError(f"Scheduling policy {policy} does not exist")
            q: Json = {
                "jobQueueName": name,
                "jobQueueArn": arn("job-queue", name),
                "state": state,
                "status": "CREATING",
                "statusReason": "JobQueue is being created",
                "priority": p["priority"],
                "computeEnvironmentOrder": order,
                "jobQueueType": "ECS_FARGATE" if kind == "FARGATE" else "ECS",
                "tags": dict(p.get("tags") or {}),
                "jobStateTimeLimitActions": actions,
            }
            if policy is not None:
                q["schedulingPolicyArn"] = policy
            self._save_queue(conn, q, self._later())
        self.engine.wake(resources_changed=True)
        return {"jobQueueName": name, "jobQueueArn": q["jobQueueArn"]}

    def op_update_job_queue(self, p: Json) -> Json:
        ref = p["jobQueue"]
        with self.store.write() as conn:
            q = self._queue_row(conn, ref)
            if q is None:
                raise ClientError(f"Job queue {ref} does not exist")
            if q["status"] in ("CREATING", "DELETING"):
                raise ClientError(f"Cannot update job queue {q['jobQueueName']} in status {q['status']}")
            if "state" in p:
                if p["state"] not in ("ENABLED", "DISABLED"):
                    raise ClientError(f"Invalid state {p['state']!r}: must be ENABLED or DISABLED")
                q["state"] = p["state"]
            if "priority" in p:
                if not 0 <= p["priority"] <= 1000:
                    raise ClientError("priority must be between 0 and 1000")
                q["priority"] = p["priority"]
            if "computeEnvironmentOrder" in p:
                order, kind = self._check_order(conn, list(p["computeEnvironmentOrder"]))
                q["computeEnvironmentOrder"] = order
                q["jobQueueType"] = "ECS_FARGATE" if kind == "FARGATE" else "ECS"
            if "jobStateTimeLimitActions" in p:
                q["jobStateTimeLimitActions"] = self._check_time_limit_actions(
                    list(p["jobStateTimeLimitActions"])
                )
            if "schedulingPolicyArn" in p:
                q["schedulingPolicyArn"] = p["schedulingPolicyArn"]
            q["status"] = "UPDATING"
            q["statusReason"] = "JobQueue is being updated"
            self._save_queue(conn, q, self._later())
        self.engine.wake(resources_changed=True)
        return {"jobQueueName": q["jobQueueName"], "jobQueueArn": q["jobQueueArn"]}

    def op_delete_job_queue(self, p: Json) -> Json:
        ref = p["jobQueue"]
        with self.store.write() as conn:
            q = self._queue_row(conn, ref)
            if q is None:
                raise ClientError(f"Job queue {ref} does not exist")
            if q["state"] == "ENABLED":
                raise ClientError(
                    f"Cannot delete job queue {q['jobQueueName']}: it is ENABLED; disable it first "
                    "(UpdateJobQueue state=DISABLED)"
                )
            q["status"] = "DELETING"
            q["statusReason"] = "JobQueue is being deleted"
            self._save_queue(conn, q, self._later())
        self.engine.wake(resources_changed=True)
        return {}

    def op_describe_job_queues(self, p: Json) -> Json:
        names = p.get("jobQueues")
        with self.store.read() as conn:
            if names:
                return {
                    "jobQueues": [q for ref in names if (q := self._queue_row(conn, ref, True)) is not None]
                }
            rows = [
                json.loads(d)
                for (d,) in conn.execute(
                    "SELECT data FROM job_queues WHERE status != 'DELETED' ORDER BY name"
                )
            ]
        return self._page(rows, p, "jobQueues", default_max=100)

    # ---- job definitions ------------------------------------------------------------------------
    def op_register_job_definition(self, p: Json) -> Json:
        name = p["jobDefinitionName"]
        if not NAME_RE.match(name):
            raise ClientError(
                "jobDefinitionName must be 1-128 letters, numbers, hyphens (-) and underscores (_)"
            )
        if p["type"] != "container":
            raise ClientError(
                f"Job definition type {p['type']!r} is not supported by the local sandbox (use container)"
            )
        for unsupported in (
            "nodeProperties",
            "eksProperties",
            "ecsProperties",
            "consumableResourceProperties",
        ):
            if unsupported in p:
                raise ClientError(f"{unsupported} is not supported by the local sandbox")
        container = p.get("containerProperties")
        if container is None:
            raise ClientError("containerProperties must be specified for a container job definition")
        caps = list(p.get("platformCapabilities") or ["EC2"])
        if len(caps) != 1 or caps[0] not in ("EC2", "FARGATE"):
            raise ClientError("platformCapabilities must be exactly one of EC2 or FARGATE")
        self._check_container(container, caps[0])
        self._check_retry(p.get("retryStrategy"))
        self._check_timeout(p.get("timeout"))
        with self.store.write() as conn:
            (rev,) = conn.execute(
                "SELECT COALESCE(MAX(revision), 0) + 1 FROM job_definitions WHERE name = ?", (name,)
            ).fetchone()
            jd: Json = {
                "jobDefinitionName": name,
                "jobDefinitionArn": arn("job-definition", f"{name}:{rev}"),
                "revision": rev,
                "status": "ACTIVE",
                "type": "container",
                "parameters": dict(p.get("parameters") or {}),
                "containerProperties": self._normalize_container(container, caps[0]),
                "tags": dict(p.get("tags") or {}),
                "propagateTags": bool(p.get("propagateTags", False)),
                "platformCapabilities": caps,
                "containerOrchestrationType": "ECS",
            }
            for key in ("retryStrategy", "timeout", "schedulingPriority"):
                if key in p:
                    jd[key] = p[key]
            conn.execute(
                "INSERT INTO job_definitions (arn, name, revision, status, data) VALUES (?,?,?,?,?)",
                (jd["jobDefinitionArn"], name, rev, "ACTIVE", _dumps(jd)),
            )
        return {"jobDefinitionName": name, "jobDefinitionArn": jd["jobDefinitionArn"], "revision": rev}

    @staticmethod
    def _normalize_container(container: Json, platform: str) -> Json:
        out = dict(container)
        out.setdefault("privileged", False)
        out.setdefault("readonlyRootFilesystem", False)
        if platform == "FARGATE":
            out.setdefault("fargatePlatformConfiguration", {"platformVersion": "LATEST"})
            out.setdefault("networkConfiguration", {"assignPublicIp": "DISABLED"})
        for key in ("volumes", "environment", "mountPoints", "ulimits", "secrets"):
            out.setdefault(key, [])
        out.setdefault("resourceRequirements", [])
        return out

    def _check_container(self, container: Json, platform: str) -> None:
        command = container.get("command")
        if command is not None and not command:
            raise ClientError("containerProperties.command must not be empty")
        vcpus, memory = container_resources(container)
        if vcpus <= 0:
            raise ClientError("containerProperties must specify vCPUs (resourceRequirements VCPU or vcpus)")
        if memory <= 0:
            raise ClientError(
                "containerProperties must specify memory (resourceRequirements MEMORY or memory)"
            )
        if platform == "FARGATE":
            if container.get("vcpus") is not None or container.get("memory") is not None:
                raise ClientError("Fargate job definitions must use resourceRequirements, not vcpus/memory")
            if not instances.fargate_combination_ok(vcpus, memory):
                raise ClientError(f"Fargate doesn't support {vcpus:g} vCPU with {memory} MiB of memory")
        elif vcpus != int(vcpus):
            raise ClientError("EC2 jobs need a whole number of vCPUs")
        for env in container.get("environment") or []:
            if str(env.get("name", "")).startswith("AWS_BATCH"):
                raise ClientError("Environment variable names starting with AWS_BATCH are reserved")

    def _check_retry(self, retry: Json | None) -> None:
        if retry is None:
            return
        attempts = retry.get("attempts", 1)
        if not 1 <= attempts <= 10:
            raise ClientError("retryStrategy.attempts must be between 1 and 10")
        rules = retry.get("evaluateOnExit") or []
        if len(rules) > 5:
            raise ClientError("retryStrategy.evaluateOnExit can have at most 5 entries")
        for rule in rules:
            if str(rule["action"]).upper() not in ("RETRY", "EXIT"):
                raise ClientError("evaluateOnExit.action must be RETRY or EXIT")
            if not any(k in rule for k in ("onStatusReason", "onReason", "onExitCode")):
                raise ClientError("evaluateOnExit needs onStatusReason, onReason or onExitCode")

    def _check_timeout(self, timeout: Json | None) -> None:
        if timeout is None or "attemptDurationSeconds" not in timeout:
            return
        if timeout["attemptDurationSeconds"] < self.settings.min_timeout_s:
            raise ClientError(
                f"timeout.attemptDurationSeconds must be at least {self.settings.min_timeout_s}"
            )

    def op_deregister_job_definition(self, p: Json) -> Json:
        ref = p["jobDefinition"]
        with self.store.write() as conn:
            jd = self._jobdef_row(conn, ref if (":" in ref) else ref + ":0")
            if jd is None:
                raise ClientError(f"Job definition {ref} does not exist (use name:revision or an ARN)")
            jd["status"] = "INACTIVE"
            conn.execute(
                "UPDATE job_definitions SET status = 'INACTIVE', data = ? WHERE arn = ?",
                (_dumps(jd), jd["jobDefinitionArn"]),
            )
        return {}

    def op_describe_job_definitions(self, p: Json) -> Json:
        sql = "SELECT data FROM job_definitions"
        where: list[str] = []
        args: list[Any] = []
        refs = p.get("jobDefinitions")
        if refs:
            if len(refs) > 100:
                raise ClientError("jobDefinitions can name at most 100 job definitions")
            by_ref: list[str] = []
            for ref in refs:
                if ref.startswith("arn:"):
                    by_ref.append("arn = ?")
                    args.append(ref)
                elif ":" in ref:
                    name, _, rev = ref.rpartition(":")
                    by_ref.append("(name = ? AND revision = ?)")
                    args += [name, int(rev) if rev.isdigit() else -1]
                else:
                    by_ref.append("name = ?")
                    args.append(ref)
            where.append("(" + " OR ".join(by_ref) + ")")
        if "jobDefinitionName" in p:
            where.append("name = ?")
            args.append(p["jobDefinitionName"])
        if "status" in p:
            if p["status"] not in ("ACTIVE", "INACTIVE"):
                raise ClientError("status must be ACTIVE or INACTIVE")
            where.append("status = ?")
            args.append(p["status"])
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY name, revision"
        with self.store.read() as conn:
            rows = [json.loads(d) for (d,) in conn.execute(sql, args)]
        return self._page(rows, p, "jobDefinitions", default_max=100)

    # ---- jobs: submit ---------------------------------------------------------------------------
    def op_submit_job(self, p: Json) -> Json:
        name = p["jobName"]
        if not JOB_NAME_RE.match(name):
            raise ClientError(
                "jobName must be 1-128 characters: letters, numbers, hyphens (-) and underscores (_), "
                "starting with a letter or number"
            )
        array = p.get("arrayProperties") or {}
        size = array.get("size")
        if size is not None and not 2 <= size <= 10000:
            raise ClientError(f"arrayProperties.size must be between 2 and 10000, got {size}")
        deps = list(p.get("dependsOn") or [])
        if len(deps) > MAX_DEPENDENCIES:
            raise ClientError(f"A job can depend on at most {MAX_DEPENDENCIES} jobs, got {len(deps)}")
        for unsupported in (
            "nodeOverrides",
            "eksPropertiesOverride",
            "ecsPropertiesOverride",
            "consumableResourcePropertiesOverride",
        ):
            if unsupported in p:
                raise ClientError(f"{unsupported} is not supported by the local sandbox")
        self._check_retry(p.get("retryStrategy"))
        self._check_timeout(p.get("timeout"))
        overrides = p.get("containerOverrides") or {}
        for env in overrides.get("environment") or []:
            if str(env.get("name", "")).startswith("AWS_BATCH"):
                raise ClientError("Environment variable names starting with AWS_BATCH are reserved")
        job_id = str(uuid.uuid4())
        created = now_ms()
        with self.store.write() as conn:
            q = self._queue_row(conn, p["jobQueue"])
            if q is None or q["status"] in ("DELETING", "DELETED"):
                raise ClientError(f"Job queue {p['jobQueue']} does not exist")
            if q["state"] != "ENABLED":
                raise ClientError(f"Job queue {q['jobQueueName']} is DISABLED and can't accept jobs")
            jd = self._jobdef_row(conn, p["jobDefinition"], active_only=True)
            if jd is None:
                raise ClientError(f"Job definition {p['jobDefinition']} does not exist or is INACTIVE")
            share = p.get("shareIdentifier")
            if q.get("schedulingPolicyArn") and not share:
                raise ClientError(
                    f"shareIdentifier is required for job queue {q['jobQueueName']}: it has a fair-share "
                    "scheduling policy"
                )
            if share and not q.get("schedulingPolicyArn"):
                raise ClientError(
                    f"shareIdentifier can't be used with job queue {q['jobQueueName']}: it has no "
                    "fair-share scheduling policy"
                )
            platform = jd["platformCapabilities"][0]
            queue_kind = "FARGATE" if q.get("jobQueueType") == "ECS_FARGATE" else "EC2"
            if platform != queue_kind:
                raise ClientError(
                    f"Job queue {q['jobQueueName']} is attached to compute environments that can't run jobs "
                    f"with platform capability {platform}"
                )
            dep_rows: list[tuple[str, str | None]] = []
            for dep in deps:
                dep_type = dep.get("type")
                if dep_type not in (None, "N_TO_N", "SEQUENTIAL"):
                    raise ClientError(f"dependsOn type must be N_TO_N or SEQUENTIAL, got {dep_type!r}")
                if dep_type is not None and size is None:
                    raise ClientError("N_TO_N and SEQUENTIAL dependencies are only for array jobs")
                target = dep.get("jobId")
                if dep_type == "SEQUENTIAL":
                    if target not in (None, ""):
                        raise ClientError("A SEQUENTIAL dependency must not name a jobId")
                    dep_rows.append(("", "SEQUENTIAL"))
                    continue
                if not target:
                    raise ClientError("dependsOn entries need a jobId")
                row = conn.execute("SELECT array_size FROM jobs WHERE job_id = ?", (target,)).fetchone()
                if row is None:
                    raise ClientError(f"Dependent job ID {target} does not exist")
                if dep_type == "N_TO_N" and row[0] != size:
                    raise ClientError("An N_TO_N dependency must name an array job of the same size")
                dep_rows.append((target, dep_type))
            spec = self._job_spec(job_id, name, q, jd, p, overrides, size, deps)
            vcpus, memory = spec.pop("_resources")
            conn.execute(
                "INSERT INTO jobs (job_id, name, queue, status, created_at, job_def, child, array_size,"
                " vcpus,"
                " memory, pending_deps, spec, share) VALUES (?,?,?,?,?,?,0,?,?,?,?,?,?)",
                (
                    job_id,
                    name,
                    q["jobQueueArn"],
                    "SUBMITTED",
                    created,
                    jd["jobDefinitionArn"],
                    size,
                    vcpus,
                    memory,
                    sum(1 for t, _ in dep_rows if t),
                    _dumps(spec),
                    share,
                ),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO job_deps (job_id, depends_on, type) VALUES (?,?,?)",
                [(job_id, t, ty) for t, ty in dep_rows if t],
            )
        self.engine.wake()
        return {"jobArn": arn("job", job_id), "jobName": name, "jobId": job_id}

    def _job_spec(  # noqa: PLR0917
        self,
        job_id: str,
        name: str,
        q: Json,
        jd: Json,
        p: Json,
        overrides: Json,
        size: int | None,
        deps: list[Json],
    ) -> Json:
        base = jd["containerProperties"]
        container = {k: v for k, v in base.items() if k not in ("environment",)}
        if "command" in overrides:
            container["command"] = list(overrides["command"])
        env = {e["name"]: e.get("value", "") for e in base.get("environment") or []}
        env.update({e["name"]: e.get("value", "") for e in overrides.get("environment") or []})
        requirements = {r["type"]: r["value"] for r in base.get("resourceRequirements") or []}
        requirements.update({r["type"]: r["value"] for r in overrides.get("resourceRequirements") or []})
        container["resourceRequirements"] = [{"type": k, "value": v} for k, v in requirements.items()]
        for key in ("vcpus", "memory", "instanceType"):
            if key in overrides:
                container[key] = overrides[key]
        container["environment"] = [{"name": k, "value": v} for k, v in env.items()]
        platform = jd["platformCapabilities"][0]
        vcpus, memory = container_resources(container)
        if platform == "FARGATE" and not instances.fargate_combination_ok(vcpus, memory):
            raise ClientError(f"Fargate doesn't support {vcpus:g} vCPU with {memory} MiB of memory")
        params = dict(jd.get("parameters") or {})
        params.update(p.get("parameters") or {})
        command = container.get("command") or []
        container["command"] = substitute_refs(command, params)
        log_options = (container.get("logConfiguration") or {}).get("options") or {}
        container.setdefault("logConfiguration", {"logDriver": "awslogs", "options": {}, "secretOptions": []})
        container["networkInterfaces"] = []
        spec: Json = {
            "jobArn": arn("job", job_id),
            "jobName": name,
            "jobId": job_id,
            "jobQueue": q["jobQueueArn"],
            "jobDefinition": jd["jobDefinitionArn"],
            "parameters": params,
            "container": container,
            "dependsOn": deps,
            "tags": {**(jd.get("tags") or {}), **(p.get("tags") or {})}
            if p.get("propagateTags", jd.get("propagateTags"))
            else dict(p.get("tags") or {}),
            "propagateTags": bool(p.get("propagateTags", jd.get("propagateTags", False))),
            "platformCapabilities": list(jd["platformCapabilities"]),
            "_logGroup": log_options.get("awslogs-group", "/aws/batch/job"),
            "_streamPrefix": log_options.get("awslogs-stream-prefix", jd["jobDefinitionName"]),
            "_resources": (vcpus, memory),
        }
        retry = p.get("retryStrategy", jd.get("retryStrategy"))
        if retry is not None:
            spec["retryStrategy"] = retry
        timeout = p.get("timeout", jd.get("timeout"))
        if timeout is not None:
            spec["timeout"] = timeout
        if size is not None:
            spec["arrayProperties"] = {"size": size}
        if "schedulingPriorityOverride" in p:
            spec["schedulingPriority"] = p["schedulingPriorityOverride"]
        elif "schedulingPriority" in jd:
            spec["schedulingPriority"] = jd["schedulingPriority"]
        if "shareIdentifier" in p:
            spec["shareIdentifier"] = p["shareIdentifier"]
        return spec

    # ---- jobs: read -----------------------------------------------------------------------------
    JOB_COLS = (
        "job_id, name, queue, status, status_reason, created_at, started_at, stopped_at, job_def, child, "
        "parent_id, array_index, array_size, attempts, exit_code, container_reason, log_stream, task_arn, "
        "instance, is_cancelled, is_terminated, spec"
    )

    def op_describe_jobs(self, p: Json) -> Json:
        ids = p["jobs"]
        if len(ids) > 100:
            raise ClientError("DescribeJobs takes at most 100 job IDs")
        out: list[Json] = []
        with self.store.read() as conn:
            marks = ",".join("?" * len(ids))
            rows = {
                r[0]: r
                for r in conn.execute(f"SELECT {self.JOB_COLS} FROM jobs WHERE job_id IN ({marks})", ids)
            }
            parents: dict[str, Json] = {}
            for job_id in ids:
                row = rows.get(job_id)
                if row is not None:
                    out.append(self._describe_row(conn, row, parents))
        return {"jobs": out}

    def _describe_row(self, conn: sqlite3.Connection, row: tuple[Any, ...], parents: dict[str, Json]) -> Json:
        (
            job_id,
            _name,
            _queue,
            status,
            reason,
            created,
            started,
            stopped,
            _jd,
            child,
            parent_id,
            index,
            size,
            attempts,
            exit_code,
            creason,
            log_stream,
            task_arn,
            instance_id,
            cancelled,
            terminated,
            spec_text,
        ) = row
        if child:
            parent = parents.get(parent_id)
            if parent is None:
                prow = conn.execute("SELECT spec FROM jobs WHERE job_id = ?", (parent_id,)).fetchone()
                parent = json.loads(prow[0])
                parents[parent_id] = parent
            spec = dict(parent)
            spec["jobId"] = job_id
            spec["jobArn"] = arn("job", job_id)
            spec["arrayProperties"] = {"index": index}
            spec["container"] = dict(parent["container"])
            spec["dependsOn"] = self._child_deps(parent, parent_id, index)
        else:
            spec = json.loads(spec_text)
            spec["container"] = dict(spec["container"])
        out: Json = {k: v for k, v in spec.items() if not k.startswith("_")}
        out["status"] = status
        if reason:
            out["statusReason"] = reason
        out["createdAt"] = created
        if started is not None:
            out["startedAt"] = started
        if stopped is not None:
            out["stoppedAt"] = stopped
        out["attempts"] = json.loads(attempts)
        container: Json = out["container"]
        if exit_code is not None:
            container["exitCode"] = exit_code
        if creason:
            container["reason"] = creason
        if log_stream:
            container["logStreamName"] = log_stream
        if task_arn:
            container["taskArn"] = task_arn
        if instance_id:
            container["containerInstanceArn"] = (
                f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:container-instance/{instance_id}"
            )
        if size is not None and not child:
            out["arrayProperties"] = {
                "size": size,
                "statusSummary": array_summary(conn, job_id) if status != "SUBMITTED" else {},
                "statusSummaryLastUpdatedAt": now_ms(),
            }
        out["isCancelled"] = bool(cancelled)
        out["isTerminated"] = bool(terminated)
        return out

    @staticmethod
    def _child_deps(parent: Json, parent_id: str, index: int) -> list[Json]:
        deps: list[Json] = []
        for dep in parent.get("dependsOn") or []:
            if dep.get("type") == "SEQUENTIAL" and index > 0:
                deps.append({"jobId": f"{parent_id}:{index - 1}", "type": "SEQUENTIAL"})
            elif dep.get("type") == "N_TO_N":
                deps.append({"jobId": f"{dep['jobId']}:{index}", "type": "N_TO_N"})
        return deps

    def op_list_jobs(self, p: Json) -> Json:
        queue_ref = p.get("jobQueue")
        parent = p.get("arrayJobId")
        if sum(1 for x in (queue_ref, parent, p.get("multiNodeJobId")) if x) != 1:
            raise ClientError("Exactly one of jobQueue, arrayJobId or multiNodeJobId must be specified")
        if p.get("multiNodeJobId"):
            raise ClientError("Multi-node parallel jobs are not supported by the local sandbox")
        filters = list(p.get("filters") or [])
        status = p.get("jobStatus", "RUNNING")
        if status not in JOB_STATUSES:
            raise ClientError(f"jobStatus must be one of {', '.join(JOB_STATUSES)}")
        max_results = p.get("maxResults")
        limit_cap = 100 if filters else 1000
        if max_results is not None and not 1 <= max_results <= limit_cap:
            raise ClientError(f"maxResults must be between 1 and {limit_cap}")
        limit = max_results or limit_cap
        token = _untoken(p.get("nextToken"))
        where: list[str] = []
        args: list[Any] = []
        with self.store.read() as conn:
            if parent:
                where.append("parent_id = ?")
                args.append(parent)
                order = "array_index ASC"
                if token is not None:
                    where.append("array_index > ?")
                    args.append(int(token))
            else:
                q = self._queue_row(conn, str(queue_ref), include_deleted=True)
                if q is None:
                    raise ClientError(f"Job queue {queue_ref} does not exist")
                where += ["queue = ?", "child = 0"]
                args.append(q["jobQueueArn"])
                order = "seq DESC"
                if token is not None:
                    where.append("seq < ?")
                    args.append(int(token))
            if filters:
                for f in filters:
                    where_part, vals = self._filter_sql(f)
                    where.append(where_part)
                    args += vals
            else:
                where.append("status = ?")
                args.append(status)
            sql = (
                "SELECT seq, job_id, name, status, status_reason, created_at, started_at, stopped_at, "
                "job_def, "
                "child, array_index, array_size, exit_code, container_reason, is_cancelled, is_terminated "
                f"FROM jobs WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
            )
            rows = conn.execute(sql, [*args, limit + 1]).fetchall()
        summaries = [self._summary(r) for r in rows[:limit]]
        out: Json = {"jobSummaryList": summaries}
        if len(rows) > limit:
            last = rows[limit - 1]
            out["nextToken"] = _token(last[10] if parent else last[0])
        return out

    @staticmethod
    def _filter_sql(f: Json) -> tuple[str, list[Any]]:
        name = f.get("name")
        values = f.get("values") or []
        if len(values) != 1:
            raise ClientError("A ListJobs filter takes exactly one value")
        value = str(values[0])
        if name == "JOB_NAME":
            if value.endswith("*"):
                return "name LIKE ? ESCAPE '\\'", [_like_prefix(value[:-1])]
            return "name = ?", [value]
        if name == "JOB_DEFINITION":
            if value.startswith("arn:"):
                if value.endswith("*"):
                    return "job_def LIKE ? ESCAPE '\\'", [_like_prefix(value[:-1])]
                return "job_def = ?", [value]
            if value.endswith("*"):
                return "job_def LIKE ? ESCAPE '\\'", [
                    _like_prefix(ARN_PREFIX + "job-definition/" + value[:-1])
                ]
            if ":" in value:
                return "job_def = ?", [ARN_PREFIX + "job-definition/" + value]
            return "job_def LIKE ? ESCAPE '\\'", [_like_prefix(ARN_PREFIX + "job-definition/" + value + ":")]
        if name in ("BEFORE_CREATED_AT", "AFTER_CREATED_AT"):
            try:
                stamp = int(value)
            except ValueError:
                raise ClientError(f"{name} takes a Unix timestamp in milliseconds") from None
            return ("created_at < ?" if name == "BEFORE_CREATED_AT" else "created_at > ?"), [stamp]
        raise ClientError(
            f"Unknown ListJobs filter {name!r}: use JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT or "
            "AFTER_CREATED_AT"
        )

    @staticmethod
    def _summary(r: tuple[Any, ...]) -> Json:
        (
            _seq,
            job_id,
            name,
            status,
            reason,
            created,
            started,
            stopped,
            job_def,
            child,
            index,
            size,
            exit_code,
            creason,
            cancelled,
            terminated,
        ) = r
        s: Json = {
            "jobArn": arn("job", job_id),
            "jobId": job_id,
            "jobName": name,
            "createdAt": created,
            "status": status,
            "jobDefinition": job_def,
        }
        if reason:
            s["statusReason"] = reason
        if started is not None:
            s["startedAt"] = started
        if stopped is not None:
            s["stoppedAt"] = stopped
        if exit_code is not None or creason:
            c: Json = {}
            if exit_code is not None:
                c["exitCode"] = exit_code
            if creason:
                c["reason"] = creason
            s["container"] = c
        if child:
            s["arrayProperties"] = {"index": index}
        elif size is not None:
            s["arrayProperties"] = {"size": size}
        if cancelled:
            s["isCancelled"] = True
        if terminated:
            s["isTerminated"] = True
        return s

    def op_get_job_queue_snapshot(self, p: Json) -> Json:
        with self.store.read() as conn:
            q = self._queue_row(conn, p["jobQueue"])
            if q is None:
                raise ClientError(f"Job queue {p['jobQueue']} does not exist")
            rows = conn.execute(
                "SELECT job_id, COALESCE(runnable_at, created_at) FROM jobs "
                "WHERE queue = ? AND status = 'RUNNABLE' "
                "ORDER BY seq LIMIT 100",
                (q["jobQueueArn"],),
            ).fetchall()
        return {
            "frontOfQueue": {
                "jobs": [{"jobArn": arn("job", r[0]), "earliestTimeAtPosition": r[1]} for r in rows],
                "lastUpdatedAt": now_ms(),
            }
        }

    # ---- jobs: cancel / terminate ---------------------------------------------------------------
    def op_cancel_job(self, p: Json) -> Json:
        self._stop_jobs([p["jobId"]], p["reason"], terminate=False, strict=True)
        return {}

    def op_terminate_job(self, p: Json) -> Json:
        self._stop_jobs([p["jobId"]], p["reason"], terminate=True, strict=True)
        return {}

    def op_cancel_jobs(self, p: Json) -> Json:
        return self._bulk(p, terminate=False)

    def op_terminate_jobs(self, p: Json) -> Json:
        return self._bulk(p, terminate=True)

    def _bulk(self, p: Json, terminate: bool) -> Json:
        ids = p["jobs"]
        if len(ids) > 50:
            raise ClientError("At most 50 job IDs per call")
        unknown = self._stop_jobs(ids, p["reason"], terminate=terminate, strict=False)
        return {
            "successful": [i for i in ids if i not in unknown],
            "errors": [
                {"job": i, "code": "ClientException", "message": f"Job {i} does not exist"} for i in unknown
            ],
        }

    def _stop_jobs(self, ids: list[str], reason: str, terminate: bool, strict: bool) -> set[str]:
        unknown: set[str] = set()
        to_kill: list[str] = []
        with self.store.write() as conn:
            for job_id in ids:
                row = conn.execute(
                    "SELECT status, array_size, child FROM jobs WHERE job_id = ?", (job_id,)
                ).fetchone()
                if row is None:
                    if strict:
                        raise ClientError(f"Job {job_id} does not exist")
                    unknown.add(job_id)
                    continue
                status, size, child = row
                targets = [job_id]
                if size is not None and not child:
                    targets = [
                        r[0]
                        for r in conn.execute(
                            "SELECT job_id FROM jobs WHERE parent_id = ? AND status IN (?,?,?,?,?)",
                            (job_id, *ACTIVE),
                        )
                    ]
                    if status == "SUBMITTED":
                        targets.append(job_id)
                    else:
                        conn.execute(
                            "UPDATE jobs SET is_cancelled = ?, is_terminated = ? WHERE job_id = ?",
                            (int(not terminate), int(terminate), job_id),
                        )
                for target in targets:
                    to_kill += self.engine.stop_job_locked(conn, target, reason, terminate)
        if to_kill:
            self.engine.kill(to_kill, reason)
        self.engine.wake()
        return unknown

    # ---- scheduling policies --------------------------------------------------------------------
    def op_create_scheduling_policy(self, p: Json) -> Json:
        name = p["name"]
        if not NAME_RE.match(name):
            raise ClientError("name must be 1-128 letters, numbers, hyphens (-) and underscores (_)")
        policy: Json = {
            "name": name,
            "arn": arn("scheduling-policy", name),
            "tags": dict(p.get("tags") or {}),
        }
        for key in ("fairsharePolicy", "quotaSharePolicy"):
            if key in p:
                policy[key] = p[key]
        with self.store.write() as conn:
            if conn.execute("SELECT 1 FROM scheduling_policies WHERE name = ?", (name,)).fetchone():
                raise ClientError(f"Object already exists: scheduling policy {name}")
            conn.execute(
                "INSERT INTO scheduling_policies (arn, name, data) VALUES (?,?,?)",
                (policy["arn"], name, _dumps(policy)),
            )
        return {"name": name, "arn": policy["arn"]}

    def op_update_scheduling_policy(self, p: Json) -> Json:
        with self.store.write() as conn:
            row = conn.execute("SELECT data FROM scheduling_policies WHERE arn = ?", (p["arn"],)).fetchone()
            if row is None:
                raise ClientError(f"Scheduling policy {p['arn']} does not exist")
            policy = json.loads(row[0])
            for key in ("fairsharePolicy", "quotaSharePolicy"):
                if key in p:
                    policy[key] = p[key]
            conn.execute("UPDATE scheduling_policies SET data = ? WHERE arn = ?", (_dumps(policy), p["arn"]))
        return {}

    def op_delete_scheduling_policy(self, p: Json) -> Json:
        with self.store.write() as conn:
            if (
                conn.execute("SELECT 1 FROM scheduling_policies WHERE arn = ?", (p["arn"],)).fetchone()
                is None
            ):
                raise ClientError(f"Scheduling policy {p['arn']} does not exist")
            for (qdata,) in conn.execute("SELECT data FROM job_queues WHERE status != 'DELETED'"):
                if json.loads(qdata).get("schedulingPolicyArn") == p["arn"]:
                    raise ClientError(f"Scheduling policy {p['arn']} is used by a job queue")
            conn.execute("DELETE FROM scheduling_policies WHERE arn = ?", (p["arn"],))
        return {}

    def op_describe_scheduling_policies(self, p: Json) -> Json:
        arns = p["arns"]
        with self.store.read() as conn:
            out = []
            for a in arns:
                row = conn.execute("SELECT data FROM scheduling_policies WHERE arn = ?", (a,)).fetchone()
                if row is not None:
                    out.append(json.loads(row[0]))
        return {"schedulingPolicies": out}

    def op_list_scheduling_policies(self, p: Json) -> Json:
        with self.store.read() as conn:
            rows = [{"arn": a} for (a,) in conn.execute("SELECT arn FROM scheduling_policies ORDER BY name")]
        return self._page(rows, p, "schedulingPolicies", default_max=100)

    # ---- tags -----------------------------------------------------------------------------------
    def _tag_target(self, resource: str) -> tuple[str, str, str]:
        if not resource.startswith(ARN_PREFIX):
            raise ClientError(f"Invalid resource ARN {resource!r}")
        kind, _, ident = resource[len(ARN_PREFIX) :].partition("/")
        table = {
            "compute-environment": ("compute_environments", "arn"),
            "job-queue": ("job_queues", "arn"),
            "job-definition": ("job_definitions", "arn"),
            "scheduling-policy": ("scheduling_policies", "arn"),
            "job": ("jobs", "job_id"),
        }.get(kind)
        if table is None:
            raise ClientError(f"Resource type {kind!r} can't be tagged")
        return table[0], table[1], resource if table[1] == "arn" else ident

    def _edit_tags(self, resource: str, edit: Callable[[dict[str, str]], None]) -> None:
        table, col, key = self._tag_target(resource)
        data_col = "spec" if table == "jobs" else "data"
        with self.store.write() as conn:
            row = conn.execute(f"SELECT {data_col} FROM {table} WHERE {col} = ?", (key,)).fetchone()
            if row is None or row[0] is None:
                raise ClientError(f"Resource {resource} does not exist")
            data = json.loads(row[0])
            tags = dict(data.get("tags") or {})
            edit(tags)
            if len(tags) > 50:
                raise ClientError("A resource can have at most 50 tags")
            data["tags"] = tags
            conn.execute(f"UPDATE {table} SET {data_col} = ? WHERE {col} = ?", (_dumps(data), key))

    def op_tag_resource(self, p: Json) -> Json:
        self._edit_tags(p["resourceArn"], lambda tags: tags.update(p["tags"]))
        return {}

    def op_untag_resource(self, p: Json) -> Json:
        def drop(tags: dict[str, str]) -> None:
            for k in p["tagKeys"]:
                tags.pop(k, None)

        self._edit_tags(p["resourceArn"], drop)
        return {}

    def op_list_tags_for_resource(self, p: Json) -> Json:
        table, col, key = self._tag_target(p["resourceArn"])
        data_col = "spec" if table == "jobs" else "data"
        with self.store.read() as conn:
            row = conn.execute(f"SELECT {data_col} FROM {table} WHERE {col} = ?", (key,)).fetchone()
        if row is None or row[0] is None:
            raise ClientError(f"Resource {p['resourceArn']} does not exist")
        return {"tags": dict(json.loads(row[0]).get("tags") or {})}


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


__all__ = ["TERMINAL", "BatchApi", "ClientError", "summary_delta"]
