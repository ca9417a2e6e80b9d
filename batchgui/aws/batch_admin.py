"""AWS Batch administration: create/update/delete compute environments, queues, scheduling policies;
register/deregister job definitions; tags; the front-of-queue snapshot; and validating a
RegisterJobDefinition request against botocore's own input shape before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from batchgui.aws.batch import chunks
from batchgui.aws.errors import error_code, http_status
from batchgui.aws.gateway import Gateway
from batchgui.domain import inventory_requests as requests
from batchgui.domain.batch import ComputeEnvironment, JobCount, JobDefinition, JobQueue, JobStatus
from batchgui.domain.definition_request import JobDefinitionRequest
from batchgui.domain.errors import BatchGuiError
from batchgui.domain.fargate import Problem, fargate_definition_problems
from batchgui.domain.scheduling import QueueSnapshot, SchedulingPolicy

if TYPE_CHECKING:
    from botocore.model import Shape
    from mypy_boto3_batch import BatchClient  # noqa: F401 - named in the base class below

# DescribeSchedulingPolicies takes at most 100 ARNs per call.
DESCRIBE_POLICIES_MAX = 100
LIST_JOBS_PAGE = 1000


class OperationNotOffered(BatchGuiError):
    """The endpoint does not implement this operation (a test double, or an older API)."""

    title = "Not offered by this endpoint"


def _not_offered(exc: BaseException, operation: str) -> BaseException:
    """A 404 with no AWS error code means the endpoint has no such operation (moto lacks some)."""
    if http_status(exc) == 404 and error_code(exc) in ("404", "NotFound", "UnknownOperationException"):
        return OperationNotOffered(
            f"this endpoint does not implement {operation}.",
            "Real AWS and the local sandbox offer it; this endpoint (e.g. moto) does not.",
            "NotOffered",
            operation,
        )
    return exc


def _first_live(items: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The first described item not yet DELETED (Batch describes deleted ones for a while)."""
    return next((dict(i) for i in items if i.get("status") != "DELETED"), None)


@dataclass(frozen=True)
class Registered:
    name: str
    arn: str
    revision: int


def _location(name: str) -> str:
    # botocore names paths ".containerProperties.image"; show them as JSON paths without the dot.
    return name[1:] if name.startswith(".") else name


def _problems_from_report(errors: Sequence[tuple[str, str, dict[str, Any]]]) -> list[Problem]:
    problems: list[Problem] = []
    for kind, name, extra in errors:
        path = _location(name)
        if kind == "missing required field":
            field = extra.get("required_name", "")
            problems.append(Problem(f"{path}.{field}" if path else field, "required field is missing"))
        elif kind == "unknown field":
            unknown = extra.get("unknown_param", "")
            valid = ", ".join(extra.get("valid_names", ()))
            problems.append(
                Problem(f"{path}.{unknown}" if path else unknown, f"unknown field; valid fields: {valid}")
            )
        elif kind == "invalid type":
            types = ", ".join(
                t.replace("<class '", "").replace("'>", "") for t in extra.get("valid_types", ())
            )
            problems.append(
                Problem(path, f"wrong type {type(extra.get('param')).__name__}; expected {types}")
            )
        elif kind == "invalid range":
            problems.append(Problem(path, f"must be at least {extra.get('min_allowed')}"))
        elif kind == "invalid length":
            problems.append(Problem(path, f"length must be at least {extra.get('min_allowed')}"))
        else:
            problems.append(Problem(path, f"{kind}: {extra}"))
    return problems


def _enum_problems(value: Any, shape: Shape, path: str) -> list[Problem]:
    """botocore's validator skips enums; check them too (e.g. type, platformCapabilities)."""
    problems: list[Problem] = []
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        members = shape.members  # type: ignore[attr-defined]
        for key, item in value.items():
            if key in members:
                problems.extend(_enum_problems(item, members[key], f"{path}.{key}" if path else key))
    elif kind == "list" and isinstance(value, list):
        member = shape.member  # type: ignore[attr-defined]
        for index, item in enumerate(value):
            problems.extend(_enum_problems(item, member, f"{path}[{index}]"))
    elif kind == "map" and isinstance(value, Mapping):
        value_shape = shape.value  # type: ignore[attr-defined]
        for key, item in value.items():
            problems.extend(_enum_problems(item, value_shape, f"{path}.{key}"))
    elif kind == "string" and isinstance(value, str):
        allowed: list[str] = list(getattr(shape, "enum", None) or [])
        if allowed and value not in allowed:
            problems.append(Problem(path, f"{value!r} is not one of {', '.join(allowed)}"))
    return problems


