"""The AWS Batch control plane (rest-json), shapes exactly as botocore's service model.

Routes are the model's `requestUri`s (POST /v1/<operation lowercased>, plus /v1/tags/{arn}). Input
is validated with botocore's ParamValidator against the operation's input shape, then with Batch's
own rules (in api/, one module per resource); errors are `ClientException` (400) with a message and
`x-amzn-ErrorType`, so botocore raises the same ClientError as against AWS. Nothing changes when a
request is refused.

State lives in the Store; the Engine (scheduler + executor) is told when something changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from botocore.model import OperationModel, ServiceModel
from botocore.validate import ParamValidator

from batchgui.sandbox.api import (
    compute_environments,
    consumable_resources,
    job_definitions,
    job_listing,
    job_queues,
    jobs,
    multinode,
    quota_shares,
    routing,
    scheduling_policies,
    service_jobs,
    tags,
)
from batchgui.sandbox.api.common import ClientError, Context, Encoded, Json, Operation, dumps
from batchgui.sandbox.settings import SandboxSettings
from batchgui.sandbox.store import TERMINAL, Store, summary_delta

if TYPE_CHECKING:
    from batchgui.sandbox.engine import Engine

Response = tuple[int, list[tuple[str, str]], bytes]
MAX_SUBMIT_BYTES = 30 * 1024
OPERATIONS: dict[str, Operation] = {
    **compute_environments.OPERATIONS,
    **job_queues.OPERATIONS,
    **job_definitions.OPERATIONS,
    **jobs.OPERATIONS,
    **job_listing.OPERATIONS,
    **scheduling_policies.OPERATIONS,
    **tags.OPERATIONS,
    **consumable_resources.OPERATIONS,
    **service_jobs.OPERATIONS,
    **quota_shares.OPERATIONS,
    **multinode.OPERATIONS,  # DescribeJobs and ListJobs with multi-node jobs' nodes
    **routing.OPERATIONS,  # RegisterJobDefinition, SubmitJob, CreateJobQueue to the module they need
}
IMPLEMENTED = frozenset(OPERATIONS)
# Answers tried first, already encoded; None sends the request on to OPERATIONS.
FAST_PATHS: dict[str, Callable[[Context, Json], Encoded | None]] = {
    "DescribeJobs": job_listing.describe_plain_jobs,  # finished jobs' JSON cached
}
TAG_ROUTES = {"GET": "ListTagsForResource", "POST": "TagResource", "DELETE": "UntagResource"}


def _load_service_model() -> ServiceModel:
    from batchgui.sandbox.settings import private_botocore_session

    return private_botocore_session().get_service_model("batch")  # never the host's AWS profile


class BatchApi:
    def __init__(self, store: Store, engine: Engine, settings: SandboxSettings) -> None:
        self.store = store
        self.engine = engine
        self.settings = settings
        self.context = Context(store, engine, settings)
        self.model = _load_service_model()
        self.validator = ParamValidator()
        self._routes: dict[tuple[str, str], str] = {}
        for name in self.model.operation_names:
            http = self.model.operation_model(name).http
            self._routes[(http["method"], http["requestUri"])] = name

    def handle(self, environ: dict[str, Any], body: bytes) -> Response:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "/"))
        try:
            op_name, params = self._route(method, path, str(environ.get("QUERY_STRING", "")), body)
            result = self._answer(op_name, params)
        except ClientError as exc:
            payload = dumps({"__type": exc.code, "message": exc.message}).encode()
            return exc.status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", exc.code)], payload
        payload = result.payload if isinstance(result, Encoded) else dumps(result).encode()
        return 200, [("Content-Type", "application/json")], payload

    def _route(self, method: str, path: str, query: str, body: bytes) -> tuple[str, Json]:
        if path.startswith("/v1/tags/"):
            key = TAG_ROUTES.get(method)
            if key is None:
                raise ClientError(f"Unknown operation {method} {path}", "UnknownOperationException", 404)
            params: Json = {"resourceArn": unquote(path[len("/v1/tags/") :])}
            if key == "TagResource":
                params.update(self._json_body(body))
            elif key == "UntagResource":
                params["tagKeys"] = parse_qs(query).get("tagKeys", [])
            return key, params
        op_name = self._routes.get((method, path.rstrip("/").lower()))
        if op_name is None:
            raise ClientError(
                f"Unknown operation {method} {path}: not an AWS Batch API route",
                "UnknownOperationException",
                404,
            )
        if op_name == "SubmitJob" and len(body) > MAX_SUBMIT_BYTES:
            raise ClientError(
                f"SubmitJob request of {len(body)} bytes exceeds the 30 KiB (30720 bytes) limit"
            )
        return op_name, self._json_body(body)

    @staticmethod
    def _json_body(body: bytes) -> Json:
        if not body.strip():
            return {}
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ClientError("Could not parse request body into json: malformed JSON") from None
        if not isinstance(data, dict):
            raise ClientError("Could not parse request body into json: expected an object")
        return data

    def call(self, op_name: str, params: Json) -> Json:
        """Validate `params` against the operation's input shape and run it (in-process callers:
        the answer as a dict, never a pre-encoded one)."""
        return self._handler(op_name, params)(self.context, params)

    def _answer(self, op_name: str, params: Json) -> Json | Encoded:
        """`call` for an HTTP request: a fast path may answer already encoded."""
        handler = self._handler(op_name, params)
        fast = FAST_PATHS.get(op_name)
        answer = fast(self.context, params) if fast is not None else None
        return answer if answer is not None else handler(self.context, params)

    def _handler(self, op_name: str, params: Json) -> Operation:
        """The operation's handler, once `params` passed botocore's check of its input shape."""
        operation: OperationModel = self.model.operation_model(op_name)
        handler = OPERATIONS.get(op_name)
        if handler is None:
            raise ClientError(f"{op_name} is not implemented by the local sandbox")
        if operation.input_shape is not None:
            report = self.validator.validate(params, operation.input_shape)
            if report.has_errors():
                raise ClientError(report.generate_report())
        return handler


__all__ = ["IMPLEMENTED", "TERMINAL", "BatchApi", "ClientError", "summary_delta"]
