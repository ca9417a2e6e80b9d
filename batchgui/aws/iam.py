"""IAM gateway: roles for compute environments and job definitions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from batchgui.domain.network import Role

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

__all__ = ["IamGateway", "Role"]


@dataclass(frozen=True)
class IamGateway:
    """Synchronous; call through the Runner."""

    _client: IAMClient

    def list_roles(self) -> list[Role]:
        pages = self._client.get_paginator("list_roles").paginate()
        return [Role(r["RoleName"], r["Arn"]) for page in pages for r in page.get("Roles", [])]
