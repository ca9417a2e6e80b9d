"""RegisterJobDefinition as a typed request: built from the form's fields or from JSON text.

`JobDefinitionRequest.from_json` parses the JSON editor's text (with the line and column of a syntax
error, placed where the fix belongs) and keeps every field as written; `fields()` and `with_fields()`
read and write the fields the form shows, leaving the rest of the request alone.
"""

from __future__ import annotations

import copy
import json
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from batchgui.domain.batch import JobDefinition, requirement_value
from batchgui.domain.fargate import Problem

ApiDict = dict[str, Any]
# A problem path that is a place in JSON text rather than a JSON path: "@line:LINE:COLUMN".
JSON_LINE = "@line:"

# Fields DescribeJobDefinitions returns that RegisterJobDefinition does not take.
RESPONSE_ONLY = ("jobDefinitionArn", "revision", "status", "containerOrchestrationType")
LOG_DRIVERS = (
    "awslogs",
    "json-file",
    "journald",
    "fluentd",
    "gelf",
    "logentries",
    "splunk",
    "syslog",
    "awsfirelens",
)
JSON_MESSAGES = {
    "Expecting ',' delimiter": "expected ',' after this value",
    "Expecting ':' delimiter": "expected ':' after the key",
    "Expecting value": "expected a value here (a trailing comma, or a missing quote?)",
    "Expecting property name enclosed in double quotes": "expected a key in double quotes "
    "(a trailing comma before '}'?)",
    "Extra data": "unexpected text after the end of the JSON",
}


def json_error_place(text: str, exc: json.JSONDecodeError) -> tuple[int, int, str]:
    """Line, column and a plain message for a JSON syntax error.

    Python reports a missing delimiter where the next token starts, often the line after the real
    mistake; the place shown is the end of the value before it, where the ',' or ':' belongs."""
    message = JSON_MESSAGES.get(exc.msg, exc.msg[:1].lower() + exc.msg[1:])
    line, column = exc.lineno, exc.colno
    if exc.msg.endswith("delimiter"):
        end = len(text[: exc.pos].rstrip())
        if end > 0:
            line = text.count("\n", 0, end) + 1
            column = end - (text.rfind("\n", 0, end) + 1) + 1
    return line, column, message


def _set_requirement(requirements: list[ApiDict], kind: str, value: str) -> list[ApiDict]:
    kept = [r for r in requirements if r.get("type") != kind]
    if value:
        kept.append({"type": kind, "value": value})
    order = {"VCPU": 0, "MEMORY": 1, "GPU": 2}
    return sorted(kept, key=lambda r: order.get(str(r.get("type")), 9))


def _set_or_drop(target: ApiDict, key: str, value: object) -> None:
    if value:
        target[key] = value
    else:
        target.pop(key, None)


