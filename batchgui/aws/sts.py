"""STS: who am I, for the status bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchgui.aws.gateway import Gateway
from batchgui.domain.connection import CallerIdentity

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient  # noqa: F401 - named in the base class below


class StsGateway(Gateway["STSClient"]):
    def caller_identity(self) -> CallerIdentity:
        response = self._client.get_caller_identity()
        return CallerIdentity(account=response.get("Account", ""), arn=response.get("Arn", ""))
