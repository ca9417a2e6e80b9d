"""EC2 gateway: subnets and security groups for compute environments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchgui.aws.gateway import Gateway
from batchgui.domain.network import SecurityGroup, Subnet

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client  # noqa: F401 - named in the base class below

__all__ = ["Ec2Gateway", "SecurityGroup", "Subnet"]


class Ec2Gateway(Gateway["EC2Client"]):
    """Synchronous; call through the Runner."""

    def describe_subnets(self) -> list[Subnet]:
        subnets: list[Subnet] = []
        for s in self._paged("describe_subnets", "Subnets"):
            tags = {t.get("Key", ""): t.get("Value", "") for t in s.get("Tags", [])}
            subnets.append(
                Subnet(
                    s.get("SubnetId", ""),
                    s.get("VpcId", ""),
                    s.get("AvailabilityZone", ""),
                    s.get("CidrBlock", ""),
                    tags.get("Name", ""),
                )
            )
        return subnets

    def describe_security_groups(self) -> list[SecurityGroup]:
        return [
            SecurityGroup(g.get("GroupId", ""), g.get("VpcId", ""), g.get("GroupName", ""))
            for g in self._paged("describe_security_groups", "SecurityGroups")
        ]