def _assignments(text: str) -> Iterator[tuple[int, str, str]]:
    """(line number, name, value) of each line that is not blank, both stripped: the name is ""
    where the line is not name=value."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            name, sep, value = line.partition("=")
            yield number, name.strip() if sep else "", value.strip()


def parse_environment(text: str) -> tuple[list[tuple[str, str]], list[Problem]]:
    """NAME=value lines (blank lines skipped); a line that is not NAME=value is a problem."""
    pairs: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for number, key, value in _assignments(text):
        if key:
            pairs.append((key, value))
        else:
            problems.append(
                Problem("containerProperties.environment", f"line {number}: write it as NAME=value")
            )
    return pairs, problems


def parse_consumables(text: str) -> tuple[list[ApiDict], list[Problem]]:
    """`resource=quantity` lines (a consumable resource's name or ARN, a whole number of at least 1)
    as RegisterJobDefinition's consumableResourceList; a line that is not so is a problem."""
    place = "consumableResourceProperties.consumableResourceList"
    wanted: list[ApiDict] = []
    problems: list[Problem] = []
    for number, resource, quantity in _assignments(text):
        if not resource:
            problems.append(Problem(place, f"line {number}: write it as resource=quantity, e.g. licence=1"))
        elif not quantity.isdigit() or int(quantity) < 1:
            problems.append(
                Problem(place, f"line {number}: the quantity of {resource} must be a whole number ≥ 1")
            )
        elif any(w["consumableResource"] == resource for w in wanted):
            problems.append(Problem(place, f"line {number}: {resource} is named twice"))
        else:
            wanted.append({"consumableResource": resource, "quantity": int(quantity)})
    return wanted, problems


@dataclass(frozen=True)
class DefinitionFields:
    """The common fields of a job definition, as the form shows them (text as typed)."""

    name: str = ""
    fargate: bool = True
    image: str = ""
    # Shell-style: quotes group words, line breaks are spaces.
    command: str = ""
    # None: the request's value is not a number; the form keeps what it shows.
    vcpus: float | None = 1.0
    memory_mib: int | None = 2048
    gpus: int = 0
    execution_role: str = ""
    job_role: str = ""
    public_ip: bool = False
    timeout_s: int = 0
    attempts: int = 0
    log_driver: str = ""
    # NAME=value, one per line.
    environment: str = ""
    # resource=quantity, one per line (consumable resources a job needs; resource-aware scheduling).
    consumables: str = ""


@dataclass(frozen=True)
class JobDefinitionRequest:
    """RegisterJobDefinition. Written as JSON it may hold any field the API takes, so the request keeps
    the body as written (`from_json`) and the form's fields are read from and written into it."""

    body: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.body.get("jobDefinitionName", ""))

    def to_api(self) -> ApiDict:
        return copy.deepcopy(dict(self.body))

    def to_json(self) -> str:
        return json.dumps(self.to_api(), indent=2)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> JobDefinitionRequest:
        return cls(copy.deepcopy(dict(data)))

    @classmethod
    def from_json(cls, text: str) -> tuple[JobDefinitionRequest | None, list[Problem]]:
        """The JSON text as a request, or the parse problem with its line and column."""
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            line, column, message = json_error_place(text, exc)
            return None, [Problem(f"{JSON_LINE}{line}:{column}", f"Line {line}: {message}")]
        if not isinstance(value, dict):
            return None, [Problem("", "the request must be a JSON object ({ … })")]
        return cls(value), []

    @classmethod
    def from_definition(cls, definition: JobDefinition) -> JobDefinitionRequest:
        """A request that recreates `definition` (for a new revision)."""
        request = {k: v for k, v in copy.deepcopy(definition.raw).items() if k not in RESPONSE_ONLY}
        request.setdefault("jobDefinitionName", definition.name)
        request.setdefault("type", "container")
        return cls(request)

    @classmethod
    def starter(cls, role_arn: str = "") -> JobDefinitionRequest:
        """A small Fargate definition to start a new one from."""
        return cls(
            {
                "jobDefinitionName": "",
                "type": "container",
                "platformCapabilities": ["FARGATE"],
                "containerProperties": {
                    "image": "public.ecr.aws/docker/library/busybox:latest",
                    "command": ["echo", "hello"],
                    "resourceRequirements": [
                        {"type": "VCPU", "value": "1"},
                        {"type": "MEMORY", "value": "2048"},
                    ],
                    "executionRoleArn": role_arn,
                    "networkConfiguration": {"assignPublicIp": "ENABLED"},
                    "logConfiguration": {"logDriver": "awslogs"},
                },
                "retryStrategy": {"attempts": 1},
                "timeout": {"attemptDurationSeconds": 3600},
            }
        )

    def fields(self) -> DefinitionFields:
        body = self.body
        container: Mapping[str, Any] = body.get("containerProperties") or {}
        requirements: Sequence[Mapping[str, Any]] = container.get("resourceRequirements") or []
        vcpu = requirement_value(requirements, "VCPU") or str(container.get("vcpus", "1"))
        memory = requirement_value(requirements, "MEMORY") or str(container.get("memory", "2048"))
        try:
            vcpus: float | None = float(vcpu)
            memory_mib: int | None = int(memory)
        except ValueError:
            vcpus = memory_mib = None
        gpu = requirement_value(requirements, "GPU") or ""
        network: Mapping[str, Any] = container.get("networkConfiguration") or {}
        return DefinitionFields(
            name=self.name,
            fargate="FARGATE" in (body.get("platformCapabilities") or ["EC2"]),
            image=str(container.get("image", "")),
            command=shlex.join(str(c) for c in container.get("command") or []),
            vcpus=vcpus,
            memory_mib=memory_mib,
            gpus=int(gpu) if gpu.isdigit() else 0,
            execution_role=str(container.get("executionRoleArn", "")),
            job_role=str(container.get("jobRoleArn", "")),
            public_ip=network.get("assignPublicIp") == "ENABLED",
            timeout_s=int((body.get("timeout") or {}).get("attemptDurationSeconds", 0) or 0),
            attempts=int((body.get("retryStrategy") or {}).get("attempts", 0) or 0),
            log_driver=str((container.get("logConfiguration") or {}).get("logDriver", "")),
            environment="\n".join(
                f"{e.get('name', '')}={e.get('value', '')}" for e in container.get("environment") or []
            ),
            consumables="\n".join(
                f"{c.get('consumableResource', '')}={c.get('quantity', '')}"
                for c in (body.get("consumableResourceProperties") or {}).get("consumableResourceList") or []
            ),
        )

    def with_fields(self, fields: DefinitionFields) -> tuple[JobDefinitionRequest, list[Problem]]:
        """This request with the form's fields written in (everything else kept); and the problems the
        fields themselves show (a command's unbalanced quotes, an environment line without '=')."""
        request = self.to_api()
        problems: list[Problem] = []
        request["jobDefinitionName"] = fields.name.strip()
        request.setdefault("type", "container")
        request["platformCapabilities"] = ["FARGATE" if fields.fargate else "EC2"]
        container: ApiDict = request.setdefault("containerProperties", {})
        container["image"] = fields.image.strip()
        try:
            command = shlex.split(fields.command)
        except ValueError as exc:
            problems.append(Problem("containerProperties.command", f"{exc} (check the quotes)"))
            command = []
        _set_or_drop(container, "command", command)
        container.pop("vcpus", None)
        container.pop("memory", None)
        requirements: list[ApiDict] = list(container.get("resourceRequirements") or [])
        requirements = _set_requirement(requirements, "VCPU", f"{fields.vcpus or 0:g}")
        requirements = _set_requirement(requirements, "MEMORY", str(fields.memory_mib or 0))
        requirements = _set_requirement(requirements, "GPU", str(fields.gpus) if fields.gpus else "")
        container["resourceRequirements"] = requirements
        _set_or_drop(container, "executionRoleArn", fields.execution_role.strip())
        _set_or_drop(container, "jobRoleArn", fields.job_role.strip())
        if fields.fargate:
            container["networkConfiguration"] = {
                "assignPublicIp": "ENABLED" if fields.public_ip else "DISABLED"
            }
        else:
            container.pop("networkConfiguration", None)
            container.pop("fargatePlatformConfiguration", None)
        _set_or_drop(
            request, "timeout", {"attemptDurationSeconds": fields.timeout_s} if fields.timeout_s else None
        )
        if fields.attempts:
            request.setdefault("retryStrategy", {})["attempts"] = fields.attempts
        else:
            request.pop("retryStrategy", None)
        if fields.log_driver:
            container.setdefault("logConfiguration", {})["logDriver"] = fields.log_driver
        else:
            container.pop("logConfiguration", None)
        pairs, environment_problems = parse_environment(fields.environment)
        problems.extend(environment_problems)
        _set_or_drop(container, "environment", [{"name": k, "value": v} for k, v in pairs])
        wanted, consumable_problems = parse_consumables(fields.consumables)
        problems.extend(consumable_problems)
        _set_or_drop(
            request, "consumableResourceProperties", {"consumableResourceList": wanted} if wanted else None
        )
        return JobDefinitionRequest(request), problems
