"""Typed errors: callers branch on the class, people act on the message."""

from __future__ import annotations

import pytest

from pulumi_rtk.errors import (
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ConnectError,
    ConnectTimeoutError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ReadError,
    ResponseFormatError,
    RtkError,
    ServerError,
    TransportError,
    error_for_status,
)

PATH = "/accounts/acc/realtime/kit/app/recordings/r1"
ADDRESS = "api.cloudflare.com:443"


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


def test_api_error_message_names_method_path_address_status_code_and_message() -> None:
    error = error_for_status(404)(
        method="GET",
        path=PATH,
        address=ADDRESS,
        status=404,
        code=404,
        message="Recording r1 not found",
    )
    assert isinstance(error, NotFoundError)
    assert str(error) == (
        f"GET {PATH} to {ADDRESS} failed: HTTP 404 (code 404): Recording r1 not found "
        "(the API refused the request; check the ids in the path (rtk:accountId, rtk:appId, "
        "the meeting's id) and that rtk:apiBaseUrl is the API's base URL, ending in /client/v4)"
    )
    assert (error.method, error.path, error.status, error.code) == ("GET", PATH, 404, 404)
    assert error.errors == [(404, "Recording r1 not found")]
    assert error.retry_after is None


def test_api_error_without_a_code_leaves_the_code_part_out() -> None:
    error = ServerError(method="PUT", path=PATH, status=502, code=None, message="Bad Gateway")
    assert (
        str(error)
        == f"PUT {PATH} failed: HTTP 502: Bad Gateway (the API may have acted on the request)"
    )


@pytest.mark.parametrize(
    ("cls", "acted", "advice"),
    [
        (BadRequestError, False, ""),
        (AuthenticationError, False, "pulumi config set --secret rtk:apiToken"),
        (PermissionDeniedError, False, "Realtime Admin permission"),
        (NotFoundError, False, "rtk:apiBaseUrl is the API's base URL, ending in /client/v4"),
        (RateLimitError, False, "again in a minute"),
        (ServerError, True, ""),
        (ResponseFormatError, True, ""),
    ],
)
def test_api_errors_say_whether_the_request_may_have_acted_and_what_to_do(
    cls: type[ApiError], acted: bool, advice: str
) -> None:
    error = cls(method="POST", path=PATH, address=ADDRESS, status=400, code=None, message="m")
    assert error.may_have_acted is acted
    assert ("may have acted" in str(error)) is acted
    assert ("refused" in str(error)) is not acted
    assert advice in str(error)


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
    assert str(error).startswith(f"GET {PATH} failed: HTTP 200: data is not an object")


def test_a_connect_error_sent_nothing_and_says_it_is_safe_to_retry() -> None:
    error = ConnectError("POST", PATH, "127.0.0.1:9", "connection refused")
    assert isinstance(error, TransportError)
    assert error.may_have_acted is False
    assert str(error).startswith(
        f"POST {PATH} to 127.0.0.1:9 failed before anything was sent: connection refused."
    )
    assert "safe to run the same command again" in str(error)
    timeout = ConnectTimeoutError("GET", PATH, "127.0.0.1:9", "no connection within 5 s")
    assert isinstance(timeout, ConnectError)
    assert timeout.may_have_acted is False


def test_a_read_error_may_have_acted() -> None:
    reset = ReadError("POST", PATH, ADDRESS, "connection reset")
    timeout = ApiTimeoutError("GET", PATH, ADDRESS, "no answer within 2 s")
    for error in (reset, timeout):
        assert isinstance(error, TransportError)
        assert not isinstance(error, (ApiError, ConnectError))
        assert error.may_have_acted is True
        assert "the API may have acted on it" in str(error)
        assert ADDRESS in str(error)
    assert (timeout.method, timeout.path, timeout.detail) == ("GET", PATH, "no answer within 2 s")


def test_input_error_lists_every_failure_as_path_colon_reason() -> None:
    failures = [
        ("max_seconds", "must be at least 60"),
        ("storage_config.bucket", "required when type is aws"),
    ]
    error = InputError(failures)
    assert error.failures == failures
    assert str(error) == (
        "invalid inputs: max_seconds: must be at least 60; "
        "storage_config.bucket: required when type is aws"
    )


@pytest.mark.parametrize(
    "cls", [ApiError, ServerError, InputError, TransportError, ResponseFormatError]
)
def test_every_error_is_an_rtk_error(cls: type[Exception]) -> None:
    assert issubclass(cls, RtkError)
