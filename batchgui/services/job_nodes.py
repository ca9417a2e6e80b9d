"""The nodes of multi-node parallel jobs in the job store, shown like array children.

A multi-node job (`num_nodes` set) expands into its nodes `jobId#N`: ListJobs by `multiNodeJobId`,
each status's pages side by side, through the store's budget. A node's row has its node index as
its index and says whether it is the main node. While a multi-node job is expanded and has not
ended, each poll lists its nodes again, so their statuses follow as array children's do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from batchgui.aws.batch import LIST_JOBS_PAGE, BatchGateway
from batchgui.domain.batch import JobStatus, JobSummary

if TYPE_CHECKING:
    from batchgui.services.job_store import JobStore

Call = Callable[..., Awaitable[Any]]
NODES = "multiNodeJobId"


def is_multinode(job: JobSummary | None) -> bool:
    """The multi-node job itself (not one of its nodes)."""
    return job is not None and job.num_nodes is not None and job.array_index is None


async def list_nodes(call: Call, gateway: BatchGateway, job_id: str, queue: str) -> list[JobSummary]:
    """Every node of the job, in every status (nodes' rows name no queue: they get the job's)."""

    async def chain(status: JobStatus) -> list[JobSummary]:
        rows: list[JobSummary] = []
        token: str | None = None
        while True:
            page, token = await call(
                gateway.list_array_children_page, job_id, status, token, LIST_JOBS_PAGE, NODES
            )
            rows += [replace(n, queue=queue) if not n.queue else n for n in page]
            if not token:
                return rows

    found = await asyncio.gather(*(chain(status) for status in JobStatus))
    return sorted((n for rows in found for n in rows), key=lambda n: n.array_index or 0)


async def expand(
    store: JobStore,
    call: Call,
    gateway: BatchGateway,
    job_id: str,
    on_page: Callable[[list[JobSummary]], None] | None = None,
) -> list[JobSummary]:
    """List the job's nodes into the store; nodes no longer listed are marked gone."""
    parent = store.get(job_id)
    nodes = await list_nodes(call, gateway, job_id, parent.queue if parent else "")
    store.put(nodes)
    if on_page is not None and nodes:
        on_page(nodes)
    listed = {n.job_id for n in nodes}
    store.mark_gone([n.job_id for n in store.children(job_id) if n.job_id not in listed])
    return store.children(job_id)


async def poll_expanded(store: JobStore, call: Call, gateway: BatchGateway) -> None:
    """List again the nodes of the expanded multi-node jobs that are still running."""
    for job_id in store.expanded:
        parent = store.get(job_id)
        if not is_multinode(parent):
            continue
        nodes = store.children(job_id)
        if parent is not None and parent.status.is_terminal and all(n.status.is_terminal for n in nodes):
            continue
        await expand(store, call, gateway, job_id)
