"""One `Problem` for everything the app checks: a request (at a JSON path) or a file (at a line).

Fargate rules, queue dialogs and job-definition forms place a problem by `path`; the CSV check places
it by `line` and says how bad it is. Both read the same way in a list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """Something wrong, and where: `path` in a request, or `line` (1-based physical line; 0: the whole
    file) in a file; `kind` names the rule that found it."""

    path: str
    message: str
    line: int = 0
    kind: str = ""
    severity: Severity = Severity.ERROR

    @classmethod
    def at_line(cls, line: int, kind: str, message: str, severity: Severity = Severity.WARNING) -> Problem:
        return cls("", message, line, kind, severity)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def choice_problems(path: str, value: str, choices: Sequence[str]) -> list[Problem]:
    """Nothing when `value` is one of `choices`; otherwise the problem that names them, at `path`."""
    return [] if value in choices else [Problem(path, f"must be one of {', '.join(choices)}")]
