"""The names AWS Batch accepts, in one place for the forms, the CSV planner and the sandbox.

Matched with `fullmatch`: a `$` anchor would also accept a name ending in a newline.
"""

from __future__ import annotations

import re

from batchgui.domain.problems import Problem

# Job names: up to 128 letters, numbers, hyphens and underscores, starting with a letter or number.
JOB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
# Compute environments, job queues, job definitions and scheduling policies: the same, as the
# forms ask for them. The sandbox accepts what AWS's API accepts for those (a leading - or _ too).
RESOURCE_NAME = JOB_NAME
API_RESOURCE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
NAME_RULE_TEXT = "1-128 letters, numbers, hyphens (-) and underscores (_), starting with a letter or number"


def is_job_name(name: str) -> bool:
    return JOB_NAME.fullmatch(name) is not None


def is_resource_name(name: str) -> bool:
    return RESOURCE_NAME.fullmatch(name) is not None


def is_api_resource_name(name: str) -> bool:
    return API_RESOURCE_NAME.fullmatch(name) is not None


def name_problems(path: str, name: str, *, job: bool = False) -> list[Problem]:
    """Nothing for a name Batch accepts (a job's name with `job`, else a resource's); otherwise the
    problem that says the rule, at `path` in the request."""
    accepted = is_job_name(name) if job else is_resource_name(name)
    return [] if accepted else [Problem(path, NAME_RULE_TEXT)]
