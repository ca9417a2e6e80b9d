"""Reading jobs: DescribeJobs (array children borrow their parent's spec), ListJobs (by status, or
with AWS's filters and their page limits) and GetJobQueueSnapshot."""

from __future__ import annotations

import functools
import json
import sqlite3
from typing import Any

from batchgui.sandbox import sql
from batchgui.sandbox.api import service_jobs
from batchgui.sandbox.api.common import (
    ARN_PREFIX,
    ClientError,
    Context,
    Encoded,
    Json,
    Operation,
    arn,
    dumps,
    now_ms,
    queue_row,
    token,
    untoken,
)
from batchgui.sandbox.queue_utilization import queue_utilization
from batchgui.sandbox.settings import ACCOUNT_ID, REGION
from batchgui.sandbox.store import TERMINAL, array_summary

JOB_STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
MAX_DESCRIBE_IDS = 100
JOB_DEFINITIONS = ARN_PREFIX + "job-definition/"
# Entries of each bounded cache of parsed specs and encoded finished jobs.
SPEC_CACHE_SIZE = 2048


def _described_rows(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    if len(ids) > MAX_DESCRIBE_IDS:
        raise ClientError("DescribeJobs takes at most 100 job IDs")
    return {r[0]: r for r in conn.execute(sql.describe_jobs(len(ids)), ids)}


def describe_jobs(ctx: Context, p: Json) -> Json:
    ids = p["jobs"]
    with ctx.store.read() as conn:
        rows = _described_rows(conn, ids)
        parents: dict[str, Json] = {}
        out = [describe_row(conn, rows[i], parents) for i in ids if i in rows]
    return {"jobs": out}


def describe_plain_jobs(ctx: Context, p: Json) -> Encoded | None:
    """DescribeJobs answered as encoded JSON, when no job in it is a multi-node job or node (those
    take the full path: api/multinode.py reshapes them)."""
    ids = p["jobs"]
    if any("#" in job_id for job_id in ids):
        return None
    with ctx.store.read() as conn:
        rows = _described_rows(conn, ids)
        if any(r[-1] and '"nodeProperties"' in r[-1] for r in rows.values()):
            return None
        parents: dict[str, Json] = {}
        pieces = [_job_json(conn, rows[i], parents) for i in ids if i in rows]
    return Encoded(b'{"jobs":[' + b",".join(pieces) + b"]}")


def _job_json(conn: sqlite3.Connection, row: tuple[Any, ...], parents: dict[str, Json]) -> bytes:
    if row[3] in TERMINAL and not row[9] and row[12] is None:  # status, child, array size
        return _finished_json(row)
    return dumps(describe_row(conn, row, parents)).encode()


# Finished jobs no longer change but by tagging (which changes the row's spec): the JSON of a
# finished single job is encoded once per distinct row (the whole row is the cache's key).
@functools.lru_cache(maxsize=SPEC_CACHE_SIZE)
def _finished_json(row: tuple[Any, ...]) -> bytes:
    return dumps(_described(row, public_spec(row[-1]))).encode()


def describe_row(conn: sqlite3.Connection, row: tuple[Any, ...], parents: dict[str, Json]) -> Json:
    job_id, status, child, parent_id, index, size = row[0], row[3], row[9], row[10], row[11], row[12]
    if not child:
        out = _described(row, public_spec(row[-1]))
    else:
        parent = parents.get(parent_id)
        if parent is None:
            prow = conn.execute(sql.JOB_SPEC, (parent_id,)).fetchone()
            parent = public_spec(prow[0])
            parents[parent_id] = parent
        out = _described(row, parent)
        out["jobArn"] = arn("job", job_id)
        out["arrayProperties"] = {"index": index}
        out["dependsOn"] = child_deps(parent, parent_id, index)
    if size is not None and not child:
        out["arrayProperties"] = {
            "size": size,
            "statusSummary": array_summary(conn, job_id) if status != "SUBMITTED" else {},
            "statusSummaryLastUpdatedAt": now_ms(),
        }
    return out


def _described(row: tuple[Any, ...], spec: Json) -> Json:
    """What a row says of its job, over `spec` (its own, or an array child's parent's; not changed)."""
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
        _child,
        _parent_id,
        _index,
        _size,
        attempts,
        exit_code,
        creason,
        log_stream,
        task_arn,
        instance_id,
        cancelled,
        terminated,
        _spec_text,
    ) = row
    out = dict(spec)
    out["jobId"] = job_id
    container: Json = dict(out["container"])
    out["container"] = container
    out["status"] = status
    if reason:
        out["statusReason"] = reason
    out["createdAt"] = created
    if started is not None:
        out["startedAt"] = started
    if stopped is not None:
        out["stoppedAt"] = stopped
    out["attempts"] = parsed_attempts(attempts)
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
    out["isCancelled"] = bool(cancelled)
    out["isTerminated"] = bool(terminated)
    return out


