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
    "ConnectError",
    "ConnectTimeoutError",
    "CreateOutcomeUnknownError",
    "InputError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ReadError",
    "RecordingLeftRunningError",
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
        super().__init__(f"invalid inputs: {lines}")


class RecordingStateError(RtkError):
    """A recording did not reach, or cannot take, the status that was asked for."""


class CreateOutcomeUnknownError(RtkError):
    """A create failed in a way that leaves open whether the object was created."""


class RecordingLeftRunningError(RtkError):
    """A create failed after its recording started, and stopping that recording failed too."""


class StartOutcomeUnknownError(CreateOutcomeUnknownError):
    """A start request failed in a way that leaves open whether the recording started."""


# Transport errors, by the phase that failed (as httpx separates connect from read errors): a
# connection that was never established sent nothing, so retrying is safe and there is nothing to
# reconcile; after the request went out, the server may have acted on it.


class TransportError(RtkError):
    """The HTTP exchange failed below the API; ``may_have_acted`` tells the two phases apart."""

    may_have_acted = True

    def __init__(self, method: str, path: str, address: str, detail: str) -> None:
        self.method = method
        self.path = path
        self.address = address
        self.detail = detail
        super().__init__(f"{method} {path} to {address} {self._what()}")

    def _what(self) -> str:
        return f"failed after the request was sent: {self.detail}; the API may have acted on it"


class ConnectError(TransportError):
    """No connection to the API (refused, name not resolved, TLS failed): nothing was sent."""

    may_have_acted = False

    def _what(self) -> str:
        return (
            f"failed before anything was sent: {self.detail}. Nothing reached the API, so it is "
            "safe to run the same command again once the address is reachable (check "
            "rtk:apiBaseUrl / RTK_API_BASE_URL)"
        )


class ConnectTimeoutError(ConnectError):
    """No connection within the connect timeout: nothing was sent."""


class ReadError(TransportError):
    """The request was sent, then the connection broke (reset, closed, unreadable answer)."""


class ApiTimeoutError(ReadError):
    """No answer within the read timeout; the server may still act on the request."""


# API errors: the server answered, with an error envelope or a body we cannot read.


class ApiError(RtkError):
    """The API answered with an error; ``code`` and ``message`` come from its envelope.

    The message says what failed (method, path, host:port, status, Cloudflare's code and
    message), whether the request may have acted, and the class's advice on what to do next.
    """

    may_have_acted = False
    advice = ""

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
        address: str = "",
    ) -> None:
        self.method = method
        self.path = path
        self.address = address
        self.status = status
        self.code = code
        self.message = message
        self.errors = list(errors) or [(code, message)]
        self.retry_after = retry_after
        code_part = f" (code {code})" if code is not None else ""
        where = f" to {address}" if address else ""
        outcome = (
            "the API may have acted on the request"
            if self.may_have_acted
            else "the API refused the request"
        )
        advice = f"; {self.advice}" if self.advice else ""
        super().__init__(
            f"{method} {path}{where} failed: HTTP {status}{code_part}: {message} "
            f"({outcome}{advice})"
        )


class BadRequestError(ApiError):
    """HTTP 400: the API rejected the request body or query."""


class AuthenticationError(ApiError):
    """HTTP 401: the API token is missing, malformed or unknown."""

    advice = (
        "check the API token: `pulumi config set --secret rtk:apiToken <token>` or "
        "CLOUDFLARE_API_TOKEN. If it was rotated since the last `pulumi up`: `pulumi refresh` "
        "and `pulumi destroy` configure the provider with the config that update saved, so run "
        "them with --run-program (`pulumi destroy --run-program`) to use the new token"
    )


class PermissionDeniedError(ApiError):
    """HTTP 403: the token lacks the Realtime or Realtime Admin permission."""

    advice = "give the API token the Realtime or Realtime Admin permission"


class NotFoundError(ApiError):
    """HTTP 404: no such recording, meeting or route."""

    # Read and delete treat a 404 as gone; one that reaches the user is a wrong id or a base URL
    # without the API's path (the path in the message is relative to it).
    advice = (
        "check the ids in the path (rtk:accountId, rtk:appId, the meeting's id) and that "
        "rtk:apiBaseUrl is the API's base URL, ending in /client/v4"
    )


class ConflictError(ApiError):
    """HTTP 409 or 422: the request conflicts with the resource's current state."""


class RateLimitError(ApiError):
    """HTTP 429 after the retry budget was spent."""

    advice = "rate limited: run the command again in a minute"


class ServerError(ApiError):
    """HTTP 5xx after the retry budget was spent (or at once, for a start request)."""

    may_have_acted = True


class ResponseFormatError(ApiError):
    """The API answered with a body that is not the JSON envelope it documents."""

    may_have_acted = True


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
