"""Typed requests for the inventory's writes, and the rules checked before each is sent.

The forms build these from what the user typed; `to_api()` gives the Batch API's camelCase request,
which only the gateways see. Each rule AWS applies to one of these requests is written once, here:
names, vCPU ranges, instance-type names, the one-platform-per-queue rule, stuck-job limits, fair-share
limits. Job definitions have their own module (definition_request), as they can be written as JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from batchgui.domain.batch import ComputeEnvironment
from batchgui.domain.fargate import Problem
from batchgui.domain.job_platforms import platform_family
from batchgui.domain.names import name_problems
from batchgui.domain.problems import choice_problems
from batchgui.domain.scheduling import ShareAttribute, fairshare_policy, fairshare_problems

ApiDict = dict[str, Any]


def split_ids(text: str) -> list[str]:
    """IDs or names typed comma- or line-separated, in order, blanks dropped."""
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


@dataclass(frozen=True)
class Tagged:
    """A create request that can tag what it creates (given by keyword: `tags={...}`)."""

    tags: Mapping[str, str] = field(default_factory=dict, kw_only=True)

    def with_tags(self, request: ApiDict) -> ApiDict:
        return request | {"tags": dict(self.tags)} if self.tags else request


# --- compute environments -------------------------------------------------------------------------
PLATFORMS = ("FARGATE", "FARGATE_SPOT", "EC2", "SPOT")
FARGATE_PLATFORMS = ("FARGATE", "FARGATE_SPOT")
ALLOCATION_STRATEGIES = (
    "BEST_FIT_PROGRESSIVE",
    "BEST_FIT",
    "SPOT_CAPACITY_OPTIMIZED",
    "SPOT_PRICE_CAPACITY_OPTIMIZED",
)
DEFAULT_ALLOCATION = "BEST_FIT_PROGRESSIVE"
# What `instanceTypes` may name: AWS's choices, a family (c6i) or a type (m5.large).
INSTANCE_TYPE = re.compile(r"optimal|default_x86_64|default_arm64|[a-z][a-z0-9-]*(\.[a-z0-9]+)?")


def is_instance_type_name(text: str) -> bool:
    return INSTANCE_TYPE.fullmatch(text) is not None


def _instance_type_problems(types: Sequence[str], path: str, what: str) -> list[Problem]:
    return [
        Problem(f"{path}[{position}]", f"{item!r} is not {what}")
        for position, item in enumerate(types)
        if not is_instance_type_name(item)
    ]


@dataclass(frozen=True)
class ComputeEnvironmentRequest(Tagged):
    """CreateComputeEnvironment for a managed environment (Fargate, Fargate Spot, EC2 or Spot)."""

    name: str
    platform: str
    max_vcpus: int
    subnets: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    enabled: bool = True
    # Empty: the AWSServiceRoleForBatch service-linked role.
    service_role: str = ""
    # EC2 and Spot only:
    instance_types: tuple[str, ...] = ()
    min_vcpus: int = 0
    desired_vcpus: int | None = None
    instance_role: str = ""
    allocation_strategy: str = ""
    bid_percentage: int | None = None

    @property
    def is_fargate(self) -> bool:
        return self.platform in FARGATE_PLATFORMS

    def to_api(self) -> ApiDict:
        resources: ApiDict = {
            "type": self.platform,
            "maxvCpus": self.max_vcpus,
            "subnets": list(self.subnets),
            "securityGroupIds": list(self.security_group_ids),
        }
        if not self.is_fargate:
            resources["instanceTypes"] = list(self.instance_types)
            resources["minvCpus"] = self.min_vcpus
            if self.desired_vcpus is not None:
                resources["desiredvCpus"] = self.desired_vcpus
            resources["instanceRole"] = self.instance_role
            if self.allocation_strategy:
                resources["allocationStrategy"] = self.allocation_strategy
            if self.bid_percentage is not None:
                resources["bidPercentage"] = self.bid_percentage
        request: ApiDict = {
            "computeEnvironmentName": self.name,
            "type": "MANAGED",
            "state": "ENABLED" if self.enabled else "DISABLED",
            "computeResources": resources,
        }
        if self.service_role:
            request["serviceRole"] = self.service_role
        return self.with_tags(request)

    def problems(self) -> list[Problem]:
        """What AWS would refuse in this request, said before sending it."""
        problems = name_problems("computeEnvironmentName", self.name)
        base = "computeResources"
        if wrong := choice_problems(f"{base}.type", self.platform, PLATFORMS):
            return problems + wrong
        if self.max_vcpus < 1:
            problems.append(Problem(f"{base}.maxvCpus", "must be at least 1"))
        if not self.subnets:
            problems.append(
                Problem(f"{base}.subnets", "pick at least one subnet (jobs run in these subnets)")
            )
        if self.is_fargate:
            if not self.security_group_ids:
                problems.append(
                    Problem(f"{base}.securityGroupIds", "Fargate needs at least one security group")
                )
            return problems
        if not self.instance_types:
            problems.append(
                Problem(f"{base}.instanceTypes", "name at least one instance type (or 'optimal')")
            )
        problems.extend(
            _instance_type_problems(
                self.instance_types, f"{base}.instanceTypes", "an instance type or family"
            )
        )
        low, high = self.min_vcpus, self.max_vcpus
        desired = low if self.desired_vcpus is None else self.desired_vcpus
        if not 0 <= low <= high:
            problems.append(Problem(f"{base}.minvCpus", "must be between 0 and maxvCpus"))
        if not low <= desired <= high:
            problems.append(Problem(f"{base}.desiredvCpus", "must be between minvCpus and maxvCpus"))
        if not self.instance_role:
            problems.append(
                Problem(f"{base}.instanceRole", "EC2 needs an instance profile (e.g. ecsInstanceRole)")
            )
        strategy = self.allocation_strategy or DEFAULT_ALLOCATION
        if self.platform == "EC2" and strategy.startswith("SPOT_"):
            problems.append(Problem(f"{base}.allocationStrategy", f"{strategy} applies to SPOT only"))
        if self.bid_percentage is not None and not 0 <= self.bid_percentage <= 100:
            problems.append(Problem(f"{base}.bidPercentage", "must be between 0 and 100"))
        return problems


def compute_environment_problems(request: ComputeEnvironmentRequest) -> list[Problem]:
    return request.problems()


@dataclass(frozen=True)
class ComputeEnvironmentUpdate:
    """UpdateComputeEnvironment: only the fields that change (None: leave as it is)."""

    name: str
    state: str | None = None
    max_vcpus: int | None = None
    min_vcpus: int | None = None
    desired_vcpus: int | None = None
    instance_types: tuple[str, ...] | None = None
    subnets: tuple[str, ...] | None = None
    security_group_ids: tuple[str, ...] | None = None
    service_role: str | None = None

    @property
    def changes_nothing(self) -> bool:
        return len(self.to_api()) == 1

    def to_api(self) -> ApiDict:
        request: ApiDict = {"computeEnvironment": self.name}
        if self.state is not None:
            request["state"] = self.state
        resources: ApiDict = {}
        for key, value in (
            ("maxvCpus", self.max_vcpus),
            ("minvCpus", self.min_vcpus),
            ("desiredvCpus", self.desired_vcpus),
        ):
            if value is not None:
                resources[key] = value
        for key, values in (
            ("instanceTypes", self.instance_types),
            ("subnets", self.subnets),
            ("securityGroupIds", self.security_group_ids),
        ):
            if values is not None:
                resources[key] = list(values)
        if resources:
            request["computeResources"] = resources
        if self.service_role is not None:
            request["serviceRole"] = self.service_role
        return request


@dataclass(frozen=True)
class ComputeEnvironmentEdit:
    """What the edit form shows for an environment; `update_for` keeps what differs from it.

    AWS applies subnet, security-group and instance-type changes as an infrastructure update (for
    BEST_FIT_PROGRESSIVE and SPOT_* allocation strategies), so only what changed is sent."""

    enabled: bool
    max_vcpus: int = 0
    min_vcpus: int = 0
    desired_vcpus: int = 0
    instance_types: tuple[str, ...] = ()
    subnets: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    # Empty: keep the current role.
    service_role: str = ""

    def update_for(self, env: ComputeEnvironment) -> ComputeEnvironmentUpdate:
        state = "ENABLED" if self.enabled else "DISABLED"
        changed: dict[str, Any] = {}
        if state != env.state:
            changed["state"] = state
        if env.platform is not None:
            if self.max_vcpus != (env.max_vcpus or 0):
                changed["max_vcpus"] = self.max_vcpus
            if not env.platform.is_fargate:
                if self.min_vcpus != (env.min_vcpus or 0):
                    changed["min_vcpus"] = self.min_vcpus
                if self.desired_vcpus != (env.desired_vcpus or 0):
                    changed["desired_vcpus"] = self.desired_vcpus
                if list(self.instance_types) != list(env.instance_types):
                    changed["instance_types"] = self.instance_types
            # The checklist's order is the account's, not the environment's: compare as sets.
            if sorted(self.subnets) != sorted(env.subnets):
                changed["subnets"] = self.subnets
            if sorted(self.security_group_ids) != sorted(env.security_groups):
                changed["security_group_ids"] = self.security_group_ids
        if self.service_role and self.service_role != env.service_role:
            changed["service_role"] = self.service_role
        return ComputeEnvironmentUpdate(env.name, **changed)

    def problems(self, env: ComputeEnvironment) -> list[Problem | str]:
        problems: list[Problem | str] = []
        if self.update_for(env).changes_nothing:
            problems.append("Nothing changed.")
        if env.platform is not None and not env.platform.is_fargate:
            if not self.min_vcpus <= self.desired_vcpus <= self.max_vcpus:
                problems.append(Problem("computeResources", "need min ≤ desired ≤ max vCPUs"))
            problems.extend(
                _instance_type_problems(
                    self.instance_types, "computeResources.instanceTypes", "an instance type"
                )
            )
        if env.platform is not None:
            if not self.subnets:
                problems.append(Problem("computeResources.subnets", "keep at least one subnet"))
            if env.platform.is_fargate and not self.security_group_ids:
                problems.append(
                    Problem("computeResources.securityGroupIds", "Fargate needs a security group")
                )
        return problems


# --- job queues -------------------------------------------------------------------------------------
MAX_QUEUE_ENVIRONMENTS = 3
# The reasons AWS offers for acting on jobs stuck in RUNNABLE (JobStateTimeLimitAction.reason).
STUCK_REASONS = (
    ("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE", "Environment's max vCPUs too small for the job"),
    ("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", "No instance type can fit the job"),
    ("CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", "EC2 has no capacity for the instance types"),
)
MIN_STUCK_S = 600
MAX_STUCK_S = 86_400
STUCK_ACTIONS = ("CANCEL", "TERMINATE")


@dataclass(frozen=True)
class StuckJobAction:
    """What to do with a job RUNNABLE for longer than `max_time_s` for `reason`."""

    reason: str
    max_time_s: int = 3600
    action: str = "CANCEL"

    def to_api(self) -> ApiDict:
        return {
            "reason": self.reason,
            "state": "RUNNABLE",
            "maxTimeSeconds": self.max_time_s,
            "action": self.action,
        }

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> StuckJobAction:
        return cls(
            str(data.get("reason", "")),
            int(data.get("maxTimeSeconds", 3600)),
            str(data.get("action", "CANCEL")),
        )

    def describe(self) -> str:
        return f"{self.action} after {self.max_time_s} s ({self.reason.split(':')[-1]})"


def queue_environment_problems(environments: Sequence[ComputeEnvironment]) -> list[Problem]:
    """AWS's rules for a queue's computeEnvironmentOrder: 1 to 3 environments, each once, all of one
    platform (jobs are placed by platform, so Fargate and EC2 environments never share a queue)."""
    path = "computeEnvironmentOrder"
    problems: list[Problem] = []
    if not environments:
        problems.append(Problem(path, "add at least one compute environment"))
    if len(environments) > MAX_QUEUE_ENVIRONMENTS:
        problems.append(Problem(path, f"at most {MAX_QUEUE_ENVIRONMENTS} compute environments per queue"))
    if len({platform_family(e) for e in environments}) > 1:
        fargate = ", ".join(e.name for e in environments if platform_family(e) == "FARGATE")
        ec2 = ", ".join(e.name for e in environments if platform_family(e) == "EC2")
        problems.append(
            Problem(
                path,
                f"AWS Batch does not allow mixing Fargate ({fargate}) and EC2 ({ec2}) compute environments "
                "in one job queue: jobs are placed by platform. Make one queue per platform.",
            )
        )
    names = [e.name for e in environments]
    if len(set(names)) != len(names):
        problems.append(Problem(path, "an environment is listed twice"))
    return problems


@dataclass(frozen=True)
class JobQueueSettings:
    """What CreateJobQueue and UpdateJobQueue share."""

    priority: int = 1
    enabled: bool = True
    # Compute environment ARNs (or names), first choice first.
    compute_environments: tuple[str, ...] = ()
    scheduling_policy_arn: str = ""
    stuck_job_actions: tuple[StuckJobAction, ...] = ()

    def to_api(self) -> ApiDict:
        order = [
            {"order": n, "computeEnvironment": a} for n, a in enumerate(self.compute_environments, start=1)
        ]
        request: ApiDict = {
            "priority": self.priority,
            "state": "ENABLED" if self.enabled else "DISABLED",
            "computeEnvironmentOrder": order,
        }
        if self.scheduling_policy_arn:
            request["schedulingPolicyArn"] = self.scheduling_policy_arn
        return request

    def stuck_job_actions_api(self) -> list[ApiDict]:
        return [a.to_api() for a in self.stuck_job_actions]

    def problems(self, known: Mapping[str, ComputeEnvironment]) -> list[Problem]:
        """Environments that no longer exist, then the order rules over the ones that do."""
        path = "computeEnvironmentOrder"
        problems = [
            Problem(path, f"{a} no longer exists") for a in self.compute_environments if a not in known
        ]
        listed = [known[a] for a in self.compute_environments if a in known]
        return problems + queue_environment_problems(listed)


@dataclass(frozen=True)
class JobQueueRequest(Tagged):
    """CreateJobQueue."""

    name: str
    settings: JobQueueSettings = JobQueueSettings()

    def to_api(self) -> ApiDict:
        request = self.settings.to_api() | {"jobQueueName": self.name}
        if self.settings.stuck_job_actions:
            request["jobStateTimeLimitActions"] = self.settings.stuck_job_actions_api()
        return self.with_tags(request)

    def problems(self, known: Mapping[str, ComputeEnvironment]) -> list[Problem]:
        return name_problems("jobQueueName", self.name) + self.settings.problems(known)


@dataclass(frozen=True)
class JobQueueUpdate:
    """UpdateJobQueue: the whole order and the stuck-job actions are replaced (none: removed)."""

    name: str
    settings: JobQueueSettings = JobQueueSettings()

    def to_api(self) -> ApiDict:
        return self.settings.to_api() | {
            "jobQueue": self.name,
            "jobStateTimeLimitActions": self.settings.stuck_job_actions_api(),
        }

    def problems(self, known: Mapping[str, ComputeEnvironment]) -> list[Problem]:
        return self.settings.problems(known)


# --- scheduling policies ----------------------------------------------------------------------------
@dataclass(frozen=True)
class FairsharePolicy:
    share_decay_s: int | None = None
    compute_reservation: int | None = None
    shares: tuple[ShareAttribute, ...] = ()

    def to_api(self) -> ApiDict:
        return fairshare_policy(self.share_decay_s, self.compute_reservation, list(self.shares))

    def problems(self) -> list[str]:
        return fairshare_problems(self.share_decay_s, self.compute_reservation, list(self.shares))


def parse_shares(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[ShareAttribute, ...], list[str]]:
    """Share identifiers and weights as typed (an empty weight is 1); weights that are not numbers."""
    shares: list[ShareAttribute] = []
    problems: list[str] = []
    for identifier, weight in pairs:
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            problems.append(f"Weight of {identifier!r} must be a number ({weight!r} given).")
            continue
        shares.append(ShareAttribute(identifier, value))
    return tuple(shares), problems


@dataclass(frozen=True)
class SchedulingPolicyRequest(Tagged):
    """CreateSchedulingPolicy."""

    name: str
    fairshare: FairsharePolicy = FairsharePolicy()

    def to_api(self) -> ApiDict:
        return self.with_tags({"name": self.name, "fairsharePolicy": self.fairshare.to_api()})

    def problems(self) -> list[Problem | str]:
        return [*name_problems("name", self.name), *self.fairshare.problems()]


@dataclass(frozen=True)
class SchedulingPolicyUpdate:
    """UpdateSchedulingPolicy (the name can't change)."""

    arn: str
    fairshare: FairsharePolicy = FairsharePolicy()

    def to_api(self) -> ApiDict:
        return {"arn": self.arn, "fairsharePolicy": self.fairshare.to_api()}

    def problems(self) -> list[Problem | str]:
        return list(self.fairshare.problems())
