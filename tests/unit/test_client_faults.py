"""The client's fault handling below the API: Retry-After parsing, the phase each requests/urllib3
failure maps to (:func:`pulumi_rtk.client._transport_error`), and which failures the retry
policy retries.

The mapped exceptions are built the way urllib3 2.x and requests raise them (the wrapper, its
``reason`` and its ``__cause__``); the tests that open sockets use 127.0.0.1 only and count
connection attempts, not seconds. urllib3's retry sleeps are recorded, never slept.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import errno
import http.client
import ipaddress
import os
import socket
import ssl
import threading
import time
import types
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import urllib3
import urllib3.util.connection
import urllib3.util.retry
from requests.structures import CaseInsensitiveDict
from urllib3 import exceptions as u3
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.response import HTTPResponse

from pulumi_rtk import client as client_module
from pulumi_rtk.client import (
    RETRY_AFTER_CAP_SECONDS,
    RETRYABLE_STATUSES,
    RealtimeKitClient,
    Target,
    parse_retry_after,
)
from pulumi_rtk.config import ProviderSettings
from pulumi_rtk.errors import (
    ApiTimeoutError,
    ConnectError,
    ConnectTimeoutError,
    ReadError,
    TransportError,
)
from tests.support.processes import free_port

# Retry-After


# 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110.
HTTP_DATE = "Sun, 06 Nov 1994 08:49:37 GMT"
HTTP_DATE_EPOCH = 784111777.0


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Set the wall clock parse_retry_after reads an HTTP date against."""

    def freeze(now: float) -> None:
        monkeypatch.setattr(client_module, "time", types.SimpleNamespace(time=lambda: now))

    return freeze


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),  # not RFC 9110 (1*DIGIT), but meant as seconds: taken as such
        (" 7 ", 7.0),
        ("\t7\r\n", 7.0),
        ("-3", 0.0),  # negatives count as 0
        ("30", 30.0),
        ("31", RETRY_AFTER_CAP_SECONDS),
        ("3600", RETRY_AFTER_CAP_SECONDS),
        ("1e300", RETRY_AFTER_CAP_SECONDS),  # large but finite: capped
        ("soon", None),  # garbage is ignored
        ("", None),
        ("0x10", None),
        ("inf", None),  # not a number of seconds: garbage, not "forever"
        ("-inf", None),
        ("nan", None),
    ],
)
def test_retry_after_seconds(value: str, seconds: float | None) -> None:
    assert parse_retry_after({"Retry-After": value}) == seconds


@pytest.mark.parametrize(
    ("offset", "seconds"),
    [
        (-12.0, 12.0),  # the date is 12 s ahead of now
        (0.0, 0.0),  # the date is now
        (5.0, 0.0),  # in the past: 0, never negative
        (-3600.0, RETRY_AFTER_CAP_SECONDS),  # an hour ahead: capped
    ],
)
def test_retry_after_http_date(
    frozen_now: Callable[[float], None], offset: float, seconds: float
) -> None:
    frozen_now(HTTP_DATE_EPOCH + offset)
    assert parse_retry_after({"Retry-After": HTTP_DATE}) == seconds
    assert parse_retry_after({"Retry-After": f"  {HTTP_DATE} "}) == seconds


def test_retry_after_http_date_in_the_obsolete_rfc_850_form(
    frozen_now: Callable[[float], None],
) -> None:
    frozen_now(HTTP_DATE_EPOCH - 9)
    assert parse_retry_after({"Retry-After": "Sunday, 06-Nov-94 08:49:37 GMT"}) == 9.0


def test_retry_after_http_date_without_a_zone_is_ignored(
    frozen_now: Callable[[float], None],
) -> None:
    """A date with no zone cannot be placed against our clock: ignored, not guessed."""
    frozen_now(HTTP_DATE_EPOCH - 9)
    assert parse_retry_after({"Retry-After": "Sun, 06 Nov 1994 08:49:37"}) is None


