"""Where RegisterJobDefinition, SubmitJob and CreateJobQueue go, by what they name: multi-node job
definitions and jobs to multinode.py, SAGEMAKER_TRAINING queues to service_jobs.py, everything else
to job_definitions.py, jobs.py and job_queues.py; consumable resource quantities are checked
(consumable_resources.py) on the way. A container job's SubmitJob is one write transaction: its
routing reads the queue and job definition in it, and jobs.py inserts the job with them."""

from __future__ import annotations

from batchgui.sandbox.api import (
    consumable_resources,
    job_definitions,
    job_queues,
    jobs,
    multinode,
    service_jobs,
)
from batchgui.sandbox.api.common import ClientError, Context, Json, Operation, jobdef_row, queue_row


def register_job_definition(ctx: Context, p: Json) -> Json:
    consumable_resources.check_requirements(
        ctx, p.get("consumableResourceProperties"), "consumableResourceProperties"
    )
    if p["type"] == "multinode":
        return multinode.register_job_definition(ctx, p)
    return job_definitions.register_job_definition(ctx, p)


def submit_job(ctx: Context, p: Json) -> Json:
    consumable_resources.check_requirements(
        ctx, p.get("consumableResourcePropertiesOverride"), "consumableResourcePropertiesOverride"
    )
    # One write transaction: the queue and job definition are read in it (never twice) and the
    # job inserted with them, committed before the answer.
    answer: Json | None = None
    with ctx.store.write() as conn:
        q = queue_row(conn, p["jobQueue"])
        jd = jobdef_row(conn, p["jobDefinition"], active_only=True)
        if q is not None and q.get("jobQueueType") == "SAGEMAKER_TRAINING":
            raise ClientError(
                f"Job queue {q['jobQueueName']} is a SAGEMAKER_TRAINING queue: submit service jobs to it "
                "(SubmitServiceJob)"
            )
        if jd is None or jd.get("type") != "multinode":
            if "nodeOverrides" in p:
                raise ClientError("nodeOverrides can only be used with a multinode job definition")
            answer = jobs.submit_job_locked(ctx, conn, p, q, jd)
    if answer is None and jd is not None:
        return multinode.submit_multinode(ctx, p, jd)  # a transaction of its own (rare)
    ctx.engine.wake()
    return answer or {}


def create_job_queue(ctx: Context, p: Json) -> Json:
    if service_jobs.is_service_queue_request(p):
        return service_jobs.create_job_queue(ctx, p)
    return job_queues.create_job_queue(ctx, p)


OPERATIONS: dict[str, Operation] = {
    "RegisterJobDefinition": register_job_definition,
    "SubmitJob": submit_job,
    "CreateJobQueue": create_job_queue,
}
