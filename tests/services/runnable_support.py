"""What the RUNNABLE facade's tests on the real sandbox share: a boto3 Batch client of the sandbox,
the facade over it, and waiting for the sandbox to get somewhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import boto3
import pytest

from batchgui.aws.batch import BatchGateway
from batchgui.aws.batch_admin import BatchAdminGateway
from batchgui.aws.consumables import ConsumablesGateway
from batchgui.aws.training import TrainingGateway
from batchgui.services.connections import Backend, ConnectionManager
from batchgui.services.runnable import RunnableService
from batchgui.services.runner import Runner


def batch_client(sandbox: Any) -> Any:
    return boto3.client(
        "batch",
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
    )


def runnable_service(runner: Runner, client: Any) -> RunnableService:
    """The facade over the gateways it reads, as the app builds them, on one client."""
    manager = ConnectionManager(runner, start_local=lambda: pytest.fail("no local start here"))
    backend = SimpleNamespace(
        batch=BatchGateway(client),
        batch_admin=BatchAdminGateway(client),
        training=TrainingGateway(client),
        consumables=ConsumablesGateway(client),
    )
    manager.backend = cast(Backend, backend)
    return RunnableService(runner, manager)


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
