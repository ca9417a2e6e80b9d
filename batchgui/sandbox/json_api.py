"""The AWS JSON protocol as the sandbox answers it (`X-Amz-Target: <prefix><Operation>`, a JSON
body; errors as `{"__type": code, "message" | "Message": …}` with `x-amzn-ErrorType`, as AWS does).

`handle_json_target` is the front half every JSON service shares (Logs, Pricing, ECS); `JsonApi` adds
the check of each request against botocore's model of the service, for services that name their
handlers per operation (the Price List API in pricing_api.py, ECS's DescribeContainerInstances in
ecs_api.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property
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


class JsonApi:
    """Subclasses name the botocore service, the target prefix and their operations' handlers."""

    service = ""
    target_prefix = ""
    # The error code for a request botocore's model rejects, and for an operation the model has
    # that the sandbox does not implement; the key of an error's message.
    invalid_parameter = "InvalidParameterException"
    not_implemented = "InvalidParameterException"
    message_key = "Message"

    def handlers(self) -> dict[str, Callable[[Json], Json]]:
        raise NotImplementedError

    @cached_property
    def model(self) -> Any:
        """botocore's model of the service, loaded on the first request (not at sandbox start)."""
        from batchgui.sandbox.settings import private_botocore_session

        return private_botocore_session().get_service_model(self.service)

    @cached_property
    def validator(self) -> Any:
        from botocore.validate import ParamValidator

        return ParamValidator()

    def handle(self, environ: dict[str, Any], body: bytes) -> Response:
        return handle_json_target(environ, body, self.target_prefix, self.call, message_key=self.message_key)

    def call(self, operation: str, params: Json) -> Json:
        if operation not in self.model.operation_names:
            raise JsonApiError("UnknownOperationException", f"Unknown operation {operation}")
        handler = self.handlers().get(operation)
        if handler is None:
            raise JsonApiError(self.not_implemented, f"{operation} is not implemented by the local sandbox")
        shape = self.model.operation_model(operation).input_shape
        if shape is not None:
            report = self.validator.validate(params, shape)
            if report.has_errors():
                raise JsonApiError(self.invalid_parameter, report.generate_report())
        return handler(params)
