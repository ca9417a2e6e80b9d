"""One job as DescribeJobs tells it: attempts, container, dependencies, array progress.

`JobDetail.from_api` parses the DescribeJobs dict; `raw` keeps it for the raw-JSON view. Secret values
(environment variables whose names look like credentials, and `secrets` entries) are masked by
`masked_environment` unless the caller asks to reveal them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from batchgui.domain.batch import ApiDict, JobStatus, JobSummary

DEFAULT_LOG_GROUP = "/aws/batch/job"
MASK = "••••••"
# Names that usually hold credentials: their values are hidden until the user reveals them.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


@dataclass(frozen=True)
class Attempt:
    started_at: int | None
    stopped_at: int | None
    exit_code: int | None
    reason: str
    log_stream: str
    task_arn: str = ""

    @classmethod
    def from_api(cls, data: ApiDict) -> Attempt:
        container: ApiDict = data.get("container") or {}
        return cls(
            started_at=data.get("startedAt"),
            stopped_at=data.get("stoppedAt"),
            exit_code=container.get("exitCode"),
            reason=str(data.get("statusReason") or container.get("reason") or ""),
            log_stream=str(container.get("logStreamName") or ""),
            task_arn=str(container.get("taskArn") or ""),
        )


@dataclass(frozen=True)
class Dependency:
    job_id: str
    type: str = ""


@dataclass(frozen=True)
class JobDetail:
    summary: JobSummary
    attempts: tuple[Attempt, ...] = ()
    image: str = ""
    command: tuple[str, ...] = ()
    vcpus: str | None = None
    memory_mib: str | None = None
    environment: tuple[tuple[str, str], ...] = ()
    secrets: tuple[tuple[str, str], ...] = ()
    parameters: dict[str, str] = field(default_factory=dict)
    depends_on: tuple[Dependency, ...] = ()
    array_status_summary: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    platform: str = ""
    log_stream: str = ""
    log_driver: str = ""
    log_options: dict[str, str] = field(default_factory=dict)
    retry_attempts: int | None = None
    timeout_s: int | None = None
    raw: ApiDict = field(default_factory=dict, compare=False, repr=False)

    @property
    def job_id(self) -> str:
        return self.summary.job_id

    @property
    def status(self) -> JobStatus:
        return self.summary.status

    @property
    def is_array_parent(self) -> bool:
        return self.summary.array_size is not None and self.summary.array_index is None

    @property
    def log_group(self) -> str:
        """The awslogs group the job writes to (its definition's option), else Batch's default."""
        if self.log_driver in ("", "awslogs"):
            return self.log_options.get("awslogs-group") or DEFAULT_LOG_GROUP
        return self.log_options.get("awslogs-group") or DEFAULT_LOG_GROUP

    @property
    def children_done(self) -> int:
        s = self.array_status_summary
        return int(s.get("SUCCEEDED", 0)) + int(s.get("FAILED", 0))

    def masked_environment(self, reveal: bool = False) -> list[tuple[str, str]]:
        return [(n, v if reveal or not is_secret_name(n) else MASK) for n, v in self.environment]

    @classmethod
    def from_api(cls, data: ApiDict) -> JobDetail:
        container: ApiDict = data.get("container") or {}
        requirements: list[ApiDict] = container.get("resourceRequirements") or []
        vcpus = next((str(r.get("value")) for r in requirements if r.get("type") == "VCPU"), None)
        memory = next((str(r.get("value")) for r in requirements if r.get("type") == "MEMORY"), None)
        if vcpus is None and container.get("vcpus") is not None:
            vcpus = str(container["vcpus"])
        if memory is None and container.get("memory") is not None:
            memory = str(container["memory"])
        attempts = tuple(Attempt.from_api(a) for a in data.get("attempts") or ())
        summary = JobSummary.from_api(data)
        if summary.exit_code is None and attempts and attempts[-1].exit_code is not None:
            summary = _with_exit_code(summary, attempts[-1].exit_code)
        log: ApiDict = container.get("logConfiguration") or {}
        array: ApiDict = data.get("arrayProperties") or {}
        capabilities = data.get("platformCapabilities") or []
        return cls(
            summary=summary,
            attempts=attempts,
            image=str(container.get("image") or ""),
            command=tuple(str(c) for c in container.get("command") or ()),
            vcpus=vcpus,
            memory_mib=memory,
            environment=tuple(
                (str(e.get("name", "")), str(e.get("value", ""))) for e in container.get("environment") or ()
            ),
            secrets=tuple(
                (str(s.get("name", "")), str(s.get("valueFrom", ""))) for s in container.get("secrets") or ()
            ),
            parameters={str(k): str(v) for k, v in (data.get("parameters") or {}).items()},
            depends_on=tuple(
                Dependency(str(d.get("jobId", "")), str(d.get("type") or ""))
                for d in data.get("dependsOn") or ()
            ),
            array_status_summary={str(k): int(v) for k, v in (array.get("statusSummary") or {}).items()},
            tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()},
            platform=str(capabilities[0]) if capabilities else "",
            log_stream=str(container.get("logStreamName") or (attempts[-1].log_stream if attempts else "")),
            log_driver=str(log.get("logDriver") or ""),
            log_options={str(k): str(v) for k, v in (log.get("options") or {}).items()},
            retry_attempts=(data.get("retryStrategy") or {}).get("attempts"),
            timeout_s=(data.get("timeout") or {}).get("attemptDurationSeconds"),
            raw=data,
        )


def _with_exit_code(summary: JobSummary, exit_code: int) -> JobSummary:
    from dataclasses import replace

    return replace(summary, exit_code=exit_code)
