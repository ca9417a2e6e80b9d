"""Turns botocore's exceptions into the few error types the UI can explain (domain/errors.py)."""

from __future__ import annotations

from batchgui.domain.errors import (
    AccessDenied,
    BatchGuiError,
    EndpointUnreachable,
    ExpiredCredentials,
    InvalidInput,
    MissingCredentials,
    NotFound,
    ServiceError,
    Throttled,
)

_NOT_FOUND = {"ResourceNotFoundException", "NoSuchBucket", "NoSuchKey", "NoSuchUpload", "NotFound", "404"}
_THROTTLED = {
    "TooManyRequestsException",
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestLimitExceeded",
    "SlowDown",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden", "403"}
_EXPIRED = {
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "AuthFailure",
}
_INVALID = {
    "ClientException",
    "ValidationException",
    "ValidationError",
    "InvalidParameterValue",
    "InvalidParameterException",
    "InvalidRequest",
    "InvalidBucketName",
    "MalformedPolicyDocument",
    "SerializationException",
}


def error_code(exc: BaseException) -> str:
    """The error code in the answer a botocore ClientError carries ("" for any other exception)."""
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def http_status(exc: BaseException) -> int | None:
    """The HTTP status of the answer a botocore ClientError carries (None for any other exception)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else None


def _credentials_hint(profile: str | None) -> str:
    where = f" --profile {profile}" if profile else ""
    return (
        f"Refresh your credentials (for SSO: `aws sso login{where}`; otherwise `aws configure{where}`) "
        "and reconnect."
    )


def translate(exc: BaseException, profile: str | None = None) -> BaseException:
    """Return the BatchGuiError for a botocore exception; anything unknown is returned unchanged."""
    if isinstance(exc, BatchGuiError):
        return exc
    from botocore import exceptions as bc

    if isinstance(exc, bc.ClientError):
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
        operation = exc.operation_name
        status = http_status(exc)
        if code in _THROTTLED or status == 429:
            return Throttled(
                message, "The app retries by itself; lower the refresh rate if it persists.", code, operation
            )
        if code in _NOT_FOUND:
            return NotFound(message, "Refresh the list: it may have been deleted.", code, operation)
        if code in _DENIED:
            return AccessDenied(
                message,
                f"Your identity lacks permission for {operation}. Ask an administrator to allow it, "
                "or switch to a profile that has it.",
                code,
                operation,
            )
        if code in _EXPIRED:
            return ExpiredCredentials(message, _credentials_hint(profile), code, operation)
        if code in _INVALID or (status is not None and 400 <= status < 500):
            return InvalidInput(message, "Correct the values and try again.", code, operation)
        return ServiceError(
            message or code,
            "Try again; if it keeps failing, check the AWS Health Dashboard.",
            code,
            operation,
        )
    if isinstance(exc, bc.UnauthorizedSSOTokenError | bc.SSOTokenLoadError | bc.TokenRetrievalError):
        return ExpiredCredentials(str(exc), _credentials_hint(profile))
    if isinstance(exc, bc.NoCredentialsError | bc.PartialCredentialsError):
        return MissingCredentials(
            str(exc),
            "Pick a profile in the connection bar, or set one up with `aws configure` "
            "(or `aws configure sso`).",
        )
    if isinstance(exc, bc.InvalidConfigError):
        # e.g. an `sso_session` that the config file does not define, or a half-written SSO profile.
        name = profile or "default"
        return MissingCredentials(
            f"profile '{name}' is not set up correctly: {exc}",
            f"Fix it with `aws configure sso --profile {name}`, then run `aws sso login --profile {name}` "
            "and reconnect.",
        )
    if isinstance(exc, bc.ProfileNotFound):
        return MissingCredentials(str(exc), "Pick one of the profiles listed in the connection bar.")
    if isinstance(exc, bc.CredentialRetrievalError):
        return ExpiredCredentials(str(exc), _credentials_hint(profile))
    if isinstance(
        exc,
        bc.EndpointConnectionError
        | bc.ConnectTimeoutError
        | bc.ReadTimeoutError
        | bc.ConnectionClosedError
        | bc.ConnectionError,
    ):
        return EndpointUnreachable(
            str(exc), "Check your network, VPN or proxy, and the endpoint URL; then press F5 to retry."
        )
    if isinstance(exc, bc.ParamValidationError):
        return InvalidInput(str(exc), "Correct the values and try again.")
    if isinstance(exc, bc.NoRegionError):
        return InvalidInput(str(exc), "Choose a region in the connection bar.")
    return exc
