"""Fakes for building the inventory panels with no server: an InventoryService that answers from
lists and records every change it is asked for, and the panel services around it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from batchgui.domain.batch import ComputeEnvironment, JobCount, JobDefinition, JobQueue, JobStatus
from batchgui.domain.definition_request import JobDefinitionRequest
from batchgui.domain.fargate import Problem
from batchgui.domain.network import NetworkChoices, SecurityGroup, Subnet
from batchgui.domain.scheduling import QueueSnapshot, SchedulingPolicy
from batchgui.services.connections import Backend, ConnectionManager
from batchgui.services.files import FileService
from batchgui.services.inventory import DeletePlan, InventoryService, Progress
from batchgui.services.runner import Runner
from batchgui.services.tasks import TaskSet
from batchgui.ui.settings import AppSettings
from batchgui.ui.widgets.panel import PanelServices

REGION_ACCOUNT = "arn:aws:batch:us-east-1:123456789012"


def no_sandbox() -> Any:
    raise AssertionError("these tests start no sandbox")


def inventory_connected_to(runner: Runner, backend: object) -> InventoryService:
    """The real facade over a stand-in connection (any object with the gateways it calls)."""
    connections = ConnectionManager(runner, start_local=no_sandbox)
    connections.backend = cast(Backend, backend)
    return InventoryService(runner, connections)


def environment(name: str, platform: str = "FARGATE", state: str = "ENABLED") -> ComputeEnvironment:
    return ComputeEnvironment.from_api(
        {
            "computeEnvironmentName": name,
            "computeEnvironmentArn": f"{REGION_ACCOUNT}:compute-environment/{name}",
            "type": "MANAGED",
            "state": state,
            "status": "VALID",
            "computeResources": {"type": platform, "maxvCpus": 16, "subnets": ["subnet-1"]},
        }
    )


def queue(name: str, environments: Sequence[ComputeEnvironment]) -> JobQueue:
    return JobQueue.from_api(
        {
            "jobQueueName": name,
            "jobQueueArn": f"{REGION_ACCOUNT}:job-queue/{name}",
            "state": "ENABLED",
            "status": "VALID",
            "priority": 1,
            "computeEnvironmentOrder": [
                {"order": n, "computeEnvironment": e.arn} for n, e in enumerate(environments, start=1)
            ],
        }
    )


def definition(name: str, revision: int = 1) -> JobDefinition:
    return JobDefinition.from_api(
        {
            "jobDefinitionName": name,
            "jobDefinitionArn": f"{REGION_ACCOUNT}:job-definition/{name}:{revision}",
            "revision": revision,
            "status": "ACTIVE",
            "type": "container",
            "platformCapabilities": ["FARGATE"],
            "containerProperties": {"image": "busybox", "command": ["echo", "hi"]},
        }
    )


def policy(name: str) -> SchedulingPolicy:
    return SchedulingPolicy.from_api({"name": name, "arn": f"{REGION_ACCOUNT}:scheduling-policy/{name}"})


@dataclass
class Recorded:
    """What the panels asked the fake to change, in order: (method name, its arguments)."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def of(self, method: str) -> list[tuple[Any, ...]]:
        return [args for name, args in self.calls if name == method]


