"""CSV submission planning: turn a checked CSV and the wizard's choices into SubmitJob requests.

Reading and checking the file live in domain/csv_reader.py (the one reader) and domain/csv_check.py;
their names are re-exported here for the callers that plan. Pure: no network, no disk.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from batchgui.domain.csv_check import MAX_PROBLEMS, PREVIEW_ROWS, ColumnStats, Inspection, inspect_csv
from batchgui.domain.csv_reader import MAX_LINE_CHARS, CsvReader, Dialect, iter_rows
from batchgui.domain.fargate import VALID_MEMORY_MIB, describe_memory_range
from batchgui.domain.job_requests import MAX_ATTEMPTS, MIN_TIMEOUT_S
from batchgui.domain.problems import Problem, Severity

# Reading and checking are re-exported: callers that plan import them from here.
__all__ = [
    "AUTO_PARAMETERS",
    "DEFAULT_RATE_PER_S",
    "MAX_ARRAY_SIZE",
    "MAX_LINE_CHARS",
    "MAX_PROBLEMS",
    "MAX_REQUEST_BYTES",
    "PER_ROW_WARN_ROWS",
    "PREVIEW_ROWS",
    "ROW_TAG",
    "SUBMISSION_TAG",
    "ColumnStats",
    "CsvReader",
    "DefinitionInfo",
    "Dialect",
    "Inspection",
    "Overrides",
    "Plan",
    "PlanInput",
    "PlannedJob",
    "Problem",
    "QueueInfo",
    "RetryChanges",
    "Severity",
    "SplitMode",
    "apply_changes",
    "check_fargate",
    "cli_command",
    "definition_info",
    "human_bytes",
    "inspect_csv",
    "iter_rows",
    "job_name_prefix",
    "make_plan",
    "part_job_name",
    "row_job_name",
]

# Batch: array size 2..10,000; about 50 requests/s per account across Batch APIs.
MAX_ARRAY_SIZE = 10_000
DEFAULT_RATE_PER_S = 45.0
PER_ROW_WARN_ROWS = 1000
# SubmitJob's payload limit is 30 KiB.
MAX_REQUEST_BYTES = 30 * 1024
SUBMISSION_TAG = "batchgui:submission"
ROW_TAG = "batchgui:rows"
# Parameters the wizard fills by itself when a definition declares them (the demo processor's names).
AUTO_PARAMETERS = ("bucket", "key", "rows_per_child", "first_row", "submission_id", "row_number")

_REF = re.compile(r"Ref::([A-Za-z0-9_\-]+)")
_JOB_NAME_BAD = re.compile(r"[^A-Za-z0-9_\-]")


# --- planning ---------------------------------------------------------------------------------


class SplitMode(StrEnum):
    WHOLE = "whole"
    ARRAY = "array"
    PER_ROW = "per_row"

    @property
    def label(self) -> str:
        return {
            SplitMode.WHOLE: "One job for the whole file",
            SplitMode.ARRAY: "One array job, N rows per child",
            SplitMode.PER_ROW: "One job per row",
        }[self]


@dataclass(frozen=True)
class Overrides:
    environment: dict[str, str] = field(default_factory=dict)
    vcpus: str = ""
    memory_mib: int | None = None
    retries: int | None = None
    timeout_s: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class DefinitionInfo:
    """What planning needs of a job definition (from domain.batch.JobDefinition)."""

    name_revision: str
    status: str
    platform: str
    command: tuple[str, ...] = ()
    parameters: dict[str, str] = field(default_factory=dict)
    vcpus: str | None = None
    memory_mib: str | None = None

    @property
    def referenced(self) -> list[str]:
        """`Ref::name` parameters used by the command, in order of first use."""
        names: list[str] = []
        for part in self.command:
            for name in _REF.findall(part):
                if name not in names:
                    names.append(name)
        return names

    @property
    def is_fargate(self) -> bool:
        return self.platform.upper() == "FARGATE"


@dataclass(frozen=True)
class QueueInfo:
    name: str
    state: str = "ENABLED"
    status: str = "VALID"


@dataclass(frozen=True)
class PlanInput:
    job_name: str
    queue: QueueInfo
    definition: DefinitionInfo
    bucket: str
    key: str
    rows: int
    columns: tuple[str, ...]
    submission_id: str
    mode: SplitMode = SplitMode.ARRAY
    rows_per_child: int = 1
    several_arrays: bool = False
    column_map: dict[str, str] = field(default_factory=dict)  # parameter -> CSV column
    parameters: dict[str, str] = field(default_factory=dict)  # fixed values typed in the wizard
    overrides: Overrides = field(default_factory=Overrides)
    empty_counts: dict[str, int] = field(default_factory=dict)  # CSV column -> empty values


@dataclass(frozen=True)
class PlannedJob:
    """One SubmitJob call covering data rows [first_row, first_row + row_count)."""

    seq: int
    first_row: int
    row_count: int
    request: dict[str, Any]

    @property
    def array_size(self) -> int | None:
        props = self.request.get("arrayProperties")
        return int(props["size"]) if props else None


@dataclass
class Plan:
    input: PlanInput
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    jobs: list[PlannedJob] = field(default_factory=list)  # whole / array modes
    call_count: int = 0
    array_size: int | None = None
    suggestion: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def request_for_row(self, row_number: int, values: Sequence[str]) -> dict[str, Any]:
        """The SubmitJob request of data row `row_number` (per-row mode)."""
        return _row_request(self.input, row_number, values)

    def first_requests(self, rows: Iterable[Sequence[str]], count: int = 3) -> list[dict[str, Any]]:
        if self.input.mode is SplitMode.PER_ROW:
            return [self.request_for_row(n, r) for n, r in zip(range(count), rows, strict=False)]
        return [j.request for j in self.jobs[:count]]

    def seconds_at(self, rate_per_s: float = DEFAULT_RATE_PER_S) -> float:
        return self.call_count / rate_per_s if rate_per_s > 0 else math.inf


def job_name_prefix(name: str, submission_id: str) -> str:
    """A job name unique to the submission; ListJobs' JOB_NAME filter finds its jobs by prefix."""
    clean = _JOB_NAME_BAD.sub("-", name.strip()) or "csv"
    return f"{clean[:90]}-{submission_id[:12]}"


