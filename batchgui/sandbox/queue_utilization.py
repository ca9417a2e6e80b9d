"""GetJobQueueSnapshot's `queueUtilization`: the vCPUs a queue's STARTING and RUNNING jobs hold, in
all and, for a fair-share queue, per share identifier (the 20 largest, as AWS lists them). The app
reads it for the RUNNABLE pane's share check and the Monitor's share plot, the same way as on AWS.
Array parents hold nothing themselves (their children do).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from batchgui.sandbox import sql

Json = dict[str, Any]
TOP_SHARES = 20


def _vcpus(quantity: float) -> list[Json]:
    return [{"capacityUnit": "VCPU", "quantity": float(quantity)}]


def queue_utilization(conn: sqlite3.Connection, queue: Json, now_ms: int) -> Json:
    usage = {
        str(share): float(v or 0) for share, v in conn.execute(sql.QUEUE_SHARE_USAGE, (queue["jobQueueArn"],))
    }
    out: Json = {"totalCapacityUsage": _vcpus(sum(usage.values())), "lastUpdatedAt": now_ms}
    if queue.get("schedulingPolicyArn"):
        shares = sorted(((s, v) for s, v in usage.items() if s and v > 0), key=lambda sv: -sv[1])
        out["fairshareUtilization"] = {
            "activeShareCount": len(shares),
            "topCapacityUtilization": [
                {"shareIdentifier": s, "capacityUsage": _vcpus(v)} for s, v in shares[:TOP_SHARES]
            ],
        }
    return out
