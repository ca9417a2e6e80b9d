"""Profiles, regions, and one connection's boto3 Session and clients.

A boto3 Session is not thread-safe, its clients are: each AwsConnection owns one Session, which is
created and used on that connection's own thread only; clients are made there once and then shared
by every worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchgui.domain.connection import (
    ConnectionKind,
    ConnectionSpec,
    CredentialSource,
    LocalEndpoint,
    ProfileInfo,
)

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config

# Asked in a worker thread with the prompt text; returns the MFA code the user typed.
MfaPrompter = Callable[[str], str]

CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 30
# Standard retry mode backs off on throttling; more attempts than the default 3 because Batch
# throttles at about 50 requests/s per account and a throttled refresh should not look like a failure.
MAX_ATTEMPTS = 6


def client_config() -> Config:
    from botocore.config import Config

    from batchgui import __version__

    return Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        max_pool_connections=20,
        user_agent_extra=f"batchgui/{__version__}",
    )


def _source_of(config: dict[str, Any]) -> CredentialSource:
    if "sso_session" in config or "sso_start_url" in config:
        return CredentialSource.SSO
    if "role_arn" in config:
        return CredentialSource.ASSUME_ROLE
    if "credential_process" in config:
        return CredentialSource.PROCESS
    if "aws_access_key_id" in config:
        return CredentialSource.STATIC
    return CredentialSource.OTHER


def list_profiles() -> list[ProfileInfo]:
    """The profiles in the AWS config and credentials files, as the AWS CLI sees them."""
    import botocore.session

    session = botocore.session.Session()
    profiles: dict[str, dict[str, Any]] = session.full_config.get("profiles", {})
    result = [
        ProfileInfo(
            name=name,
            source=_source_of(config),
            region=config.get("region"),
            endpoint_url=config.get("endpoint_url"),
            mfa_serial=config.get("mfa_serial"),
        )
        for name, config in profiles.items()
    ]
    return sorted(result, key=lambda p: (p.name != "default", p.name))


def list_regions() -> list[str]:
    """Regions where AWS Batch exists, from botocore's bundled endpoint data (no network)."""
    import botocore.session

    session = botocore.session.Session()
    regions: set[str] = set()
    for partition in ("aws", "aws-us-gov", "aws-cn"):
        regions.update(session.get_available_regions("batch", partition_name=partition))
    return sorted(regions)


class AwsConnection:
    """One connection: a Session on its own thread, and the clients made from it, shared."""

    def __init__(
        self,
        spec: ConnectionSpec,
        local: LocalEndpoint | None = None,
        mfa_prompter: MfaPrompter | None = None,
    ) -> None:
        self.spec = spec
        self._local = local
        self._mfa_prompter = mfa_prompter
        self._session_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boto3-session")
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._session: boto3.session.Session = self._session_thread.submit(self._make_session).result()

    @property
    def profile(self) -> str | None:
        return self.spec.profile

    @property
    def region(self) -> str:
        return self.spec.region

    @property
    def endpoint_url(self) -> str | None:
        if self._local is not None:
            return self._local.endpoint_url
        return self.spec.endpoint_url

    def _make_session(self) -> boto3.session.Session:
        import boto3

        if self.spec.kind is ConnectionKind.LOCAL:
            if self._local is None:
                raise ValueError("the local sandbox connection needs its endpoint")
            return boto3.session.Session(
                aws_access_key_id=self._local.access_key_id,
                aws_secret_access_key=self._local.secret_access_key,
                region_name=self._local.region,
            )
        session = boto3.session.Session(profile_name=self.spec.profile, region_name=self.spec.region)
        self._configure_assume_role(session)
        return session

    def _configure_assume_role(self, session: boto3.session.Session) -> None:
        """Ask MFA codes through the app, and cache assumed-role credentials as the AWS CLI does."""
        from botocore.utils import JSONFileCache

        resolver = session._session.get_component("credential_provider")
        provider = resolver.get_provider("assume-role")
        if provider is None:
            return
        if self._mfa_prompter is not None:
            # botocore offers no public hook for the MFA prompt; the provider keeps it here.
            provider._prompter = self._mfa_prompter
        # The AWS CLI's cache folder, so a code entered in either works for both; expanded now
        # (botocore's default is computed at import time).
        provider.cache = JSONFileCache(working_dir=str(Path.home() / ".aws" / "cli" / "cache"))

    def client(self, service: str) -> Any:
        """The shared client for a service, created once on the session's thread."""
        with self._lock:
            existing = self._clients.get(service)
            if existing is not None:
                return existing
            made = self._session_thread.submit(self._make_client, service).result()
            self._clients[service] = made
            return made

    def _make_client(self, service: str) -> Any:
        make: Any = self._session.client  # typed per service literal by the stubs; we pass a str
        # The Price List API has endpoints in a few regions only; us-east-1 prices every region.
        region = {"region_name": "us-east-1"} if service == "pricing" and not self.endpoint_url else {}
        return make(service, endpoint_url=self.endpoint_url, config=client_config(), **region)

    def close(self) -> None:
        with self._lock:
            for made in self._clients.values():
                made.close()
            self._clients.clear()
        self._session_thread.shutdown(wait=False, cancel_futures=True)
