from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from batchgui.domain.connection import ConnectionKind, ConnectionSpec
from batchgui.domain.errors import MissingCredentials
from batchgui.services.connections import Backend, ConnectionManager
from batchgui.services.runner import Runner
from tests.support import TEST_KEY_ID, TEST_SECRET, MotoEndpoint, seed_batch, write_aws_files


@pytest.fixture
def runner() -> Iterator[Runner]:
    made = Runner(workers=4)
    yield made
    made.close()


def test_local_connection_starts_the_sandbox_once(
    runner: Runner, moto: MotoEndpoint, run_async: Callable[..., Any]
) -> None:
    seed_batch(moto)
    starts: list[int] = []

    def start_local() -> Any:
        starts.append(1)
        return moto.local()

    manager = ConnectionManager(runner, start_local)
    changes: list[Backend | None] = []
    manager.changed.add(changes.append)
    try:
        backend = run_async(manager.connect(ConnectionSpec.local()))
        assert backend.is_local
        assert backend.identity is not None
        assert backend.identity.account
        names = run_async(runner.run(backend.batch.describe_job_queues))
        assert [q.name for q in names] == ["demo-queue"]
        run_async(manager.connect(ConnectionSpec.local()))
        assert starts == [1]
        assert len(changes) == 2
    finally:
        manager.close()


def test_missing_credentials_raise_a_plain_error(
    runner: Runner, moto: MotoEndpoint, isolated_home: Path, run_async: Callable[..., Any]
) -> None:
    write_aws_files(isolated_home, "[profile empty]\nregion = us-east-1\n")
    manager = ConnectionManager(runner, moto.local)
    try:
        spec = ConnectionSpec(ConnectionKind.PROFILE, "us-east-1", "empty", moto.endpoint_url)
        with pytest.raises(MissingCredentials) as raised:
            run_async(manager.connect(spec))
        assert "aws configure" in raised.value.message()
    finally:
        manager.close()


def test_assume_role_with_mfa_asks_the_ui_for_the_code(
    runner: Runner, moto: MotoEndpoint, isolated_home: Path, run_async: Callable[..., Any]
) -> None:
    write_aws_files(
        isolated_home,
        "[profile base]\nregion = us-east-1\n"
        f"endpoint_url = {moto.endpoint_url}\n\n"
        "[profile admin]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/admin\n"
        "source_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n"
        f"endpoint_url = {moto.endpoint_url}\n",
        f"[base]\naws_access_key_id = {TEST_KEY_ID}\naws_secret_access_key = {TEST_SECRET}\n",
    )
    prompts: list[str] = []

    async def ask(prompt: str) -> str | None:
        prompts.append(prompt)
        return "123456"

    manager = ConnectionManager(runner, moto.local, ask_mfa_code=ask)
    try:
        backend = run_async(manager.connect(ConnectionSpec(ConnectionKind.PROFILE, "us-east-1", "admin")))
        assert backend.identity is not None
        assert len(prompts) == 1
        assert "mfa" in prompts[0].lower()
    finally:
        manager.close()
    # The assumed-role credentials are cached where the AWS CLI caches them, never in our settings.
    assert list((isolated_home / ".aws" / "cli" / "cache").glob("*.json"))


def test_a_failing_connection_is_not_announced_and_the_previous_one_stays(
    runner: Runner, moto: MotoEndpoint, isolated_home: Path, run_async: Callable[..., Any]
) -> None:
    from batchgui.domain.errors import EndpointUnreachable

    write_aws_files(
        isolated_home,
        "[profile broken]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:9\n",
        f"[broken]\naws_access_key_id = {TEST_KEY_ID}\naws_secret_access_key = {TEST_SECRET}\n",
    )
    manager = ConnectionManager(runner, moto.local)
    statuses: list[str] = []
    changes: list[Backend | None] = []
    manager.status.add(statuses.append)
    manager.changed.add(changes.append)
    try:
        local = run_async(manager.connect(ConnectionSpec.local()))
        with pytest.raises(EndpointUnreachable):
            run_async(
                manager.connect(ConnectionSpec(ConnectionKind.PROFILE, "us-east-1", "broken")), timeout=60
            )
        assert manager.backend is local
        assert changes == [local]
        assert statuses[-1] == "Not connected: Cannot reach the endpoint (still using Local sandbox)"
        assert not any(s.startswith("Connected: broken") for s in statuses)
    finally:
        manager.close()


@pytest.mark.parametrize(
    "config",
    [
        # An sso_session the file does not define: botocore raises InvalidConfigError.
        "[profile brokensso]\nregion = us-east-1\nsso_session = nope\nsso_account_id = 123456789012\n"
        "sso_role_name = Admin\n",
    ],
)
def test_a_broken_sso_profile_says_what_to_run_and_the_bar_leaves_connecting(
    config: str, runner: Runner, moto: MotoEndpoint, isolated_home: Path, run_async: Callable[..., Any]
) -> None:
    write_aws_files(isolated_home, config)
    manager = ConnectionManager(runner, moto.local)
    statuses: list[str] = []
    manager.status.add(statuses.append)
    try:
        spec = ConnectionSpec(ConnectionKind.PROFILE, "us-east-1", "brokensso", moto.endpoint_url)
        with pytest.raises(MissingCredentials) as raised:
            run_async(manager.connect(spec), timeout=60)
        assert "aws sso login --profile brokensso" in raised.value.message()
        assert "nope" in raised.value.message()
        assert statuses[0] == "Connecting to brokensso (us-east-1) @ " + moto.endpoint_url + "…"
        assert statuses[-1].startswith("Not connected: ")
        assert manager.backend is None
    finally:
        manager.close()


def test_any_unexpected_failure_still_ends_the_connecting_status(
    runner: Runner, moto: MotoEndpoint, run_async: Callable[..., Any]
) -> None:
    def start_local() -> Any:
        raise RuntimeError("the sandbox could not start")

    manager = ConnectionManager(runner, start_local)
    statuses: list[str] = []
    manager.status.add(statuses.append)
    try:
        with pytest.raises(RuntimeError):
            run_async(manager.connect(ConnectionSpec.local()))
        assert statuses[-1] == "Not connected: RuntimeError"
    finally:
        manager.close()
