"""What a connection is: the local sandbox, or an AWS profile, plus a region and an optional endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ConnectionKind(StrEnum):
    LOCAL = "local"
    PROFILE = "profile"


class CredentialSource(StrEnum):
    STATIC = "static keys"
    SSO = "SSO"
    ASSUME_ROLE = "assume role"
    PROCESS = "credential process"
    ENVIRONMENT = "environment"
    OTHER = "other"


@dataclass(frozen=True)
class ProfileInfo:
    name: str
    source: CredentialSource
    region: str | None = None
    endpoint_url: str | None = None
    mfa_serial: str | None = None

    @property
    def login_hint(self) -> str:
        if self.source is CredentialSource.SSO:
            return f"Run `aws sso login --profile {self.name}` and reconnect."
        if self.source is CredentialSource.ASSUME_ROLE and self.mfa_serial:
            return "Reconnect and enter a fresh MFA code."
        return f"Check the credentials of profile '{self.name}' (`aws configure --profile {self.name}`)."


@dataclass(frozen=True)
class ConnectionSpec:
    kind: ConnectionKind
    region: str
    profile: str | None = None
    endpoint_url: str | None = None

    @staticmethod
    def local() -> ConnectionSpec:
        return ConnectionSpec(kind=ConnectionKind.LOCAL, region="us-east-1")

    @property
    def label(self) -> str:
        if self.kind is ConnectionKind.LOCAL:
            return "Local sandbox"
        where = f" @ {self.endpoint_url}" if self.endpoint_url else ""
        return f"{self.profile or 'default'} ({self.region}){where}"


@dataclass(frozen=True)
class LocalEndpoint:
    """Where the embedded sandbox listens and the keys it accepts."""

    endpoint_url: str
    region: str
    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:  # never print the secret
        return f"LocalEndpoint(endpoint_url={self.endpoint_url!r}, region={self.region!r})"


@dataclass(frozen=True)
class CallerIdentity:
    account: str
    arn: str


@dataclass(frozen=True)
class ConnectionInfo:
    """What the UI may know of the open connection: where it goes and who it is, never its clients."""

    spec: ConnectionSpec
    identity: CallerIdentity | None = None

    @property
    def is_local(self) -> bool:
        return self.spec.kind is ConnectionKind.LOCAL

    @property
    def label(self) -> str:
        return self.spec.label
