"""What every Batch resource module shares: the error type, ARNs, pagination tokens, lookups of
compute environments, queues and job definitions by name or ARN, and the checks several operations
make (names, states, retry strategies, timeouts).

An operation is a function `(ctx: Context, params) -> answer`; `params` were validated against
botocore's input shape already (batch_api.py), so only Batch's own rules are checked here.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from batchgui.domain import names
from batchgui.sandbox import sql
from batchgui.sandbox.settings import ACCOUNT_ID, REGION, SandboxSettings
from batchgui.sandbox.store import Store

if TYPE_CHECKING:
    from batchgui.sandbox.engine import Engine

Json = dict[str, Any]
ARN_PREFIX = f"arn:aws:batch:{REGION}:{ACCOUNT_ID}:"
FARGATE_TYPES = ("FARGATE", "FARGATE_SPOT")
STATES = ("ENABLED", "DISABLED")
NAME_RULE = "must be 1-128 letters, numbers, hyphens (-) and underscores (_)"


class ClientError(Exception):
    """Batch's ClientException (400) with AWS's message; nothing was changed."""

    def __init__(self, message: str, code: str = "ClientException", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Context:
    store: Store
    engine: Engine
    settings: SandboxSettings

    def later(self) -> float:
        """When a CREATING/UPDATING/DELETING status becomes final (wall clock)."""
        return time.time() + self.settings.transition_delay_s


Operation = Callable[[Context, Json], Json]


def now_ms() -> int:
    return int(time.time() * 1000)


def arn(kind: str, name: str) -> str:
    return f"{ARN_PREFIX}{kind}/{name}"


def token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def untoken(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(text.encode()))
    except (ValueError, TypeError):
        raise ClientError("Invalid nextToken") from None


@dataclass(frozen=True)
class Encoded:
    """An answer already encoded as JSON: BatchApi sends `payload` as it is. Not a dict, so it can
    never pass for an (empty) answer."""

    payload: bytes


def dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def check_resource_name(name: str, field: str) -> None:
    """Compute environments, queues, job definitions and scheduling policies (matched in full)."""
    if not names.is_api_resource_name(name):
        raise ClientError(f"{field} {NAME_RULE}")


def check_state(state: str) -> str:
    if state not in STATES:
        raise ClientError(f"Invalid state {state!r}: must be ENABLED or DISABLED")
    return state


def _named_row(
    conn: sqlite3.Connection, by_arn: str, by_name: str, ref: str, include_deleted: bool
) -> Json | None:
    row = conn.execute(by_arn if ref.startswith("arn:") else by_name, (ref,)).fetchone()
    if row is None:
        return None
    data: Json = json.loads(row[0])
    if data["status"] == "DELETED" and not include_deleted:
        return None
    return data


def ce_row(conn: sqlite3.Connection, ref: str, include_deleted: bool = False) -> Json | None:
    """A compute environment by name or ARN; DELETED ones only when asked for."""
    return _named_row(conn, sql.CE_BY_ARN, sql.CE_BY_NAME, ref, include_deleted)


def queue_row(conn: sqlite3.Connection, ref: str, include_deleted: bool = False) -> Json | None:
    """A job queue by name or ARN; DELETED ones only when asked for."""
    return _named_row(conn, sql.QUEUE_BY_ARN, sql.QUEUE_BY_NAME, ref, include_deleted)


def accepting_queue(conn: sqlite3.Connection, ref: str) -> Json:
    """The job queue a submission names, if it exists and is ENABLED; else Batch's error."""
    q = queue_row(conn, ref)
    if q is None or q["status"] in ("DELETING", "DELETED"):
        raise ClientError(f"Job queue {ref} does not exist")
    if q["state"] != "ENABLED":
        raise ClientError(f"Job queue {q['jobQueueName']} is DISABLED and can't accept jobs")
    return q


def jobdef_row(conn: sqlite3.Connection, ref: str, active_only: bool = False) -> Json | None:
    """By ARN, name:revision, or name (its latest ACTIVE revision)."""
    if ref.startswith("arn:"):
        row = conn.execute(sql.JOBDEF_BY_ARN, (ref,)).fetchone()
    elif ":" in ref:
        name, _, rev = ref.rpartition(":")
        if not rev.isdigit():
            return None
        row = conn.execute(sql.JOBDEF_BY_REVISION, (name, int(rev))).fetchone()
    else:
        row = conn.execute(sql.JOBDEF_LATEST_ACTIVE, (ref,)).fetchone()
    if row is None:
        return None
    data: Json = json.loads(row[0])
    if active_only and data["status"] != "ACTIVE":
        return None
    return data


def live_rows(conn: sqlite3.Connection, query: str) -> list[Json]:
    return [json.loads(d) for (d,) in conn.execute(query)]


Lookup = Callable[[sqlite3.Connection, str, bool], "Json | None"]


def describe_named(ctx: Context, p: Json, key: str, lookup: Lookup, live_query: str) -> Json:
    """DescribeComputeEnvironments / DescribeJobQueues: the ones named in `p[key]` (DELETED ones
    too, unknown names left out, no paging), else every live one by name, paged."""
    refs = p.get(key)
    with ctx.store.read() as conn:
        if refs:
            return {key: [item for ref in refs if (item := lookup(conn, ref, True)) is not None]}
        rows = live_rows(conn, live_query)
    return page(rows, p, key, default_max=100)


def existing(item: Json | None, what: str, ref: str) -> Json:
    """`item`, or Batch's ClientException for a `what` (e.g. "Job queue") named `ref` that is not there."""
    if item is None:
        raise ClientError(f"{what} {ref} does not exist")
    return item


Save = Callable[[sqlite3.Connection, Json, "float | None"], None]


def refuse_busy(item: Json, what: str) -> None:
    """Environments and queues can't be updated while they are being created or deleted."""
    if item["status"] in ("CREATING", "DELETING"):
        raise ClientError(f"Cannot update {what} in status {item['status']}")


def refuse_enabled(item: Json, what: str, update: str) -> None:
    """AWS deletes only DISABLED environments and queues."""
    if item["state"] == "ENABLED":
        raise ClientError(f"Cannot delete {what}: it is ENABLED; disable it first ({update} state=DISABLED)")


def begin_transition(  # noqa: PLR0917 - the object, its new status and how to save it
    ctx: Context, conn: sqlite3.Connection, item: Json, status: str, reason: str, save: Save
) -> None:
    """Move an environment or queue to UPDATING/DELETING; the engine finishes the move later."""
    item["status"] = status
    item["statusReason"] = reason
    save(conn, item, ctx.later())


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


def check_reserved_env(environment: list[Json] | None) -> None:
    for env in environment or []:
        if str(env.get("name", "")).startswith("AWS_BATCH"):
            raise ClientError("Environment variable names starting with AWS_BATCH are reserved")


def page(items: list[Json], p: Json, key: str, default_max: int) -> Json:
    start = int(untoken(p.get("nextToken")) or 0)
    size = int(p.get("maxResults") or default_max)
    if size < 1:
        raise ClientError("maxResults must be at least 1")
    out: Json = {key: items[start : start + size]}
    if start + size < len(items):
        out["nextToken"] = token(start + size)
    return out


def check_retry(retry: Json | None) -> None:
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


def check_timeout(ctx: Context, timeout: Json | None) -> None:
    if timeout is None or "attemptDurationSeconds" not in timeout:
        return
    if timeout["attemptDurationSeconds"] < ctx.settings.min_timeout_s:
        raise ClientError(f"timeout.attemptDurationSeconds must be at least {ctx.settings.min_timeout_s}")
