"""Fixtures of the services tests that run on the real sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from batchgui.aws.batch import BatchGateway
from batchgui.aws.errors import translate
from batchgui.services.runner import Runner


@pytest.fixture
def runner() -> Iterator[Runner]:
    made = Runner(workers=4, translate=translate)
    yield made
    made.close()


@pytest.fixture
def quick(tmp_path: Path) -> Iterator[Any]:
    """The sandbox with short simulated delays and no demo data."""
    from batchgui.sandbox import SandboxSettings, start_in_process

    settings = SandboxSettings(transition_delay_s=0.05, fargate_start_delay_s=0.1, ec2_provision_delay_s=0.2)
    running = start_in_process(tmp_path / "sandbox", seed=False, settings=settings)
    yield running
    running.stop()


@pytest.fixture
def sandbox_batch(quick: Any) -> BatchGateway:
    """The Batch gateway of the quick sandbox, as the app builds one."""
    from tests.support import endpoint_client

    return BatchGateway(endpoint_client("batch", quick))
