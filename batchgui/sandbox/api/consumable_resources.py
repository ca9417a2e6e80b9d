"""Consumable resources (resource-aware scheduling): Create, Describe, List, Update, Delete and
ListJobsByConsumableResource, and the checks RegisterJobDefinition (`consumableResourceProperties`)
and SubmitJob (`consumableResourcePropertiesOverride`) make of them. What jobs hold is the engine's
(consumables.py): `inUseQuantity` is read from it.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from batchgui.sandbox.api.common import (
    ClientError,
    Context,
    Json,
    Operation,
    arn,
    check_resource_name,
    dumps,
    now_ms,
    page,
)

TYPES = ("REPLENISHABLE", "NON_REPLENISHABLE")
MAX_PER_JOB = 5
MAX_QUANTITY = 10**12
BY_NAME = "SELECT data FROM consumable_resources WHERE name = ?"
BY_ARN = "SELECT data FROM consumable_resources WHERE arn = ?"
ALL = "SELECT data FROM consumable_resources ORDER BY name"
INSERT = "INSERT INTO consumable_resources (name, arn, data) VALUES (?, ?, ?)"
SAVE = "UPDATE consumable_resources SET data = ? WHERE arn = ?"
DELETE = "DELETE FROM consumable_resources WHERE arn = ?"
# Jobs (not array children: they share their parent's needs) naming a resource, newest first.
JOBS_NEEDING = (
    "SELECT j.job_id, j.name, j.queue, j.job_def, j.share, j.status, j.status_reason, j.started_at,"
    " j.created_at, json_extract(r.value, '$.quantity'), j.seq FROM jobs j,"
    " json_each(j.spec, '$.consumableResourceProperties.consumableResourceList') r"
    " WHERE j.child = 0 AND json_extract(r.value, '$.consumableResource') IN (?, ?) ORDER BY j.seq DESC"
)


def resource_row(conn: sqlite3.Connection, ref: str) -> Json | None:
    row = conn.execute(BY_ARN if ref.startswith("arn:") else BY_NAME, (ref,)).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def _found(conn: sqlite3.Connection, ref: str) -> Json:
    data = resource_row(conn, ref)
    if data is None:
        raise ClientError(f"Consumable resource {ref} does not exist")
    return data


def _quantity(value: Any, field: str) -> int:
    if not isinstance(value, int) or not 0 <= value <= MAX_QUANTITY:
        raise ClientError(f"{field} must be a whole number between 0 and {MAX_QUANTITY}")
    return value


def _describe(ctx: Context, data: Json) -> Json:
    in_use = ctx.engine.consumables.in_use(data["consumableResourceArn"])
    total = int(data.get("totalQuantity", 0))
    return {**data, "inUseQuantity": in_use, "availableQuantity": max(0, total - in_use)}


def create_consumable_resource(ctx: Context, p: Json) -> Json:
    name = p["consumableResourceName"]
    check_resource_name(name, "consumableResourceName")
    kind = p.get("resourceType", "REPLENISHABLE")
    if kind not in TYPES:
        raise ClientError("resourceType must be REPLENISHABLE or NON_REPLENISHABLE")
    data: Json = {
        "consumableResourceName": name,
        "consumableResourceArn": arn("consumable-resource", name),
        "totalQuantity": _quantity(p.get("totalQuantity", 0), "totalQuantity"),
        "resourceType": kind,
        "createdAt": now_ms(),
        "tags": dict(p.get("tags") or {}),
    }
    with ctx.store.write() as conn:
        if resource_row(conn, name) is not None:
            raise ClientError(f"Object already exists: consumable resource {name}")
        conn.execute(INSERT, (name, data["consumableResourceArn"], dumps(data)))
    ctx.engine.consumables.changed()
    return {"consumableResourceName": name, "consumableResourceArn": data["consumableResourceArn"]}


def describe_consumable_resource(ctx: Context, p: Json) -> Json:
    with ctx.store.read() as conn:
        return _describe(ctx, _found(conn, p["consumableResource"]))


def list_consumable_resources(ctx: Context, p: Json) -> Json:
    prefix, exact = None, None
    for f in p.get("filters") or []:
        if f.get("name") != "CONSUMABLE_RESOURCE_NAME" or len(f.get("values") or []) != 1:
            raise ClientError("ListConsumableResources filters: CONSUMABLE_RESOURCE_NAME with one value")
        value = str(f["values"][0]).lower()
        prefix, exact = (value[:-1], None) if value.endswith("*") else (None, value)
    with ctx.store.read() as conn:
        rows = [json.loads(t) for (t,) in conn.execute(ALL)]
    out = []
    for data in rows:
        low = data["consumableResourceName"].lower()
        if (exact is not None and low != exact) or (prefix is not None and not low.startswith(prefix)):
            continue
        full = _describe(ctx, data)
        out.append(
            {
                k: full[k]
                for k in (
                    "consumableResourceArn",
                    "consumableResourceName",
                    "totalQuantity",
                    "inUseQuantity",
                    "resourceType",
                )
            }
        )
    return page(out, p, "consumableResources", default_max=100)


def update_consumable_resource(ctx: Context, p: Json) -> Json:
    operation = p.get("operation", "SET")
    if operation not in ("SET", "ADD", "REMOVE"):
        raise ClientError("operation must be SET, ADD or REMOVE")
    quantity = _quantity(p.get("quantity", 0), "quantity")
    with ctx.store.write() as conn:
        data = _found(conn, p["consumableResource"])
        total = int(data.get("totalQuantity", 0))
        total = {"SET": quantity, "ADD": total + quantity, "REMOVE": total - quantity}[operation]
        if total < 0:
            raise ClientError(
                f"Can't remove {quantity}: the total quantity is {data.get('totalQuantity', 0)}"
            )
        data["totalQuantity"] = _quantity(total, "totalQuantity")
        conn.execute(SAVE, (dumps(data), data["consumableResourceArn"]))
    ctx.engine.consumables.changed()
    ctx.engine.wake()
    return {k: data[k] for k in ("consumableResourceName", "consumableResourceArn", "totalQuantity")}


def delete_consumable_resource(ctx: Context, p: Json) -> Json:
    with ctx.store.write() as conn:
        data = _found(conn, p["consumableResource"])
        holders = ctx.engine.consumables.holders(data["consumableResourceArn"])
        if holders:
            raise ClientError(
                f"Consumable resource {data['consumableResourceName']} is in use by {len(holders)} job(s)"
            )
        conn.execute(DELETE, (data["consumableResourceArn"],))
    ctx.engine.consumables.changed()
    return {}


def list_jobs_by_consumable_resource(ctx: Context, p: Json) -> Json:
    status, name, prefix = None, None, None
    for f in p.get("filters") or []:
        values = f.get("values") or []
        if f.get("name") not in ("JOB_STATUS", "JOB_NAME") or len(values) != 1:
            raise ClientError("ListJobsByConsumableResource filters: JOB_STATUS or JOB_NAME, one value each")
        if f["name"] == "JOB_STATUS":
            status = str(values[0])
        elif str(values[0]).endswith("*"):
            prefix = str(values[0])[:-1].lower()
        else:
            name = str(values[0]).lower()
    with ctx.store.read() as conn:
        data = _found(conn, p["consumableResource"])
        rows = conn.execute(
            JOBS_NEEDING, (data["consumableResourceName"], data["consumableResourceArn"])
        ).fetchall()
    jobs = []
    for job_id, job_name, queue, job_def, share, job_status, reason, started, created, quantity, _seq in rows:
        low = str(job_name).lower()
        if (
            (status and job_status != status)
            or (name and low != name)
            or (prefix and not low.startswith(prefix))
        ):
            continue
        summary: Json = {
            "jobArn": arn("job", job_id),
            "jobQueueArn": queue,
            "jobName": job_name,
            "jobDefinitionArn": job_def,
            "jobStatus": job_status,
            "quantity": int(quantity or 0),
            "createdAt": created,
            "consumableResourceProperties": {
                "consumableResourceList": [
                    {"consumableResource": data["consumableResourceArn"], "quantity": int(quantity or 0)}
                ]
            },
        }
        if share:
            summary["shareIdentifier"] = share
        if reason:
            summary["statusReason"] = reason
        if started is not None:
            summary["startedAt"] = started
        jobs.append(summary)
    return page(jobs, p, "jobs", default_max=100)


# ---- what job definitions and jobs may ask for ---------------------------------------------------
def check_requirements(ctx: Context, props: Json | None, field: str) -> None:
    items = (props or {}).get("consumableResourceList") or []
    if not items:
        return
    if len(items) > MAX_PER_JOB:
        raise ClientError(f"{field} can name at most {MAX_PER_JOB} consumable resources")
    with ctx.store.read() as conn:
        for item in items:
            ref = item.get("consumableResource")
            if not ref or resource_row(conn, str(ref)) is None:
                raise ClientError(f"{field}: consumable resource {ref} does not exist")
            if int(item.get("quantity", 1)) < 1:
                raise ClientError(f"{field}: the quantity of {ref} must be at least 1")


OPERATIONS: dict[str, Operation] = {
    "CreateConsumableResource": create_consumable_resource,
    "DescribeConsumableResource": describe_consumable_resource,
    "ListConsumableResources": list_consumable_resources,
    "UpdateConsumableResource": update_consumable_resource,
    "DeleteConsumableResource": delete_consumable_resource,
    "ListJobsByConsumableResource": list_jobs_by_consumable_resource,
}
