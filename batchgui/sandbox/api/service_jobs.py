"""Service environments and service jobs (SageMaker Training through AWS Batch), SIMULATED: the
sandbox runs no training. A service job moves SUBMITTED -> RUNNABLE -> SCHEDULED -> STARTING ->
RUNNING -> SUCCEEDED on a clock (`SIMULATED_TRAINING_S`, or the payload's
`Environment.BATCHGUI_SIMULATED_SECONDS`; FAILED when its `timeoutConfig.attemptDurationSeconds` is
shorter), and TerminateServiceJob(s) fail it at once. Each attempt names the SageMaker training
job it would have been (`TrainingJobArn`).

Job queues of type SAGEMAKER_TRAINING take a `serviceEnvironmentOrder` (CreateJobQueue is wrapped
here) and accept service jobs only; container jobs are refused there. Status transitions of
service environments (CREATING/UPDATING -> VALID, DELETING -> DELETED) and every service job state
are computed when read, from the times stored, so the engine needs no part in them.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid

from batchgui.domain import names
from batchgui.sandbox import sql
from batchgui.sandbox.api import job_queues, quota_shares, service_capacity
from batchgui.sandbox.api.common import (
    ClientError,
    Context,
    Json,
    Operation,
    accepting_queue,
    arn,
    check_resource_name,
    check_state,
    dumps,
    now_ms,
    page,
    queue_row,
)
from batchgui.sandbox.queue_utilization import TOP_SHARES
from batchgui.sandbox.settings import ACCOUNT_ID, REGION

SIMULATED_TRAINING_S = 3.0
# Seconds after a job's clock starts each simulated state begins (service_capacity's table).
PHASES = tuple((name, ms / 1000) for name, ms in service_capacity.PHASES_MS)
ENVIRONMENT = "service-environment"
JOB = "service-job"
TERMINAL = ("SUCCEEDED", "FAILED")


def _public(data: Json) -> Json:
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _save(conn: sqlite3.Connection, kind: str, name: str, data: Json) -> None:
    created = int(data.get("createdAt") or data.get("_createdAt") or now_ms())
    if kind == JOB:
        # Open until settling sees it can no longer matter (`_close_ended`); saved again, open again.
        is_open = int(data["status"] not in TERMINAL)
        conn.execute(sql.SERVICE_JOB_SAVE, (data["jobArn"], kind, name, created, dumps(data), is_open))
        return
    conn.execute(sql.SERVICE_SAVE, (data["serviceEnvironmentArn"], kind, name, created, dumps(data)))


# ---- service environments -----------------------------------------------------------------------
def _settled(data: Json) -> Json:
    done = data.get("_doneAt")
    if done is not None and time.time() >= done:
        data["status"] = "DELETED" if data["status"] == "DELETING" else "VALID"
        data.pop("_doneAt")
    return data


def _environment(conn: sqlite3.Connection, ref: str) -> Json | None:
    row = conn.execute(sql.SERVICE_GET, (ref,)).fetchone() if ref.startswith("arn:") else None
    if row is None and not ref.startswith("arn:"):
        row = conn.execute(sql.SERVICE_BY_NAME, (ENVIRONMENT, ref)).fetchone()
    return None if row is None else _settled(json.loads(row[0]))


def _limits(limits: list[Json]) -> list[Json]:
    if not limits:
        raise ClientError("capacityLimits must name at least one limit")
    for limit in limits:
        if int(limit.get("maxCapacity", 0)) < 1:
            raise ClientError("capacityLimits.maxCapacity must be at least 1")
        if limit.get("capacityUnit", "NUM_INSTANCES") != "NUM_INSTANCES":
            raise ClientError("capacityLimits.capacityUnit must be NUM_INSTANCES")
    return [{"maxCapacity": int(x["maxCapacity"]), "capacityUnit": "NUM_INSTANCES"} for x in limits]


def create_service_environment(ctx: Context, p: Json) -> Json:
    name = p["serviceEnvironmentName"]
    check_resource_name(name, "serviceEnvironmentName")
    if p["serviceEnvironmentType"] != "SAGEMAKER_TRAINING":
        raise ClientError("serviceEnvironmentType must be SAGEMAKER_TRAINING")
    data: Json = {
        "serviceEnvironmentName": name,
        "serviceEnvironmentArn": arn(ENVIRONMENT, name),
        "serviceEnvironmentType": "SAGEMAKER_TRAINING",
        "state": check_state(p.get("state", "ENABLED")),
        "status": "CREATING",
        "capacityLimits": _limits(list(p["capacityLimits"])),
        "tags": dict(p.get("tags") or {}),
        "_createdAt": now_ms(),
        "_doneAt": ctx.later(),
    }
    with ctx.store.write() as conn:
        existing = _environment(conn, name)
        if existing is not None and existing["status"] != "DELETED":
            raise ClientError(f"Object already exists: service environment {name}")
        _save(conn, ENVIRONMENT, name, data)
    return {"serviceEnvironmentName": name, "serviceEnvironmentArn": data["serviceEnvironmentArn"]}


def describe_service_environments(ctx: Context, p: Json) -> Json:
    refs = p.get("serviceEnvironments") or []
    with ctx.store.read() as conn:
        if refs:
            found = [e for ref in refs if (e := _environment(conn, str(ref))) is not None]
        else:
            found = [_settled(json.loads(t)) for (t,) in conn.execute(sql.SERVICE_ALL, (ENVIRONMENT,))]
            found = [e for e in found if e["status"] != "DELETED"]
    return page([_public(e) for e in found], p, "serviceEnvironments", default_max=100)


def update_service_environment(ctx: Context, p: Json) -> Json:
    with ctx.store.write() as conn:
        data = _environment(conn, p["serviceEnvironment"])
        if data is None or data["status"] in ("DELETING", "DELETED"):
            raise ClientError(f"Service environment {p['serviceEnvironment']} does not exist")
        if "state" in p:
            data["state"] = check_state(p["state"])
        if "capacityLimits" in p:
            data["capacityLimits"] = _limits(list(p["capacityLimits"]))
        data["status"] = "UPDATING"
        data["_doneAt"] = ctx.later()
        _save(conn, ENVIRONMENT, data["serviceEnvironmentName"], data)
    return {k: data[k] for k in ("serviceEnvironmentName", "serviceEnvironmentArn")}


def delete_service_environment(ctx: Context, p: Json) -> Json:
    with ctx.store.write() as conn:
        data = _environment(conn, p["serviceEnvironment"])
        if data is None or data["status"] in ("DELETING", "DELETED"):
            raise ClientError(f"Service environment {p['serviceEnvironment']} does not exist")
        if data["state"] == "ENABLED":
            raise ClientError(
                f"Cannot delete service environment {data['serviceEnvironmentName']}: it is ENABLED; "
                "disable it first (UpdateServiceEnvironment state=DISABLED)"
            )
        data["status"] = "DELETING"
        data["_doneAt"] = ctx.later()
        _save(conn, ENVIRONMENT, data["serviceEnvironmentName"], data)
    return {}


# ---- job queues of service environments ---------------------------------------------------------
def is_service_queue_request(p: Json) -> bool:
    return "serviceEnvironmentOrder" in p or p.get("jobQueueType") == "SAGEMAKER_TRAINING"


def create_job_queue(ctx: Context, p: Json) -> Json:
    """CreateJobQueue of a SAGEMAKER_TRAINING queue (routing.py sends the others to job_queues)."""
    name = p["jobQueueName"]
    check_resource_name(name, "jobQueueName")
    if p.get("computeEnvironmentOrder"):
        raise ClientError("A job queue takes computeEnvironmentOrder or serviceEnvironmentOrder, not both")
    if p.get("jobQueueType", "SAGEMAKER_TRAINING") != "SAGEMAKER_TRAINING":
        raise ClientError("A job queue with serviceEnvironmentOrder must be of type SAGEMAKER_TRAINING")
    order = sorted(p.get("serviceEnvironmentOrder") or [], key=lambda o: int(o["order"]))
    if not order:
        raise ClientError("serviceEnvironmentOrder must name at least one service environment")
    with ctx.store.write() as conn:
        existing = queue_row(conn, name, include_deleted=True)
        if existing is not None and existing["status"] != "DELETED":
            raise ClientError(f"Object already exists: job queue {name}")
        resolved = []
        for item in order:
            env = _environment(conn, str(item["serviceEnvironment"]))
            if env is None or env["status"] in ("DELETING", "DELETED"):
                raise ClientError(f"Service environment {item['serviceEnvironment']} does not exist")
            resolved.append({"order": int(item["order"]), "serviceEnvironment": env["serviceEnvironmentArn"]})
        q: Json = {
            "jobQueueName": name,
            "jobQueueArn": arn("job-queue", name),
            "state": check_state(p.get("state", "ENABLED")),
            "status": "CREATING",
            "statusReason": "JobQueue is being created",
            "priority": job_queues.check_priority(p["priority"]),
            "computeEnvironmentOrder": [],
            "serviceEnvironmentOrder": resolved,
            "jobQueueType": "SAGEMAKER_TRAINING",
            "tags": dict(p.get("tags") or {}),
            "jobStateTimeLimitActions": list(p.get("jobStateTimeLimitActions") or []),
        }
        job_queues.save_queue(conn, q, ctx.later())
    ctx.engine.wake(resources_changed=True)
    return {"jobQueueName": name, "jobQueueArn": q["jobQueueArn"]}


# ---- service jobs -------------------------------------------------------------------------------
def _simulated_seconds(payload: Json) -> float:
    env = payload.get("Environment") or {}
    try:
        return max(0.0, float(env.get("BATCHGUI_SIMULATED_SECONDS", SIMULATED_TRAINING_S)))
    except (TypeError, ValueError):
        return SIMULATED_TRAINING_S


def _advance(job: Json) -> Json:
    """The job's state now, from its clock (or what stopped it)."""
    if job["status"] in TERMINAL:
        return job
    if job.get("_waiting"):
        # Not admitted yet (service_capacity.py): RUNNABLE once submitted, with why it waits.
        waited = time.time() - job["createdAt"] / 1000
        job["status"] = "RUNNABLE" if waited >= PHASES[1][1] else "SUBMITTED"
        if job.get("_reason"):
            job["statusReason"] = job["_reason"]
        return job
    job.pop("statusReason", None)
    clock0 = int(job["_clock0"] if "_clock0" in job else job["createdAt"])
    elapsed = time.time() - clock0 / 1000
    status = "SUBMITTED"
    for name, at in PHASES:
        if elapsed >= at:
            status = name
    started = clock0 + int(PHASES[-1][1] * 1000)
    run = float(job["_runS"])
    limit = (job.get("timeoutConfig") or {}).get("attemptDurationSeconds")
    if status == "RUNNING":
        job["startedAt"] = started
        job["latestAttempt"] = {"serviceResourceId": job["_resource"]}
        job["capacityUsage"] = [{"capacityUnit": "NUM_INSTANCES", "quantity": float(job["_instances"])}]
        if limit is not None and elapsed - PHASES[-1][1] >= limit and limit < run:
            _stop(job, started + int(limit * 1000), "FAILED", "Job attempt duration exceeded timeout")
        elif elapsed - PHASES[-1][1] >= run:
            _stop(job, started + int(run * 1000), "SUCCEEDED", "Training job completed (simulated)")
    if status in ("SCHEDULED", "STARTING", "RUNNING"):
        job.setdefault("scheduledAt", clock0 + int(PHASES[2][1] * 1000))
    if job["status"] not in TERMINAL:
        job["status"] = status
    return job