def test_retry_after_http_date_really_uses_the_clock() -> None:
    """Without a frozen clock: a date 10 s ahead is about 10 s (dates have 1 s resolution)."""
    ahead = email.utils.formatdate(time.time() + 10, usegmt=True)
    seconds = parse_retry_after({"Retry-After": ahead})
    assert seconds is not None
    assert 8.0 <= seconds <= 10.0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),  # the finer one wins
        ({"retry-after-ms": "soon", "Retry-After": "9"}, 9.0),  # garbage ms: fall back
        ({"retry-after-ms": "inf", "Retry-After": "9"}, 9.0),
        ({"retry-after-ms": "-5"}, 0.0),
        ({"retry-after-ms": "99999999"}, RETRY_AFTER_CAP_SECONDS),
        ({"retry-after-ms": " 20 "}, 0.02),
        ({}, None),
        ({"Content-Type": "application/json"}, None),
    ],
)
def test_retry_after_ms(headers: dict[str, str], seconds: float | None) -> None:
    assert parse_retry_after(headers) == seconds


@pytest.mark.parametrize(
    "headers",
    [
        # What the two callers pass: urllib3's headers (the retry policy) and requests' (errors).
        urllib3.HTTPHeaderDict({"RETRY-AFTER": "5"}),
        urllib3.HTTPHeaderDict({"retry-after": "5"}),
        CaseInsensitiveDict({"retry-after": "5"}),
        CaseInsensitiveDict({"Retry-After-Ms": "5000"}),
        HTTPResponse(body=b"", headers={"retry-after": "5"}, status=429).headers,
    ],
)
def test_retry_after_header_names_are_matched_in_any_case_by_the_callers_mappings(
    headers: Mapping[str, str],
) -> None:
    """parse_retry_after looks names up as given; both callers hand it case-insensitive
    header mappings, so the server's spelling does not matter."""
    assert parse_retry_after(headers) == 5.0


def test_retry_after_with_more_digits_than_a_float_holds_is_capped() -> None:
    assert parse_retry_after({"Retry-After": "9" * 400}) == RETRY_AFTER_CAP_SECONDS


# Phase mapping: _transport_error

HOST = "api.example"
ADDRESS = f"{HOST}:443"
METHOD = "POST"
PATH = "/accounts/acc/realtime/kit/app/recordings"
URL = "/client/v4" + PATH
CONNECT_TIMEOUT, READ_TIMEOUT = 3.0, 20.0

_E = TypeVar("_E", bound=BaseException)


def caused(error: _E, cause: BaseException) -> _E:
    """``error`` as urllib3 raises it, ``from cause``."""
    error.__cause__ = cause
    return error


def pool() -> HTTPSConnectionPool:
    return HTTPSConnectionPool(HOST, 443)


def conn() -> HTTPSConnection:
    return HTTPSConnection(HOST, 443)


def refused() -> u3.NewConnectionError:
    reason = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    return caused(
        u3.NewConnectionError(conn(), f"Failed to establish a new connection: {reason}"), reason
    )


def connect_failure(code: int) -> u3.NewConnectionError:
    reason = OSError(code, os.strerror(code))
    return caused(
        u3.NewConnectionError(conn(), f"Failed to establish a new connection: {reason}"), reason
    )


def not_resolved(code: int = socket.EAI_NONAME) -> u3.NameResolutionError:
    gai = socket.gaierror(code, "Name or service not known")
    return caused(u3.NameResolutionError(HOST, conn(), gai), gai)


def connect_timed_out() -> u3.ConnectTimeoutError:
    message = f"Connection to {HOST} timed out. (connect timeout={CONNECT_TIMEOUT})"
    return caused(u3.ConnectTimeoutError(conn(), message), TimeoutError("timed out"))


def read_timed_out() -> u3.ReadTimeoutError:
    message = f"Read timed out. (read timeout={READ_TIMEOUT})"
    return caused(u3.ReadTimeoutError(pool(), URL, message), TimeoutError("timed out"))


def tls_failed() -> u3.SSLError:
    cause = ssl.SSLCertVerificationError(
        1,
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate "
        "(_ssl.c:1006)",
    )
    return caused(u3.SSLError(cause), cause)


def proxy_refused() -> u3.ProxyError:
    # urllib3.connection._wrap_proxy_error: ProxyError(message, err), __cause__ = err.
    error = refused()
    return caused(u3.ProxyError("Unable to connect to proxy", error), error)


def aborted() -> u3.ProtocolError:
    cause = http.client.RemoteDisconnected("Remote end closed connection without response")
    return caused(u3.ProtocolError("Connection aborted.", cause), cause)