def row_job_name(prefix: str, row_number: int) -> str:
    return f"{prefix}-r{row_number}"


def part_job_name(prefix: str, seq: int, parts: int) -> str:
    return prefix if parts == 1 else f"{prefix}-p{seq + 1}"


def check_fargate(vcpus: str, memory_mib: int) -> str:
    """An error message when the vCPU/memory pair is not a Fargate task size, else ''."""
    try:
        value = float(vcpus)
    except ValueError:
        value = -1.0
    if value not in VALID_MEMORY_MIB:
        allowed = ", ".join(f"{v:g}" for v in VALID_MEMORY_MIB)
        return f"Fargate vCPU must be one of {allowed}; {vcpus} is not."
    if memory_mib not in VALID_MEMORY_MIB[value]:
        return (
            f"Fargate with {value:g} vCPU takes {describe_memory_range(value)} of memory; "
            f"{memory_mib:,} MiB is not allowed."
        )
    return ""


def _auto_values(spec: PlanInput, first_row: int, rows_per_child: int) -> dict[str, str]:
    return {
        "bucket": spec.bucket,
        "key": spec.key,
        "rows_per_child": str(rows_per_child),
        "first_row": str(first_row),
        "submission_id": spec.submission_id,
        "row_number": str(first_row),
    }


def _base_request(spec: PlanInput, name: str, parameters: dict[str, str], rows: str) -> dict[str, Any]:
    request: dict[str, Any] = {
        "jobName": name,
        "jobQueue": spec.queue.name,
        "jobDefinition": spec.definition.name_revision,
    }
    if parameters:
        request["parameters"] = parameters
    o = spec.overrides
    environment = {
        "BATCHGUI_SUBMISSION_ID": spec.submission_id,
        "BATCHGUI_CSV_URI": f"s3://{spec.bucket}/{spec.key}",
    }
    request["containerOverrides"] = {"environment": [{"name": k, "value": v} for k, v in environment.items()]}
    merge_overrides(request, o)
    if o.depends_on:
        request["dependsOn"] = [{"jobId": job_id} for job_id in o.depends_on]
    request["tags"] = {**(request.get("tags") or {}), SUBMISSION_TAG: spec.submission_id, ROW_TAG: rows}
    request["propagateTags"] = True
    return request


