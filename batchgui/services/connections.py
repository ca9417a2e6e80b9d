"""Connections: open one (a profile or the local sandbox), announce it, switch, close.

Everything above asks the ConnectionManager for the current Backend: the gateways of one connection.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, Generic, TypeVar, overload

from batchgui.aws.batch import BatchGateway
from batchgui.aws.batch_admin import BatchAdminGateway
from batchgui.aws.consumables import ConsumablesGateway
from batchgui.aws.dynamodb import DynamoDbGateway
from batchgui.aws.ec2 import Ec2Gateway
from batchgui.aws.ecs import EcsGateway
from batchgui.aws.errors import translate
from batchgui.aws.iam import IamGateway
from batchgui.aws.logs import LogsGateway
from batchgui.aws.pricing import PricingGateway
from batchgui.aws.s3 import S3Gateway
from batchgui.aws.session import AwsConnection, list_profiles, list_regions
from batchgui.aws.sts import StsGateway
from batchgui.aws.training import TrainingGateway
from batchgui.domain.connection import (
    CallerIdentity,
    ConnectionInfo,
    ConnectionKind,
    ConnectionSpec,
    LocalEndpoint,
    ProfileInfo,
)
from batchgui.domain.errors import (
    BatchGuiError,
    EndpointUnreachable,
    ExpiredCredentials,
    MissingCredentials,
    NotConnected,
)
from batchgui.services.events import Listeners
from batchgui.services.runner import Runner

log = logging.getLogger(__name__)

# The UI's way of asking for an MFA code: returns the code, or None if the user cancelled.
AskMfaCode = Callable[[str], Coroutine[Any, Any, str | None]]
MFA_WAIT_S = 300
# Failures that mean the connection cannot be used at all (others only leave the identity unknown).
_CONNECT_FAILURES = (MissingCredentials, ExpiredCredentials, EndpointUnreachable)
G = TypeVar("G")


class MfaCancelled(MissingCredentials):
    title = "MFA code not entered"


class _Gateway(Generic[G]):
    """A Backend attribute: the gateway over one service's client, made on first use and then kept.

    Taking the gateway is cheap on any thread: its client is made at its first call, on the worker
    that runs it (aws/gateway.py). `prepare=False`: Backend.prepare() leaves the client to that
    first call (its service model is large and seldom needed)."""

    def __init__(self, make: Callable[..., G], service: str, *, prepare: bool = True) -> None:
        self._make = make
        self._service = service
        self.prepare = prepare
        self._name = ""
        self._lock = threading.Lock()

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, backend: None, owner: type | None = None) -> _Gateway[G]: ...

    @overload
    def __get__(self, backend: Backend, owner: type | None = None) -> G: ...

    def __get__(self, backend: Backend | None, owner: type | None = None) -> G | _Gateway[G]:
        if backend is None:
            return self
        with self._lock:  # two threads asking at once make one gateway
            made: G | None = backend.__dict__.get(self._name)
            if made is None:
                made = self._make(make=partial(backend.connection.client, self._service))
                backend.__dict__[self._name] = made
        return made


class Backend:
    """The gateways of one open connection. Clients are made on first use and shared."""

    def __init__(self, connection: AwsConnection) -> None:
        self.connection = connection
        self.identity: CallerIdentity | None = None

    @property
    def spec(self) -> ConnectionSpec:
        return self.connection.spec

    @property
    def is_local(self) -> bool:
        return self.spec.kind is ConnectionKind.LOCAL

    @property
    def info(self) -> ConnectionInfo:
        return ConnectionInfo(self.spec, self.identity)

    batch = _Gateway(BatchGateway, "batch")
    batch_admin = _Gateway(BatchAdminGateway, "batch")
    consumables = _Gateway(ConsumablesGateway, "batch")
    training = _Gateway(TrainingGateway, "batch")
    logs = _Gateway(LogsGateway, "logs")
    s3 = _Gateway(S3Gateway, "s3")
    dynamodb = _Gateway(DynamoDbGateway, "dynamodb")
    ec2 = _Gateway(Ec2Gateway, "ec2")
    iam = _Gateway(IamGateway, "iam")
    pricing = _Gateway(PricingGateway, "pricing")
    sts = _Gateway(StsGateway, "sts")
    ecs = _Gateway(EcsGateway, "ecs", prepare=False)

    def prepare(self) -> None:
        """Make every client now (on the calling worker thread): creation parses large service models."""
        for name, attribute in vars(Backend).items():
            if isinstance(attribute, _Gateway) and attribute.prepare:
                _ = getattr(self, name).client  # made now, on this worker

    def close(self) -> None:
        self.connection.close()


class ConnectionManager:
    def __init__(
        self,
        runner: Runner,
        start_local: Callable[[], LocalEndpoint],
        ask_mfa_code: AskMfaCode | None = None,
    ) -> None:
        self._runner = runner
        self._start_local = start_local
        self._ask_mfa_code = ask_mfa_code
        self._local: LocalEndpoint | None = None
        self.backend: Backend | None = None
        # Services re-bind on `changed`; the UI listens to `info_changed`, which carries no clients.
        self.changed: Listeners[Backend | None] = Listeners()
        self.info_changed: Listeners[ConnectionInfo | None] = Listeners()
        self.status: Listeners[str] = Listeners()
        self.identity_known: Listeners[CallerIdentity] = Listeners()

    @property
    def current(self) -> ConnectionInfo | None:
        """The open connection as the UI may see it, or None."""
        return self.backend.info if self.backend is not None else None

    @property
    def connected(self) -> bool:
        return self.backend is not None

    def require(self) -> Backend:
        """The open connection's gateways, for services; NotConnected when there is none."""
        if self.backend is None:
            raise NotConnected()
        return self.backend

    async def profiles(self) -> list[ProfileInfo]:
        return await self._runner.run(list_profiles)

    async def regions(self) -> list[str]:
        return await self._runner.run(list_regions)

    async def connect(self, spec: ConnectionSpec) -> Backend:
        """Open `spec` and check it (who am I?) before making it current.

        A connection whose credentials or endpoint fail is never announced as connected: the
        previous one, if any, stays current and the error is raised. An endpoint that does not
        implement STS (a Batch-only emulator) still connects, with the account unknown.
        """
        self.status.emit(f"Connecting to {spec.label}…")
        self._runner.set_translator(partial(translate, profile=spec.profile))
        try:
            backend, identity_error = await self._open(spec)
        except BaseException as error:
            # Whatever went wrong (a broken profile, a cancelled connect), the bar must not stay on
            # "Connecting…": it says what is current instead.
            current = f" (still using {self.backend.spec.label})" if self.backend else ""
            if isinstance(error, asyncio.CancelledError):
                self.status.emit(f"Connected: {self.backend.spec.label}" if self.backend else "Not connected")
            else:
                title = error.title if isinstance(error, BatchGuiError) else type(error).__name__
                self.status.emit(f"Not connected: {title}{current}")
            raise
        previous, self.backend = self.backend, backend
        if previous is not None:
            previous.close()
        self.status.emit(f"Connected: {backend.spec.label}")
        self.changed.emit(backend)
        self.info_changed.emit(backend.info)
        if backend.identity is not None:
            self.identity_known.emit(backend.identity)
        if identity_error is not None:
            raise identity_error
        return backend

    async def _open(self, spec: ConnectionSpec) -> tuple[Backend, BatchGuiError | None]:
        """A checked Backend for `spec`, and the error that left its identity unknown, if any."""
        local: LocalEndpoint | None = None
        if spec.kind is ConnectionKind.LOCAL:
            if self._local is None:
                self.status.emit("Starting the local sandbox…")
                self._local = await self._runner.run(self._start_local)
            local = self._local
            spec = ConnectionSpec(kind=ConnectionKind.LOCAL, region=local.region)
        prompter = self._mfa_prompter(asyncio.get_running_loop()) if self._ask_mfa_code else None
        connection = await self._runner.run(AwsConnection, spec, local, prompter)
        backend = Backend(connection)
        try:
            # Clients are made here, on a worker, so no panel ever makes one on the GUI thread.
            await self._runner.run(backend.prepare)
            backend.identity = await self._runner.run(backend.sts.caller_identity)
        except BatchGuiError as error:
            if isinstance(error, _CONNECT_FAILURES):
                connection.close()
                raise
            return backend, error
        except BaseException:
            connection.close()
            raise
        return backend, None

    def _mfa_prompter(self, loop: asyncio.AbstractEventLoop) -> Callable[[str], str]:
        ask = self._ask_mfa_code
        assert ask is not None

        def prompt(text: str) -> str:
            # Runs on a worker thread (inside botocore's credential refresh): ask the UI on the loop.
            code: str | None = asyncio.run_coroutine_threadsafe(ask(text), loop).result(timeout=MFA_WAIT_S)
            if not code:
                raise MfaCancelled("the MFA code was not entered", "Reconnect and enter the code.")
            return code

        return prompt

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None


def describe_error(error: BaseException) -> tuple[str, str]:
    """A title and a body for any error, for the notification area."""
    if isinstance(error, BatchGuiError):
        return error.title, error.message()
    return type(error).__name__, str(error) or repr(error)