def _stop(job: Json, stopped: int, status: str, reason: str) -> None:
    job["status"] = status
    job["statusReason"] = reason
    job["stoppedAt"] = stopped
    attempt: Json = {"serviceResourceId": job["_resource"], "stoppedAt": stopped, "statusReason": reason}
    if "startedAt" in job:
        attempt["startedAt"] = job["startedAt"]
    job["attempts"] = [attempt]
    job["capacityUsage"] = []


def _environment_limit(conn: sqlite3.Connection, queue: Json) -> int:
    """The instances a queue's ENABLED service environments allow together."""
    total = 0
    for item in queue.get("serviceEnvironmentOrder") or []:
        env = _environment(conn, str(item["serviceEnvironment"]))
        if env is not None and env["state"] == "ENABLED" and env["status"] not in ("DELETING", "DELETED"):
            total += service_capacity.limit_for(list(env["capacityLimits"]), service_capacity.ANY_TYPE) or 0
    return total


def _settle(conn: sqlite3.Connection) -> None:
    """Admit the waiting service jobs as their queues' capacity allowed them (service_capacity.py).

    Only open jobs are read (an index, not every service job ever submitted); afterwards the jobs
    that can no longer change any admission are closed (`_close_ended`)."""
    by_queue: dict[str, list[Json]] = {}
    for (text,) in conn.execute(sql.SERVICE_JOBS_OPEN).fetchall():
        job = json.loads(text)
        by_queue.setdefault(job["jobQueue"], []).append(job)
    now = now_ms()
    for queue_arn, jobs in by_queue.items():
        if any(j.get("_waiting") for j in jobs):
            queue = queue_row(conn, queue_arn, include_deleted=True)
            if queue is not None:
                shares = quota_shares.shares_of_queue(conn, queue_arn)
                changed = service_capacity.settle(
                    jobs, _environment_limit(conn, queue), shares, now, lambda j: j["status"] in TERMINAL
                )
                for job in changed:
                    _save(conn, JOB, job["jobName"], job)
        _close_ended(conn, jobs, now)


