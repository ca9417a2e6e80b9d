from __future__ import annotations

from pathlib import Path

import pytest

from batchgui.aws.batch import BatchGateway
from batchgui.aws.session import AwsConnection, list_profiles, list_regions
from batchgui.domain.connection import ConnectionKind, ConnectionSpec, CredentialSource
from tests.support import TEST_KEY_ID, TEST_SECRET, MotoEndpoint, seed_batch, write_aws_files

CONFIG = """
[default]
region = eu-west-1

[profile sso-dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Dev
region = us-west-2

[sso-session corp]
sso_start_url = https://example.invalid/start
sso_region = us-east-1

[profile admin]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = default
mfa_serial = arn:aws:iam::123456789012:mfa/me

[profile proc]
credential_process = /bin/false

[profile local-moto]
region = us-east-1
endpoint_url = {endpoint}
"""


def test_profiles_are_read_with_their_credential_source(isolated_home: Path) -> None:
    write_aws_files(isolated_home, CONFIG.format(endpoint="http://127.0.0.1:1"))
    profiles = {p.name: p for p in list_profiles()}
    assert list_profiles()[0].name == "default"
    assert profiles["sso-dev"].source is CredentialSource.SSO
    assert profiles["sso-dev"].region == "us-west-2"
    assert "aws sso login --profile sso-dev" in profiles["sso-dev"].login_hint
    assert profiles["admin"].source is CredentialSource.ASSUME_ROLE
    assert profiles["admin"].mfa_serial == "arn:aws:iam::123456789012:mfa/me"
    assert profiles["proc"].source is CredentialSource.PROCESS
    assert profiles["local-moto"].endpoint_url == "http://127.0.0.1:1"


def test_regions_come_from_botocore_data() -> None:
    regions = list_regions()
    assert "us-east-1" in regions
    assert "eu-west-1" in regions
    assert regions == sorted(regions)


def test_profile_endpoint_url_is_honoured(isolated_home: Path, moto: MotoEndpoint) -> None:
    seed_batch(moto)
    write_aws_files(
        isolated_home,
        CONFIG.format(endpoint=moto.endpoint_url),
        f"[local-moto]\naws_access_key_id = {TEST_KEY_ID}\naws_secret_access_key = {TEST_SECRET}\n",
    )
    connection = AwsConnection(ConnectionSpec(ConnectionKind.PROFILE, "us-east-1", "local-moto"))
    try:
        queues = BatchGateway(connection.client("batch")).describe_job_queues()
        assert [q.name for q in queues] == ["demo-queue"]
        assert connection.client("batch") is connection.client("batch")
    finally:
        connection.close()


def test_service_specific_endpoint_environment_variable_is_honoured(
    isolated_home: Path, moto: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_batch(moto)
    write_aws_files(
        isolated_home,
        "[default]\nregion = us-east-1\n",
        f"[default]\naws_access_key_id = {TEST_KEY_ID}\naws_secret_access_key = {TEST_SECRET}\n",
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_BATCH", moto.endpoint_url)
    connection = AwsConnection(ConnectionSpec(ConnectionKind.PROFILE, "us-east-1", "default"))
    try:
        names = [d.name for d in BatchGateway(connection.client("batch")).describe_job_definitions()]
        assert names == ["demo-definition"]
    finally:
        connection.close()
