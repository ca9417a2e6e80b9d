"""Helpers for tests: moto's server on loopback, seed data, AWS config files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from batchgui.domain.connection import LocalEndpoint

REGION = "us-east-1"
# moto accepts any keys; these are not secrets.
TEST_KEY_ID = "AKIATESTTESTTEST"
TEST_SECRET = "test-secret-not-real"


@dataclass(frozen=True)
class MotoEndpoint:
    endpoint_url: str
    region: str = REGION

    def local(self) -> LocalEndpoint:
        return LocalEndpoint(self.endpoint_url, self.region, TEST_KEY_ID, TEST_SECRET)

    def client(self, service: str) -> Any:
        return endpoint_client(
            service, LocalEndpoint(self.endpoint_url, self.region, TEST_KEY_ID, TEST_SECRET)
        )


def endpoint_client(service: str, where: Any, config: Any = None) -> Any:
    """A boto3 client of a server on loopback (moto, the sandbox) with its keys: `where` is a
    LocalEndpoint or a running sandbox (anything with their four fields)."""
    keys = {"aws_access_key_id": where.access_key_id, "aws_secret_access_key": where.secret_access_key}
    url, region = where.endpoint_url, where.region
    return boto3.client(service, endpoint_url=url, region_name=region, config=config, **keys)  # type: ignore[call-overload]


def start_moto() -> tuple[MotoEndpoint, Callable[[], None]]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return MotoEndpoint(f"http://{host}:{port}"), server.stop


def seed_batch(endpoint: MotoEndpoint, prefix: str = "demo") -> dict[str, str]:
    """One Fargate compute environment, a queue over it, and a job definition."""
    iam = endpoint.client("iam")
    ec2 = endpoint.client("ec2")
    batch = endpoint.client("batch")
    role = iam.create_role(RoleName=f"{prefix}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"{prefix}-sg", Description="batch", VpcId=vpc)["GroupId"]
    ce = batch.create_compute_environment(
        computeEnvironmentName=f"{prefix}-fargate",
        type="MANAGED",
        state="ENABLED",
        computeResources={
            "type": "FARGATE",
            "maxvCpus": 16,
            "subnets": [subnet],
            "securityGroupIds": [group],
        },
        serviceRole=role,
    )["computeEnvironmentArn"]
    queue = batch.create_job_queue(
        jobQueueName=f"{prefix}-queue",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}],
    )["jobQueueArn"]
    definition = batch.register_job_definition(
        jobDefinitionName=f"{prefix}-definition",
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={
            "image": "busybox",
            "command": ["echo", "hello"],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
            "executionRoleArn": role,
        },
    )["jobDefinitionArn"]
    return {"role": role, "subnet": subnet, "ce": ce, "queue": queue, "definition": definition}


def write_aws_files(home: Path, config: str, credentials: str = "") -> None:
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    (home / ".aws" / "config").write_text(config)
    (home / ".aws" / "credentials").write_text(credentials)


def fargate_queues(  # noqa: PLR0917 - a scenario's few knobs
    client: Any,
    max_vcpus: int = 8,
    queues: tuple[str, ...] = ("q",),
    seconds: float = 1.5,
    state: str = "ENABLED",
    definition: str = "one",
) -> list[str]:
    """A maxvCpus-`max_vcpus` Fargate environment, these queues on it, and a 1-vCPU/2 GiB Fargate
    definition `definition` that sleeps `seconds`: the array scenarios' setup."""
    ce = client.create_compute_environment(
        computeEnvironmentName="fargate-env",
        type="MANAGED",
        state=state,
        computeResources={
            "type": "FARGATE",
            "maxvCpus": max_vcpus,
            "subnets": ["s"],
            "securityGroupIds": ["g"],
        },
    )["computeEnvironmentArn"]
    client.register_job_definition(
        jobDefinitionName=definition,
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={
            "image": "busybox",
            "command": ["sleep", str(seconds)],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
        },
    )
    for name in queues:
        client.create_job_queue(
            jobQueueName=name, priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}]
        )
    return list(queues)
