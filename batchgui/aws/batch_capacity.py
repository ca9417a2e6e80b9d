"""What holds a RUNNABLE job back beyond vCPUs: consumable resources, quota shares and scheduling
policies (Batch), and the instance type of a container instance (ECS DescribeContainerInstances).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from batchgui.aws.gateway import Gateway
from batchgui.domain.scheduling import SchedulingPolicy
from batchgui.domain.share_usage import QuotaShare

# ECS DescribeContainerInstances takes at most 100 ARNs per call.
DESCRIBE_INSTANCES_MAX = 100
INSTANCE_TYPE_ATTRIBUTE = "ecs.instance-type"


class CapacityGateway(Gateway[Any]):
    """Over the `batch` client (typed Any: the installed stubs predate these operations)."""

    def quota_share(self, arn: str) -> QuotaShare:
        return QuotaShare.from_api(dict(self._client.describe_quota_share(quotaShareArn=arn)))

    def quota_shares(self, queue: str) -> list[QuotaShare]:
        paginator = self._client.get_paginator("list_quota_shares")
        return [
            QuotaShare.from_api(dict(s))
            for page in paginator.paginate(jobQueue=queue)
            for s in page.get("quotaShares") or ()
        ]

    def scheduling_policy(self, arn: str) -> SchedulingPolicy | None:
        found = self._client.describe_scheduling_policies(arns=[arn])["schedulingPolicies"]
        return SchedulingPolicy.from_api(dict(found[0])) if found else None


class EcsGateway(Gateway[Any]):
    """Over the `ecs` client: which EC2 instance type a Batch job's container instance is."""

    def instance_types(self, cluster: str, arns: Sequence[str]) -> dict[str, str]:
        """containerInstanceArn -> instance type, for those ECS still describes."""
        out: dict[str, str] = {}
        for start in range(0, len(arns), DESCRIBE_INSTANCES_MAX):
            chunk = list(arns[start : start + DESCRIBE_INSTANCES_MAX])
            response = self._client.describe_container_instances(cluster=cluster, containerInstances=chunk)
            for instance in response.get("containerInstances") or ():
                for attribute in instance.get("attributes") or ():
                    if attribute.get("name") == INSTANCE_TYPE_ATTRIBUTE and attribute.get("value"):
                        out[str(instance["containerInstanceArn"])] = str(attribute["value"])
        return out