def gave_up(reason: Exception) -> u3.MaxRetryError:
    """What urllib3's Retry raises when the budget is spent (or, for our policy, at once)."""
    return caused(u3.MaxRetryError(pool(), URL, reason), reason)


def mapped(exc: requests.RequestException) -> TransportError:
    return client_module._transport_error(
        exc, METHOD, PATH, ADDRESS, (CONNECT_TIMEOUT, READ_TIMEOUT)
    )


CONNECT_DETAIL = "no connection within 3 s (connect timeout)"
READ_DETAIL = "no answer within 20 s"
TLS_DETAIL = (
    "TLS error ([SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed "
    "certificate (_ssl.c:1006))"
)
BROKE = "the connection broke before an answer came ("


# Each case: what requests raises (requests/adapters.py HTTPAdapter.send and
# requests/models.py Response.iter_content), the error class and its detail.
PHASES: dict[str, tuple[Callable[[], requests.RequestException], type[TransportError], str]] = {
    # Connect phase: nothing was sent.
    "connect timeout": (
        lambda: requests.ConnectTimeout(gave_up(connect_timed_out())),
        ConnectTimeoutError,
        CONNECT_DETAIL,
    ),
    "connect timeout, as a plain ConnectionError": (
        lambda: requests.ConnectionError(gave_up(connect_timed_out())),
        ConnectTimeoutError,
        CONNECT_DETAIL,
    ),
    "connection refused": (
        lambda: requests.ConnectionError(gave_up(refused())),
        ConnectError,
        "connection refused",
    ),
    "host unreachable": (
        lambda: requests.ConnectionError(gave_up(connect_failure(errno.EHOSTUNREACH))),
        ConnectError,
        "host unreachable",
    ),
    "network unreachable": (
        lambda: requests.ConnectionError(gave_up(connect_failure(errno.ENETUNREACH))),
        ConnectError,
        "network unreachable",
    ),
    "other connect errno": (
        lambda: requests.ConnectionError(gave_up(connect_failure(errno.EADDRNOTAVAIL))),
        ConnectError,
        "cannot assign requested address",
    ),
    "name not resolved": (
        lambda: requests.ConnectionError(gave_up(not_resolved())),
        ConnectError,
        "name not resolved",
    ),
    "name not resolved, temporarily": (
        lambda: requests.ConnectionError(gave_up(not_resolved(socket.EAI_AGAIN))),
        ConnectError,
        "name not resolved",
    ),
    "TLS": (lambda: requests.exceptions.SSLError(gave_up(tls_failed())), ConnectError, TLS_DETAIL),
    "proxy": (
        lambda: requests.exceptions.ProxyError(gave_up(proxy_refused())),
        ConnectError,
        "proxy error (",
    ),
    "invalid URL, unparsable host": (
        lambda: requests.exceptions.InvalidURL(
            u3.LocationParseError("'[::1' is not a valid host or port")
        ),
        ConnectError,
        "invalid URL (Failed to parse: '[::1' is not a valid host or port)",
    ),
    "invalid URL, no host": (
        lambda: requests.exceptions.InvalidURL("Invalid URL 'http:///x': No host supplied"),
        ConnectError,
        "invalid URL (Invalid URL 'http:///x': No host supplied)",
    ),
    # Read phase: the request went out; the server may have acted.
    "read timeout, not retried (POST)": (
        lambda: requests.ReadTimeout(read_timed_out()),
        ApiTimeoutError,
        READ_DETAIL,
    ),
    "read timeout, retries spent (GET)": (
        lambda: requests.ConnectionError(gave_up(read_timed_out())),
        ApiTimeoutError,
        READ_DETAIL,
    ),
    "read timeout in the body": (
        lambda: requests.ConnectionError(read_timed_out()),
        ApiTimeoutError,
        READ_DETAIL,
    ),
    "connection aborted, not retried (POST)": (
        lambda: requests.ConnectionError(aborted()),
        ReadError,
        BROKE + "('Connection aborted.', RemoteDisconnected(",
    ),
    "connection aborted, retries spent (GET)": (
        lambda: requests.ConnectionError(gave_up(aborted())),
        ReadError,
        BROKE + "('Connection aborted.', RemoteDisconnected(",
    ),
    "body cut short": (
        lambda: requests.exceptions.ChunkedEncodingError(
            u3.ProtocolError("Response ended prematurely")
        ),
        ReadError,
        BROKE + "Response ended prematurely)",
    ),
    "body that does not decode": (
        lambda: requests.exceptions.ContentDecodingError(
            u3.DecodeError(
                "Received response with content-encoding: gzip, but failed to decode it.",
                zlib.error("Error -3 while decompressing data: incorrect header check"),
            )
        ),
        ReadError,
        "('Received response with content-encoding: gzip, but failed to decode it.', error(",
    ),
}