def _close_ended(conn: sqlite3.Connection, jobs: list[Json], now: int) -> None:
    """Close the jobs of one queue that no later settling needs: those stopped as stored, and those
    whose instances came back (their clock's end) before now and before the moment any job still
    waiting became RUNNABLE. settle() replays from the earliest waiting job's RUNNABLE time, and an
    end before it is released before that job is first weighed: the replay is the same without it."""
    waiting = [j for j in jobs if j.get("_waiting") and j["status"] not in TERMINAL]
    floor = min(
        (float(j["createdAt"]) + service_capacity.RUNNABLE_AFTER_MS for j in waiting), default=float(now)
    )
    for job in jobs:
        if job["status"] in TERMINAL or (
            not job.get("_waiting") and service_capacity.end_ms(job) < min(floor, float(now))
        ):
            conn.execute(sql.SERVICE_JOB_CLOSE, (job["jobArn"],))


def queue_utilization(conn: sqlite3.Connection, queue: Json, now: int) -> Json:
    """GetJobQueueSnapshot's `queueUtilization` of a SAGEMAKER_TRAINING queue: the instances its
    admitted service jobs hold (capacityUnit: the instance type, as AWS documents for service jobs),
    in all and per quota share (the 20 largest, as AWS lists them)."""
    _settle(conn)
    total: dict[str, float] = {}
    shares: dict[str, dict[str, float]] = {}
    for (text,) in conn.execute(sql.SERVICE_JOBS_OPEN).fetchall():
        job = _advance(json.loads(text))
        # An admitted job holds its instances from admission to its end (service_capacity.py).
        if job["jobQueue"] != queue["jobQueueArn"] or job.get("_waiting") or job["status"] in TERMINAL:
            continue
        unit, count = service_capacity.need(job)
        total[unit] = total.get(unit, 0.0) + count
        share = str(job.get("quotaShareName") or "")
        if share:
            used = shares.setdefault(share, {})
            used[unit] = used.get(unit, 0.0) + count

    def usage(of: dict[str, float]) -> list[Json]:
        return [{"capacityUnit": unit, "quantity": float(n)} for unit, n in sorted(of.items())]

    out: Json = {"totalCapacityUsage": usage(total), "lastUpdatedAt": now}
    if queue.get("schedulingPolicyArn") or shares:
        top = sorted(shares.items(), key=lambda item: -sum(item[1].values()))[:TOP_SHARES]
        out["quotaShareUtilization"] = {
            "topCapacityUtilization": [{"quotaShareName": n, "capacityUsage": usage(u)} for n, u in top]
        }
    return out


