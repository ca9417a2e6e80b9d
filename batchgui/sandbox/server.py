"""Front door of the sandbox: one loopback HTTP endpoint for every AWS service the app uses.

Each request must carry a valid SigV4 signature made with the sandbox's generated credentials
(see `sigv4.py`); anything else gets 403 with an AWS-style error body, so a web page or another
local user cannot make this machine run commands. Signed requests are routed by the service in
their credential scope: `batch`, `logs` and `pricing` to the sandbox's own implementation
(`batch_api.py`, `logs_api.py`, `pricing_api.py`), everything else (s3, dynamodb, iam, sts, ec2...) to
moto's server app, in-process.

moto is imported lazily, on a background thread right after start, so the Batch API answers
fast; requests for moto's services wait until it is ready (and until the seeded demo's bucket and
table exist). S3 and DynamoDB live in moto's memory: they are re-seeded at each start and
anything else put there is lost when the sandbox stops.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from batchgui.sandbox import sigv4
from batchgui.sandbox.ecs_metadata import ExpiredToken
from batchgui.sandbox.httpd import RAW_HEADERS_KEY, LimitedBody, WSGIServer
from batchgui.sandbox.realaws import InFlight, RealAws, throttled_answer
from batchgui.sandbox.settings import (
    ACCOUNT_ID,
    REGION,
    Endpoint,
    SandboxSettings,
    private_botocore_session,
)

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

OWN_SERVICES = ("batch", "logs", "pricing", "ecs")
MIB = 1024 * 1024
# Request bodies AWS accepts per service (S3: 5 GB for one PUT or part; DynamoDB: 16 MB for a batch;
# Logs: a 1 MiB PutLogEvents batch, plus its JSON). Anything over is refused before it is read.
SERVICE_BODY_LIMITS = {"s3": 5 * 1024 * MIB, "dynamodb": 16 * MIB, "batch": 1 * MIB, "logs": 2 * MIB}
DEFAULT_BODY_LIMIT = 10 * MIB
# What a request may hold in memory before its signature is checked; more goes to a temporary file.
UNAUTHENTICATED_MEMORY = 1 * MIB
MAX_JSON_DEPTH = 100
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _json_error(
    start_response: StartResponse, status: int, code: str, message: str, service: str | None = None
) -> list[bytes]:
    """An error body every botocore protocol parser reads: JSON `__type` + `x-amzn-ErrorType`."""
    reasons = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 413: "Payload Too Large", 500: "Error"}
    if service in ("s3", "sts", "iam", "ec2", "sqs", "sns", "cloudformation"):
        body = (
            "<?xml version='1.0' encoding='UTF-8'?><ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code>"
            f"<Message>{_xml_escape(message)}</Message></Error><RequestId>{secrets.token_hex(8)}</RequestId>"
            "</ErrorResponse>"
        ).encode()
        if service == "s3":
            body = (
                f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                f"<Message>{_xml_escape(message)}</Message></Error>"
            ).encode()
        content_type = "application/xml"
    else:
        body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
        content_type = "application/x-amz-json-1.1"
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", secrets.token_hex(16)),
        ],
    )
    return [body]


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _BodyTooLarge(Exception):
    pass


def _json_depth(body: bytes) -> int:
    """How deeply a JSON document nests (strings skipped), without parsing it."""
    depth = deepest = 0
    for byte in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _spool_body(environ: dict[str, Any], limit: int) -> tuple[Any, str, int]:
    """Read the body into a temporary file (in memory up to 1 MiB); return it, its SHA-256, size."""
    stream = environ["wsgi.input"]
    declared = stream.remaining if isinstance(stream, LimitedBody) else None
    if declared is not None and declared <= min(limit, UNAUTHENTICATED_MEMORY):
        # A small body of a declared length (every JSON API call): read into memory at once.
        data = b""
        while len(data) < declared:
            chunk = stream.read(declared - len(data))
            if not chunk:
                break
            data += chunk
        return io.BytesIO(data), hashlib.sha256(data).hexdigest(), len(data)
    spool = tempfile.SpooledTemporaryFile(max_size=UNAUTHENTICATED_MEMORY)  # noqa: SIM115 - returned
    digest = hashlib.sha256()
    size = 0
    while True:
        chunk = stream.read(256 * 1024)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            spool.close()
            raise _BodyTooLarge(f"request body is over the {limit}-byte limit")
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    return spool, digest.hexdigest(), size


def _verify_aws_chunked(spool: Any, signatures: sigv4.ChunkSignatures, trailer: bool) -> None:
    """Check every chunk signature (and the trailer's) of an aws-chunked body; rewind it."""
    malformed = sigv4.SignatureError("IncompleteBody", "The aws-chunked request body is malformed.", 400)
    while True:
        line = spool.readline(4096)
        if not line.endswith(b"\r\n"):
            raise malformed
        size_text, _, extension = line[:-2].partition(b";")
        name, _, signature = extension.partition(b"=")
        try:
            size = int(size_text, 16)
        except ValueError:
            raise malformed from None
        if name != b"chunk-signature" or size < 0 or size > 64 * MIB:
            raise malformed
        data = spool.read(size)
        if len(data) != size:
            raise malformed
        signatures.chunk(data, signature.decode("latin-1"))
        if size == 0:
            break
        if spool.read(2) != b"\r\n":
            raise malformed
    if trailer:
        canonical = b""
        while True:
            line = spool.readline(4096)
            if not line.endswith(b"\r\n"):
                raise malformed
            key, _, value = line[:-2].partition(b":")
            if key.strip().lower() == b"x-amz-trailer-signature":
                signatures.trailer(canonical, value.strip().decode("latin-1"))
                break
            canonical += key.strip().lower() + b":" + value.strip() + b"\n"
    spool.seek(0)


class _MotoGate:
    """moto's WSGI app, imported and created on a background thread, with the seed applied."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._app: WsgiApp | None = None
        self.error: BaseException | None = None

    def load(self) -> WsgiApp:
        import boto3
        from moto.core.base_backend import AccountSpecificBackend
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        # moto lists regions with a default boto3 Session, which reads the host's AWS_PROFILE and
        # config files: give it one that reads neither.
        session = boto3.session.Session(botocore_session=private_botocore_session())
        AccountSpecificBackend.get_session = classmethod(lambda cls: session)  # type: ignore[method-assign,assignment]

        app: WsgiApp = DomainDispatcherApplication(create_backend_app)
        self._app = app
        return app

    def set_ready(self, error: BaseException | None = None) -> None:
        self.error = error
        self._ready.set()

    def app(self, wait: bool, timeout: float = 60.0) -> WsgiApp | None:
        if wait:
            self._ready.wait(timeout)
        return self._app

    def wait(self, timeout: float) -> bool:
        return self._ready.wait(timeout)


def _restore_moto_headers(environ: dict[str, Any]) -> None:
    """What moto's MotoRequestHandler.make_environ does, for headers with underscores."""
    from moto.core.request import (
        PRESERVED_HEADER_NAMES_ENVIRON_KEY,
        environ_key_for_header,
        should_preserve_original_header_name,
    )

    raw: list[tuple[str, str]] = environ.pop(RAW_HEADERS_KEY, [])
    dashed = {environ_key_for_header(name) for name, _ in raw if "_" not in name}
    names: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for name, value in raw:
        if not should_preserve_original_header_name(name):
            continue
        key = environ_key_for_header(name)
        if key in dashed:
            continue
        names.setdefault(key, name)
        values.setdefault(key, []).append(value.replace("\r\n", ""))
    for key, key_values in values.items():
        environ[key] = ",".join(key_values)
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names


class FrontDoor:
    """The WSGI application: verify the signature, then route by the credential-scope service."""

    SEED_HEADER = "HTTP_X_BATCHGUI_SEED"

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        own: dict[str, Callable[[dict[str, Any], bytes], tuple[int, list[tuple[str, str]], bytes]]],
        moto: _MotoGate,
        seed_token: str,
        *,
        job_keys: Callable[[dict[str, Any]], tuple[str, str] | None] | None = None,
        realaws: RealAws | None = None,
        in_flight: InFlight | None = None,
    ) -> None:
        self.in_flight = in_flight or InFlight()
        self._realaws = realaws if realaws is not None and realaws.active else None
        self._job_keys = job_keys  # running jobs' session keys (ecs_metadata.py)
        self._access_key = access_key
        self._secret_key = secret_key
        self._own = own
        self._moto = moto
        self._seed_token = seed_token

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        self.in_flight.enter()
        try:
            return self._handle(environ, start_response)
        except Exception as exc:  # the door answers AWS-style errors, never an HTML traceback
            log.exception("sandbox request failed")
            return _json_error(
                start_response, 500, "InternalFailure", f"internal error: {type(exc).__name__}"
            )
        finally:
            if self._realaws is not None:
                self._realaws.delay()  # on this connection's thread, no lock held
            self.in_flight.leave()

    def _handle(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        service = sigv4.credential_scope_service(environ)
        # Everything that needs no body is checked before a byte of it is read.
        try:
            keys = self._job_keys(environ) if self._job_keys else None
            access_key, secret_key = keys or (self._access_key, self._secret_key)
            pending = sigv4.authenticate(environ, access_key, secret_key)
        except ExpiredToken:
            message = "The security token included in the request is expired"
            return _json_error(start_response, 403, "ExpiredToken", message, service)
        except sigv4.SignatureError as exc:
            return _json_error(start_response, exc.status, exc.code, exc.message, service)
        service = pending.service
        if self._realaws is not None and not self._realaws.admit(service):
            status_line, headers, payload = throttled_answer()
            start_response(status_line, headers)
            return [payload]
        limit = SERVICE_BODY_LIMITS.get(service, DEFAULT_BODY_LIMIT)
        length_text = environ.get("CONTENT_LENGTH") or ""
        if length_text and int(length_text) > limit:
            code = "EntityTooLarge" if service == "s3" else "RequestEntityTooLarge"
            status = 400 if service == "s3" else 413
            message = f"request body of {length_text} bytes is over the {limit}-byte limit"
            return _json_error(start_response, status, code, message, service)
        try:
            spool, size = self._read_verified(environ, pending, limit)
        except sigv4.SignatureError as exc:
            return _json_error(start_response, exc.status, exc.code, exc.message, service)
        except _BodyTooLarge as exc:
            return _json_error(start_response, 413, "RequestEntityTooLarge", str(exc), service)
        except OSError as exc:
            return _json_error(start_response, 400, "IncompleteBody", f"request body: {exc}", service)

        body: bytes | None = None
        if spool is not None and service != "s3":  # JSON and query APIs: small bodies, parsed whole
            with spool:
                body = spool.read()
            spool = None
            if _json_depth(body) > MAX_JSON_DEPTH:
                return _json_error(
                    start_response,
                    400,
                    "SerializationException",
                    f"JSON request bodies may nest at most {MAX_JSON_DEPTH} levels",
                    service,
                )

        handler = self._own.get(service)
        if handler is not None:
            status, headers, payload = handler(environ, body or b"")
            headers = [*headers, ("Content-Length", str(len(payload)))]
            if not any(name.lower() == "x-amzn-requestid" for name, _ in headers):
                headers.append(("x-amzn-RequestId", secrets.token_hex(16)))
            start_response(f"{status} {'OK' if status < 300 else 'Error'}", headers)
            return [payload]

        seeding = environ.get(self.SEED_HEADER) == self._seed_token
        app = self._moto.app(wait=not seeding)
        if app is None:
            if spool is not None:
                spool.close()
            return _json_error(
                start_response, 503, "ServiceUnavailable", f"{service} is still starting", service
            )
        if body is not None or spool is not None:
            environ["wsgi.input"] = io.BytesIO(body) if body is not None else spool
            environ["CONTENT_LENGTH"] = str(len(body) if body is not None else size)
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        _restore_moto_headers(environ)
        try:
            app.get_application(environ)  # type: ignore[attr-defined]  # moto's dispatcher
        except Exception:  # moto has no backend for this service (e.g. health)
            if spool is not None:
                spool.close()
            message = f"The local sandbox does not serve the {service} service"
            return _json_error(start_response, 400, "UnknownServiceException", message, service)
        result = app(environ, start_response)
        if spool is not None:
            spool.close()
        return result

    @staticmethod
    def _read_verified(environ: dict[str, Any], pending: sigv4.Pending, limit: int) -> tuple[Any, int]:
        """The body, read within `limit` and checked against the signature (None: streams through)."""
        known = pending.hash_before_body
        if known is None:
            # The signature covers the body's hash: hash it first (at most 1 MiB held in memory).
            spool, digest, size = _spool_body(environ, limit)
            try:
                pending.check(digest)
                pending.check_body_hash(digest)
            except BaseException:
                spool.close()
                raise
            return spool, size
        pending.check(known)
        if known in (sigv4.UNSIGNED_PAYLOAD, sigv4.STREAMING_UNSIGNED_TRAILER):
            return None, 0  # S3 only (see sigv4): AWS does not check these bodies either
        spool, digest, size = _spool_body(environ, limit)
        try:
            if known in (sigv4.STREAMING_SIGNED, sigv4.STREAMING_SIGNED_TRAILER):
                signatures = sigv4.ChunkSignatures(pending)
                _verify_aws_chunked(spool, signatures, known == sigv4.STREAMING_SIGNED_TRAILER)
            else:
                pending.check_body_hash(digest)
        except BaseException:
            spool.close()
            raise
        return spool, size


class RunningSandbox:
    """A started sandbox: where it listens, its credentials, and `stop()`."""

    def __init__(
        self,
        endpoint_url: str,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        data_dir: Path,
        _stop: Callable[[], None] | None = None,
        _seeded: Callable[[float], bool] | None = None,
        *,
        isolation: str = "none",
        in_flight: InFlight | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        # Requests inside the front door at once and their peak (a test hook: overlap, counted).
        self.in_flight = in_flight or InFlight()
        self.isolation = isolation  # how jobs are isolated: "bwrap" or "none" (isolation.py)
        self.region = region
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.data_dir = data_dir
        self._stop = _stop
        self._seeded = _seeded

    def __repr__(self) -> str:  # never show the secret
        return f"RunningSandbox(endpoint_url={self.endpoint_url!r}, data_dir={str(self.data_dir)!r})"

    def connection_info(self) -> dict[str, str]:
        return {
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "data_dir": str(self.data_dir),
            "isolation": self.isolation,
        }

    def wait_services(self, timeout: float = 30.0) -> bool:
        """Block until moto's services (S3, DynamoDB...) and the seeded demo data are ready."""
        return True if self._seeded is None else self._seeded(timeout)

    def stop(self) -> None:
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()


class DataDirInUse(RuntimeError):
    """Another running sandbox owns this data directory."""


# Data directories owned by sandboxes in this process (flock alone may not see them: on some
# filesystems it is emulated with per-process POSIX locks).
_LOCKED_DIRS: set[str] = set()
_LOCKED_DIRS_GUARD = threading.Lock()


class _DataDirLock:
    def __init__(self, key: str, handle: Any) -> None:
        self._key = key
        self._handle = handle

    def close(self) -> None:
        with _LOCKED_DIRS_GUARD:
            _LOCKED_DIRS.discard(self._key)
        self._handle.close()


def _lock_data_dir(data_dir: Path) -> _DataDirLock:
    """One sandbox per data directory: two would schedule and run the same jobs twice."""
    import fcntl

    key = str(data_dir.resolve())
    with _LOCKED_DIRS_GUARD:
        if key in _LOCKED_DIRS:
            raise DataDirInUse(f"{data_dir} is in use by another running sandbox")
        handle = (data_dir / "sandbox.lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise DataDirInUse(f"{data_dir} is in use by another running sandbox") from None
        _LOCKED_DIRS.add(key)
    return _DataDirLock(key, handle)


def _load_or_create_credentials(data_dir: Path) -> tuple[str, str]:
    """The sandbox keeps its credentials across restarts so saved client settings keep working."""
    path = data_dir / "credentials.json"
    if path.exists():
        try:
            data = json.loads(path.read_text())
            return str(data["access_key_id"]), str(data["secret_access_key"])
        except (ValueError, KeyError, OSError):
            pass
    access_key = "AKIA" + secrets.token_hex(8).upper()
    secret_key = secrets.token_urlsafe(30)
    _write_private(path, json.dumps({"access_key_id": access_key, "secret_access_key": secret_key}))
    return access_key, secret_key


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def start_in_process(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: bool = True,
    *,
    settings: SandboxSettings | None = None,
) -> RunningSandbox:
    """Start the sandbox on background threads; return once the API answers."""
    settings = settings or SandboxSettings()
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    access_key, secret_key = _load_or_create_credentials(data_dir)

    lock = _lock_data_dir(data_dir)
    cleanup: list[Callable[[], None]] = [lock.close]
    try:
        return _start_locked(data_dir, host, port, seed, settings, access_key, secret_key, lock, cleanup)
    except BaseException:
        # A failed start must not keep the data-dir lock: retrying in this process has to work.
        for undo in reversed(cleanup):
            try:
                undo()
            except Exception:  # best effort: the original error is the one to report
                log.debug("cleanup after a failed sandbox start failed", exc_info=True)
        raise


def _start_locked(  # noqa: PLR0917 - the pieces start_in_process has already made
    data_dir: Path,
    host: str,
    port: int,
    seed: bool,
    settings: SandboxSettings,
    access_key: str,
    secret_key: str,
    lock: _DataDirLock,
    cleanup: list[Callable[[], None]],
) -> RunningSandbox:
    from batchgui.resources import instance_catalogue
    from batchgui.sandbox.batch_api import BatchApi
    from batchgui.sandbox.ecs_api import EcsApi
    from batchgui.sandbox.engine import Engine
    from batchgui.sandbox.logs_api import LogsApi
    from batchgui.sandbox.pricing_api import PricingApi
    from batchgui.sandbox.store import Store

    store = Store(data_dir / "sandbox.sqlite3")
    cleanup.append(store.close)
    moto = _MotoGate()
    seed_token = secrets.token_hex(16)
    batch_holder: list[BatchApi] = []
    logs = LogsApi(store)

    def batch_handler(environ: dict[str, Any], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        return batch_holder[0].handle(environ, body)

    def job_keys(environ: dict[str, Any]) -> tuple[str, str] | None:  # session keys of running jobs
        return batch_holder[0].engine.executor.tasks.keys_for(environ) if batch_holder else None

    own: dict[str, Callable[[dict[str, Any], bytes], tuple[int, list[tuple[str, str]], bytes]]] = {
        "batch": batch_handler,
        "logs": logs.handle,
        "pricing": PricingApi().handle,
        "ecs": EcsApi(
            lambda: dict(batch_holder[0].engine.fleet.launched) if batch_holder else {},
            lambda: batch_holder[0].engine.fleet.active_ids() if batch_holder else set(),
            instance_catalogue,
        ).handle,
    }
    realaws = RealAws(settings.latency_ms, settings.account_rate)
    app = FrontDoor(access_key, secret_key, own, moto, seed_token, job_keys=job_keys, realaws=realaws)
    server = WSGIServer(host, port, app)
    cleanup.append(server.server_close)
    connections = server.connections
    bound_port = server.server_port
    url_host = f"[{host}]" if ":" in host else host
    endpoint_url = f"http://{url_host}:{bound_port}"

    engine = Engine(store, settings, data_dir, Endpoint(endpoint_url, REGION))
    batch = BatchApi(store, engine, settings)
    batch_holder.append(batch)
    engine.recover_after_restart()
    if seed:
        from batchgui.sandbox.demo.seed import seed_batch

        seed_batch(batch, store, engine)
    engine.start()
    cleanup.append(lambda: engine.stop(time.monotonic() + 1.5))

    serve_thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http", daemon=True
    )
    serve_thread.start()
    cleanup.append(server.shutdown)

    stopped = threading.Event()

    def load_moto() -> None:
        error: BaseException | None = None
        try:
            moto.load()
            if seed and not stopped.is_set():
                from batchgui.sandbox.demo.seed import seed_moto_services

                seed_moto_services(endpoint_url, REGION, access_key, secret_key, seed_token, stopped)
        except BaseException as exc:  # reported through wait_services() and the 503 answer
            if stopped.is_set():
                log.debug("moto seeding interrupted by stop(): %s", exc)
            else:
                log.exception("moto services failed to start")
            error = exc
        moto.set_ready(error)

    moto_thread = threading.Thread(target=load_moto, name="sandbox-moto", daemon=True)
    moto_thread.start()
    cleanup.append(stopped.set)

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        deadline = time.monotonic() + 1.5
        server.shutdown()
        engine.stop(deadline)
        connections.close_all(deadline)
        server.server_close()
        serve_thread.join(max(0.0, deadline - time.monotonic()))
        moto_thread.join(max(0.05, deadline + 0.4 - time.monotonic()))
        store.close()
        lock.close()

    def seeded(timeout: float) -> bool:
        return moto.wait(timeout) and moto.error is None

    sandbox = RunningSandbox(
        endpoint_url=endpoint_url,
        region=REGION,
        access_key_id=access_key,
        secret_access_key=secret_key,
        data_dir=data_dir,
        _stop=stop,
        _seeded=seeded,
        isolation=engine.isolation,
        in_flight=app.in_flight,
    )
    _write_private(data_dir / "connection.json", json.dumps(sandbox.connection_info()))
    _ = ACCOUNT_ID
    return sandbox
