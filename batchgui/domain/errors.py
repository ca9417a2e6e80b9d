"""The small set of errors the UI knows how to say to a person.

`aws/errors.py` turns botocore's exceptions into these; everything above the aws layer sees only
these types. Each carries what went wrong and what to do next.
"""

from __future__ import annotations


class BatchGuiError(Exception):
    """An error with a short title, the service's own words, and the next step for the user."""

    title = "Something went wrong"

    def __init__(self, detail: str, what_to_do: str = "", code: str = "", operation: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.what_to_do = what_to_do
        self.code = code
        self.operation = operation

    def message(self) -> str:
        """One paragraph for a person: what happened, then what to do."""
        head = f"{self.title}: {self.detail}" if self.detail else self.title
        return f"{head}\n{self.what_to_do}" if self.what_to_do else head


class NotFound(BatchGuiError):
    title = "Not found"


class Throttled(BatchGuiError):
    title = "AWS is throttling requests"


class AccessDenied(BatchGuiError):
    title = "Access denied"


class InvalidInput(BatchGuiError):
    title = "Rejected by AWS"


class ExpiredCredentials(BatchGuiError):
    title = "Credentials expired or invalid"


class MissingCredentials(BatchGuiError):
    title = "No credentials"


class NotConnected(BatchGuiError):
    """A feature was asked for AWS work while no connection is open (or it is being switched)."""

    title = "Not connected"

    def __init__(self, detail: str = "no connection is open", what_to_do: str = "") -> None:
        super().__init__(detail, what_to_do or "Choose a profile or the local sandbox and press Connect.")


class EndpointUnreachable(BatchGuiError):
    title = "Cannot reach the endpoint"


class ServiceError(BatchGuiError):
    """Any other error the service answered with."""

    title = "AWS error"