def _job(conn: sqlite3.Connection, job_id: str) -> Json | None:
    row = conn.execute(sql.SERVICE_GET, (arn(JOB, job_id),)).fetchone()
    return None if row is None else _advance(json.loads(row[0]))


def submit_service_job(ctx: Context, p: Json) -> Json:
    name = p["jobName"]
    if not names.is_job_name(name):
        raise ClientError(
            "jobName must be 1-128 letters, numbers, hyphens and underscores, starting alphanumeric"
        )
    if p["serviceJobType"] != "SAGEMAKER_TRAINING":
        raise ClientError("serviceJobType must be SAGEMAKER_TRAINING")
    try:
        payload = json.loads(p["serviceRequestPayload"])
    except ValueError:
        raise ClientError(
            "serviceRequestPayload must be a JSON document (a CreateTrainingJob request)"
        ) from None
    if not isinstance(payload, dict):
        raise ClientError("serviceRequestPayload must be a JSON object (a CreateTrainingJob request)")
    with ctx.store.write() as conn:
        q = accepting_queue(conn, p["jobQueue"])
        if q.get("jobQueueType") != "SAGEMAKER_TRAINING":
            raise ClientError(f"Job queue {q['jobQueueName']} is not a SAGEMAKER_TRAINING job queue")
        if p.get("quotaShareName"):
            quota_shares.check_share_of_queue(conn, q, p["quotaShareName"])
        job_id = str(uuid.uuid4())
        training = str(payload.get("TrainingJobName") or f"{name}-{job_id[:8]}")
        resources = payload.get("ResourceConfig") or {}
        _settle(conn)  # capacity held now decides when this job starts
        job: Json = {
            "jobId": job_id,
            "jobArn": arn(JOB, job_id),
            "jobName": name,
            "jobQueue": q["jobQueueArn"],
            "serviceJobType": "SAGEMAKER_TRAINING",
            "serviceRequestPayload": p["serviceRequestPayload"],
            "status": "SUBMITTED",
            "createdAt": now_ms(),
            "isTerminated": False,
            "attempts": [],
            "tags": dict(p.get("tags") or {}),
            "_runS": _simulated_seconds(payload),
            "_instances": int(resources.get("InstanceCount", 1) or 1),
            "_instanceType": str(resources.get("InstanceType") or service_capacity.ANY_TYPE),
            "_waiting": True,
            "_resource": {
                "name": "TrainingJobArn",
                "value": f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:training-job/{training}",
            },
        }
        for key in (
            "retryStrategy",
            "schedulingPriority",
            "shareIdentifier",
            "timeoutConfig",
            "quotaShareName",
        ):
            if key in p:
                job[key] = p[key]
        _save(conn, JOB, name, job)
    return {"jobArn": job["jobArn"], "jobName": name, "jobId": job_id}


