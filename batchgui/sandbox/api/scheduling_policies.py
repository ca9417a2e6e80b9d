"""Scheduling policies: Create, Update, Delete, Describe, List. A queue with one schedules its jobs
by fair share (placement.fair_share_order)."""

from __future__ import annotations

import json

from batchgui.sandbox import sql
from batchgui.sandbox.api.common import (
    ClientError,
    Context,
    Json,
    Operation,
    arn,
    check_resource_name,
    dumps,
    live_rows,
    page,
)

POLICY_KEYS = ("fairsharePolicy", "quotaSharePolicy")


def create_scheduling_policy(ctx: Context, p: Json) -> Json:
    name = p["name"]
    check_resource_name(name, "name")
    policy: Json = {"name": name, "arn": arn("scheduling-policy", name), "tags": dict(p.get("tags") or {})}
    policy.update({key: p[key] for key in POLICY_KEYS if key in p})
    with ctx.store.write() as conn:
        if conn.execute(sql.POLICY_NAME_EXISTS, (name,)).fetchone():
            raise ClientError(f"Object already exists: scheduling policy {name}")
        conn.execute(sql.POLICY_INSERT, (policy["arn"], name, dumps(policy)))
    return {"name": name, "arn": policy["arn"]}


def _missing(policy_arn: str) -> ClientError:
    return ClientError(f"Scheduling policy {policy_arn} does not exist")


def update_scheduling_policy(ctx: Context, p: Json) -> Json:
    with ctx.store.write() as conn:
        row = conn.execute(sql.POLICY_BY_ARN, (p["arn"],)).fetchone()
        if row is None:
            raise _missing(p["arn"])
        policy = json.loads(row[0])
        policy.update({key: p[key] for key in POLICY_KEYS if key in p})
        conn.execute(sql.POLICY_SET_DATA, (dumps(policy), p["arn"]))
    return {}


def delete_scheduling_policy(ctx: Context, p: Json) -> Json:
    with ctx.store.write() as conn:
        if conn.execute(sql.POLICY_EXISTS, (p["arn"],)).fetchone() is None:
            raise _missing(p["arn"])
        if any(q.get("schedulingPolicyArn") == p["arn"] for q in live_rows(conn, sql.QUEUES_LIVE)):
            raise ClientError(f"Scheduling policy {p['arn']} is used by a job queue")
        conn.execute(sql.POLICY_DELETE, (p["arn"],))
    return {}


def describe_scheduling_policies(ctx: Context, p: Json) -> Json:
    out = []
    with ctx.store.read() as conn:
        for policy_arn in p["arns"]:
            row = conn.execute(sql.POLICY_BY_ARN, (policy_arn,)).fetchone()
            if row is not None:
                out.append(json.loads(row[0]))
    return {"schedulingPolicies": out}


def list_scheduling_policies(ctx: Context, p: Json) -> Json:
    with ctx.store.read() as conn:
        rows = [{"arn": a} for (a,) in conn.execute(sql.POLICY_ARNS)]
    return page(rows, p, "schedulingPolicies", default_max=100)


OPERATIONS: dict[str, Operation] = {
    "CreateSchedulingPolicy": create_scheduling_policy,
    "UpdateSchedulingPolicy": update_scheduling_policy,
    "DeleteSchedulingPolicy": delete_scheduling_policy,
    "DescribeSchedulingPolicies": describe_scheduling_policies,
    "ListSchedulingPolicies": list_scheduling_policies,
}
