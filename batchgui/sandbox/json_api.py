"""The AWS JSON protocol's front half, shared by the sandbox's JSON services (Logs, Pricing).

A request names its operation in `X-Amz-Target: <prefix><Operation>` and carries a JSON object; an
error answers `{"__type": code, "message": …}` with `x-amzn-ErrorType`, as AWS does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Json = dict[str, Any]
Response = tuple[int, list[tuple[str, str]], bytes]


class JsonApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def handle_json_target(
    environ: dict[str, Any],
    body: bytes,
    prefix: str,
    call: Callable[[str, Json], Json],
    message_key: str = "message",
) -> Response:
    """Parse the target and body, run `call(operation, params)`, answer JSON (or an AWS error)."""
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    headers = [("Content-Type", "application/x-amz-json-1.1")]
    try:
        if not target.startswith(prefix):
            raise JsonApiError("UnknownOperationException", f"Missing or unknown X-Amz-Target {target!r}")
        try:
            params = json.loads(body) if body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise JsonApiError("SerializationException", "Could not parse request body into json") from None
        if not isinstance(params, dict):
            raise JsonApiError("SerializationException", "Request body must be a JSON object")
        result = call(target[len(prefix) :], params)
    except JsonApiError as exc:
        payload = json.dumps({"__type": exc.code, message_key: exc.message}).encode()
        return exc.status, [*headers, ("x-amzn-ErrorType", exc.code)], payload
    return 200, headers, json.dumps(result, separators=(",", ":")).encode()