# A job's spec and attempts change rarely (tags; a new attempt) and are read at every DescribeJobs:
# parsed once per distinct text, a bounded cache (SPEC_CACHE_SIZE). The parsed values are shared:
# never mutated (describe_row copies the top level and the container it adds to).
@functools.lru_cache(maxsize=SPEC_CACHE_SIZE)
def public_spec(text: str) -> Json:
    """The stored spec without its private (`_`) keys."""
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


@functools.lru_cache(maxsize=SPEC_CACHE_SIZE)
def parsed_attempts(text: str) -> list[Json]:
    attempts: list[Json] = json.loads(text)
    return attempts


def child_deps(parent: Json, parent_id: str, index: int) -> list[Json]:
    deps: list[Json] = []
    for dep in parent.get("dependsOn") or []:
        if dep.get("type") == "SEQUENTIAL" and index > 0:
            deps.append({"jobId": f"{parent_id}:{index - 1}", "type": "SEQUENTIAL"})
        elif dep.get("type") == "N_TO_N":
            deps.append({"jobId": f"{dep['jobId']}:{index}", "type": "N_TO_N"})
    return deps


# AWS's page sizes: "When --filters is used, Batch returns up to 100 values"; with a status (or
# neither), up to 1000. A larger maxResults is not refused: the page is cut to the cap (nextToken).
FILTERED_PAGE_CAP = 100
STATUS_PAGE_CAP = 1000


def list_jobs(ctx: Context, p: Json) -> Json:
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
    if max_results is not None and max_results < 1:
        raise ClientError("maxResults must be at least 1")
    cap = FILTERED_PAGE_CAP if filters else STATUS_PAGE_CAP
    limit = min(max_results or cap, cap)
    after = untoken(p.get("nextToken"))
    where: list[str] = []
    args: list[Any] = []
    with ctx.store.read() as conn:
        if parent:
            where.append(sql.LIST_CHILDREN_OF)
            args.append(parent)
            order = sql.LIST_BY_INDEX
            if after is not None:
                where.append(sql.LIST_AFTER_INDEX)
                args.append(_token_int(after))
        else:
            q = queue_row(conn, str(queue_ref), include_deleted=True)
            if q is None:
                raise ClientError(f"Job queue {queue_ref} does not exist")
            where.append(sql.LIST_IN_QUEUE)
            args.append(q["jobQueueArn"])
            if filters:
                # AWS sorts filtered lists by createdAt, newest first; the queue's created-at and
                # name indexes (sql.py) answer them without reading the rest of the queue.
                order = ""
                if after is not None:
                    where.append(sql.LIST_BEFORE_CREATED_SEQ)
                    args += _created_token(after)
            else:
                order = sql.LIST_BY_SEQ
                if after is not None:
                    where.append(sql.LIST_BEFORE_SEQ)
                    args.append(_token_int(after))
        if filters:
            for f in filters:
                where_part, vals = filter_sql(f)
                where.append(where_part)
                args += vals
        else:
            where.append(sql.LIST_STATUS)
            args.append(status)
        if order:
            text = sql.list_jobs(where, order)
        else:
            by_name = any(f.get("name") == "JOB_NAME" for f in filters)
            text = sql.list_filtered_jobs(where, by_name)
        rows = conn.execute(text, [*args, limit + 1]).fetchall()
    summaries = [summary(r) for r in rows[:limit]]
    out: Json = {"jobSummaryList": summaries}
    if len(rows) > limit:
        last = rows[limit - 1]
        if parent:
            out["nextToken"] = token(last[10])
        elif filters:
            out["nextToken"] = token([last[5], last[0]])  # createdAt, seq
        else:
            out["nextToken"] = token(last[0])
    return out


