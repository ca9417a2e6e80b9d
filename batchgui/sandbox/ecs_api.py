"""ECS DescribeContainerInstances for the sandbox's simulated EC2 instances: which instance type a
Batch job's `containerInstanceArn` is (attribute `ecs.instance-type`), as ECS answers it, so the app
prices an EC2 job on its real instance the same way on AWS and here.

The fleet (fleet.py) names every instance it launches, with its type; a drained instance is
described as INACTIVE (ECS also describes deregistered instances for a while). An ARN the sandbox
never launched is a failure with reason MISSING, as ECS says it. The cluster is not checked: the
sandbox's container-instance ARNs do not name one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property

from batchgui.domain.instance_types import InstanceCatalogue
from batchgui.sandbox.json_api import Json, JsonApi, JsonApiError

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
MAX_INSTANCES = 100
INSTANCE_TYPE = "ecs.instance-type"


class EcsApi(JsonApi):
    service = "ecs"
    target_prefix = TARGET_PREFIX

    def __init__(
        self,
        launched: Callable[[], Mapping[str, str]],
        active: Callable[[], set[str]],
        catalogue: Callable[[], InstanceCatalogue],
    ) -> None:
        """`launched()`: instance id -> type of every instance the fleet launched; `active()`: the ids
        of those still running; `catalogue()`: the instance types, read once, at the first request
        (the file does not change while the sandbox runs)."""
        self._launched = launched
        self._active = active
        self._read_catalogue = catalogue

    @cached_property
    def catalogue(self) -> InstanceCatalogue:
        return self._read_catalogue()

    def handlers(self) -> dict[str, Callable[[Json], Json]]:
        return {"DescribeContainerInstances": self.describe_container_instances}

    def describe_container_instances(self, params: Json) -> Json:
        arns = [str(a) for a in params.get("containerInstances") or ()]
        if len(arns) > MAX_INSTANCES:
            raise JsonApiError("InvalidParameterException", f"At most {MAX_INSTANCES} container instances")
        launched, active = self._launched(), self._active()
        types = self.catalogue.types
        found: list[Json] = []
        failures: list[Json] = []
        for arn in arns:
            instance_id = arn.rsplit("/", 1)[-1]
            name = launched.get(instance_id)
            if name is None:
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            itype = types.get(name)
            resources = (
                []
                if itype is None
                else [
                    {"name": "CPU", "type": "INTEGER", "integerValue": itype.vcpus * 1024},
                    {"name": "MEMORY", "type": "INTEGER", "integerValue": itype.usable_memory_mib},
                ]
            )
            found.append(
                {
                    "containerInstanceArn": arn,
                    "ec2InstanceId": instance_id,
                    "status": "ACTIVE" if instance_id in active else "INACTIVE",
                    "agentConnected": instance_id in active,
                    "attributes": [{"name": INSTANCE_TYPE, "value": name}],
                    "registeredResources": resources,
                }
            )
        return {"containerInstances": found, "failures": failures}
