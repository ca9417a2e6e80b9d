"""Sandbox settings: simulated delays and limits. Short by default so the demo feels alive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import botocore.session

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account, so ARNs from both halves agree


@dataclass(frozen=True)
class SandboxSettings:
    # Compute environment / queue status transitions (CREATING -> VALID, UPDATING -> VALID...).
    transition_delay_s: float = 0.5
    # Fargate: time from placement (STARTING) to the process starting (RUNNING).
    fargate_start_delay_s: float = 2.0
    # EC2/SPOT: time to "launch" a simulated instance, and to start a container on a ready one.
    ec2_provision_delay_s: float = 4.0
    ec2_start_delay_s: float = 0.5
    # An idle simulated instance is terminated after this long, down to the CE's minvCpus.
    ec2_idle_drain_s: float = 30.0
    # SIGTERM -> SIGKILL grace on timeout and TerminateJob (docker stop's default is 10 s).
    kill_grace_s: float = 10.0
    # AWS refuses job timeouts below 60 s; tests lower this to exercise timeouts quickly.
    min_timeout_s: int = 60
    # Engine loop granularity.
    tick_s: float = 0.05
    # Host safety cap on concurrently running job processes, whatever the CEs allow.
    max_processes: int = 512
    # Interpreter for a job's bare `python`/`python3` (default: this process's, sys.executable).
    python: str | None = None
    # Real-AWS mode (realaws.py): milliseconds added to every answer, as a network round trip to AWS
    # adds them; and Batch requests per second the whole sandbox accepts (0: no limit), above which
    # it answers TooManyRequestsException (429) as AWS does at about 50/s per account.
    latency_ms: float = 0.0
    account_rate: float = 0.0

    def __post_init__(self) -> None:
        import math

        if not (math.isfinite(self.latency_ms) and self.latency_ms >= 0):
            raise ValueError(f"latency_ms must be a number of milliseconds >= 0, not {self.latency_ms!r}")
        if not (math.isfinite(self.account_rate) and self.account_rate >= 0):
            raise ValueError(f"account_rate must be requests per second >= 0, not {self.account_rate!r}")


@dataclass(frozen=True)
class Endpoint:
    """Where the sandbox answers and in which region: what its jobs are told (their keys come from
    the per-job credentials endpoint, never from here)."""

    url: str
    region: str


def private_botocore_session() -> botocore.session.Session:
    """A botocore session that never reads the user's AWS profile, config or credentials files.

    The sandbox signs its own requests with its own generated keys and only needs botocore's
    service models; `AWS_PROFILE=prod` or a broken `~/.aws/config` on the host must not matter.
    """
    import os

    import botocore.session

    ignored: dict[str, tuple[Any, Any, Any, Any]] = {
        "profile": (None, None, None, None),
        "config_file": (None, None, os.devnull, None),
        "credentials_file": (None, None, os.devnull, None),
    }
    return botocore.session.Session(session_vars=ignored)
