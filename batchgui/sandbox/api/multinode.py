"""Multi-node parallel jobs: job definitions of type `multinode` (`nodeProperties` with node ranges),
SubmitJob of them (with `nodeOverrides`), their nodes in DescribeJobs and ListJobs
(`multiNodeJobId`).

A multi-node job is stored like an array parent whose children are its nodes, `jobId#N`
(N = 0 … numNodes-1): each node is one host process, placed on the job queue's EC2 environments
with its node range's vCPUs and memory, and started with its range's container and
`AWS_BATCH_JOB_NODE_INDEX`, `AWS_BATCH_JOB_NUM_NODES`, `AWS_BATCH_JOB_MAIN_NODE_INDEX` and, on the
nodes other than the main one, `AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS` (127.0.0.1: every node
runs on this machine, so they reach each other on loopback; give each node its own port).

The job ends with its main node (node_groups.py): its status, exit code and reason are the main
node's, and the other nodes are stopped. While it runs, DescribeJobs shows its status from its
nodes' (RUNNABLE, STARTING, RUNNING); its row stays PENDING, so ListJobs by status lists it as
PENDING until it ends. Its nodes start all at once, when all of them fit (node_groups.py), as AWS
places them.
"""

from __future__ import annotations

import json
import uuid

from batchgui.sandbox import sql
from batchgui.sandbox.api import job_definitions, job_listing, jobs
from batchgui.sandbox.api.common import (
    ClientError,
    Context,
    Json,
    Operation,
    accepting_queue,
    arn,
    check_resource_name,
    check_retry,
    check_timeout,
    dumps,
    now_ms,
)

MAX_NODES = 1000
MAIN_NODE_IP = "127.0.0.1"
UNSUPPORTED_IN_RANGE = ("ecsProperties", "eksProperties", "consumableResourceProperties")
NODE_INSERT = (
    "INSERT INTO jobs (job_id, name, queue, status, created_at, runnable_at, job_def, child, parent_id, "
    "array_index, vcpus, memory, share) VALUES (?,?,?,'RUNNABLE',?,?,?,1,?,?,?,?,?)"
)
SUMMARY_INSERT = "INSERT OR REPLACE INTO array_summary (parent_id, status, n) VALUES (?, 'RUNNABLE', ?)"
MULTINODE_AMONG = (
    "SELECT job_id FROM jobs WHERE json_extract(spec, '$.nodeProperties') IS NOT NULL AND job_id IN "
)


# ---- node ranges --------------------------------------------------------------------------------
def parse_range(text: str, num_nodes: int) -> tuple[int, int]:
    """`targetNodes`: "2", "0:", ":3", "1:4" (inclusive) -> (first, last)."""
    try:
        if ":" not in text:
            first = last = int(text)
        else:
            start, _, end = text.partition(":")
            first = int(start) if start else 0
            last = int(end) if end else num_nodes - 1
    except ValueError:
        raise ClientError(f"Invalid targetNodes {text!r}: use N, N:, :N or N:M") from None
    if not 0 <= first <= last < num_nodes:
        raise ClientError(f"targetNodes {text!r} is outside nodes 0 to {num_nodes - 1}")
    return first, last


