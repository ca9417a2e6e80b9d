"""Consumable, fair-share and quota-share checks, against the API shapes and figures by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest

from batchgui.domain.consumables import ConsumableResource
from batchgui.domain.runnable import Outcome, ServiceJobNeeds
from batchgui.domain.scheduling import QueueSnapshot, SchedulingPolicy, ShareAttribute
from batchgui.domain.share_usage import (
    QueueUtilization,
    consumable_check,
    fair_share_check,
    fair_shares,
    quota_share_check,
    requirements,
)
from batchgui.domain.training import CapacityLimit, QuotaShare

POLICY = SchedulingPolicy("p", "arn:p", shares=(ShareAttribute("gold", 0.5), ShareAttribute("team*", 1.0)))
SNAPSHOT = {
    "frontOfQueue": {"jobs": [], "lastUpdatedAt": 1},
    "queueUtilization": {
        "totalCapacityUsage": [{"capacityUnit": "VCPU", "quantity": 12.0}],
        "fairshareUtilization": {
            "activeShareCount": 2,
            "topCapacityUtilization": [
                {"shareIdentifier": "teamX", "capacityUsage": [{"capacityUnit": "VCPU", "quantity": 8.0}]},
                {"shareIdentifier": "gold", "capacityUsage": [{"capacityUnit": "VCPU", "quantity": 4.0}]},
            ],
        },
        "quotaShareUtilization": {
            "topCapacityUtilization": [
                {
                    "quotaShareName": "research",
                    "capacityUsage": [{"capacityUnit": "ml.m5.xlarge", "quantity": 4}],
                }
            ]
        },
    },
}


def test_weights_split_the_capacity_inversely() -> None:
    # gold: 1/0.5 = 2, teamX (matches team*): 1/1 = 1 -> 2/3 and 1/3.
    assert fair_shares(POLICY, ["gold", "teamX"]) == pytest.approx({"gold": 2 / 3, "teamX": 1 / 3})


def test_a_share_over_its_weight_from_the_snapshot() -> None:
    usage = QueueSnapshot.from_api(SNAPSHOT).utilization
    assert usage.reported
    assert usage.total == {"VCPU": 12.0}
    over = fair_share_check("teamX", POLICY, usage.fairshare, "GetJobQueueSnapshot")
    assert over.outcome is Outcome.FAILED
    # teamX uses 8 of 12 (67%) where its weight gives it 1/3.
    assert "uses 8 of the 12 vCPUs in use (GetJobQueueSnapshot); its weight gives it 33%" in over.detail
    assert fair_share_check("gold", POLICY, usage.fairshare, "s").outcome is Outcome.PASSED
    assert fair_share_check("gold", None, {}, "s").detail.endswith("first in, first out.")


def test_a_quota_share_at_its_limit() -> None:
    usage = QueueSnapshot.from_api(SNAPSHOT).utilization
    share = QuotaShare.from_api(
        {
            "quotaShareName": "research",
            "quotaShareArn": "arn:q",
            "capacityLimits": [{"maxCapacity": 4, "capacityUnit": "ml.m5.xlarge"}],
            "state": "ENABLED",
            "status": "VALID",
        }
    )
    full = quota_share_check("research", share, usage)
    assert full.outcome is Outcome.FAILED
    assert full.detail == "At its limit: quota share research uses 4 of 4 ml.m5.xlarge."
    roomy = replace(share, limits=(CapacityLimit(6, "ml.m5.xlarge"),))
    assert quota_share_check("research", roomy, usage).outcome is Outcome.PASSED
    assert quota_share_check("research", roomy, QueueUtilization()).outcome is Outcome.UNKNOWN
    assert quota_share_check("", None, usage).outcome is Outcome.PASSED


def test_a_num_instances_limit_counts_every_instance_type() -> None:
    # A NUM_INSTANCES limit holds instances of any type: it read 0 of 4 while 4 ml.m5.xlarge were held.
    usage = QueueSnapshot.from_api(SNAPSHOT).utilization
    share = QuotaShare("research", "arn:q", "arn:queue", "ENABLED", "VALID", (CapacityLimit(4),))
    full = quota_share_check("research", share, usage)
    assert (full.outcome, full.detail) == (
        Outcome.FAILED,
        "At its limit: quota share research uses 4 of 4 NUM_INSTANCES.",
    )


def test_a_quota_share_against_what_the_job_asks() -> None:
    usage = QueueUtilization(quota={"research": {"ml.m5.large": 1.0}}, reported=True)
    share = QuotaShare(
        "research", "arn:q", "arn:queue", "ENABLED", "VALID", (CapacityLimit(2, "ml.m5.large"),)
    )
    # 1 of 2 taken: room for one more, not for two.
    one = quota_share_check("research", share, usage, ServiceJobNeeds("ml.m5.large", 1))
    assert (one.outcome, one.detail) == (
        Outcome.PASSED,
        "Quota share research uses 1 of 2 ml.m5.large; the job asks 1 ml.m5.large instance.",
    )
    two = quota_share_check("research", share, usage, ServiceJobNeeds("ml.m5.large", 2))
    assert two.outcome is Outcome.FAILED
    assert two.detail.startswith("At its limit: quota share research uses 1 of 2 ml.m5.large")
    # A RESERVE share never borrows: the fix does not talk of borrowing; a LEND_AND_BORROW one may.
    assert two.fix == "It starts when the share's jobs finish; or raise the share's capacity limits."
    borrower = replace(share, strategy="LEND_AND_BORROW", borrow_limit=-1)
    lent = quota_share_check("research", borrower, usage, ServiceJobNeeds("ml.m5.large", 2))
    assert "or it can borrow what lending shares leave idle" in lent.fix
    never = quota_share_check("research", share, usage, ServiceJobNeeds("ml.m5.large", 3))
    assert never.outcome is Outcome.FAILED
    assert never.detail == (
        "Never fits: the job asks 3 ml.m5.large instances, more than quota share research's limit of "
        "2 ml.m5.large (its strategy, RESERVE, does not borrow)."
    )
    other = quota_share_check("research", share, usage, ServiceJobNeeds("ml.p3.2xlarge", 1))
    assert other.outcome is Outcome.FAILED
    assert "no capacity limit for ml.p3.2xlarge (2 ml.m5.large)" in other.detail


def test_consumables_by_hand() -> None:
    raw = {
        "consumableResourceProperties": {
            "consumableResourceList": [
                {"consumableResource": "arn:aws:batch:r:1:consumable-resource/licence", "quantity": 2}
            ]
        }
    }
    needs = requirements(raw)
    licence = ConsumableResource.from_api(
        {
            "consumableResourceName": "licence",
            "consumableResourceArn": "arn:aws:batch:r:1:consumable-resource/licence",
            "totalQuantity": 5,
            "inUseQuantity": 4,
            "availableQuantity": 1,
        }
    )
    found = consumable_check(needs, {"licence": licence})
    assert found.outcome is Outcome.FAILED
    assert found.detail == "Exhausted: licence: asks 2, 1 of 5 available (4 in use)."
    enough = ConsumableResource(
        "licence", "arn", total=5, in_use=1, resource_type="REPLENISHABLE", available=4
    )
    assert consumable_check(needs, {"licence": enough}).outcome is Outcome.PASSED
    assert consumable_check(needs, {}).outcome is Outcome.UNKNOWN