def describe_service_job(ctx: Context, p: Json) -> Json:
    with ctx.store.write() as conn:
        _settle(conn)
        job = _job(conn, p["jobId"])
    if job is None:
        raise ClientError(f"Service job {p['jobId']} does not exist")
    out = _public(job)
    out.setdefault("startedAt", 0)  # required by the model, even before the job starts
    return out


def list_service_jobs(ctx: Context, p: Json) -> Json:
    queue_ref = p.get("jobQueue")
    status = p.get("jobStatus")
    name_filter: str | None = None
    for f in p.get("filters") or []:
        if f.get("name") != "JOB_NAME" or len(f.get("values") or []) != 1:
            raise ClientError("ListServiceJobs filters: JOB_NAME with one value")
        name_filter, status = str(f["values"][0]), None
    with ctx.store.write() as conn:
        _settle(conn)
        queue_arn = None
        if queue_ref:
            q = queue_row(conn, str(queue_ref), include_deleted=True)
            if q is None:
                raise ClientError(f"Job queue {queue_ref} does not exist")
            queue_arn = q["jobQueueArn"]
        jobs = [_advance(json.loads(t)) for (t,) in conn.execute(sql.SERVICE_JOBS_NEWEST)]
    keep = [
        "latestAttempt",
        "capacityUsage",
        "createdAt",
        "jobArn",
        "jobId",
        "jobName",
        "scheduledAt",
        "serviceJobType",
        "shareIdentifier",
        "quotaShareName",
        "status",
        "statusReason",
        "startedAt",
        "stoppedAt",
        "isTerminated",
    ]
    out = []
    for job in jobs:
        if queue_arn and job["jobQueue"] != queue_arn:
            continue
        if status and job["status"] != status:
            continue
        if name_filter and not (
            job["jobName"].startswith(name_filter[:-1])
            if name_filter.endswith("*")
            else job["jobName"] == name_filter
        ):
            continue
        summary = {k: job[k] for k in keep if k in job}
        if "capacityUsage" in summary:
            summary["capacityUsage"] = [
                {"capacityUnit": c["capacityUnit"], "quantity": c["quantity"]}
                for c in summary["capacityUsage"]
            ]
        out.append(summary)
    return page(out, p, "jobSummaryList", default_max=100)