def parse_pairs(text: str) -> dict[str, str]:
    """`A=1, B=2` (or one per line) -> {"A": "1", "B": "2"}; `A=` keeps an empty value."""
    pairs: dict[str, str] = {}
    for part in text.replace("\n", ",").split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            if key.strip():
                pairs[key.strip()] = value.strip()
    return pairs


def merge_overrides(request: dict[str, Any], o: Overrides) -> None:
    """Write `o` onto a SubmitJob request: its environment and resources over the container's, its
    retries and timeout, its tags added to the request's."""
    container = dict(request.get("containerOverrides") or {})
    environment = {e["name"]: e["value"] for e in container.get("environment") or []}
    environment.update(o.environment)
    container["environment"] = [{"name": k, "value": v} for k, v in environment.items()]
    requirements = {r["type"]: r["value"] for r in container.get("resourceRequirements") or []}
    if o.vcpus:
        requirements["VCPU"] = o.vcpus
    if o.memory_mib:
        requirements["MEMORY"] = str(o.memory_mib)
    if requirements:
        container["resourceRequirements"] = [{"type": k, "value": v} for k, v in requirements.items()]
    request["containerOverrides"] = container
    if o.retries is not None:
        request["retryStrategy"] = {"attempts": o.retries}
    if o.timeout_s is not None:
        request["timeout"] = {"attemptDurationSeconds": o.timeout_s}
    if o.tags:
        request["tags"] = {**(request.get("tags") or {}), **o.tags}


def _parameters(spec: PlanInput, first_row: int, rows_per_child: int) -> dict[str, str]:
    declared = set(spec.definition.parameters) | set(spec.definition.referenced)
    auto = _auto_values(spec, first_row, rows_per_child)
    values = {k: v for k, v in auto.items() if k in declared}
    values.update({k: v for k, v in spec.parameters.items() if v != ""})
    return values


def _row_request(spec: PlanInput, row_number: int, values: Sequence[str]) -> dict[str, Any]:
    parameters = _parameters(spec, row_number, 1)
    for parameter, column in spec.column_map.items():
        if column in spec.columns:
            index = spec.columns.index(column)
            parameters[parameter] = values[index] if index < len(values) else ""
    name = row_job_name(job_name_prefix(spec.job_name, spec.submission_id), row_number)
    return _base_request(spec, name, parameters, f"{row_number}")


def make_plan(spec: PlanInput) -> Plan:
    """Check the choices and build the requests (per-row requests are built row by row later)."""
    plan = Plan(spec)
    errors, warnings = plan.errors, plan.warnings
    if spec.queue.state != "ENABLED":
        errors.append(
            f"Job queue {spec.queue.name} is {spec.queue.state}: it accepts no jobs. Enable it in Job "
            "queues, or choose another queue."
        )
    elif spec.queue.status not in ("VALID", "UPDATING", "CREATING", ""):
        warnings.append(f"Job queue {spec.queue.name} is {spec.queue.status}.")
    if spec.definition.status and spec.definition.status != "ACTIVE":
        errors.append(
            f"Job definition {spec.definition.name_revision} is {spec.definition.status}: Batch refuses "
            "jobs for it. Choose an active revision."
        )
    if spec.rows <= 0:
        errors.append("The file has no data rows.")
    _check_parameters(spec, errors)
    _check_overrides(spec, errors)
    if spec.mode is SplitMode.WHOLE:
        plan.jobs = [
            PlannedJob(
                0,
                0,
                spec.rows,
                _base_request(
                    spec,
                    job_name_prefix(spec.job_name, spec.submission_id),
                    _parameters(spec, 0, 0),
                    f"0-{max(0, spec.rows - 1)}",
                ),
            )
        ]
    elif spec.mode is SplitMode.ARRAY:
        _plan_array(spec, plan)
    else:
        if spec.rows > PER_ROW_WARN_ROWS:
            warnings.append(
                f"{spec.rows:,} rows means {spec.rows:,} SubmitJob calls (about "
                f"{math.ceil(spec.rows / DEFAULT_RATE_PER_S):,} s at {DEFAULT_RATE_PER_S:.0f}/s). "
                "An array job does the same work with one call."
            )
        for parameter, column in spec.column_map.items():
            empty = spec.empty_counts.get(column, 0)
            if empty:
                errors.append(
                    f"Column {column!r} is mapped to parameter {parameter!r} but is empty on {empty:,} "
                    "row(s); fill those cells or map another column."
                )
    plan.call_count = spec.rows if spec.mode is SplitMode.PER_ROW else len(plan.jobs)
    for job in plan.jobs[:1]:
        if len(repr(job.request).encode()) > MAX_REQUEST_BYTES:
            errors.append("A SubmitJob request is over 30 KiB: shorten the environment or parameters.")
    return plan