def check_node_properties(props: Json) -> Json:
    num = props["numNodes"]
    if not 1 <= num <= MAX_NODES:
        raise ClientError(f"nodeProperties.numNodes must be between 1 and {MAX_NODES}")
    if not 0 <= props["mainNode"] < num:
        raise ClientError("nodeProperties.mainNode must be one of the nodes (0 to numNodes-1)")
    covered: dict[int, str] = {}
    ranges: list[Json] = []
    for rng in props["nodeRangeProperties"]:
        for key in UNSUPPORTED_IN_RANGE:
            if key in rng:
                raise ClientError(f"nodeRangeProperties.{key} is not supported by the local sandbox")
        if "container" not in rng:
            raise ClientError(f"nodeRangeProperties {rng['targetNodes']!r} needs a container")
        first, last = parse_range(rng["targetNodes"], num)
        for node in range(first, last + 1):
            if node in covered:
                raise ClientError(
                    f"Node {node} is in two node ranges ({covered[node]!r} and {rng['targetNodes']!r})"
                )
            covered[node] = rng["targetNodes"]
        job_definitions.check_container(rng["container"], "EC2")
        ranges.append({**rng, "container": job_definitions.normalize_container(rng["container"], "EC2")})
    missing = [n for n in range(num) if n not in covered]
    if missing:
        raise ClientError(f"Nodes {missing[:10]} are in no node range (nodeRangeProperties.targetNodes)")
    return {"numNodes": num, "mainNode": props["mainNode"], "nodeRangeProperties": ranges}


# ---- RegisterJobDefinition ----------------------------------------------------------------------
def register_job_definition(ctx: Context, p: Json) -> Json:
    """RegisterJobDefinition of type multinode (routing.py sends the others on)."""
    name = p["jobDefinitionName"]
    check_resource_name(name, "jobDefinitionName")
    if "nodeProperties" not in p:
        raise ClientError("nodeProperties must be specified for a multinode job definition")
    if "containerProperties" in p:
        raise ClientError("containerProperties can't be specified for a multinode job definition")
    if "consumableResourceProperties" in p:
        raise ClientError("consumableResourceProperties of multi-node job definitions are not supported yet")
    if list(p.get("platformCapabilities") or ["EC2"]) != ["EC2"]:
        raise ClientError("Multi-node parallel job definitions can only use the EC2 platform capability")
    props = check_node_properties(p["nodeProperties"])
    check_retry(p.get("retryStrategy"))
    check_timeout(ctx, p.get("timeout"))
    body = {"nodeProperties": props, "platformCapabilities": ["EC2"]}
    return job_definitions.save_revision(ctx, p, "multinode", body)


# ---- SubmitJob ----------------------------------------------------------------------------------
def _node_overrides(p: Json, num: int) -> tuple[int, list[tuple[tuple[int, int], Json]]]:
    overrides = p.get("nodeOverrides") or {}
    num = int(overrides.get("numNodes", num))
    out = []
    for item in overrides.get("nodePropertyOverrides") or []:
        out.append((parse_range(item["targetNodes"], num), dict(item.get("containerOverrides") or {})))
    return num, out