@pytest.mark.parametrize("case", list(PHASES))
def test_each_failure_maps_to_the_phase_that_failed(case: str) -> None:
    build, cls, detail = PHASES[case]
    error = mapped(build())
    assert type(error) is cls
    assert error.detail.startswith(detail)
    assert (error.method, error.path, error.address) == (METHOD, PATH, ADDRESS)
    assert f"{METHOD} {PATH} to {ADDRESS} " in str(error)
    nothing_sent = issubclass(cls, ConnectError)
    assert error.may_have_acted is not nothing_sent
    if nothing_sent:
        assert "failed before anything was sent" in str(error)
    else:
        assert "the API may have acted on it" in str(error)


@pytest.mark.parametrize(
    ("cls", "may_have_acted"),
    [
        (ConnectError, False),
        (ConnectTimeoutError, False),
        (ReadError, True),
        (ApiTimeoutError, True),
        (TransportError, True),
    ],
)
def test_may_have_acted_by_class(cls: type[TransportError], may_have_acted: bool) -> None:
    assert cls.may_have_acted is may_have_acted
    assert cls(METHOD, PATH, ADDRESS, "x").may_have_acted is may_have_acted


def test_a_connect_timeout_reports_the_connect_timeout_not_the_read_one() -> None:
    error = client_module._transport_error(
        requests.ConnectTimeout(gave_up(connect_timed_out())), "GET", PATH, ADDRESS, (1.5, 45.0)
    )
    assert error.detail == "no connection within 1.5 s (connect timeout)"
    assert "45" not in str(error)


def test_a_refused_connection_is_not_taken_for_a_connect_timeout() -> None:
    """NewConnectionError subclasses urllib3's ConnectTimeoutError; a refusal is not a timeout."""
    assert isinstance(refused(), u3.ConnectTimeoutError)
    error = mapped(requests.ConnectionError(gave_up(refused())))
    assert type(error) is ConnectError
    assert "timeout" not in error.detail


# Retry policy: _retry_policy / _Retry

BUDGET = 2


def retries_before_giving_up(method: str, error: Exception) -> int:
    """How many times the policy retries ``error`` on ``method`` before it gives up."""
    retry = client_module._retry_policy(BUDGET)
    for retried in range(BUDGET + 2):
        try:
            retry = retry.increment(method, URL, error=error)
        except u3.MaxRetryError as spent:
            assert spent.reason is error
            return retried
    raise AssertionError(f"{error!r} was retried past the budget")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "POST"])
@pytest.mark.parametrize(
    "error",
    [
        pytest.param(refused, id="refused"),
        pytest.param(not_resolved, id="name not resolved"),
        pytest.param(lambda: not_resolved(socket.EAI_FAIL), id="name not resolved (EAI_FAIL)"),
        pytest.param(tls_failed, id="TLS"),
    ],
)
def test_failures_that_waiting_cannot_heal_are_not_retried(
    method: str, error: Callable[[], Exception]
) -> None:
    assert retries_before_giving_up(method, error()) == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "POST"])
@pytest.mark.parametrize(
    "error",
    [
        pytest.param(connect_timed_out, id="connect timeout"),
        pytest.param(lambda: not_resolved(socket.EAI_AGAIN), id="temporary name failure"),
        pytest.param(lambda: connect_failure(errno.EHOSTUNREACH), id="host unreachable"),
    ],
)
def test_connection_failures_that_may_heal_are_retried_per_budget_for_every_method(
    method: str, error: Callable[[], Exception]
) -> None:
    """Nothing was sent, so even a POST may connect again."""
    assert retries_before_giving_up(method, error()) == BUDGET