def _terminate(conn: sqlite3.Connection, job_id: str, reason: str) -> bool:
    _settle(conn)
    job = _job(conn, job_id)
    if job is None:
        return False
    if job["status"] not in TERMINAL:
        job["isTerminated"] = True
        _stop(job, now_ms(), "FAILED", reason)
        _save(conn, JOB, job["jobName"], job)
    return True


def terminate_service_job(ctx: Context, p: Json) -> Json:
    with ctx.store.write() as conn:
        if not _terminate(conn, p["jobId"], p["reason"]):
            raise ClientError(f"Service job {p['jobId']} does not exist")
    return {}


def terminate_service_jobs(ctx: Context, p: Json) -> Json:
    ids = list(p["jobs"])
    if len(ids) > 50:
        raise ClientError("At most 50 job IDs per call")
    with ctx.store.write() as conn:
        unknown = [i for i in ids if not _terminate(conn, i, p["reason"])]
    return {
        "successful": [i for i in ids if i not in unknown],
        "errors": [
            {"job": i, "code": "ClientException", "message": f"Service job {i} does not exist"}
            for i in unknown
        ],
    }


def update_service_job(ctx: Context, p: Json) -> Json:
    with ctx.store.write() as conn:
        job = _job(conn, p["jobId"])
        if job is None:
            raise ClientError(f"Service job {p['jobId']} does not exist")
        if not 0 <= p["schedulingPriority"] <= 9999:
            raise ClientError("schedulingPriority must be between 0 and 9999")
        job["schedulingPriority"] = p["schedulingPriority"]
        _save(conn, JOB, job["jobName"], job)
    return {k: job[k] for k in ("jobArn", "jobName", "jobId")}


OPERATIONS: dict[str, Operation] = {
    "CreateServiceEnvironment": create_service_environment,
    "DescribeServiceEnvironments": describe_service_environments,
    "UpdateServiceEnvironment": update_service_environment,
    "DeleteServiceEnvironment": delete_service_environment,
    "SubmitServiceJob": submit_service_job,
    "DescribeServiceJob": describe_service_job,
    "ListServiceJobs": list_service_jobs,
    "TerminateServiceJob": terminate_service_job,
    "TerminateServiceJobs": terminate_service_jobs,
    "UpdateServiceJob": update_service_job,
}