def validate_against_shape(request: Mapping[str, Any], shape: Shape) -> list[Problem]:
    """Problems botocore would raise for this request, with JSON paths, plus enum checks."""
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(dict(request), shape)
    # ValidationErrors keeps its structured entries in `_errors`; generate_report() only gives text.
    errors: list[tuple[str, str, dict[str, Any]]] = list(getattr(report, "_errors", []))
    problems = _problems_from_report(errors)
    problems.extend(_enum_problems(request, shape, ""))
    return problems


def batch_input_shape(operation: str) -> Shape:
    """The input shape of a Batch operation from botocore's bundled model (no client, no network)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("batch")
    shape = model.operation_model(operation).input_shape
    assert shape is not None
    return shape


def validate_register_job_definition(request: Mapping[str, Any], shape: Shape | None = None) -> list[Problem]:
    """Everything wrong with a RegisterJobDefinition request, before it is sent."""
    shape = shape or batch_input_shape("RegisterJobDefinition")
    problems = validate_against_shape(request, shape)
    problems.extend(fargate_definition_problems(request))
    timeout = request.get("timeout")
    if isinstance(timeout, Mapping):
        seconds = timeout.get("attemptDurationSeconds")
        if isinstance(seconds, int) and seconds < 60:
            problems.append(Problem("timeout.attemptDurationSeconds", "must be at least 60 seconds"))
    retry = request.get("retryStrategy")
    if isinstance(retry, Mapping):
        attempts = retry.get("attempts")
        if isinstance(attempts, int) and not 1 <= attempts <= 10:
            problems.append(Problem("retryStrategy.attempts", "must be between 1 and 10"))
    return problems


__all__ = ["BatchAdminGateway", "JobCount", "OperationNotOffered", "Registered"]


class BatchAdminGateway(Gateway["BatchClient"]):
    """Changes to Batch resources. Synchronous; call through the Runner."""

    # --- compute environments -----------------------------------------------------------------
    def create_compute_environment(self, request: requests.ComputeEnvironmentRequest) -> str:
        return str(self._client.create_compute_environment(**request.to_api())["computeEnvironmentArn"])

    def update_compute_environment(self, request: requests.ComputeEnvironmentUpdate) -> str:
        return str(self._client.update_compute_environment(**request.to_api())["computeEnvironmentArn"])

    def set_compute_environment_state(self, name: str, state: str) -> None:
        self._client.update_compute_environment(computeEnvironment=name, state=state)  # type: ignore[arg-type]

    def delete_compute_environment(self, name: str) -> None:
        self._client.delete_compute_environment(computeEnvironment=name)

    def describe_compute_environment(self, name_or_arn: str) -> ComputeEnvironment | None:
        """The environment, or None once it is gone (deleted)."""
        found = self._client.describe_compute_environments(computeEnvironments=[name_or_arn])
        live = _first_live(found["computeEnvironments"])
        return None if live is None else ComputeEnvironment.from_api(live)

    # --- job queues ---------------------------------------------------------------------------
    def create_job_queue(self, request: requests.JobQueueRequest) -> str:
        return str(self._client.create_job_queue(**request.to_api())["jobQueueArn"])

    def update_job_queue(self, request: requests.JobQueueUpdate) -> str:
        return str(self._client.update_job_queue(**request.to_api())["jobQueueArn"])

    def set_job_queue_order(self, name: str, environment_arns: Sequence[str]) -> None:
        order = [{"order": n, "computeEnvironment": arn} for n, arn in enumerate(environment_arns, start=1)]
        self._client.update_job_queue(jobQueue=name, computeEnvironmentOrder=order)  # type: ignore[arg-type]

    def set_job_queue_state(self, name: str, state: str) -> None:
        self._client.update_job_queue(jobQueue=name, state=state)  # type: ignore[arg-type]

    def delete_job_queue(self, name: str) -> None:
        self._client.delete_job_queue(jobQueue=name)

    def describe_job_queue(self, name_or_arn: str) -> JobQueue | None:
        """The queue, or None once it is gone (deleted)."""
        live = _first_live(self._client.describe_job_queues(jobQueues=[name_or_arn])["jobQueues"])
        return None if live is None else JobQueue.from_api(live)

    def job_queue_snapshot(self, queue: str) -> QueueSnapshot:
        try:
            response = self._client.get_job_queue_snapshot(jobQueue=queue)
        except Exception as exc:
            raise _not_offered(exc, "GetJobQueueSnapshot") from exc
        return QueueSnapshot.from_api(dict(response))

    def count_jobs(self, queue: str, status: JobStatus, limit: int = 10_000) -> JobCount:
        """Jobs in `queue` with `status`, counted through ListJobs pages, stopping at `limit`."""
        count = 0
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "jobQueue": queue,
                "jobStatus": status.value,
                "maxResults": LIST_JOBS_PAGE,
            }
            if token:
                kwargs["nextToken"] = token
            response = self._client.list_jobs(**kwargs)
            # Count only rows with this status: some test doubles ignore the filter.
            count += sum(
                1 for j in response["jobSummaryList"] if j.get("status", status.value) == status.value
            )
            token = response.get("nextToken")
            if not token:
                return JobCount(count)
            if count >= limit:
                return JobCount(count, capped=True)

    # --- job definitions ----------------------------------------------------------------------
    def register_job_definition(self, request: JobDefinitionRequest) -> Registered:
        response = self._client.register_job_definition(**request.to_api())
        return Registered(
            response["jobDefinitionName"], response["jobDefinitionArn"], int(response["revision"])
        )

    def deregister_job_definition(self, arn_or_name_revision: str) -> None:
        self._client.deregister_job_definition(jobDefinition=arn_or_name_revision)

    def job_definition_revisions(self, name: str) -> list[JobDefinition]:
        """Every revision of one definition (active and inactive), newest first."""
        found = self._paged("describe_job_definitions", "jobDefinitions", jobDefinitionName=name)
        return sorted(map(JobDefinition.from_api, found), key=lambda d: d.revision, reverse=True)

    # --- scheduling policies ------------------------------------------------------------------
    def list_scheduling_policies(self) -> list[SchedulingPolicy]:
        arns = [str(p["arn"]) for p in self._paged("list_scheduling_policies", "schedulingPolicies")]
        return sorted(self._describe_policies(arns), key=lambda p: p.name)

    def describe_scheduling_policy(self, arn: str) -> SchedulingPolicy | None:
        """One policy (a fair-share queue's), or None if the endpoint no longer knows it."""
        return next(iter(self._describe_policies([arn])), None)

    def _describe_policies(self, arns: Sequence[str]) -> list[SchedulingPolicy]:
        policies: list[SchedulingPolicy] = []
        for chunk in chunks(arns, DESCRIBE_POLICIES_MAX):
            described = self._client.describe_scheduling_policies(arns=list(chunk))
            policies.extend(SchedulingPolicy.from_api(dict(p)) for p in described["schedulingPolicies"])
        return policies

    def create_scheduling_policy(self, request: requests.SchedulingPolicyRequest) -> str:
        return str(self._client.create_scheduling_policy(**request.to_api())["arn"])

    def update_scheduling_policy(self, request: requests.SchedulingPolicyUpdate) -> None:
        self._client.update_scheduling_policy(**request.to_api())

    def delete_scheduling_policy(self, arn: str) -> None:
        self._client.delete_scheduling_policy(arn=arn)

    # --- tags ---------------------------------------------------------------------------------
    def list_tags(self, arn: str) -> dict[str, str]:
        return dict(self._client.list_tags_for_resource(resourceArn=arn).get("tags", {}))

    def set_tags(self, arn: str, wanted: Mapping[str, str]) -> None:
        """Make the resource's tags exactly `wanted`: untag what went, tag what is new or changed."""
        current = self.list_tags(arn)
        gone = [k for k in current if k not in wanted]
        changed = {k: v for k, v in wanted.items() if current.get(k) != v}
        if gone:
            self._client.untag_resource(resourceArn=arn, tagKeys=gone)
        if changed:
            self._client.tag_resource(resourceArn=arn, tags=dict(changed))
