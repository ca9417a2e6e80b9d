"""Jobs: SubmitJob (single, array, dependencies, retry, timeout, fair share: `submit_job_locked`,
called by routing.py inside its write transaction), and CancelJob,
TerminateJob and their bulk forms. The job's DescribeJobs answer is fixed at submission (`spec`);
the engine changes only its status columns afterwards."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterable

from batchgui.domain import names
from batchgui.sandbox import sql
from batchgui.sandbox.api.common import (
    ClientError,
    Context,
    Json,
    Operation,
    arn,
    check_reserved_env,
    check_retry,
    check_timeout,
    container_resources,
    dumps,
    now_ms,
)
from batchgui.sandbox.api.job_definitions import check_fargate_size
from batchgui.sandbox.store import ACTIVE

MAX_DEPENDENCIES = 20
MAX_ARRAY_SIZE = 10000
MAX_STOP_IDS = 50
UNSUPPORTED_OVERRIDES = (
    "nodeOverrides",
    "eksPropertiesOverride",
    "ecsPropertiesOverride",
)


# Compiled once: re's own cache of compiled patterns is shared by the whole process (moto and
# botocore fill it), and a miss recompiled this one at every SubmitJob (0.6 ms each here).
REF = re.compile(r"Ref::([A-Za-z0-9_]+)")


def substitute_refs(args: Iterable[str], params: dict[str, str]) -> list[str]:
    """Batch's `Ref::name` parameter substitution in a command."""

    def one(arg: str) -> str:
        if "Ref::" not in arg:
            return arg
        if arg.startswith("Ref::") and arg[5:] in params:
            return params[arg[5:]]
        return REF.sub(lambda m: params.get(m.group(1), m.group(0)), arg)

    return [one(a) for a in args]


def submit_job_locked(
    ctx: Context, conn: sqlite3.Connection, p: Json, q: Json | None, jd: Json | None
) -> Json:
    """SubmitJob of a container job inside the caller's write transaction, with the queue and job
    definition it names already read in it (routing.py): one transaction, no SELECT twice."""
    name = p["jobName"]
    if not names.is_job_name(name):
        raise ClientError(
            "jobName must be 1-128 characters: letters, numbers, hyphens (-) and underscores (_), "
            "starting with a letter or number"
        )
    array = p.get("arrayProperties") or {}
    size = array.get("size")
    if size is not None and not 2 <= size <= MAX_ARRAY_SIZE:
        raise ClientError(f"arrayProperties.size must be between 2 and 10000, got {size}")
    deps = list(p.get("dependsOn") or [])
    if len(deps) > MAX_DEPENDENCIES:
        raise ClientError(f"A job can depend on at most {MAX_DEPENDENCIES} jobs, got {len(deps)}")
    for unsupported in UNSUPPORTED_OVERRIDES:
        if unsupported in p:
            raise ClientError(f"{unsupported} is not supported by the local sandbox")
    check_retry(p.get("retryStrategy"))
    check_timeout(ctx, p.get("timeout"))
    overrides = p.get("containerOverrides") or {}
    check_reserved_env(overrides.get("environment"))
    job_id = str(uuid.uuid4())
    created = now_ms()
    if q is None or q["status"] in ("DELETING", "DELETED"):
        raise ClientError(f"Job queue {p['jobQueue']} does not exist")
    if q["state"] != "ENABLED":
        raise ClientError(f"Job queue {q['jobQueueName']} is DISABLED and can't accept jobs")
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
        row = conn.execute(sql.JOB_ARRAY_SIZE, (target,)).fetchone()
        if row is None:
            raise ClientError(f"Dependent job ID {target} does not exist")
        if dep_type == "N_TO_N" and row[0] != size:
            raise ClientError("An N_TO_N dependency must name an array job of the same size")
        dep_rows.append((target, dep_type))
    spec = job_spec(job_id, name, q, jd, p, overrides, size, deps)
    vcpus, memory = spec.pop("_resources")
    conn.execute(
        sql.JOB_INSERT,
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
            dumps(spec),
            share,
        ),
    )
    if dep_rows:
        conn.executemany(sql.DEPS_INSERT, [(job_id, t, ty) for t, ty in dep_rows if t])
    return {"jobArn": arn("job", job_id), "jobName": name, "jobId": job_id}


def job_spec(  # noqa: PLR0917
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
    if platform == "FARGATE":
        check_fargate_size(vcpus, memory)
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
    consumables = merged_consumables(jd, p)  # api/consumable_resources.py checked them
    if consumables:
        spec["consumableResourceProperties"] = {"consumableResourceList": consumables}
    return spec


def merged_consumables(jd: Json, p: Json) -> list[Json]:
    """The job definition's consumable resource quantities, with the submission's overrides."""
    merged: dict[str, int] = {}
    for source in (jd.get("consumableResourceProperties"), p.get("consumableResourcePropertiesOverride")):
        for item in (source or {}).get("consumableResourceList") or []:
            merged[str(item.get("consumableResource", ""))] = int(item.get("quantity", 1))
    return [{"consumableResource": name, "quantity": qty} for name, qty in merged.items()]


def cancel_job(ctx: Context, p: Json) -> Json:
    stop_jobs(ctx, [p["jobId"]], p["reason"], terminate=False, strict=True)
    return {}


def terminate_job(ctx: Context, p: Json) -> Json:
    stop_jobs(ctx, [p["jobId"]], p["reason"], terminate=True, strict=True)
    return {}


def cancel_jobs(ctx: Context, p: Json) -> Json:
    return bulk(ctx, p, terminate=False)


def terminate_jobs(ctx: Context, p: Json) -> Json:
    return bulk(ctx, p, terminate=True)


def bulk(ctx: Context, p: Json, terminate: bool) -> Json:
    ids = p["jobs"]
    if len(ids) > MAX_STOP_IDS:
        raise ClientError("At most 50 job IDs per call")
    unknown = stop_jobs(ctx, ids, p["reason"], terminate=terminate, strict=False)
    return {
        "successful": [i for i in ids if i not in unknown],
        "errors": [
            {"job": i, "code": "ClientException", "message": f"Job {i} does not exist"} for i in unknown
        ],
    }


def stop_jobs(ctx: Context, ids: list[str], reason: str, terminate: bool, strict: bool) -> set[str]:
    unknown: set[str] = set()
    to_kill: list[str] = []
    with ctx.store.write() as conn:
        for job_id in ids:
            row = conn.execute(sql.JOB_STATUS_ARRAY, (job_id,)).fetchone()
            if row is None:
                if strict:
                    raise ClientError(f"Job {job_id} does not exist")
                unknown.add(job_id)
                continue
            status, size, child = row
            targets = [job_id]
            if size is not None and not child:
                targets = [r[0] for r in conn.execute(sql.CHILDREN_IN, (job_id, *ACTIVE))]
                if status == "SUBMITTED":
                    targets.append(job_id)
                else:
                    conn.execute(sql.JOB_MARK_STOPPED, (int(not terminate), int(terminate), job_id))
            for target in targets:
                to_kill += ctx.engine.stop_job_locked(conn, target, reason, terminate)
    if to_kill:
        ctx.engine.kill(to_kill, reason)
    ctx.engine.wake()
    return unknown


# SubmitJob is routing.py's (it reads the queue and job definition, then calls submit_job_locked).
OPERATIONS: dict[str, Operation] = {
    "CancelJob": cancel_job,
    "TerminateJob": terminate_job,
    "CancelJobs": cancel_jobs,
    "TerminateJobs": terminate_jobs,
}