def _token_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClientError("Invalid nextToken")
    return value


def _created_token(value: Any) -> list[int]:
    if not (isinstance(value, list) and len(value) == 2):
        raise ClientError("Invalid nextToken")
    created, seq = (_token_int(v) for v in value)
    return [created, seq]


def filter_sql(f: Json) -> tuple[str, list[Any]]:
    name = f.get("name")
    values = f.get("values") or []
    if len(values) != 1:
        raise ClientError("A ListJobs filter takes exactly one value")
    value = str(values[0])
    if name == "JOB_NAME":  # AWS: a case-insensitive match, a prefix with a trailing '*'
        if value.endswith("*"):
            low, high = sql.name_prefix_range(value[:-1])
            return sql.LIST_NAME_RANGE, [low, high]
        return sql.LIST_NAME, [value]
    if name == "JOB_DEFINITION":
        full = value if value.startswith("arn:") else JOB_DEFINITIONS + value
        if value.endswith("*"):
            return sql.LIST_JOB_DEF_PREFIX, [sql.like_prefix(full[:-1])]
        if ":" in value:  # an ARN, or name:revision
            return sql.LIST_JOB_DEF, [full]
        return sql.LIST_JOB_DEF_PREFIX, [sql.like_prefix(full + ":")]
    if name in ("BEFORE_CREATED_AT", "AFTER_CREATED_AT"):
        try:
            stamp = int(value)
        except ValueError:
            raise ClientError(f"{name} takes a Unix timestamp in milliseconds") from None
        return (sql.LIST_CREATED_BEFORE if name == "BEFORE_CREATED_AT" else sql.LIST_CREATED_AFTER), [stamp]
    raise ClientError(
        f"Unknown ListJobs filter {name!r}: use JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT or "
        "AFTER_CREATED_AT"
    )


def summary(r: tuple[Any, ...]) -> Json:
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


def get_job_queue_snapshot(ctx: Context, p: Json) -> Json:
    with ctx.store.read() as conn:
        q = queue_row(conn, p["jobQueue"])
        if q is None:
            raise ClientError(f"Job queue {p['jobQueue']} does not exist")
        service_queue = service_jobs.is_service_queue_request(q)
        rows = conn.execute(sql.QUEUE_SNAPSHOT, (q["jobQueueArn"],)).fetchall()
        utilization = None if service_queue else queue_utilization(conn, q, now_ms())
    if utilization is None:
        # A training queue's capacity is its service jobs' instances; seeing them admitted writes.
        with ctx.store.write() as conn:
            utilization = service_jobs.queue_utilization(conn, q, now_ms())
    return {
        "frontOfQueue": {
            "jobs": [{"jobArn": arn("job", r[0]), "earliestTimeAtPosition": r[1]} for r in rows],
            "lastUpdatedAt": now_ms(),
        },
        "queueUtilization": utilization,
    }


OPERATIONS: dict[str, Operation] = {
    "DescribeJobs": describe_jobs,
    "ListJobs": list_jobs,
    "GetJobQueueSnapshot": get_job_queue_snapshot,
}