class FakeInventory(InventoryService):
    """Answers reads from its lists; records writes (and changes nothing)."""

    def __init__(self, runner: Runner, connections: ConnectionManager) -> None:
        super().__init__(runner, connections)
        self.environments: list[ComputeEnvironment] = []
        self.queues: list[JobQueue] = []
        self.definitions: list[JobDefinition] = []
        self.policies: list[SchedulingPolicy] = []
        self.counts: dict[tuple[str, JobStatus], int] = {}
        self.choices = NetworkChoices(
            subnets=[Subnet("subnet-1", "vpc-1", "us-east-1a", "10.0.0.0/24", "main")],
            security_groups=[SecurityGroup("sg-1", "vpc-1", "default")],
        )
        self.recorded = Recorded()

    def _record(self, method: str, *args: Any) -> None:
        self.recorded.calls.append((method, args))

    # --- reads ----------------------------------------------------------------------------------
    async def compute_environments(self) -> list[ComputeEnvironment]:
        return list(self.environments)

    async def job_queues(self) -> list[JobQueue]:
        return list(self.queues)

    async def job_counts(
        self, queues: Sequence[str], statuses: tuple[JobStatus, ...] = tuple(JobStatus)
    ) -> dict[str, dict[JobStatus, JobCount]]:
        return {q: {s: JobCount(self.counts.get((q, s), 0)) for s in statuses} for q in queues}

    async def job_definitions(self, status: str | None = "ACTIVE") -> list[JobDefinition]:
        return [d for d in self.definitions if status is None or d.status == status]

    async def job_definition_revisions(self, name: str) -> list[JobDefinition]:
        return sorted((d for d in self.definitions if d.name == name), key=lambda d: -d.revision)

    async def scheduling_policies(self) -> list[SchedulingPolicy]:
        return list(self.policies)

    async def network_choices(self) -> NetworkChoices:
        return self.choices

    async def role_arns(self) -> list[str]:
        return []

    async def queue_front(self, queue: str) -> QueueSnapshot:
        return QueueSnapshot((), None)

    async def tags(self, arn: str) -> dict[str, str]:
        return {}

    def job_definition_problems(self, request: JobDefinitionRequest) -> list[Problem]:
        return []

    # --- writes, recorded -----------------------------------------------------------------------
    async def create_compute_environment(self, request: Any) -> str:
        self._record("create_compute_environment", request)
        return f"{REGION_ACCOUNT}:compute-environment/{request.name}"

    async def update_compute_environment(self, request: Any) -> str:
        self._record("update_compute_environment", request)
        return ""

    async def set_compute_environment_state(self, name: str, state: str) -> None:
        self._record("set_compute_environment_state", name, state)

    async def create_job_queue(self, request: Any) -> str:
        self._record("create_job_queue", request)
        return f"{REGION_ACCOUNT}:job-queue/{request.name}"

    async def update_job_queue(self, request: Any) -> str:
        self._record("update_job_queue", request)
        return ""

    async def set_job_queue_state(self, name: str, state: str) -> None:
        self._record("set_job_queue_state", name, state)

    async def register_job_definition(self, request: Any) -> Any:
        self._record("register_job_definition", request)

    async def deregister_job_definition(self, arn: str) -> None:
        self._record("deregister_job_definition", arn)

    async def create_scheduling_policy(self, request: Any) -> str:
        self._record("create_scheduling_policy", request)
        return ""

    async def update_scheduling_policy(self, request: Any) -> None:
        self._record("update_scheduling_policy", request)

    async def delete_scheduling_policy(self, arn: str) -> None:
        self._record("delete_scheduling_policy", arn)

    async def set_tags(self, arn: str, wanted: dict[str, str]) -> None:
        self._record("set_tags", arn, wanted)

    async def execute(self, plan: DeletePlan, progress: Progress | None = None) -> bool:
        self._record("execute", plan)
        return True


@dataclass
class StubPanelServices:
    """What a panel is given, with no connection and no server; background errors are collected."""

    services: PanelServices
    inventory: FakeInventory
    errors: list[tuple[str, BaseException]]


def stub_panel_services(tmp_path: Path) -> Iterator[StubPanelServices]:
    runner = Runner(workers=1)
    errors: list[tuple[str, BaseException]] = []
    connections = ConnectionManager(runner, start_local=no_sandbox)
    services = PanelServices(
        TaskSet(lambda what, error: errors.append((what, error))),
        connections,
        AppSettings(tmp_path / "config" / "batchgui.ini"),
        FileService(runner),
    )
    yield StubPanelServices(services, FakeInventory(runner, connections), errors)
    services.tasks.cancel_all()
    runner.close()
