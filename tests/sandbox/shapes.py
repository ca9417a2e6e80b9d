"""Validate sandbox responses against botocore's output shapes."""

from __future__ import annotations

from typing import Any

from botocore.validate import ParamValidator

# botocore's model marks JobDetail.startedAt as required, yet AWS omits it until a job has started.
KNOWN_MODEL_QUIRKS = ("Missing required parameter in jobs[", "startedAt")


def output_errors(client: Any, operation_name: str, parsed: dict[str, Any]) -> list[str]:
    model = client.meta.service_model.operation_model(operation_name)
    if model.output_shape is None:
        return []
    body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(body, model.output_shape)
    if not report.has_errors():
        return []
    lines = [line for line in report.generate_report().splitlines()[1:] if line.strip()]
    return [
        line
        for line in lines
        if not (
            line.startswith(KNOWN_MODEL_QUIRKS[0]) and line.rstrip().endswith(f'"{KNOWN_MODEL_QUIRKS[1]}"')
        )
    ]


def install_output_validation(client: Any) -> None:
    """Every successful call through `client` must parse into its operation's output shape."""

    def check(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if http_response.status_code >= 300:
            return
        errors = output_errors(client, model.name, parsed)
        assert not errors, f"{model.name} response does not match botocore's output shape: {errors}"

    client.meta.events.register("after-call.*.*", check)
