"""Typed errors, so callers can tell bad input, bad config, API refusals and network faults apart.

Every error carries what a user needs to act (HTTP status, Cloudflare's code and message, the
method and path) and nothing they must not see: no headers, no token, no storage credential.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ApiError",
    "ApiTimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ConflictError",
    "InputError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RecordingStateError",
    "ResponseFormatError",
    "RtkError",
    "ServerError",
    "StartOutcomeUnknownError",
    "TransportError",
    "error_for_status",
]


class RtkError(Exception):
    """Base class of every error pulumi_rtk raises on purpose."""


class ConfigError(RtkError):
    """A required setting is missing or malformed in both stack config and environment."""


class InputError(RtkError):
    """Resource inputs broke a rule; each failure is a (field path, reason) pair."""

    def __init__(self, failures: Sequence[tuple[str, str]]) -> None:
        self.failures = list(failures)
        lines = "; ".join(f"{path}: {reason}" for path, reason in self.failures)
        super().__init__(f"invalid recording inputs: {lines}")


class RecordingStateError(RtkError):
    """A recording did not reach, or cannot take, the status that was asked for."""


class StartOutcomeUnknownError(RtkError):
    """A start request failed in a way that leaves open whether the recording started."""


# Transport errors: the request may or may not have reached the server.


class TransportError(RtkError):
    """The HTTP exchange failed below the API (connection refused, reset, TLS)."""

    def __init__(self, method: str, path: str, detail: str) -> None:
        self.method = method
        self.path = path
        self.detail = detail
        super().__init__(f"{method} {path} failed: {detail}")


class ApiTimeoutError(TransportError):
    """No answer within the read timeout; the server may still act on the request."""


# API errors: the server answered, with an error envelope or a body we cannot read.


class ApiError(RtkError):
    """The API answered with an error; ``code`` and ``message`` come from its envelope."""

    def __init__(
        self,
        *,
        method: str,
        path: str,
        status: int,
        code: int | None,
        message: str,
        errors: Sequence[tuple[int | None, str]] = (),
        retry_after: float | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.message = message
        self.errors = list(errors) or [(code, message)]
        self.retry_after = retry_after
        code_part = f" (code {code})" if code is not None else ""
        super().__init__(f"{method} {path} failed: HTTP {status}{code_part}: {message}")


class BadRequestError(ApiError):
    """HTTP 400: the API rejected the request body or query."""


class AuthenticationError(ApiError):
    """HTTP 401: the API token is missing, malformed or unknown."""


class PermissionDeniedError(ApiError):
    """HTTP 403: the token lacks the Realtime or Realtime Admin permission."""


class NotFoundError(ApiError):
    """HTTP 404: no such recording, meeting or route."""


class ConflictError(ApiError):
    """HTTP 409 or 422: the request conflicts with the resource's current state."""


class RateLimitError(ApiError):
    """HTTP 429 after the retry budget was spent."""


class ServerError(ApiError):
    """HTTP 5xx after the retry budget was spent (or at once, for a start request)."""


class ResponseFormatError(ApiError):
    """The API answered with a body that is not the JSON envelope it documents."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ConflictError,
    429: RateLimitError,
}


def error_for_status(status: int) -> type[ApiError]:
    """Pick the most specific error class for an HTTP status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)
