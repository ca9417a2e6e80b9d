"""SigV4 verification for the sandbox's front door.

Every request must be signed with the sandbox's own access key and secret. The signature is
recomputed with botocore's own signer (`SigV4Auth`: canonical request, string to sign, signing key)
from the request exactly as it arrived, then compared in constant time. Both forms are accepted:
the `Authorization: AWS4-HMAC-SHA256 ...` header and S3 presigned URLs (`X-Amz-Signature` in the
query). Checked besides the signature: the access key, the date in the credential scope, and a
15-minute clock skew (or the presigned URL's expiry).

The payload hash is the client's `X-Amz-Content-SHA256` header when present (S3 always sends it,
often as `UNSIGNED-PAYLOAD` or `STREAMING-UNSIGNED-PAYLOAD-TRAILER`); it is covered by the signature
but the body itself is not re-hashed for S3, so large uploads stream straight through. Requests
without that header (every JSON/query service) are hashed in full, as AWS does.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import normalize_url_path

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = datetime.timedelta(minutes=15)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class SignatureError(Exception):
    """The request is not signed, or not signed with the sandbox's credentials."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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


class _Verifier(SigV4Auth):
    """botocore's SigV4 signer, fed the signed header names and payload hash from the request."""

    def __init__(
        self,
        credentials: Credentials,
        service: str,
        region: str,
        headers: list[tuple[str, str]],
        payload_hash: str,
    ) -> None:
        super().__init__(credentials, service, region)
        self._signed = headers
        self._service = service
        self._payload_hash = payload_hash

    def headers_to_sign(self, request: AWSRequest) -> Any:
        from botocore.compat import HTTPHeaders

        header_map = HTTPHeaders()
        for name, value in self._signed:
            header_map[name] = value
        return header_map

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash

    def _normalize_url_path(self, path: str) -> str:
        if self._service == "s3":
            # S3 signs the path as sent (botocore's S3SigV4Auth does not normalise it).
            return path
        # What botocore's SigV4Auth._normalize_url_path does for every other service.
        return quote(normalize_url_path(path), safe="/~")


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


def verify(
    environ: Mapping[str, Any],
    body: bytes | None,
    access_key: str,
    secret_key: str,
    now: datetime.datetime | None = None,
) -> SignedRequest:
    """Check the request's SigV4 signature; raise SignatureError if it is missing or wrong.

    `body` is needed only when the request carries no `X-Amz-Content-SHA256` header.
    """
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
                "AuthorizationQueryParametersError", "X-Amz-Algorithm must be AWS4-HMAC-SHA256."
            )
        try:
            parsed = _parse_credential(
                params["X-Amz-Credential"],
                params["X-Amz-SignedHeaders"],
                params["X-Amz-Signature"],
                params["X-Amz-Date"],
            )
            expires = int(params.get("X-Amz-Expires", "604800"))
        except (KeyError, ValueError):
            raise SignatureError(
                "AuthorizationQueryParametersError", "Presigned URL is missing a required X-Amz parameter."
            ) from None
        canonical_query = "&".join(kept)
    elif "AWSAccessKeyId=" in query and "Signature=" in query:
        return _verify_s3_v2_query(environ, access_key, secret_key, now)
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

    content_sha = _header_value(environ, "x-amz-content-sha256")
    if presigned:
        payload_hash = content_sha or UNSIGNED_PAYLOAD
    elif content_sha is not None:
        payload_hash = content_sha
    else:
        payload_hash = hashlib.sha256(body or b"").hexdigest()

    host = _header_value(environ, "host") or "localhost"
    url = f"http://{host}{_raw_path(environ)}"
    if canonical_query:
        url += "?" + canonical_query
    request = AWSRequest(method=str(environ.get("REQUEST_METHOD", "GET")), url=url, headers={})
    if content_sha is not None and not presigned:
        request.headers["X-Amz-Content-SHA256"] = content_sha
    request.context["timestamp"] = parsed.timestamp
    signer = _Verifier(
        Credentials(access_key, secret_key), parsed.service, parsed.region, headers, payload_hash
    )
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected.encode(), parsed.signature.encode()):
        raise SignatureError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
    return SignedRequest(
        service=parsed.service, region=parsed.region, access_key=parsed.access_key, payload_hash=content_sha
    )
