"""Job definitions: Register (a new revision per name), Deregister, Describe. Container jobs only;
Fargate definitions are checked against domain/fargate.py's vCPU/memory combinations."""

from __future__ import annotations

import json

from batchgui.domain.fargate import fargate_problems
from batchgui.sandbox import sql
from batchgui.sandbox.api.common import (
    ClientError,
    Context,
    Json,
    Operation,
    arn,
    check_reserved_env,
    check_resource_name,
    check_retry,
    check_timeout,
    container_resources,
    dumps,
    jobdef_row,
    page,
)


def check_fargate_size(vcpus: float, memory: int) -> None:
    if fargate_problems(vcpus, memory):
        raise ClientError(f"Fargate doesn't support {vcpus:g} vCPU with {memory} MiB of memory")


def register_job_definition(ctx: Context, p: Json) -> Json:
    name = p["jobDefinitionName"]
    check_resource_name(name, "jobDefinitionName")
    if p["type"] != "container":
        raise ClientError(
            f"Job definition type {p['type']!r} is not supported by the local sandbox (use container)"
        )
    for unsupported in (
        "nodeProperties",
        "eksProperties",
        "ecsProperties",
    ):
        if unsupported in p:
            raise ClientError(f"{unsupported} is not supported by the local sandbox")
    container = p.get("containerProperties")
    if container is None:
        raise ClientError("containerProperties must be specified for a container job definition")
    caps = list(p.get("platformCapabilities") or ["EC2"])
    if len(caps) != 1 or caps[0] not in ("EC2", "FARGATE"):
        raise ClientError("platformCapabilities must be exactly one of EC2 or FARGATE")
    check_container(container, caps[0])
    check_retry(p.get("retryStrategy"))
    check_timeout(ctx, p.get("timeout"))
    body = {"containerProperties": normalize_container(container, caps[0]), "platformCapabilities": caps}
    return save_revision(ctx, p, "container", body)


def save_revision(ctx: Context, p: Json, jd_type: str, body: Json) -> Json:
    """Store the next revision of `p`'s job definition: `body` (its properties) and the fields
    every type shares; RegisterJobDefinition's answer."""
    name = p["jobDefinitionName"]
    with ctx.store.write() as conn:
        (rev,) = conn.execute(sql.JOBDEF_NEXT_REVISION, (name,)).fetchone()
        jd: Json = {
            "jobDefinitionName": name,
            "jobDefinitionArn": arn("job-definition", f"{name}:{rev}"),
            "revision": rev,
            "status": "ACTIVE",
            "type": jd_type,
            "parameters": dict(p.get("parameters") or {}),
            **body,
            "tags": dict(p.get("tags") or {}),
            "propagateTags": bool(p.get("propagateTags", False)),
            "containerOrchestrationType": "ECS",
        }
        for key in ("retryStrategy", "timeout", "schedulingPriority", "consumableResourceProperties"):
            if key in p:
                jd[key] = p[key]
        conn.execute(sql.JOBDEF_INSERT, (jd["jobDefinitionArn"], name, rev, "ACTIVE", dumps(jd)))
    return {"jobDefinitionName": name, "jobDefinitionArn": jd["jobDefinitionArn"], "revision": rev}


def normalize_container(container: Json, platform: str) -> Json:
    out = dict(container)
    out.setdefault("privileged", False)
    out.setdefault("readonlyRootFilesystem", False)
    if platform == "FARGATE":
        out.setdefault("fargatePlatformConfiguration", {"platformVersion": "LATEST"})
        out.setdefault("networkConfiguration", {"assignPublicIp": "DISABLED"})
    for key in ("volumes", "environment", "mountPoints", "ulimits", "secrets"):
        out.setdefault(key, [])
    out.setdefault("resourceRequirements", [])
    return out


def check_container(container: Json, platform: str) -> None:
    command = container.get("command")
    if command is not None and not command:
        raise ClientError("containerProperties.command must not be empty")
    vcpus, memory = container_resources(container)
    if vcpus <= 0:
        raise ClientError("containerProperties must specify vCPUs (resourceRequirements VCPU or vcpus)")
    if memory <= 0:
        raise ClientError("containerProperties must specify memory (resourceRequirements MEMORY or memory)")
    if platform == "FARGATE":
        if container.get("vcpus") is not None or container.get("memory") is not None:
            raise ClientError("Fargate job definitions must use resourceRequirements, not vcpus/memory")
        check_fargate_size(vcpus, memory)
    elif vcpus != int(vcpus):
        raise ClientError("EC2 jobs need a whole number of vCPUs")
    check_reserved_env(container.get("environment"))


def deregister_job_definition(ctx: Context, p: Json) -> Json:
    ref = p["jobDefinition"]
    with ctx.store.write() as conn:
        jd = jobdef_row(conn, ref)  # a bare name: its latest ACTIVE revision, as AWS's CLI example does
        if jd is None:
            raise ClientError(f"Job definition {ref} does not exist")
        jd["status"] = "INACTIVE"
        conn.execute(sql.JOBDEF_DEACTIVATE, (dumps(jd), jd["jobDefinitionArn"]))
    return {}


def describe_job_definitions(ctx: Context, p: Json) -> Json:
    refs = p.get("jobDefinitions") or []
    if len(refs) > 100:
        raise ClientError("jobDefinitions can name at most 100 job definitions")
    status = p.get("status")
    if status is not None and status not in ("ACTIVE", "INACTIVE"):
        raise ClientError("status must be ACTIVE or INACTIVE")
    query, args = sql.describe_job_definitions(refs, p.get("jobDefinitionName"), status)
    with ctx.store.read() as conn:
        rows = [json.loads(d) for (d,) in conn.execute(query, args)]
    return page(rows, p, "jobDefinitions", default_max=100)


OPERATIONS: dict[str, Operation] = {
    "RegisterJobDefinition": register_job_definition,
    "DeregisterJobDefinition": deregister_job_definition,
    "DescribeJobDefinitions": describe_job_definitions,
}
