"""Quota shares of SAGEMAKER_TRAINING job queues: Create, Describe, List, Update, Delete, in
botocore's shapes, with CREATING/UPDATING -> VALID and DELETING -> gone after the settings'
transition delay (computed when read). Service jobs may name a share of their queue
(`quotaShareName`, checked at SubmitServiceJob); the shares' limits and lending decide when those jobs
start (service_capacity.py); cross-share preemption is stored and answered, not simulated.
"""

from __future__ import annotations

import json
import sqlite3
import time

from batchgui.sandbox import sql
from batchgui.sandbox.api.common import (
    ClientError,
    Context,
    Json,
    Operation,
    arn,
    check_resource_name,
    check_state,
    dumps,
    page,
    queue_row,
)

KIND = "quota-share"
STRATEGIES = ("RESERVE", "LEND", "LEND_AND_BORROW")


def share_arn(queue_name: str, name: str) -> str:
    return arn("job-queue", f"{queue_name}/quota-share/{name}")


def _settled(data: Json) -> Json | None:
    done = data.get("_doneAt")
    if done is not None and time.time() >= done:
        if data["status"] == "DELETING":
            return None  # gone; its row is replaced if the name is used again
        data["status"] = "VALID"
        data.pop("_doneAt")
    return data


def _save(conn: sqlite3.Connection, data: Json) -> None:
    row = (data["quotaShareArn"], KIND, data["quotaShareName"], int(time.time() * 1000), dumps(data))
    conn.execute(sql.SERVICE_SAVE, row)


def _public(data: Json) -> Json:
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _share(conn: sqlite3.Connection, ref: str) -> Json | None:
    row = conn.execute(sql.SERVICE_GET, (ref,)).fetchone()
    return None if row is None else _settled(json.loads(row[0]))


def _check(p: Json, data: Json) -> None:
    if "capacityLimits" in p:
        limits = list(p["capacityLimits"])
        if not limits or any(int(x["maxCapacity"]) < 1 for x in limits):
            raise ClientError("capacityLimits must name limits with maxCapacity of at least 1")
        data["capacityLimits"] = [
            {"maxCapacity": int(x["maxCapacity"]), "capacityUnit": x["capacityUnit"]} for x in limits
        ]
    if "resourceSharingConfiguration" in p:
        sharing = dict(p["resourceSharingConfiguration"])
        if sharing["strategy"] not in STRATEGIES:
            raise ClientError(f"resourceSharingConfiguration.strategy must be one of {', '.join(STRATEGIES)}")
        if "borrowLimit" in sharing and sharing["strategy"] != "LEND_AND_BORROW":
            raise ClientError("borrowLimit is only for the LEND_AND_BORROW strategy")
        data["resourceSharingConfiguration"] = sharing
    if "preemptionConfiguration" in p:
        if p["preemptionConfiguration"]["inSharePreemption"] not in ("ENABLED", "DISABLED"):
            raise ClientError("preemptionConfiguration.inSharePreemption must be ENABLED or DISABLED")
        data["preemptionConfiguration"] = dict(p["preemptionConfiguration"])
    if "state" in p:
        data["state"] = check_state(p["state"])


def create_quota_share(ctx: Context, p: Json) -> Json:
    name = p["quotaShareName"]
    check_resource_name(name, "quotaShareName")
    with ctx.store.write() as conn:
        q = queue_row(conn, p["jobQueue"])
        if q is None or q["status"] in ("DELETING", "DELETED"):
            raise ClientError(f"Job queue {p['jobQueue']} does not exist")
        if q.get("jobQueueType") != "SAGEMAKER_TRAINING":
            raise ClientError(
                f"Quota shares are for SAGEMAKER_TRAINING job queues; {q['jobQueueName']} is not one"
            )
        data: Json = {
            "quotaShareName": name,
            "quotaShareArn": share_arn(q["jobQueueName"], name),
            "jobQueueArn": q["jobQueueArn"],
            "state": "ENABLED",
            "status": "CREATING",
            "tags": dict(p.get("tags") or {}),
            "_doneAt": ctx.later(),
        }
        _check({"state": "ENABLED", **p}, data)
        if _share(conn, data["quotaShareArn"]) is not None:
            raise ClientError(f"Object already exists: quota share {name} of job queue {q['jobQueueName']}")
        _save(conn, data)
    return {"quotaShareName": name, "quotaShareArn": data["quotaShareArn"]}


def describe_quota_share(ctx: Context, p: Json) -> Json:
    with ctx.store.read() as conn:
        data = _share(conn, p["quotaShareArn"])
    if data is None:
        raise ClientError(f"Quota share {p['quotaShareArn']} does not exist")
    return _public(data)


def list_quota_shares(ctx: Context, p: Json) -> Json:
    with ctx.store.read() as conn:
        q = queue_row(conn, p["jobQueue"], include_deleted=True)
        if q is None:
            raise ClientError(f"Job queue {p['jobQueue']} does not exist")
        shares = _of_queue(conn, q["jobQueueArn"])
    return page(
        [_public(s) for s in shares],
        p,
        "quotaShares",
        default_max=100,
    )


def update_quota_share(ctx: Context, p: Json) -> Json:
    with ctx.store.write() as conn:
        data = _share(conn, p["quotaShareArn"])
        if data is None or data["status"] == "DELETING":
            raise ClientError(f"Quota share {p['quotaShareArn']} does not exist")
        _check(p, data)
        data["status"] = "UPDATING"
        data["_doneAt"] = ctx.later()
        _save(conn, data)
    return {"quotaShareName": data["quotaShareName"], "quotaShareArn": data["quotaShareArn"]}


def delete_quota_share(ctx: Context, p: Json) -> Json:
    with ctx.store.write() as conn:
        data = _share(conn, p["quotaShareArn"])
        if data is None or data["status"] == "DELETING":
            raise ClientError(f"Quota share {p['quotaShareArn']} does not exist")
        if data["state"] == "ENABLED":
            raise ClientError(
                f"Cannot delete quota share {data['quotaShareName']}: it is ENABLED; disable it first"
            )
        data["status"] = "DELETING"
        data["_doneAt"] = ctx.later()
        _save(conn, data)
    return {}


def _of_queue(conn: sqlite3.Connection, queue_arn: str) -> list[Json]:
    shares = [
        s for (t,) in conn.execute(sql.SERVICE_ALL, (KIND,)) if (s := _settled(json.loads(t))) is not None
    ]
    return [s for s in shares if s["jobQueueArn"] == queue_arn]


def shares_of_queue(conn: sqlite3.Connection, queue_arn: str) -> list[Json]:
    """The queue's quota shares that exist now (for the capacity each allows)."""
    return [s for s in _of_queue(conn, queue_arn) if s["status"] != "DELETING"]


def check_share_of_queue(conn: sqlite3.Connection, queue: Json, name: str) -> None:
    """SubmitServiceJob's quotaShareName must be a share of the job's queue."""
    data = _share(conn, share_arn(queue["jobQueueName"], name))
    if data is None or data["status"] == "DELETING":
        raise ClientError(f"Quota share {name} does not exist in job queue {queue['jobQueueName']}")
    if data["state"] != "ENABLED":
        raise ClientError(f"Quota share {name} is DISABLED")


OPERATIONS: dict[str, Operation] = {
    "CreateQuotaShare": create_quota_share,
    "DescribeQuotaShare": describe_quota_share,
    "ListQuotaShares": list_quota_shares,
    "UpdateQuotaShare": update_quota_share,
    "DeleteQuotaShare": delete_quota_share,
}