def submit_multinode(ctx: Context, p: Json, jd: Json) -> Json:
    for unsupported in ("arrayProperties", "containerOverrides", "dependsOn", "eksPropertiesOverride"):
        if p.get(unsupported):
            raise ClientError(
                f"{unsupported} can't be used with a multi-node parallel job in the local sandbox"
            )
    name = p["jobName"]
    check_retry(p.get("retryStrategy"))
    check_timeout(ctx, p.get("timeout"))
    props = jd["nodeProperties"]
    num, overrides = _node_overrides(p, props["numNodes"])
    if not props["mainNode"] < num or num > MAX_NODES:
        raise ClientError("nodeOverrides.numNodes must leave the main node in the job and be at most 1000")
    job_id = str(uuid.uuid4())
    created = now_ms()
    with ctx.store.write() as conn:
        q = accepting_queue(conn, p["jobQueue"])
        if q.get("jobQueueType") == "ECS_FARGATE":
            raise ClientError(
                "Multi-node parallel jobs can't run on Fargate: use a job queue of EC2 resources"
            )
        share = p.get("shareIdentifier")
        if bool(q.get("schedulingPolicyArn")) != bool(share):
            raise ClientError(
                "shareIdentifier must be given exactly when the job queue has a fair-share policy"
            )
        nodes: list[Json] = []  # per node range and override: first, last, container, resources
        ranges = []
        for rng in props["nodeRangeProperties"]:
            first, last = _clip(rng["targetNodes"], props["numNodes"], num)
            if first > last:
                continue
            for lo, hi, container_overrides in _pieces(first, last, overrides):
                fake = {**jd, "containerProperties": rng["container"], "platformCapabilities": ["EC2"]}
                view = jobs.job_spec(job_id, name, q, fake, p, container_overrides, None, [])
                vcpus, memory = view.pop("_resources")
                nodes.append(
                    {"first": lo, "last": hi, "container": view["container"], "resources": [vcpus, memory]}
                )
            ranges.append({**rng, "targetNodes": f"{first}:{last}" if first != last else str(first)})
        main_view = node_for(nodes, props["mainNode"])
        fake = {**jd, "containerProperties": main_view["container"], "platformCapabilities": ["EC2"]}
        spec = jobs.job_spec(job_id, name, q, fake, p, {}, None, [])
        spec.pop("_resources")
        spec["container"] = main_view["container"]
        spec["nodeProperties"] = {
            "numNodes": num,
            "mainNode": props["mainNode"],
            "nodeRangeProperties": ranges,
        }
        spec["_nodes"] = nodes
        conn.execute(
            sql.JOB_INSERT,
            (
                job_id,
                name,
                q["jobQueueArn"],
                "PENDING",
                created,
                jd["jobDefinitionArn"],
                num,
                0,
                0,
                0,
                dumps(spec),
                share,
            ),
        )
        rows = []
        for index in range(num):
            vcpus, memory = node_for(nodes, index)["resources"]
            rows.append(
                (
                    f"{job_id}#{index}",
                    name,
                    q["jobQueueArn"],
                    created,
                    created,
                    jd["jobDefinitionArn"],
                    job_id,
                    index,
                    vcpus,
                    memory,
                    share,
                )
            )
        conn.executemany(NODE_INSERT, rows)
        conn.execute(SUMMARY_INSERT, (job_id, num))
    ctx.engine.node_groups.add(job_id)
    ctx.engine.wake()
    return {"jobArn": arn("job", job_id), "jobName": name, "jobId": job_id}


def _pieces(
    first: int, last: int, overrides: list[tuple[tuple[int, int], Json]]
) -> list[tuple[int, int, Json]]:
    """Nodes first..last split where different nodePropertyOverrides apply (the last one that
    names a node wins)."""
    out: list[tuple[int, int, Json]] = []
    for node in range(first, last + 1):
        hits = [i for i, ((lo, hi), _) in enumerate(overrides) if lo <= node <= hi]
        chosen = hits[-1] if hits else -1
        found = overrides[chosen][1] if chosen >= 0 else {}
        if out and out[-1][1] == node - 1 and out[-1][2] is found:
            out[-1] = (out[-1][0], node, found)
        else:
            out.append((node, node, found))
    return out


def _clip(target: str, defined: int, num: int) -> tuple[int, int]:
    """A job definition's node range, for a job of `num` nodes (nodeOverrides.numNodes)."""
    first, last = parse_range(target, defined)
    if last == defined - 1 and target.endswith(":"):
        last = num - 1
    return first, min(last, num - 1)


def node_for(nodes: list[Json], index: int) -> Json:
    for node in nodes:
        if node["first"] <= index <= node["last"]:
            return node
    raise ClientError(f"Node {index} is in no node range")


# ---- what the executor starts -------------------------------------------------------------------
def node_view(spec: Json, index: int | None) -> tuple[Json, dict[str, str]]:
    """For a node of a multi-node job: its range's container and the AWS_BATCH_* node variables;
    any other job: itself, no variables."""
    props = spec.get("nodeProperties")
    if props is None or index is None:
        return spec, {}
    node = node_for(spec["_nodes"], index)
    env = {
        "AWS_BATCH_JOB_NODE_INDEX": str(index),
        "AWS_BATCH_JOB_NUM_NODES": str(props["numNodes"]),
        "AWS_BATCH_JOB_MAIN_NODE_INDEX": str(props["mainNode"]),
    }
    if index != props["mainNode"]:
        env["AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS"] = MAIN_NODE_IP
    return {**spec, "container": node["container"]}, env


