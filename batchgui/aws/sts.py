"""STS: who am I, for the status bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchgui.domain.connection import CallerIdentity

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient


class StsGateway:
    def __init__(self, client: STSClient) -> None:
        self._client = client

    def caller_identity(self) -> CallerIdentity:
        response = self._client.get_caller_identity()
        return CallerIdentity(account=response.get("Account", ""), arn=response.get("Arn", ""))
