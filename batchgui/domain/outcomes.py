"""What sending SubmitJob requests came to: one type for a single job and for a CSV submission."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubmitOutcome:
    """The result of sending one or more SubmitJob requests.

    A single job (the Submit dialog): `job_id` and `name`, or `error` when it was refused. A CSV
    submission: its id and the counts of what was sent.
    """

    submitted: int = 0
    total: int = 0
    failed: int = 0
    throttled: int = 0
    calls: int = 0
    seconds: float = 0.0
    submission_id: str = ""
    job_id: str = ""
    name: str = ""
    error: str = ""

    @classmethod
    def job(cls, job_id: str, name: str) -> SubmitOutcome:
        """One job accepted."""
        return cls(submitted=1, total=1, calls=1, job_id=job_id, name=name)

    @classmethod
    def refused(cls, name: str, error: str) -> SubmitOutcome:
        """One job refused (or not sent), with the plain reason."""
        return cls(total=1, failed=1, calls=1, name=name, error=error)

    @property
    def unsent(self) -> int:
        """Requests neither accepted nor refused (stopped, or the network went away)."""
        return self.total - self.submitted - self.failed
