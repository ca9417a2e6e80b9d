"""Front door of the sandbox. First cut: moto's server app with seed data.

The sandbox issue replaces the Batch and Logs parts with the sandbox's own implementation.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REGION = "us-east-1"


@dataclass
class RunningSandbox:
    endpoint_url: str
    region: str
    access_key_id: str
    secret_access_key: str
    data_dir: Path
    _server: Any = field(repr=False, default=None)

    def connection_info(self) -> dict[str, str]:
        return {
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "data_dir": str(self.data_dir),
        }

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def start_in_process(
    data_dir: Path, host: str = "127.0.0.1", port: int = 0, seed: bool = True
) -> RunningSandbox:
    from moto.server import ThreadedMotoServer

    data_dir.mkdir(parents=True, exist_ok=True)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    sandbox = RunningSandbox(
        endpoint_url=f"http://{bound_host}:{bound_port}",
        region=REGION,
        access_key_id="AKIA" + secrets.token_hex(8).upper(),
        secret_access_key=secrets.token_urlsafe(30),
        data_dir=data_dir,
        _server=server,
    )
    info_path = data_dir / "connection.json"
    info_path.write_text(json.dumps(sandbox.connection_info()))
    os.chmod(info_path, 0o600)
    if seed:
        _seed(sandbox)
    return sandbox


def _seed(sandbox: RunningSandbox) -> None:
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
        region_name=sandbox.region,
    )
    batch = session.client("batch", endpoint_url=sandbox.endpoint_url)
    iam = session.client("iam", endpoint_url=sandbox.endpoint_url)
    ec2 = session.client("ec2", endpoint_url=sandbox.endpoint_url)
    role = iam.create_role(RoleName="batch-service", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="batch", Description="batch", VpcId=vpc)["GroupId"]
    batch.create_compute_environment(
        computeEnvironmentName="fargate-demo",
        type="MANAGED",
        state="ENABLED",
        computeResources={"type": "FARGATE", "maxvCpus": 16, "subnets": [subnet], "securityGroupIds": [sg]},
        serviceRole=role,
    )
    batch.create_job_queue(
        jobQueueName="demo-queue",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "fargate-demo"}],
    )
    batch.register_job_definition(
        jobDefinitionName="csv-row-processor",
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={
            "image": "public.ecr.aws/docker/library/python:3.11",
            "command": ["python", "-m", "batchgui.sandbox.demo.processor"],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
            "executionRoleArn": role,
        },
    )
