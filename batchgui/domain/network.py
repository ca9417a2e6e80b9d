"""What a compute environment's network and roles are chosen from: subnets, security groups and IAM
roles as the EC2 and IAM gateways read them, and the set the wizard offers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Subnet:
    subnet_id: str
    vpc_id: str
    availability_zone: str
    cidr: str
    name: str = ""


@dataclass(frozen=True)
class SecurityGroup:
    group_id: str
    vpc_id: str
    name: str


@dataclass(frozen=True)
class Role:
    name: str
    arn: str


@dataclass(frozen=True)
class NetworkChoices:
    """What the compute-environment forms offer to pick from (read from EC2 and IAM while they are
    open); `note` says what could not be read and must be typed instead."""

    subnets: Sequence[Subnet] = ()
    security_groups: Sequence[SecurityGroup] = ()
    roles: Sequence[Role] = ()
    note: str = ""
    loading: bool = False
