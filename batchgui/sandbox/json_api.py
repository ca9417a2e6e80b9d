"""A service of the AWS JSON protocol (`X-Amz-Target: <prefix>.<Operation>`, a JSON body) as the
sandbox answers it: the request checked against botocore's model of the service, errors in AWS's
shape (`__type`, `Message`, `x-amzn-ErrorType`). The Price List API (pricing_api.py) and ECS's
DescribeContainerInstances (ecs_api.py) are such services.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property
from typing import Any

Json = dict[str, Any]
Response = tuple[int, list[tuple[str, str]], bytes]


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class JsonApi:
    """Subclasses name the botocore service, the target prefix and their operations' handlers."""

    service = ""
    target_prefix = ""
    # The error code for a request botocore's model rejects.
    invalid_parameter = "InvalidParameterException"

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
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        headers = [("Content-Type", "application/x-amz-json-1.1")]
        try:
            if not target.startswith(self.target_prefix):
                raise ApiError("UnknownOperationException", f"Missing or unknown X-Amz-Target {target!r}")
            operation = target[len(self.target_prefix) :]
            try:
                params = json.loads(body) if body.strip() else {}
            except (ValueError, UnicodeDecodeError):
                raise ApiError("SerializationException", "Could not parse request body into json") from None
            if not isinstance(params, dict):
                raise ApiError("SerializationException", "Request body must be a JSON object")
            result = self.call(operation, params)
        except ApiError as exc:
            payload = json.dumps({"__type": exc.code, "Message": exc.message}).encode()
            return exc.status, [*headers, ("x-amzn-ErrorType", exc.code)], payload
        return 200, headers, json.dumps(result, separators=(",", ":")).encode()

    def call(self, operation: str, params: Json) -> Json:
        if operation not in self.model.operation_names:
            raise ApiError("UnknownOperationException", f"Unknown operation {operation}")
        handler = self.handlers().get(operation)
        if handler is None:
            raise ApiError(self.invalid_parameter, f"{operation} is not implemented by the local sandbox")
        report = self.validator.validate(params, self.model.operation_model(operation).input_shape)
        if report.has_errors():
            raise ApiError(self.invalid_parameter, report.generate_report())
        return handler(params)