# ---- DescribeJobs and ListJobs ------------------------------------------------------------------
def _node_index(job_id: str) -> int | None:
    head, sep, tail = job_id.rpartition("#")
    return int(tail) if sep and head and tail.isdigit() else None


def _parent_specs(ctx: Context, ids: set[str]) -> dict[str, Json]:
    if not ids:
        return {}
    with ctx.store.read() as conn:
        rows = conn.execute(
            f"SELECT job_id, spec FROM jobs WHERE job_id IN ({','.join('?' * len(ids))})", sorted(ids)
        ).fetchall()
    return {job_id: json.loads(text) for job_id, text in rows if text and '"nodeProperties"' in text}


def describe_jobs(ctx: Context, p: Json) -> Json:
    answer = job_listing.describe_jobs(ctx, p)
    parents = _parent_specs(
        ctx,
        {
            j["jobId"].rpartition("#")[0] if _node_index(j["jobId"]) is not None else j["jobId"]
            for j in answer["jobs"]
        },
    )
    for job in answer["jobs"]:
        index = _node_index(job["jobId"])
        if index is not None and job["jobId"].rpartition("#")[0] in parents:
            parent = parents[job["jobId"].rpartition("#")[0]]
            props = parent["nodeProperties"]
            job.pop("arrayProperties", None)
            job.pop("nodeProperties", None)
            runtime = job.get("container") or {}
            container = dict(node_for(parent["_nodes"], index)["container"])
            for key in ("exitCode", "reason", "logStreamName", "taskArn", "containerInstanceArn"):
                if key in runtime:
                    container[key] = runtime[key]
            job["container"] = container
            job["nodeDetails"] = {"nodeIndex": index, "isMainNode": index == props["mainNode"]}
        elif job["jobId"] in parents:
            summary = (job.pop("arrayProperties", None) or {}).get("statusSummary") or {}
            ended = {
                k: v for k, v in (job.pop("container", None) or {}).items() if k in ("exitCode", "reason")
            }
            if ended:
                job["container"] = ended  # the main node's
            if job["status"] == "PENDING":
                for status in ("RUNNING", "STARTING", "RUNNABLE"):
                    if summary.get(status):
                        job["status"] = status
                        break
    return answer


def list_jobs(ctx: Context, p: Json) -> Json:
    multi = p.get("multiNodeJobId")
    if not multi:
        answer = job_listing.list_jobs(ctx, p)
        sized = {s["jobId"] for s in answer["jobSummaryList"] if "size" in (s.get("arrayProperties") or {})}
        parents = _parent_specs(ctx, sized)
        for s in answer["jobSummaryList"]:
            if s["jobId"] in parents:
                s.pop("arrayProperties")
                s["nodeProperties"] = {"numNodes": parents[s["jobId"]]["nodeProperties"]["numNodes"]}
        return answer
    if p.get("jobQueue") or p.get("arrayJobId"):
        raise ClientError("Exactly one of jobQueue, arrayJobId or multiNodeJobId must be specified")
    parents = _parent_specs(ctx, {multi})
    if multi not in parents:
        raise ClientError(f"Job {multi} is not a multi-node parallel job")
    main = parents[multi]["nodeProperties"]["mainNode"]
    answer = job_listing.list_jobs(
        ctx, {**{k: v for k, v in p.items() if k != "multiNodeJobId"}, "arrayJobId": multi}
    )
    for s in answer["jobSummaryList"]:
        index = _node_index(s["jobId"])
        s.pop("arrayProperties", None)
        if index is not None:
            s["nodeProperties"] = {"nodeIndex": index, "isMainNode": index == main}
    return answer


OPERATIONS: dict[str, Operation] = {
    "DescribeJobs": describe_jobs,
    "ListJobs": list_jobs,
}

__all__ = ["OPERATIONS", "node_view"]
