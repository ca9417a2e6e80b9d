"""ECS gateway: the instance type of a Batch job's container instance (DescribeContainerInstances)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from batchgui.aws.gateway import Gateway

# ECS DescribeContainerInstances takes at most 100 ARNs per call.
DESCRIBE_INSTANCES_MAX = 100
INSTANCE_TYPE_ATTRIBUTE = "ecs.instance-type"


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
