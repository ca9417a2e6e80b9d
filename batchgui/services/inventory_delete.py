"""Dependency-aware deletes: the plan of steps and the run that carries it out.

AWS Batch refuses to delete an ENABLED compute environment, one still attached to a queue, or an
ENABLED queue; and each change first goes through UPDATING before the next is accepted. A DeletePlan
lists the steps that clear those blockers in order (detach or delete the queues, disable, delete),
and `DeleteRun.execute` runs them one at a time, waiting for each change to settle, reporting
progress, and stopping at the first failure with that step's error. Cancelling the task stops between
calls. A run keeps the gateway it started with: switching connections mid-delete never sends the
remaining steps somewhere else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from batchgui.aws.batch_admin import BatchAdminGateway
from batchgui.domain.batch import ComputeEnvironment, JobQueue
from batchgui.domain.errors import BatchGuiError, NotFound

T = TypeVar("T")
POLL_INTERVAL_S = 2.0
WAIT_TIMEOUT_S = 900.0


class Call(Protocol):
    """Runs blocking `fn(*args)` on a worker (with the facade's throttling retries)."""

    def __call__(self, fn: Callable[..., T], *args: Any) -> Awaitable[T]: ...


class StepKind(StrEnum):
    DISABLE_QUEUE = "disable-queue"
    DETACH_FROM_QUEUE = "detach"
    DELETE_QUEUE = "delete-queue"
    WAIT_QUEUE_GONE = "wait-queue-gone"
    DISABLE_ENVIRONMENT = "disable-environment"
    DELETE_ENVIRONMENT = "delete-environment"


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


@dataclass
class Step:
    kind: StepKind
    target: str
    # DETACH_FROM_QUEUE: the environment ARNs that stay in the queue, in order.
    keep: tuple[str, ...] = ()
    state: StepState = StepState.PENDING
    detail: str = ""

    def describe(self) -> str:
        return STEP_TEXT[self.kind].format(self.target)


STEP_TEXT = {
    StepKind.DISABLE_QUEUE: "Disable job queue {} and wait until it is VALID",
    StepKind.DETACH_FROM_QUEUE: "Detach the environment from job queue {} and wait until it is VALID",
    StepKind.DELETE_QUEUE: "Delete job queue {} and wait until it is gone",
    StepKind.WAIT_QUEUE_GONE: "Wait until job queue {}, already being deleted, is gone",
    StepKind.DISABLE_ENVIRONMENT: "Disable compute environment {} and wait until it is VALID",
    StepKind.DELETE_ENVIRONMENT: "Delete compute environment {} and wait until it is gone",
}


@dataclass
class DeletePlan:
    kind: str  # "compute environment" or "job queue"
    name: str
    blockers: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What will happen, for the confirmation dialog."""
        lines = [f"Delete {self.kind} {self.name}."]
        if self.blockers:
            lines.append("")
            lines.append("What blocks the delete now:")
            lines.extend(f"  • {b}" for b in self.blockers)
        lines.append("")
        lines.append("The app will:")
        lines.extend(f"  {n}. {s.describe()}" for n, s in enumerate(self.steps, start=1))
        if self.warnings:
            lines.append("")
            lines.extend(self.warnings)
        return "\n".join(lines)

    @property
    def failed_step(self) -> Step | None:
        return next((s for s in self.steps if s.state is StepState.FAILED), None)


Progress = Callable[[int, Step], None]


def quiet(_index: int, _step: Step) -> None:
    return None


def _announce(progress: Progress, index: int, step: Step) -> Callable[[], None]:
    return lambda: progress(index, step)


class WaitFailed(BatchGuiError):
    title = "The change did not settle"


# --- planning -------------------------------------------------------------------------------------
async def plan_delete_job_queue(call: Call, admin: BatchAdminGateway, name: str) -> DeletePlan:
    queue = await call(admin.describe_job_queue, name)
    if queue is None:
        raise NotFound(f"job queue {name} does not exist", "Refresh the list: it may have been deleted.")
    plan = DeletePlan("job queue", queue.name)
    if queue.state == "ENABLED":
        plan.blockers.append("It is ENABLED: AWS deletes only DISABLED queues.")
        plan.steps.append(Step(StepKind.DISABLE_QUEUE, queue.name))
    plan.steps.append(Step(StepKind.DELETE_QUEUE, queue.name))
    plan.warnings.append("Jobs still in the queue are cancelled or terminated by AWS Batch.")
    return plan


async def plan_delete_compute_environment(
    call: Call, admin: BatchAdminGateway, name: str, queues: list[JobQueue]
) -> DeletePlan:
    env = await call(admin.describe_compute_environment, name)
    if env is None:
        raise NotFound(
            f"compute environment {name} does not exist", "Refresh the list: it may have been deleted."
        )
    plan = DeletePlan("compute environment", env.name)
    for queue in sorted(queues, key=lambda q: q.name):
        arns = [ce.arn for ce in queue.compute_environments]
        if env.arn not in arns or queue.status == "DELETED":
            continue
        if queue.status == "DELETING":
            plan.blockers.append(f"Job queue {queue.name} uses it and is being deleted.")
            plan.steps.append(Step(StepKind.WAIT_QUEUE_GONE, queue.name))
            continue
        keep = tuple(a for a in arns if a != env.arn)
        if keep:
            plan.blockers.append(f"Job queue {queue.name} uses it (with {len(keep)} other environment(s)).")
            plan.steps.append(Step(StepKind.DETACH_FROM_QUEUE, queue.name, keep))
        else:
            plan.blockers.append(
                f"Job queue {queue.name} uses only this environment: a queue needs at least one, "
                "so the queue is deleted too."
            )
            if queue.state == "ENABLED":
                plan.steps.append(Step(StepKind.DISABLE_QUEUE, queue.name))
            plan.steps.append(Step(StepKind.DELETE_QUEUE, queue.name))
            plan.warnings.append(f"Jobs still in {queue.name} are cancelled or terminated by AWS Batch.")
    if env.state == "ENABLED":
        plan.blockers.append("It is ENABLED: AWS deletes only DISABLED environments.")
        plan.steps.append(Step(StepKind.DISABLE_ENVIRONMENT, env.name))
    plan.steps.append(Step(StepKind.DELETE_ENVIRONMENT, env.name))
    return plan


def _state_and_status(found: object) -> str:
    """ "ENABLED / UPDATING" for a queue or an environment; "gone" once it is."""
    if found is None:
        return "gone"
    return f"{getattr(found, 'state', '')} / {getattr(found, 'status', '')}"


# --- running --------------------------------------------------------------------------------------
@dataclass
class DeleteRun:
    """Carries out plans through one connection's admin gateway."""

    call: Call
    admin: BatchAdminGateway
    poll_interval_s: float = POLL_INTERVAL_S
    wait_timeout_s: float = WAIT_TIMEOUT_S

    async def execute(self, plan: DeletePlan, progress: Progress = quiet) -> bool:
        """Run the plan's steps in order; False (with the step marked FAILED) at the first error."""
        for index, step in enumerate(plan.steps):
            step.state = StepState.RUNNING
            progress(index, step)
            try:
                await self._run_step(step, _announce(progress, index, step))
            except asyncio.CancelledError:
                step.state = StepState.CANCELLED
                step.detail = "cancelled"
                progress(index, step)
                self._skip_rest(plan, index, progress)
                raise
            except Exception as exc:
                step.state = StepState.FAILED
                step.detail = (
                    exc.message() if isinstance(exc, BatchGuiError) else f"{type(exc).__name__}: {exc}"
                )
                progress(index, step)
                self._skip_rest(plan, index, progress)
                return False
            step.state = StepState.DONE
            progress(index, step)
        return True

    @staticmethod
    def _skip_rest(plan: DeletePlan, index: int, progress: Progress) -> None:
        for later, rest in enumerate(plan.steps[index + 1 :], start=index + 1):
            rest.state = StepState.SKIPPED
            progress(later, rest)

    async def _run_step(self, step: Step, changed: Callable[[], None]) -> None:
        admin = self.admin
        match step.kind:
            case StepKind.DISABLE_QUEUE:
                await self._change_queue(step, changed, admin.set_job_queue_state, "DISABLED")
            case StepKind.DETACH_FROM_QUEUE:
                await self._change_queue(step, changed, admin.set_job_queue_order, list(step.keep))
            case StepKind.DELETE_QUEUE:
                await self._wait_queue_settled(step, changed)
                await self.call(admin.delete_job_queue, step.target)
                await self._wait_gone(step, changed, admin.describe_job_queue)
            case StepKind.WAIT_QUEUE_GONE:
                await self._wait_gone(step, changed, admin.describe_job_queue)
            case StepKind.DISABLE_ENVIRONMENT:
                await self._wait_environment_settled(step, changed)
                await self.call(admin.set_compute_environment_state, step.target, "DISABLED")
                await self._wait_environment_settled(step, changed)
            case StepKind.DELETE_ENVIRONMENT:
                await self._wait_environment_settled(step, changed)
                await self.call(admin.delete_compute_environment, step.target)
                await self._wait_gone(step, changed, admin.describe_compute_environment)

    async def _change_queue(
        self, step: Step, changed: Callable[[], None], change: Callable[[str, Any], None], value: object
    ) -> None:
        """Wait until the queue takes changes, change it, and wait until the change has settled."""
        await self._wait_queue_settled(step, changed)
        await self.call(change, step.target, value)
        await self._wait_queue_settled(step, changed)

    async def _poll(
        self,
        step: Step,
        changed: Callable[[], None],
        describe: Callable[[str], object],
        settled: Callable[[object], bool],
        status_of: Callable[[object], str] = _state_and_status,
    ) -> None:
        """Describe the step's target until `settled`, saying each new status; WaitFailed at the timeout."""
        deadline = time.monotonic() + self.wait_timeout_s
        while True:
            found = await self.call(describe, step.target)
            status = status_of(found)
            if status != step.detail:
                step.detail = status
                changed()
            if settled(found):
                return
            if time.monotonic() > deadline:
                raise WaitFailed(
                    f"{step.target} is still {status} after {self.wait_timeout_s:.0f} s",
                    "Look at its status reason in the console, then retry the delete.",
                )
            await asyncio.sleep(self.poll_interval_s)

    async def _wait_queue_settled(self, step: Step, changed: Callable[[], None]) -> None:
        def settled(found: object) -> bool:
            if found is None:
                raise NotFound(f"job queue {step.target} no longer exists", "Refresh the list.")
            assert isinstance(found, JobQueue)
            if found.status == "INVALID":
                raise WaitFailed(
                    f"job queue {step.target} is INVALID: {found.status_reason}", "Fix the queue."
                )
            return found.status == "VALID"

        await self._poll(step, changed, self.admin.describe_job_queue, settled)

    async def _wait_environment_settled(self, step: Step, changed: Callable[[], None]) -> None:
        def settled(found: object) -> bool:
            if found is None:
                raise NotFound(f"compute environment {step.target} no longer exists", "Refresh the list.")
            assert isinstance(found, ComputeEnvironment)
            # INVALID is settled too: AWS accepts disabling and deleting an INVALID environment.
            return found.status in ("VALID", "INVALID")

        await self._poll(step, changed, self.admin.describe_compute_environment, settled)

    async def _wait_gone(
        self, step: Step, changed: Callable[[], None], describe: Callable[[str], object]
    ) -> None:
        await self._poll(
            step,
            changed,
            describe,
            lambda found: found is None,
            lambda found: "deleted" if found is None else str(getattr(found, "status", "")),
        )