def _check_parameters(spec: PlanInput, errors: list[str]) -> None:
    definition = spec.definition
    mapped = set(spec.column_map) if spec.mode is SplitMode.PER_ROW else set()
    filled = set(definition.parameters) | set(AUTO_PARAMETERS) | mapped
    filled |= {k for k, v in spec.parameters.items() if v != ""}
    missing = [name for name in definition.referenced if name not in filled]
    if missing:
        names = ", ".join(missing)
        how = "map a column to it or type a value" if spec.mode is SplitMode.PER_ROW else "type a value"
        errors.append(
            f"The definition's command needs parameter{'s' if len(missing) > 1 else ''} {names} and "
            f"nothing fills {'them' if len(missing) > 1 else 'it'}: {how}."
        )
    for parameter, column in spec.column_map.items():
        if column not in spec.columns:
            errors.append(f"Parameter {parameter!r} is mapped to column {column!r}, which the file lacks.")


def _check_overrides(spec: PlanInput, errors: list[str]) -> None:
    o = spec.overrides
    if o.vcpus:
        try:
            if float(o.vcpus) <= 0:
                raise ValueError
        except ValueError:
            errors.append(f"vCPU override {o.vcpus!r} is not a positive number.")
            return
    if o.memory_mib is not None and o.memory_mib <= 0:
        errors.append("Memory override must be a positive number of MiB.")
    if spec.definition.is_fargate and (o.vcpus or o.memory_mib):
        vcpus = o.vcpus or spec.definition.vcpus or "0.25"
        memory = o.memory_mib or int(float(spec.definition.memory_mib or "512"))
        message = check_fargate(vcpus, memory)
        if message:
            errors.append(message)
    if o.retries is not None and not 1 <= o.retries <= MAX_ATTEMPTS:
        errors.append(f"Retry attempts must be between 1 and {MAX_ATTEMPTS}.")
    if o.timeout_s is not None and o.timeout_s < MIN_TIMEOUT_S:
        errors.append(f"The timeout must be at least {MIN_TIMEOUT_S} seconds (Batch's minimum).")
    if len(o.depends_on) > 20:
        errors.append("A job can depend on at most 20 jobs.")


def _plan_array(spec: PlanInput, plan: Plan) -> None:
    per_child = spec.rows_per_child
    if per_child < 1:
        plan.errors.append("Rows per child must be at least 1.")
        return
    children = math.ceil(spec.rows / per_child) if spec.rows else 0
    plan.array_size = children
    prefix = job_name_prefix(spec.job_name, spec.submission_id)
    if children > MAX_ARRAY_SIZE:
        bigger = math.ceil(spec.rows / MAX_ARRAY_SIZE)
        parts = math.ceil(children / MAX_ARRAY_SIZE)
        plan.suggestion = (
            f"{spec.rows:,} rows at {per_child:,} per child is an array of {children:,} children; Batch "
            f"allows {MAX_ARRAY_SIZE:,}. Use {bigger:,} rows per child (one array job), or submit "
            f"{parts} array jobs of up to {MAX_ARRAY_SIZE:,} children each."
        )
        if not spec.several_arrays:
            plan.errors.append(plan.suggestion)
            return
        plan.warnings.append(f"Submitting {parts} array jobs, each starting at its own first_row.")
        if "first_row" not in set(spec.definition.parameters) | set(spec.definition.referenced):
            plan.errors.append(
                "Several array jobs need a first_row parameter in the definition to tell the parts "
                f"apart; this definition has none. Use {bigger:,} rows per child instead."
            )
            return
    rows_per_part = MAX_ARRAY_SIZE * per_child
    parts = max(1, math.ceil(spec.rows / rows_per_part))
    for seq in range(parts):
        first = seq * rows_per_part
        count = min(rows_per_part, spec.rows - first)
        size = math.ceil(count / per_child)
        request = _base_request(
            spec,
            part_job_name(prefix, seq, parts),
            _parameters(spec, first, per_child),
            f"{first}-{first + count - 1}",
        )
        if size >= 2:
            # Array size is 2..10,000; a single child is submitted as a plain job.
            request["arrayProperties"] = {"size": size}
        plan.jobs.append(PlannedJob(seq, first, count, request))
    if children == 1:
        plan.warnings.append("All rows fit in one child: submitting a single (non-array) job.")


