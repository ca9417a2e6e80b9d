"""Compute environments: Create, Update, Delete, Describe; MANAGED (EC2, SPOT, FARGATE,
FARGATE_SPOT) and UNMANAGED. Status goes CREATING/UPDATING/DELETING -> VALID/DELETED after the
settings' transition delay (the engine makes the move)."""

from __future__ import annotations

import sqlite3
import uuid

from batchgui.resources import instance_catalogue
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
    live_rows,
    refuse_busy,
    refuse_enabled,
)
from batchgui.sandbox.settings import ACCOUNT_ID, REGION


def create_compute_environment(ctx: Context, p: Json) -> Json:
    name = p["computeEnvironmentName"]
    check_resource_name(name, "computeEnvironmentName")
    ce_type = p["type"]
    if ce_type not in ("MANAGED", "UNMANAGED"):
        raise ClientError(f"Invalid compute environment type {ce_type!r}: must be MANAGED or UNMANAGED")
    state = check_state(p.get("state", "ENABLED"))
    resources = p.get("computeResources")
    if ce_type == "MANAGED":
        if resources is None:
            raise ClientError("computeResources must be specified for a MANAGED compute environment")
        resources = check_resources(dict(resources))
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
    with ctx.store.write() as conn:
        existing = ce_row(conn, name, include_deleted=True)
        if existing is not None and existing["status"] != "DELETED":
            raise ClientError(f"Object already exists: compute environment {name}")
        save_ce(conn, ce, ctx.later())
    ctx.engine.wake(resources_changed=True)
    return {"computeEnvironmentName": name, "computeEnvironmentArn": ce["computeEnvironmentArn"]}


def check_resources(r: Json, old: Json | None = None) -> Json:
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
    unknown = instance_catalogue().unknown(types)
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


def update_compute_environment(ctx: Context, p: Json) -> Json:
    ref = p["computeEnvironment"]
    with ctx.store.write() as conn:
        ce = existing(ce_row(conn, ref), "Compute environment", ref)
        refuse_busy(ce, f"compute environment {ce['computeEnvironmentName']}")
        if "state" in p:
            check_state(p["state"])
            ce["state"] = p["state"]
        if "computeResources" in p:
            if "computeResources" not in ce:
                raise ClientError("computeResources can't be updated on an UNMANAGED compute environment")
            new = dict(p["computeResources"])
            if "type" in new and new["type"] != ce["computeResources"]["type"]:
                raise ClientError("computeResources.type can't be changed")
            ce["computeResources"] = check_resources(new, ce["computeResources"])
        if "unmanagedvCpus" in p:
            if ce["type"] != "UNMANAGED":
                raise ClientError("unmanagedvCpus applies only to UNMANAGED compute environments")
            ce["unmanagedvCpus"] = p["unmanagedvCpus"]
        if "serviceRole" in p:
            ce["serviceRole"] = p["serviceRole"]
        begin_transition(ctx, conn, ce, "UPDATING", "Compute environment is being updated", save_ce)
    ctx.engine.wake(resources_changed=True)
    return {
        "computeEnvironmentName": ce["computeEnvironmentName"],
        "computeEnvironmentArn": ce["computeEnvironmentArn"],
    }


def delete_compute_environment(ctx: Context, p: Json) -> Json:
    ref = p["computeEnvironment"]
    with ctx.store.write() as conn:
        ce = existing(ce_row(conn, ref), "Compute environment", ref)
        refuse_enabled(ce, f"compute environment {ce['computeEnvironmentName']}", "UpdateComputeEnvironment")
        for q in live_rows(conn, sql.QUEUES_LIVE):
            if any(
                o["computeEnvironment"] == ce["computeEnvironmentArn"] for o in q["computeEnvironmentOrder"]
            ):
                raise ClientError(
                    f"Cannot delete, found existing JobQueue relationship: {q['jobQueueName']} uses "
                    f"compute environment {ce['computeEnvironmentName']}"
                )
        begin_transition(ctx, conn, ce, "DELETING", "Compute environment is being deleted", save_ce)
    ctx.engine.wake(resources_changed=True)
    return {}


def describe_compute_environments(ctx: Context, p: Json) -> Json:
    return describe_named(ctx, p, "computeEnvironments", ce_row, sql.CES_LIVE_BY_NAME)


def save_ce(conn: sqlite3.Connection, ce: Json, transition_at: float | None) -> None:
    conn.execute(
        sql.CE_SAVE,
        (ce["computeEnvironmentName"], ce["computeEnvironmentArn"], ce["status"], transition_at, dumps(ce)),
    )


OPERATIONS: dict[str, Operation] = {
    "CreateComputeEnvironment": create_compute_environment,
    "UpdateComputeEnvironment": update_compute_environment,
    "DeleteComputeEnvironment": delete_compute_environment,
    "DescribeComputeEnvironments": describe_compute_environments,
}
