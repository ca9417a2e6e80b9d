"""Job queues: Create, Update, Delete, Describe. A queue's environments are all Fargate or all
EC2 (AWS refuses a mix); jobStateTimeLimitActions cancel jobs stuck RUNNABLE for a reason."""

from __future__ import annotations

import sqlite3

from batchgui.sandbox import sql
from batchgui.sandbox.api.common import (
    FARGATE_TYPES,
    ClientError,
    Context,
    Json,
    Operation,
    arn,
    begin_transition,
    ce_row,
    check_resource_name,
    check_state,
    describe_named,
    dumps,
    existing,
    queue_row,
    refuse_busy,
    refuse_enabled,
)

PRIORITY_RULE = "priority must be between 0 and 1000"


def check_priority(priority: int) -> int:
    if not 0 <= priority <= 1000:
        raise ClientError(PRIORITY_RULE)
    return priority


def check_order(conn: sqlite3.Connection, order: list[Json]) -> tuple[list[Json], str]:
    if not order:
        raise ClientError("computeEnvironmentOrder must name at least one compute environment")
    if len(order) > 3:
        raise ClientError("computeEnvironmentOrder can name at most 3 compute environments")
    resolved: list[Json] = []
    kinds: set[str] = set()
    seen_orders: set[int] = set()
    for entry in order:
        ce = ce_row(conn, entry["computeEnvironment"])
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


def check_time_limit_actions(ctx: Context, actions: list[Json]) -> list[Json]:
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
        if not 600 <= action["maxTimeSeconds"] <= 86400 and ctx.settings.min_timeout_s >= 60:
            raise ClientError("jobStateTimeLimitActions.maxTimeSeconds must be between 600 and 86400")
        if action["reason"] not in reasons:
            raise ClientError(f"jobStateTimeLimitActions.reason must be one of {', '.join(reasons)}")
    return actions


def create_job_queue(ctx: Context, p: Json) -> Json:
    name = p["jobQueueName"]
    check_resource_name(name, "jobQueueName")
    state = check_state(p.get("state", "ENABLED"))
    check_priority(p["priority"])
    if "serviceEnvironmentOrder" in p or p.get("jobQueueType") not in (None, "ECS", "ECS_FARGATE"):
        raise ClientError(
            "Service environments and SageMaker/EKS job queues are not supported by the local sandbox"
        )
    actions = check_time_limit_actions(ctx, list(p.get("jobStateTimeLimitActions") or []))
    with ctx.store.write() as conn:
        existing = queue_row(conn, name, include_deleted=True)
        if existing is not None and existing["status"] != "DELETED":
            raise ClientError(f"Object already exists: job queue {name}")
        order, kind = check_order(conn, list(p.get("computeEnvironmentOrder") or []))
        policy = p.get("schedulingPolicyArn")
        if policy is not None and conn.execute(sql.POLICY_EXISTS, (policy,)).fetchone() is None:
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
        save_queue(conn, q, ctx.later())
    ctx.engine.wake(resources_changed=True)
    return {"jobQueueName": name, "jobQueueArn": q["jobQueueArn"]}


def update_job_queue(ctx: Context, p: Json) -> Json:
    ref = p["jobQueue"]
    with ctx.store.write() as conn:
        q = existing(queue_row(conn, ref), "Job queue", ref)
        refuse_busy(q, f"job queue {q['jobQueueName']}")
        if "state" in p:
            check_state(p["state"])
            q["state"] = p["state"]
        if "priority" in p:
            q["priority"] = check_priority(p["priority"])
        if "computeEnvironmentOrder" in p:
            order, kind = check_order(conn, list(p["computeEnvironmentOrder"]))
            q["computeEnvironmentOrder"] = order
            q["jobQueueType"] = "ECS_FARGATE" if kind == "FARGATE" else "ECS"
        if "jobStateTimeLimitActions" in p:
            q["jobStateTimeLimitActions"] = check_time_limit_actions(ctx, list(p["jobStateTimeLimitActions"]))
        if "schedulingPolicyArn" in p:
            q["schedulingPolicyArn"] = p["schedulingPolicyArn"]
        begin_transition(ctx, conn, q, "UPDATING", "JobQueue is being updated", save_queue)
    ctx.engine.wake(resources_changed=True)
    return {"jobQueueName": q["jobQueueName"], "jobQueueArn": q["jobQueueArn"]}


def delete_job_queue(ctx: Context, p: Json) -> Json:
    ref = p["jobQueue"]
    with ctx.store.write() as conn:
        q = existing(queue_row(conn, ref), "Job queue", ref)
        refuse_enabled(q, f"job queue {q['jobQueueName']}", "UpdateJobQueue")
        begin_transition(ctx, conn, q, "DELETING", "JobQueue is being deleted", save_queue)
    ctx.engine.wake(resources_changed=True)
    return {}


def describe_job_queues(ctx: Context, p: Json) -> Json:
    return describe_named(ctx, p, "jobQueues", queue_row, sql.QUEUES_LIVE_BY_NAME)


def save_queue(conn: sqlite3.Connection, q: Json, transition_at: float | None) -> None:
    conn.execute(sql.QUEUE_SAVE, (q["jobQueueName"], q["jobQueueArn"], q["status"], transition_at, dumps(q)))


OPERATIONS: dict[str, Operation] = {
    "CreateJobQueue": create_job_queue,
    "UpdateJobQueue": update_job_queue,
    "DeleteJobQueue": delete_job_queue,
    "DescribeJobQueues": describe_job_queues,
}