@pytest.mark.parametrize("error", [read_timed_out, aborted], ids=["read timeout", "aborted"])
def test_read_failures_are_retried_per_budget_for_repeatable_methods_only(
    error: Callable[[], Exception],
) -> None:
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        assert retries_before_giving_up(method, error()) == BUDGET
    # A POST may have acted: the error itself comes back, for the provider to reconcile.
    failure = error()
    with pytest.raises(type(failure)) as caught:
        client_module._retry_policy(BUDGET).increment("POST", URL, error=failure)
    assert caught.value is failure


def answer(status: int, headers: Mapping[str, str] | None = None) -> HTTPResponse:
    return HTTPResponse(body=b"", headers=dict(headers or {}), status=status)


@pytest.mark.parametrize("status", sorted(RETRYABLE_STATUSES))
def test_transient_statuses_are_retried_per_budget_for_get_never_for_post(status: int) -> None:
    retry = client_module._retry_policy(BUDGET)
    assert retry.is_retry("GET", status, has_retry_after=True)
    assert not retry.is_retry("POST", status, has_retry_after=True)
    for _ in range(BUDGET):
        retry = retry.increment("GET", URL, response=answer(status))
    with pytest.raises(u3.MaxRetryError) as caught:
        retry.increment("GET", URL, response=answer(status))
    assert isinstance(caught.value.reason, u3.ResponseError)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_refusals_are_not_retried(status: int) -> None:
    retry = client_module._retry_policy(BUDGET)
    assert not retry.is_retry("GET", status, has_retry_after=True)


@pytest.mark.parametrize(
    ("value", "wait"),
    [("soon", None), ("3600", RETRY_AFTER_CAP_SECONDS), ("2", 2.0), ("inf", None)],
)
def test_the_policy_reads_retry_after_leniently_and_capped(
    value: str, wait: float | None, slept: list[float]
) -> None:
    retry = client_module._retry_policy(BUDGET)
    response = answer(503, {"Retry-After": value})
    assert retry.get_retry_after(response) == wait
    # urllib3's own Retry would raise InvalidHeader on garbage, and honour an hour.
    if value == "soon":
        with pytest.raises(u3.InvalidHeader):
            urllib3.util.retry.Retry().get_retry_after(response)
    for _ in range(2):
        retry = retry.increment("GET", URL, response=response)
    retry.sleep(response)
    # No usable Retry-After: the backoff of a second consecutive retry (0.25 * 2 + jitter).
    assert slept == ([wait] if wait else [pytest.approx(0.625, abs=0.125)])


