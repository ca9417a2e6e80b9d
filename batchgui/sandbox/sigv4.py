"""SigV4 verification for the sandbox's front door.

Every request must be signed with the sandbox's own access key and secret. The signature is
recomputed from the request exactly as it arrived, the way botocore's signer (`SigV4Auth`) builds
it (canonical request, string to sign, signing key; a test compares the two), then compared in
constant time. The part that does not depend on the body is computed once per request, and the
day's signing key once per day. Both forms are accepted:
the `Authorization: AWS4-HMAC-SHA256 ...` header and S3 presigned URLs (`X-Amz-Signature` in the
query). Checked besides the signature: the access key, the date in the credential scope, and a
15-minute clock skew (or the presigned URL's expiry).

The payload hash is checked as AWS checks it: it is computed from the body, and a client-sent
`X-Amz-Content-SHA256` counts only when it is one of the signed headers and equals the body's hash
(400 XAmzContentSHA256Mismatch for S3, 403 InvalidSignatureException for the JSON APIs).
`UNSIGNED-PAYLOAD` and the aws-chunked streaming payloads are accepted for S3 only; chunk
signatures are verified where the chunks are signed. Everything that needs no body (access key,
date, scope, signed headers, presign expiry, and the signature itself when the signed header
declares the hash) is checked by `authenticate` before the body is read.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from botocore.credentials import Credentials
from botocore.utils import normalize_url_path

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = datetime.timedelta(minutes=15)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


MAX_PRESIGN_EXPIRES = 604_800  # seven days, AWS's limit for SigV4 presigned URLs
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
S3_SPECIAL_PAYLOADS = (
    UNSIGNED_PAYLOAD,
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
)


class SignatureError(Exception):
    """The request is not signed, or not signed with the sandbox's credentials."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _is_sha256_hex(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class SignedRequest:
    service: str
    region: str
    access_key: str
    payload_hash: str | None


@dataclass(frozen=True)
class _Parsed:
    access_key: str
    date: str
    region: str
    service: str
    signed_headers: list[str]
    signature: str
    timestamp: str


@functools.lru_cache(maxsize=64)
def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """SigV4's derived key for one day, region and service (the same all day: computed once)."""
    return _hmac(_hmac(_hmac(_hmac(("AWS4" + secret_key).encode(), date), region), service), "aws4_request")


@functools.lru_cache(maxsize=512)
def _canonical_target(service: str, url: str) -> tuple[str, str]:
    """(canonical path, canonical query) of a URL; the JSON APIs send the same few again and again."""
    parts = urlsplit(url)
    path = parts.path if service == "s3" else quote(normalize_url_path(parts.path), safe="/~")
    query = ""
    if parts.query:
        pairs = sorted(pair.partition("=")[::2] for pair in parts.query.split("&"))
        query = "&".join(f"{key}={value}" for key, value in pairs)
    return path, query


def canonical_request_head(method: str, url: str, service: str, headers: list[tuple[str, str]]) -> str:
    """The canonical request up to (not including) its payload hash, as botocore's SigV4Auth
    builds it (`canonical_request`): method, path, sorted query, signed headers and their names.

    S3 signs the path as sent (botocore's S3SigV4Auth does not normalise it); every other service
    signs botocore's normalised, quoted path. tests/sandbox/test_trust_signatures.py checks this
    against botocore's own signer.
    """
    path, query = _canonical_target(service, url)
    names = sorted({name for name, _ in headers})
    lines = [f"{name}:{','.join(' '.join(v.split()) for n, v in headers if n == name)}" for name in names]
    signed = ";".join(sorted({name.lower().strip() for name, _ in headers}))
    return "\n".join((method.upper(), path, query, "\n".join(lines) + "\n", signed)) + "\n"


def _parse_authorization(header: str) -> _Parsed:
    if not header.startswith(ALGORITHM + " "):
        raise SignatureError(
            "IncompleteSignature", "Authorization header requires the AWS4-HMAC-SHA256 signature scheme."
        )
    fields: dict[str, str] = {}
    for part in header[len(ALGORITHM) + 1 :].split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key] = value
    try:
        credential = fields["Credential"]
        signed_headers = fields["SignedHeaders"]
        signature = fields["Signature"]
    except KeyError as exc:
        raise SignatureError(
            "IncompleteSignature", f"Authorization header requires '{exc.args[0]}' parameter."
        ) from None
    return _parse_credential(credential, signed_headers, signature, "")


