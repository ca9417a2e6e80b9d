"""IAM gateway: roles for compute environments and job definitions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchgui.aws.gateway import Gateway
from batchgui.domain.network import Role

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient  # noqa: F401 - named in the base class below

__all__ = ["IamGateway", "Role"]


class IamGateway(Gateway["IAMClient"]):
    """Synchronous; call through the Runner."""

    def list_roles(self) -> list[Role]:
        return [Role(r["RoleName"], r["Arn"]) for r in self._paged("list_roles", "Roles")]