# Through the real stack: requests, urllib3 and a socket on 127.0.0.1


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every connection urllib3 opens, as (host, port); the real connect still happens."""
    seen: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def counting(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting)
    return seen


def failing_connections(monkeypatch: pytest.MonkeyPatch, failure: OSError) -> list[tuple[str, int]]:
    """Every connection attempt fails with ``failure`` (what the socket layer would raise)."""
    seen: list[tuple[str, int]] = []

    def failing(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen.append(address)
        raise failure

    monkeypatch.setattr(urllib3.util.connection, "create_connection", failing)
    return seen


_clients: list[RealtimeKitClient] = []


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    yield
    while _clients:
        _clients.pop().close()


def client_for(base_url: str, **settings: Any) -> tuple[RealtimeKitClient, Target]:
    values: dict[str, Any] = {"api_token": "tok-faults", "api_base_url": base_url, **settings}
    instance = RealtimeKitClient(ProviderSettings(**values))
    _clients.append(instance)
    return instance, Target(base_url, "acc", "app")


def test_a_closed_port_fails_at_once_after_one_connection_attempt(
    attempts: list[tuple[str, int]], slept: list[float]
) -> None:
    port = free_port()
    client, target = client_for(f"http://127.0.0.1:{port}/client/v4", max_retries=3)
    with pytest.raises(ConnectError) as caught:
        client.get_recording(target, "r1")
    error = caught.value
    assert type(error) is ConnectError
    assert (error.address, error.detail, error.may_have_acted) == (
        f"127.0.0.1:{port}",
        "connection refused",
        False,
    )
    assert f"to 127.0.0.1:{port} failed before anything was sent: connection refused" in str(error)
    assert attempts == [("127.0.0.1", port)]
    assert slept == []


def test_a_connect_timeout_is_retried_per_budget_and_names_the_connect_timeout(
    monkeypatch: pytest.MonkeyPatch, slept: list[float]
) -> None:
    seen = failing_connections(monkeypatch, TimeoutError("timed out"))
    port = free_port()
    client, target = client_for(
        f"http://127.0.0.1:{port}/client/v4",
        max_retries=3,
        connect_timeout=2.5,
        request_timeout=40.0,
    )
    with pytest.raises(ConnectTimeoutError) as caught:
        client.start_recording(target, {"meeting_id": "m"})  # a POST: nothing was sent
    assert caught.value.detail == "no connection within 2.5 s (connect timeout)"
    assert caught.value.may_have_acted is False
    assert len(seen) == 4


@pytest.mark.parametrize(
    ("code", "tries"), [(socket.EAI_NONAME, 1), (socket.EAI_FAIL, 1), (socket.EAI_AGAIN, 4)]
)
def test_a_name_that_does_not_resolve_fails_at_once_unless_the_failure_is_temporary(
    monkeypatch: pytest.MonkeyPatch, slept: list[float], code: int, tries: int
) -> None:
    seen = failing_connections(monkeypatch, socket.gaierror(code, "resolver says no"))
    client, target = client_for("http://rtk.invalid/client/v4", max_retries=3)
    with pytest.raises(ConnectError) as caught:
        client.get_recording(target, "r1")
    assert type(caught.value) is ConnectError
    assert (caught.value.address, caught.value.detail) == ("rtk.invalid:80", "name not resolved")
    assert len(seen) == tries


@contextlib.contextmanager
def serving(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that hands each connection to ``handle``; yields its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                peer, _ = listener.accept()
            except TimeoutError:
                continue
            peer.settimeout(5)
            with peer, contextlib.suppress(OSError):
                handle(peer)

    worker = threading.Thread(target=loop, daemon=True)
    worker.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        worker.join(timeout=5)
        listener.close()


def plain_http(peer: socket.socket) -> None:
    peer.recv(4096)
    peer.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def test_a_tls_failure_fails_at_once_as_a_connect_error(
    attempts: list[tuple[str, int]], slept: list[float]
) -> None:
    """https:// to a port that speaks plain HTTP: the handshake fails, nothing was sent."""
    with serving(plain_http) as port:
        client, target = client_for(f"https://127.0.0.1:{port}/client/v4", max_retries=3)
        with pytest.raises(ConnectError) as caught:
            client.get_recording(target, "r1")
    assert type(caught.value) is ConnectError
    assert caught.value.detail.startswith("TLS error (")
    assert caught.value.may_have_acted is False
    assert attempts == [("127.0.0.1", port)]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_a_tls_failure_after_the_request_was_sent_may_have_acted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slept: list[float]
) -> None:
    pytest.importorskip(
        "cryptography",
        reason="the test's self-signed certificate needs cryptography, a dev-only tool that the "
        "floor run's virtualenv (runtime dependencies at their lower bounds) leaves out",
    )
    cert_file, key_file = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    received: list[bytes] = []

    def corrupt_answer(peer: socket.socket) -> None:
        with context.wrap_socket(peer, server_side=True) as tls:
            request = b""
            while b"\r\n\r\n" not in request:
                request += tls.recv(65536)
            head, body = request.split(b"\r\n\r\n", 1)
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(body) < length:
                body += tls.recv(65536)
            received.append(head.split(b"\r\n", 1)[0])
            # An application-data record that does not decrypt: the client's read fails in TLS.
            with socket.socket(fileno=os.dup(tls.fileno())) as raw:
                raw.sendall(b"\x17\x03\x03\x00\x10" + b"not-a-tls-record")
                raw.settimeout(5)
                raw.recv(1)  # until the client hangs up: no reset races the bad record

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    with serving(corrupt_answer) as port:
        client, target = client_for(f"https://127.0.0.1:{port}/client/v4", max_retries=0)
        with pytest.raises(TransportError) as caught:
            client.start_recording(target, {"meeting_id": "m"})
    assert received == [b"POST /client/v4/accounts/acc/realtime/kit/app/recordings HTTP/1.1"]
    assert caught.value.may_have_acted is True
    assert "failed before anything was sent" not in str(caught.value)


def test_a_base_url_with_an_impossible_port_is_a_connect_error() -> None:
    client, target = client_for("http://127.0.0.1:99999/client/v4")
    with pytest.raises(ConnectError, match="invalid URL"):
        client.get_recording(target, "r1")