# --- the equivalent AWS CLI command -----------------------------------------------------------


def cli_command(request: dict[str, Any], region: str = "", endpoint_url: str = "") -> str:
    """`aws batch submit-job` with the same request, shell-quoted."""
    import json

    parts = ["aws", "batch", "submit-job"]
    flags = {
        "jobName": "--job-name",
        "jobQueue": "--job-queue",
        "jobDefinition": "--job-definition",
    }
    for key, flag in flags.items():
        if key in request:
            parts += [flag, str(request[key])]
    json_flags = {
        "arrayProperties": "--array-properties",
        "parameters": "--parameters",
        "containerOverrides": "--container-overrides",
        "retryStrategy": "--retry-strategy",
        "timeout": "--timeout",
        "dependsOn": "--depends-on",
        "tags": "--tags",
    }
    for key, flag in json_flags.items():
        if key in request:
            parts += [flag, json.dumps(request[key], separators=(",", ":"))]
    if request.get("propagateTags"):
        parts.append("--propagate-tags")
    if region:
        parts += ["--region", region]
    if endpoint_url:
        parts += ["--endpoint-url", endpoint_url]
    return " ".join(shlex.quote(p) for p in parts)


def definition_info(definition: Any) -> DefinitionInfo:
    """From a domain.batch.JobDefinition (duck-typed to keep this module free of other imports)."""
    return DefinitionInfo(
        name_revision=definition.name_revision,
        status=definition.status,
        platform=definition.platform,
        command=tuple(definition.command),
        parameters=dict(definition.parameters),
        vcpus=definition.vcpus,
        memory_mib=definition.memory_mib,
    )


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(count) < 1024 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1024
    return f"{count:,.1f} GB"


# --- resubmitting failed rows with changes ----------------------------------------------------


@dataclass(frozen=True)
class RetryChanges:
    """What a resubmission of failed rows changes in their requests; empty: sent as they were."""

    parameters: dict[str, str] = field(default_factory=dict)  # a value of "" removes the parameter
    overrides: Overrides | None = None
    definition: str = ""  # another name:revision

    @property
    def empty(self) -> bool:
        return not self.parameters and self.overrides in (None, Overrides()) and not self.definition

    def describe(self) -> str:
        """One line for a person: what changes."""
        parts: list[str] = []
        if self.definition:
            parts.append(f"definition {self.definition}")
        parts.extend(f"{k}={v}" if v else f"{k} removed" for k, v in self.parameters.items())
        o = self.overrides
        if o is not None:
            parts.extend(f"env {k}={v}" for k, v in o.environment.items())
            if o.vcpus:
                parts.append(f"{o.vcpus} vCPU")
            if o.memory_mib:
                parts.append(f"{o.memory_mib:,} MiB")
            if o.retries is not None:
                parts.append(f"{o.retries} attempts")
            if o.timeout_s is not None:
                parts.append(f"timeout {o.timeout_s:,} s")
            parts.extend(f"tag {k}={v}" for k, v in o.tags.items())
        return ", ".join(parts) or "no changes"


def apply_changes(request: dict[str, Any], changes: RetryChanges) -> dict[str, Any]:
    """A copy of a SubmitJob request with `changes` made (definition, parameters, overrides)."""
    import copy

    out = copy.deepcopy(request)
    if changes.definition:
        out["jobDefinition"] = changes.definition
    if changes.parameters:
        params = dict(out.get("parameters") or {})
        for name, value in changes.parameters.items():
            if value == "":
                params.pop(name, None)
            else:
                params[name] = value
        if params:
            out["parameters"] = params
        else:
            out.pop("parameters", None)
    if changes.overrides is not None:
        merge_overrides(out, changes.overrides)
    return out