def _parse_credential(credential: str, signed_headers: str, signature: str, timestamp: str) -> _Parsed:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SignatureError(
            "IncompleteSignature", "Credential should be scoped to a valid region and service."
        )
    return _Parsed(
        access_key=parts[0],
        date=parts[1],
        region=parts[2],
        service=parts[3],
        signed_headers=[h for h in signed_headers.lower().split(";") if h],
        signature=signature,
        timestamp=timestamp,
    )


def credential_scope_service(environ: Mapping[str, Any]) -> str | None:
    """The service named in the request's credential scope, without verifying anything."""
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    marker = "Credential="
    pos = auth.find(marker)
    if pos < 0:
        query = str(environ.get("QUERY_STRING", ""))
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            if key == "X-Amz-Credential":
                parts = unquote(value).split("/")
                return parts[3] if len(parts) == 5 else None
        if "AWSAccessKeyId=" in query and "Signature=" in query:
            return "s3"
        return None
    parts = auth[pos + len(marker) :].split(",", maxsplit=1)[0].split("/")
    return parts[3] if len(parts) == 5 else None


def _header_value(environ: Mapping[str, Any], name: str) -> str | None:
    if name == "content-type":
        value = environ.get("CONTENT_TYPE")
    elif name == "content-length":
        value = environ.get("CONTENT_LENGTH")
    else:
        value = environ.get("HTTP_" + name.upper().replace("-", "_"))
    return None if value is None else str(value)


def _raw_path(environ: Mapping[str, Any]) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = str(raw).split("?", 1)[0]
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        return path or "/"
    from urllib.parse import quote

    return quote(str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", "/")), safe="/~")


def _parse_amz_date(value: str) -> datetime.datetime:
    try:
        if len(value) != 16 or value[8] != "T" or value[15] != "Z":
            raise ValueError(value)
        return datetime.datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[9:11]),
            int(value[11:13]),
            int(value[13:15]),
            tzinfo=datetime.UTC,
        )
    except ValueError:
        raise SignatureError("IncompleteSignature", f"Invalid X-Amz-Date: {value!r}") from None


