"""Typed errors: callers branch on the class, people act on the message."""

from __future__ import annotations

import pytest

from pulumi_rtk.errors import (
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseFormatError,
    RtkError,
    ServerError,
    TransportError,
    error_for_status,
)

PATH = "/accounts/acc/realtime/kit/app/recordings/r1"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, ConflictError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (599, ServerError),
        (405, ApiError),
        (408, ApiError),
        (418, ApiError),
    ],
)
def test_status_maps_to_the_most_specific_class(status: int, cls: type[ApiError]) -> None:
    assert error_for_status(status) is cls


def test_api_error_message_names_method_path_status_code_and_message() -> None:
    error = error_for_status(404)(
        method="GET", path=PATH, status=404, code=404, message="Recording r1 not found"
    )
    assert isinstance(error, NotFoundError)
    assert str(error) == f"GET {PATH} failed: HTTP 404 (code 404): Recording r1 not found"
    assert (error.method, error.path, error.status, error.code) == ("GET", PATH, 404, 404)
    assert error.errors == [(404, "Recording r1 not found")]
    assert error.retry_after is None


def test_api_error_without_a_code_leaves_the_code_part_out() -> None:
    error = ServerError(method="PUT", path=PATH, status=502, code=None, message="Bad Gateway")
    assert str(error) == f"PUT {PATH} failed: HTTP 502: Bad Gateway"


def test_api_error_keeps_every_envelope_error_and_retry_after() -> None:
    error = RateLimitError(
        method="GET",
        path=PATH,
        status=429,
        code=971,
        message="Please wait",
        errors=[(971, "Please wait"), (None, "second")],
        retry_after=3.0,
    )
    assert error.errors == [(971, "Please wait"), (None, "second")]
    assert error.retry_after == 3.0


def test_response_format_error_is_an_api_error() -> None:
    error = ResponseFormatError(
        method="GET", path=PATH, status=200, code=None, message="data is not an object"
    )
    assert isinstance(error, ApiError)
    assert str(error) == f"GET {PATH} failed: HTTP 200: data is not an object"


def test_transport_and_timeout_errors_name_method_path_and_detail() -> None:
    error = TransportError("POST", PATH, "ConnectionError")
    assert str(error) == f"POST {PATH} failed: ConnectionError"
    timeout = ApiTimeoutError("GET", PATH, "no answer within 2 s")
    assert isinstance(timeout, TransportError)
    assert (timeout.method, timeout.path, timeout.detail) == ("GET", PATH, "no answer within 2 s")
    assert not isinstance(timeout, ApiError)


def test_input_error_lists_every_failure_as_path_colon_reason() -> None:
    failures = [
        ("max_seconds", "must be at least 60"),
        ("storage_config.bucket", "required when type is aws"),
    ]
    error = InputError(failures)
    assert error.failures == failures
    assert str(error) == (
        "invalid recording inputs: max_seconds: must be at least 60; "
        "storage_config.bucket: required when type is aws"
    )


@pytest.mark.parametrize(
    "cls", [ApiError, ServerError, InputError, TransportError, ResponseFormatError]
)
def test_every_error_is_an_rtk_error(cls: type[Exception]) -> None:
    assert issubclass(cls, RtkError)