def _verify_s3_v2_query(
    environ: Mapping[str, Any], access_key: str, secret_key: str, now: datetime.datetime
) -> SignedRequest:
    """S3's older presigned URLs (what boto3 makes for S3 in us-east-1 by default): HMAC-SHA1."""
    from botocore.auth import HmacV1Auth
    from botocore.compat import HTTPHeaders

    params = {
        k: unquote(v)
        for k, _, v in (p.partition("=") for p in str(environ.get("QUERY_STRING", "")).split("&"))
    }
    if not hmac.compare_digest(params.get("AWSAccessKeyId", "").encode(), access_key.encode()):
        raise SignatureError(
            "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    try:
        expires = int(params["Expires"])
    except (KeyError, ValueError):
        raise SignatureError("AccessDenied", "Query-string authentication requires Expires") from None
    if now.timestamp() > expires:
        raise SignatureError("AccessDenied", "Request has expired")
    # botocore moves the signed content-type/content-md5/x-amz-* headers into the query string.
    headers = HTTPHeaders()
    for key, value in params.items():
        if key.lower().startswith("x-amz-") or key.lower() in ("content-type", "content-md5"):
            headers[key.lower()] = value

    class _QueryV1(HmacV1Auth):
        def _get_date(self) -> str:
            return str(expires)

    host = _header_value(environ, "host") or "localhost"
    split = urlsplit(f"http://{host}{_raw_path(environ)}?{environ.get('QUERY_STRING', '')}")
    signer = _QueryV1(Credentials(access_key, secret_key))
    method = str(environ.get("REQUEST_METHOD", "GET"))
    expected = signer.get_signature(method, split, headers)  # type: ignore[arg-type]
    if not hmac.compare_digest(str(expected).encode(), params.get("Signature", "").encode()):
        raise SignatureError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    return SignedRequest(service="s3", region="us-east-1", access_key=access_key, payload_hash=None)


class Pending:
    """A request whose headers checked out; its signature is checked against a payload hash.

    `hash_before_body` is the payload hash when the signature can be checked before the body is
    read (S3's signed `X-Amz-Content-SHA256`, presigned S3 URLs); otherwise None, and the caller
    hashes the body (within its limit) and calls `check` with that.
    """

    def __init__(
        self,
        *,
        service: str,
        region: str,
        access_key: str,
        sent_hash: str | None,
        declared_hash: str | None,
        before_body: str | None,
        expected: Any,
        signature: str,
        chunk_context: tuple[bytes, str, str] | None = None,
    ) -> None:
        self.service = service
        self.region = region
        self.access_key = access_key
        self.sent_hash = sent_hash
        self.declared_hash = declared_hash
        self.hash_before_body = before_body
        self._expected = expected
        self._signature = signature
        # (signing key, timestamp, credential scope) for aws-chunked chunk signatures.
        self.chunk_context = chunk_context

    @property
    def chunk_seed(self) -> str:
        return self._signature

    def check(self, payload_hash: str) -> SignedRequest:
        """Check the signature made over `payload_hash`; raise SignatureError if it does not match."""
        if self._expected is not None:
            expected = str(self._expected(payload_hash))
            if not hmac.compare_digest(expected.encode(), self._signature.encode()):
                raise SignatureError(
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided. "
                    "Check your AWS Secret Access Key and signing method.",
                )
        return SignedRequest(
            service=self.service,
            region=self.region,
            access_key=self.access_key,
            payload_hash=self.declared_hash,
        )

    def check_body_hash(self, body_hash: str) -> None:
        """After the body is read: a sent `X-Amz-Content-SHA256` must be the body's hash."""
        claimed = self.sent_hash
        if claimed is None or (claimed in S3_SPECIAL_PAYLOADS and self.service == "s3"):
            return
        if claimed == body_hash:
            return
        if self.service == "s3":
            raise SignatureError(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                400,
            )
        raise SignatureError(
            "InvalidSignatureException",
            "The provided 'x-amz-content-sha256' header does not match the request body.",
        )


def _payload_rule(service: str, presigned: bool, sent: str | None, signed: bool) -> str | None:
    """The payload hash known before the body, or None when the body must be hashed."""
    if presigned:
        return UNSIGNED_PAYLOAD if service == "s3" else None
    if service == "s3" and not (sent is not None and signed):
        # S3 requires the payload hash as a signed header; hashing the body first would mean
        # reading an unauthenticated upload of any size.
        raise SignatureError(
            "InvalidRequest", "Missing required header for this request: x-amz-content-sha256 (signed)", 400
        )
    if sent is None or not signed:
        return None
    if service == "s3":
        if sent in S3_SPECIAL_PAYLOADS or _is_sha256_hex(sent):
            return sent
        raise SignatureError(
            "InvalidArgument",
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER or a valid sha256 value.",
            400,
        )
    if _is_sha256_hex(sent):
        return sent  # the signature covers the declared hash; the body is compared after reading
    raise SignatureError(
        "InvalidSignatureException", f"{sent[:64]!r} is not a payload hash this service accepts."
    )


def authenticate(
    environ: Mapping[str, Any],
    access_key: str,
    secret_key: str,
    now: datetime.datetime | None = None,
) -> Pending:
    """Check everything about the request's signature that needs no body."""
    now = now or datetime.datetime.now(datetime.UTC)
    query = str(environ.get("QUERY_STRING", ""))
    auth_header = environ.get("HTTP_AUTHORIZATION")
    presigned = False
    if auth_header:
        parsed = _parse_authorization(str(auth_header))
        amz_date = _header_value(environ, "x-amz-date")
        if amz_date is None:
            raise SignatureError("IncompleteSignature", "Request is missing the X-Amz-Date header.")
        parsed = _Parsed(**{**parsed.__dict__, "timestamp": amz_date})
        canonical_query = query
    elif "X-Amz-Signature=" in query:
        presigned = True
        params: dict[str, str] = {}
        kept: list[str] = []
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            params[key] = unquote(value)
            if key != "X-Amz-Signature":
                kept.append(pair)
        if params.get("X-Amz-Algorithm") != ALGORITHM:
            raise SignatureError(
                "AuthorizationQueryParametersError", "X-Amz-Algorithm must be AWS4-HMAC-SHA256.", 400
            )
        try:
            parsed = _parse_credential(
                params["X-Amz-Credential"],
                params["X-Amz-SignedHeaders"],
                params["X-Amz-Signature"],
                params["X-Amz-Date"],
            )
            expires = int(params.get("X-Amz-Expires", str(MAX_PRESIGN_EXPIRES)))
        except (KeyError, ValueError):
            raise SignatureError(
                "AuthorizationQueryParametersError",
                "Presigned URL is missing a required X-Amz parameter.",
                400,
            ) from None
        if expires < 0:
            raise SignatureError(
                "AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative", 400
            )
        if expires > MAX_PRESIGN_EXPIRES:
            raise SignatureError(
                "AuthorizationQueryParametersError",
                "X-Amz-Expires must be less than a week (in seconds) that is 604800",
                400,
            )
        canonical_query = "&".join(kept)
    elif "AWSAccessKeyId=" in query and "Signature=" in query:
        signed_v2 = _verify_s3_v2_query(environ, access_key, secret_key, now)
        return Pending(
            service=signed_v2.service,
            region=signed_v2.region,
            access_key=signed_v2.access_key,
            sent_hash=None,
            declared_hash=None,
            before_body=UNSIGNED_PAYLOAD,
            expected=None,
            signature="",
        )
    else:
        raise SignatureError("MissingAuthenticationToken", "Request is missing Authentication Token")

    if not hmac.compare_digest(parsed.access_key.encode(), access_key.encode()):
        raise SignatureError("InvalidClientTokenId", "The security token included in the request is invalid.")
    signed_at = _parse_amz_date(parsed.timestamp)
    if parsed.timestamp[:8] != parsed.date:
        raise SignatureError("SignatureDoesNotMatch", "Credential date does not match X-Amz-Date.")
    if presigned:
        if now > signed_at + datetime.timedelta(seconds=expires) or signed_at - now > MAX_SKEW:
            raise SignatureError("AccessDenied", "Request has expired")
    elif abs(now - signed_at) > MAX_SKEW:
        raise SignatureError(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )

    headers: list[tuple[str, str]] = []
    for name in parsed.signed_headers:
        header = _header_value(environ, name)
        if header is None:
            raise SignatureError(
                "SignatureDoesNotMatch", f"Signed header {name!r} is missing from the request."
            )
        headers.append((name, header))

    sent = _header_value(environ, "x-amz-content-sha256")
    signed_sha = "x-amz-content-sha256" in parsed.signed_headers
    before_body = _payload_rule(parsed.service, presigned, sent, signed_sha)

    host = _header_value(environ, "host") or "localhost"
    url = f"http://{host}{_raw_path(environ)}"
    if canonical_query:
        url += "?" + canonical_query
    method = str(environ.get("REQUEST_METHOD", "GET"))
    head = canonical_request_head(method, url, parsed.service, headers)
    day_key = signing_key(secret_key, parsed.date, parsed.region, parsed.service)
    scope = f"{parsed.date}/{parsed.region}/{parsed.service}/aws4_request"
    sts_head = f"{ALGORITHM}\n{parsed.timestamp}\n{scope}\n"

    def expected(payload_hash: str) -> str:
        # The payload hash is passed in, never read from the request's headers: an unsigned
        # X-Amz-Content-SHA256 must not stand in for the body.
        canonical = hashlib.sha256((head + payload_hash).encode()).hexdigest()
        return hmac.new(day_key, (sts_head + canonical).encode(), hashlib.sha256).hexdigest()

    return Pending(
        service=parsed.service,
        region=parsed.region,
        access_key=parsed.access_key,
        sent_hash=sent,
        declared_hash=sent if signed_sha else None,
        before_body=before_body,
        expected=expected,
        signature=parsed.signature,
        chunk_context=(day_key, parsed.timestamp, scope),
    )


class ChunkSignatures:
    """Verifies the signatures of an aws-chunked body (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER])."""

    def __init__(self, pending: Pending) -> None:
        if pending.chunk_context is None:
            raise SignatureError("InvalidRequest", "aws-chunked signatures need a header signature", 400)
        self._key, self._timestamp, self._scope = pending.chunk_context
        self._previous = pending.chunk_seed

    def _expect(self, text: str, signature: str) -> None:
        expected = hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise SignatureError(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        self._previous = signature

    def chunk(self, data: bytes, signature: str) -> None:
        text = "\n".join(
            (
                "AWS4-HMAC-SHA256-PAYLOAD",
                self._timestamp,
                self._scope,
                self._previous,
                EMPTY_SHA256,
                hashlib.sha256(data).hexdigest(),
            )
        )
        self._expect(text, signature)

    def trailer(self, canonical_trailer: bytes, signature: str) -> None:
        text = "\n".join(
            (
                "AWS4-HMAC-SHA256-TRAILER",
                self._timestamp,
                self._scope,
                self._previous,
                hashlib.sha256(canonical_trailer).hexdigest(),
            )
        )
        self._expect(text, signature)


def verify(
    environ: Mapping[str, Any],
    body: bytes | None,
    access_key: str,
    secret_key: str,
    now: datetime.datetime | None = None,
) -> SignedRequest:
    """Check the whole signature of a request whose body is in memory (`body`)."""
    pending = authenticate(environ, access_key, secret_key, now)
    body_hash = hashlib.sha256(body or b"").hexdigest()
    signed = pending.check(pending.hash_before_body or body_hash)
    if pending.hash_before_body not in (UNSIGNED_PAYLOAD, STREAMING_UNSIGNED_TRAILER):
        pending.check_body_hash(body_hash)
    return signed
