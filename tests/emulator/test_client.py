"""The HTTP client against the real emulator over loopback, plus envelope edge cases via responses.

Retries are kept fast: urllib3's sleeps are recorded instead of slept (``slept`` fixture), which
also lets a test see exactly which Retry-After delay the client chose.
"""

from __future__ import annotations

import logging
import pickle
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from pulumi_rtk import client as client_module
from pulumi_rtk._version import __version__
from pulumi_rtk.client import RealtimeKitClient, Target
from pulumi_rtk.config import ProviderSettings
from pulumi_rtk.emulator import Emulator
from pulumi_rtk.errors import (
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ConnectError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    TransportError,
)
from tests.support.values import (
    ACCOUNT,
    APP,
    AWS_ACCESS_KEY,
    AWS_SECRET,
    SECRET_VALUES,
    SFTP_PRIVATE_KEY,
    TOKEN,
    aws_storage,
)

RECORDINGS = r"/recordings$"
MOCK_BASE = "https://rtk.invalid/client/v4"


def make_settings(base_url: str, **overrides: Any) -> ProviderSettings:
    values: dict[str, Any] = {
        "account_id": ACCOUNT,
        "app_id": APP,
        "api_token": TOKEN,
        "api_base_url": base_url,
        "max_retries": 2,
        "request_timeout": 0.5,
        **overrides,
    }
    return ProviderSettings(**values)


_open: list[RealtimeKitClient] = []


def new_client(settings: ProviderSettings) -> RealtimeKitClient:
    """A client closed after the test, so no pooled socket outlives it."""
    instance = RealtimeKitClient(settings)
    _open.append(instance)
    return instance


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    yield
    while _open:
        _open.pop().close()


@pytest.fixture
def target(emulator: Emulator) -> Target:
    return Target(emulator.base_url, ACCOUNT, APP)


@pytest.fixture
def client(emulator: Emulator) -> Iterator[RealtimeKitClient]:
    instance = RealtimeKitClient(make_settings(emulator.base_url))
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def http_log() -> Iterator[logging.Logger]:
    """The client's logger; handlers the debug switch adds are removed afterwards."""
    log = logging.getLogger("pulumi_rtk.http")
    handlers, level = list(log.handlers), log.level
    yield log
    for handler in list(log.handlers):
        if handler not in handlers:
            log.removeHandler(handler)
    log.setLevel(level)


def leak_free(*texts: object) -> None:
    for text in texts:
        for secret in SECRET_VALUES:
            assert secret not in str(text)


def error_texts(error: BaseException) -> list[object]:
    return [str(error), repr(error), error.args, vars(error)]


def start(client: RealtimeKitClient, target: Target, meeting_id: str, **options: Any) -> str:
    return str(client.start_recording(target, {"meeting_id": meeting_id, **options})["id"])


# Endpoints


def test_recording_lifecycle_through_every_endpoint(
    client: RealtimeKitClient, target: Target, emulator: Emulator, meeting_id: str
) -> None:
    started = client.start_recording(target, {"meeting_id": meeting_id, "max_seconds": 600})
    rid = started["id"]
    assert started["status"] == "INVOKED"
    assert client.get_recording(target, rid)["id"] == rid
    active = client.get_active_recording(target, meeting_id)
    assert active is not None and active["id"] == rid
    emulator.advance(3)
    assert client.get_recording(target, rid)["status"] == "RECORDING"
    assert client.act_on_recording(target, rid, "pause")["status"] == "PAUSED"
    assert client.act_on_recording(target, rid, "resume")["status"] == "RECORDING"
    assert client.act_on_recording(target, rid, "stop")["status"] == "UPLOADING"
    assert client.get_active_recording(target, meeting_id) is None
    assert [r.body for r in emulator.requests(method="PUT")] == [
        {"action": "pause"},
        {"action": "resume"},
        {"action": "stop"},
    ]


def test_active_recording_is_none_on_404_but_other_errors_raise(
    client: RealtimeKitClient, target: Target, emulator: Emulator, meeting_id: str
) -> None:
    assert client.get_active_recording(target, meeting_id) is None
    emulator.add_fault("GET", "active-recording", "status", status=403)
    with pytest.raises(PermissionDeniedError):
        client.get_active_recording(target, meeting_id)


def test_start_sends_the_body_as_given_including_credentials(
    client: RealtimeKitClient, target: Target, emulator: Emulator, meeting_id: str
) -> None:
    body = {"meeting_id": meeting_id, "storage_config": aws_storage(), "file_name_prefix": "x"}
    client.start_recording(target, body)
    assert [r.body for r in emulator.requests(method="POST", path=RECORDINGS)] == [body]


def test_track_recording_returns_the_recording_object(
    client: RealtimeKitClient, target: Target, emulator: Emulator, meeting_id: str
) -> None:
    body = {"meeting_id": meeting_id, "layers": {"default": {"media_kind": "audio"}}}
    recording = client.start_track_recording(target, body)
    assert recording["status"] == "INVOKED"
    assert recording["meeting_id"] == meeting_id
    assert emulator.requests(method="POST", path=r"/recordings/track$")[0].body == body


def test_list_follows_every_page(
    client: RealtimeKitClient, target: Target, emulator: Emulator, meeting_id: str
) -> None:
    created = {
        start(client, target, meeting_id, allow_multiple_recordings=True) for _ in range(105)
    }
    emulator.clear_requests()
    assert {r["id"] for r in client.list_recordings(target)} == created
    pages = emulator.requests(method="GET", path=RECORDINGS)
    assert [r.query["page_no"] for r in pages] == [["1"], ["2"]]
    assert {r.query["per_page"][0] for r in pages} == {"100"}

    emulator.clear_requests()
    listed = [r["id"] for r in client.list_recordings(target, per_page=10)]
    assert len(listed) == 105
    assert set(listed) == created
    pages = emulator.requests(method="GET", path=RECORDINGS)
    assert [r.query["page_no"] for r in pages] == [[str(n)] for n in range(1, 12)]


def test_list_stops_at_max_pages(
    client: RealtimeKitClient, target: Target, emulator: Emulator, meeting_id: str
) -> None:
    for _ in range(5):
        start(client, target, meeting_id, allow_multiple_recordings=True)
    emulator.clear_requests()
    assert len(list(client.list_recordings(target, per_page=2, max_pages=2))) == 4
    assert len(emulator.requests(method="GET", path=RECORDINGS)) == 2


def test_list_filters_reach_the_wire_and_filter(
    client: RealtimeKitClient, target: Target, emulator: Emulator
) -> None:
    standup = emulator.create_meeting(ACCOUNT, APP, title="standup")
    review = emulator.create_meeting(ACCOUNT, APP, title="design review")
    first = start(client, target, standup)
    emulator.advance(10)
    second = start(client, target, review)
    emulator.advance(10)
    third = start(client, target, review, allow_multiple_recordings=True)
    client.act_on_recording(target, second, "stop")
    invoked = client.get_recording(target, second)["invoked_time"]

    def ids(**filters: Any) -> list[str]:
        return [r["id"] for r in client.list_recordings(target, **filters)]

    assert ids(meeting_id=review, sort_order="ASC") == [second, third]
    assert ids(meeting_id=review, sort_order="DESC") == [third, second]
    assert ids(status=["UPLOADING"]) == [second]
    assert ids(status=["RECORDING"]) == [first]  # invoked 20 s ago, past the invoke delay
    assert sorted(ids(status=["UPLOADING", "INVOKED"])) == sorted([second, third])
    assert ids(search="design", sort_order="ASC") == [second, third]
    assert ids(start_time=invoked, end_time=invoked) == [second]
    assert sorted(ids(expired=False)) == sorted([first, second, third])
    assert ids(expired=True) == []

    emulator.clear_requests()
    ids(
        meeting_id=review,
        status=["RECORDING", "PAUSED"],
        sort_order="ASC",
        search="design",
        start_time=invoked,
        expired=False,
        per_page=5,
    )
    (sent,) = emulator.requests(method="GET", path=RECORDINGS)
    assert sent.query == {
        "per_page": ["5"],
        "meeting_id": [review],
        "status": ["RECORDING", "PAUSED"],
        "sort_order": ["ASC"],
        "search": ["design"],
        "start_time": [invoked],
        "expired": ["false"],
        "page_no": ["1"],
    }


# Headers, envelopes and leaks


def test_user_agent_bearer_token_and_accept_headers_are_sent() -> None:
    target = Target(MOCK_BASE, ACCOUNT, APP)
    client = new_client(make_settings(MOCK_BASE))
    with responses.RequestsMock() as mock:
        mock.get(
            MOCK_BASE + target.path("recordings", "r1"),
            json={"success": True, "data": {"id": "r1", "status": "RECORDING"}},
        )
        assert client.get_recording(target, "r1")["id"] == "r1"
        headers = mock.calls[0].request.headers
    assert headers["User-Agent"] == f"pulumi-rtk/{__version__}"
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "application/json"


def test_the_bearer_token_reaches_the_server(emulator: Emulator, target: Target) -> None:
    """The emulator accepts only TOKEN; a different token is refused with the gateway envelope."""
    wrong = "wrong-LEAKCHECK-token"
    stranger = new_client(make_settings(emulator.base_url, api_token=wrong))
    with pytest.raises(AuthenticationError) as caught:
        stranger.get_recording(target, "r1")
    error = caught.value
    assert (error.status, error.code, error.message) == (401, 10000, "Authentication error")
    assert (error.method, error.path) == ("GET", target.path("recordings", "r1"))
    leak_free(*error_texts(error))
    for text in error_texts(error):
        assert wrong not in str(text)
        assert "Bearer" not in str(text)


def test_rtk_error_envelope_becomes_a_typed_error(
    client: RealtimeKitClient, target: Target
) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get_recording(target, "0f0f0f0f-0000-4000-8000-000000000000")
    error = caught.value
    path = target.path("recordings", "0f0f0f0f-0000-4000-8000-000000000000")
    assert (error.status, error.code, error.method, error.path) == (404, 404, "GET", path)
    assert error.message == "Recording 0f0f0f0f-0000-4000-8000-000000000000 not found"
    assert str(error) == (
        f"GET {path} to {target.address} failed: HTTP 404 (code 404): {error.message} "
        f"(the API refused the request; {NotFoundError.advice})"
    )
    leak_free(*error_texts(error))


def test_bad_request_names_the_field_and_leaks_no_credential(
    client: RealtimeKitClient, target: Target, emulator: Emulator, meeting_id: str
) -> None:
    storage = {**aws_storage(), "colour": "red"}
    with pytest.raises(BadRequestError) as caught:
        client.start_recording(target, {"meeting_id": meeting_id, "storage_config": storage})
    assert caught.value.message == "storage_config.colour: unknown field"
    assert caught.value.code == 400
    leak_free(*error_texts(caught.value))


def test_gateway_error_envelope_after_the_retry_budget(
    client: RealtimeKitClient, target: Target, emulator: Emulator, slept: list[float]
) -> None:
    emulator.add_fault("GET", "/recordings/r1$", "gateway_error", count=3, error_code=971)
    with pytest.raises(RateLimitError) as caught:
        client.get_recording(target, "r1")
    error = caught.value
    assert (error.status, error.code) == (429, 971)
    assert error.message == "Please wait and consider throttling your request speed"
    assert len(emulator.requests(method="GET")) == 3


def test_a_credential_echoed_by_an_api_error_is_scrubbed() -> None:
    target = Target(MOCK_BASE, ACCOUNT, APP)
    client = new_client(make_settings(MOCK_BASE, max_retries=0))
    body = {"meeting_id": "m", "storage_config": {**aws_storage(), "private_key": SFTP_PRIVATE_KEY}}
    with responses.RequestsMock() as mock:
        mock.post(
            MOCK_BASE + target.path("recordings"),
            status=400,
            json={
                "success": False,
                "error": {"code": 400, "message": f"bad access key {AWS_ACCESS_KEY}"},
                "errors": [{"code": 1, "message": f"{AWS_SECRET} / {SFTP_PRIVATE_KEY}"}],
            },
        )
        with pytest.raises(BadRequestError) as caught:
            client.start_recording(target, body)
    error = caught.value
    assert error.message == "bad access key [secret]"
    assert error.errors == [(400, "bad access key [secret]"), (1, "[secret] / [secret]")]
    leak_free(*error_texts(error))


def test_the_api_token_echoed_by_an_api_error_is_scrubbed() -> None:
    """A gateway may quote the credential it rejected; the token must not reach a message."""
    target = Target(MOCK_BASE, ACCOUNT, APP)
    client = new_client(make_settings(MOCK_BASE, max_retries=0))
    with responses.RequestsMock() as mock:
        mock.get(
            MOCK_BASE + target.path("recordings", "r1"),
            status=401,
            json={"success": False, "errors": [{"code": 9109, "message": f"bad token {TOKEN}"}]},
        )
        with pytest.raises(AuthenticationError) as caught:
            client.get_recording(target, "r1")
    assert caught.value.code == 9109
    leak_free(*error_texts(caught.value))


# Retries


@pytest.mark.parametrize("status", [503, 429, 502, 504, 408, 500])
def test_get_is_retried_on_transient_statuses(
    client: RealtimeKitClient,
    target: Target,
    emulator: Emulator,
    meeting_id: str,
    slept: list[float],
    status: int,
) -> None:
    rid = start(client, target, meeting_id)
    emulator.add_fault("GET", rf"/recordings/{rid}$", "status", status=status)
    assert client.get_recording(target, rid)["id"] == rid
    assert [r.status for r in emulator.requests(method="GET")] == [status, 200]


@pytest.mark.parametrize("status", [503, 429])
def test_put_is_retried_and_acts_once(
    client: RealtimeKitClient,
    target: Target,
    emulator: Emulator,
    meeting_id: str,
    slept: list[float],
    status: int,
) -> None:
    rid = start(client, target, meeting_id)
    emulator.add_fault("PUT", rf"/recordings/{rid}$", "status", status=status)
    assert client.act_on_recording(target, rid, "stop")["status"] == "UPLOADING"
    assert [r.status for r in emulator.requests(method="PUT")] == [status, 200]


def test_retries_stop_at_the_budget(
    client: RealtimeKitClient, target: Target, emulator: Emulator, slept: list[float]
) -> None:
    emulator.add_fault("GET", "/recordings/r1$", "status", status=503, count=5)
    with pytest.raises(ServerError) as caught:
        client.get_recording(target, "r1")
    assert caught.value.status == 503
    assert caught.value.message == "Injected fault: HTTP 503"
    assert len(emulator.requests(method="GET")) == 3  # max_retries=2: one try, two retries


def test_no_retry_with_a_zero_budget(emulator: Emulator, target: Target) -> None:
    emulator.add_fault("GET", "/recordings/r1$", "status", status=503)
    client = new_client(make_settings(emulator.base_url, max_retries=0))
    with pytest.raises(ServerError):
        client.get_recording(target, "r1")
    assert len(emulator.requests(method="GET")) == 1


def test_retry_after_is_honoured(
    client: RealtimeKitClient,
    target: Target,
    emulator: Emulator,
    meeting_id: str,
    slept: list[float],
) -> None:
    rid = start(client, target, meeting_id)
    emulator.add_fault("GET", rf"/recordings/{rid}$", "status", status=503, retry_after="7")
    client.get_recording(target, rid)
    assert slept == [7.0]


def test_retry_after_is_capped(
    client: RealtimeKitClient,
    target: Target,
    emulator: Emulator,
    meeting_id: str,
    slept: list[float],
) -> None:
    rid = start(client, target, meeting_id)
    emulator.add_fault("GET", rf"/recordings/{rid}$", "status", status=429, retry_after="3600")
    client.get_recording(target, rid)
    assert slept == [client_module.RETRY_AFTER_CAP_SECONDS] == [30.0]


def test_retry_after_of_the_last_answer_is_reported_capped(
    client: RealtimeKitClient, target: Target, emulator: Emulator, slept: list[float]
) -> None:
    emulator.add_fault("GET", "/recordings/r1$", "status", status=429, count=3, retry_after="3600")
    with pytest.raises(RateLimitError) as caught:
        client.get_recording(target, "r1")
    assert caught.value.retry_after == 30.0
    assert slept == [30.0, 30.0]


@pytest.mark.parametrize("status", [503, 429, 502])
def test_post_is_never_retried(
    client: RealtimeKitClient,
    target: Target,
    emulator: Emulator,
    meeting_id: str,
    slept: list[float],
    status: int,
) -> None:
    emulator.add_fault("POST", RECORDINGS, "status", status=status, retry_after="1")
    with pytest.raises(ApiError) as caught:
        start(client, target, meeting_id)
    assert caught.value.status == status
    assert len(emulator.requests(method="POST", path=RECORDINGS)) == 1
    assert emulator.recordings() == []
    assert slept == []


def test_post_is_not_retried_after_a_connection_reset(
    client: RealtimeKitClient, target: Target, emulator: Emulator, meeting_id: str
) -> None:
    emulator.add_fault("POST", RECORDINGS, "reset_after")
    with pytest.raises(TransportError) as caught:
        start(client, target, meeting_id)
    assert not isinstance(caught.value, ApiTimeoutError)
    assert caught.value.method == "POST"
    assert len(emulator.requests(method="POST", path=RECORDINGS)) == 1
    assert len(emulator.recordings()) == 1  # the server acted: the outcome is unknown


# Transport failures


def test_connection_refused_is_a_connect_error_naming_host_port_and_cause(
    slept: list[float],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}/client/v4"
    target = Target(base, ACCOUNT, APP)
    client = new_client(make_settings(base))
    with pytest.raises(ConnectError) as caught:
        client.get_recording(target, "r1")
    error = caught.value
    assert (error.method, error.path) == ("GET", target.path("recordings", "r1"))
    assert (error.address, error.detail, error.may_have_acted) == (
        f"127.0.0.1:{port}",
        "connection refused",
        False,
    )
    assert f"to 127.0.0.1:{port} failed before anything was sent: connection refused" in str(error)
    leak_free(*error_texts(error))


def test_resets_are_retried_for_get_then_reported(
    client: RealtimeKitClient, target: Target, emulator: Emulator, slept: list[float]
) -> None:
    emulator.add_fault("GET", "/recordings/r1$", "reset_before", count=3)
    with pytest.raises(TransportError):
        client.get_recording(target, "r1")
    assert len(emulator.requests(method="GET")) == 3


def test_a_post_read_timeout_is_an_api_timeout(
    client: RealtimeKitClient, target: Target, emulator: Emulator, meeting_id: str
) -> None:
    emulator.add_fault("POST", RECORDINGS, "hang", hang_seconds=5)
    with pytest.raises(ApiTimeoutError) as caught:
        start(client, target, meeting_id)
    assert caught.value.detail == "no answer within 0.5 s"
    assert len(emulator.requests(method="POST", path=RECORDINGS)) == 1


@pytest.mark.parametrize("max_retries", [0, 1])
def test_a_get_read_timeout_is_an_api_timeout(
    emulator: Emulator, target: Target, slept: list[float], max_retries: int
) -> None:
    """Retried GETs time out too; urllib3 then wraps the timeout, which must still read as one."""
    emulator.add_fault("GET", "/recordings/r1$", "hang", hang_seconds=5, count=max_retries + 1)
    settings = make_settings(emulator.base_url, max_retries=max_retries, request_timeout=0.3)
    client = new_client(settings)
    started = time.perf_counter()
    with pytest.raises(ApiTimeoutError) as caught:
        client.get_recording(target, "r1")
    assert time.perf_counter() - started < 3
    assert caught.value.method == "GET"
    assert len(emulator.requests(method="GET")) == max_retries + 1


def test_malformed_json_is_a_response_format_error(
    client: RealtimeKitClient, target: Target, emulator: Emulator, meeting_id: str
) -> None:
    rid = start(client, target, meeting_id)
    emulator.add_fault("GET", rf"/recordings/{rid}$", "malformed")
    with pytest.raises(ResponseFormatError) as caught:
        client.get_recording(target, rid)
    assert caught.value.status == 200
    assert caught.value.message == "response is not a JSON envelope"


# Session, pickling, debug log


def test_the_session_is_built_lazily_and_once_under_a_race(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[requests.Session] = []
    real_build = RealtimeKitClient._build_session

    def slow_build(self: RealtimeKitClient) -> requests.Session:
        time.sleep(0.05)  # widen the window in which racing threads could build twice
        session = real_build(self)
        built.append(session)
        return session

    monkeypatch.setattr(RealtimeKitClient, "_build_session", slow_build)
    client = RealtimeKitClient(make_settings(emulator.base_url))
    assert built == []
    barrier = threading.Barrier(8)
    seen: list[requests.Session] = []

    def grab() -> None:
        barrier.wait()
        seen.append(client.session)

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert len(seen) == 8
    assert all(session is built[0] for session in seen)
    client.close()


def test_a_missing_token_fails_on_first_use_not_construction(emulator: Emulator) -> None:
    client = new_client(make_settings(emulator.base_url, api_token=None))
    with pytest.raises(Exception, match="CLOUDFLARE_API_TOKEN"):
        client.get_recording(Target(emulator.base_url, ACCOUNT, APP), "r1")
    assert emulator.requests() == []


def test_the_client_refuses_to_be_pickled(client: RealtimeKitClient) -> None:
    with pytest.raises(TypeError, match="must never be pickled"):
        pickle.dumps(client)
    _ = client.session
    with pytest.raises(TypeError, match="must never be pickled"):
        pickle.dumps(client)


def test_debug_log_lines_carry_the_request_facts_and_no_secret(
    emulator: Emulator,
    target: Target,
    meeting_id: str,
    slept: list[float],
    http_log: logging.Logger,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = new_client(make_settings(emulator.base_url, debug=True))
    caplog.set_level(logging.INFO, logger=http_log.name)
    rid = start(client, target, meeting_id, storage_config=aws_storage())
    emulator.add_fault("GET", rf"/recordings/{rid}$", "status", status=503)
    client.get_recording(target, rid)
    with pytest.raises(NotFoundError):
        client.get_recording(target, "missing")
    lines = [r.getMessage() for r in caplog.records if r.name == http_log.name]
    assert len(lines) == 3
    post, get, missing = lines
    assert post.startswith(f"POST {target.path('recordings')} -> 200 in ")
    assert post.endswith(" ms (retries: 0)")
    assert get.startswith(f"GET {target.path('recordings', rid)} -> 200 in ")
    assert get.endswith(" ms (retries: 1)")
    assert missing.startswith(f"GET {target.path('recordings', 'missing')} -> 404 in ")
    leak_free(caplog.text, capsys.readouterr().err)


def test_debug_log_reports_a_request_that_got_no_answer(
    emulator: Emulator,
    target: Target,
    meeting_id: str,
    http_log: logging.Logger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = new_client(make_settings(emulator.base_url, debug=True))
    caplog.set_level(logging.INFO, logger=http_log.name)
    emulator.add_fault("POST", RECORDINGS, "reset_before")
    with pytest.raises(TransportError):
        start(client, target, meeting_id, storage_config=aws_storage())
    (line,) = [r.getMessage() for r in caplog.records if r.name == http_log.name]
    assert line.startswith(f"POST {target.path('recordings')} -> no response (")
    leak_free(caplog.text)


def test_no_log_lines_without_debug(
    client: RealtimeKitClient,
    target: Target,
    meeting_id: str,
    http_log: logging.Logger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=http_log.name)
    start(client, target, meeting_id)
    assert [r for r in caplog.records if r.name == http_log.name] == []


# Envelope edge cases, without a server


@pytest.fixture
def mocked() -> Iterator[tuple[responses.RequestsMock, RealtimeKitClient, Target]]:
    target = Target(MOCK_BASE, ACCOUNT, APP)
    client = new_client(make_settings(MOCK_BASE, max_retries=0))
    with responses.RequestsMock() as mock:
        yield mock, client, target


Mocked = tuple[responses.RequestsMock, RealtimeKitClient, Target]


@pytest.mark.parametrize(
    ("status", "kwargs", "cls", "code", "message"),
    [
        (500, {"body": b""}, ServerError, None, "Internal Server Error"),
        (400, {"body": "<html>oops</html>"}, BadRequestError, None, "Bad Request"),
        (403, {"json": {"success": False, "errors": []}}, PermissionDeniedError, None, "Forbidden"),
        (
            400,
            {"json": {"success": False, "errors": [{"code": True, "message": "bool code"}]}},
            BadRequestError,
            None,
            "bool code",
        ),
        (
            400,
            {"json": {"success": False, "error": {"code": "7", "message": 7}}},
            BadRequestError,
            None,
            "no message",
        ),
        (
            404,
            {"json": {"success": False, "error": "plain words"}},
            NotFoundError,
            None,
            "plain words",
        ),
        (409, {"json": [1, 2]}, ConflictError, None, "Conflict"),
        (418, {"json": {"error": {"code": 12, "message": "teapot"}}}, ApiError, 12, "teapot"),
    ],
)
def test_error_envelope_edge_cases(
    mocked: Mocked,
    status: int,
    kwargs: dict[str, Any],
    cls: type[ApiError],
    code: int | None,
    message: str,
) -> None:
    mock, client, target = mocked
    mock.get(MOCK_BASE + target.path("recordings", "r1"), status=status, **kwargs)
    with pytest.raises(cls) as caught:
        client.get_recording(target, "r1")
    error = caught.value
    assert type(error) is cls
    assert (error.status, error.code, error.message) == (status, code, message)
    assert error.errors == [(code, message)]


def test_both_envelopes_in_one_answer_keep_every_error(mocked: Mocked) -> None:
    mock, client, target = mocked
    mock.get(
        MOCK_BASE + target.path("recordings", "r1"),
        status=400,
        json={
            "success": False,
            "error": {"code": 1, "message": "first"},
            "errors": [{"code": 2, "message": "second"}, "not an object"],
        },
    )
    with pytest.raises(BadRequestError) as caught:
        client.get_recording(target, "r1")
    assert (caught.value.code, caught.value.message) == (1, "first")
    assert caught.value.errors == [(1, "first"), (2, "second")]


def test_retry_after_of_an_error_answer_is_parsed(mocked: Mocked) -> None:
    mock, client, target = mocked
    mock.get(
        MOCK_BASE + target.path("recordings", "r1"),
        status=400,
        json={"success": False, "error": {"code": 400, "message": "slow down"}},
        headers={"Retry-After": "5"},
    )
    with pytest.raises(BadRequestError) as caught:
        client.get_recording(target, "r1")
    assert caught.value.retry_after == 5.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"body": "not json"}, "response is not a JSON envelope"),
        ({"json": {"success": False, "data": {}}}, "response is not a JSON envelope"),
        ({"json": ["a"]}, "response is not a JSON envelope"),
        ({"json": {"success": True, "data": [1]}}, "data is not an object"),
        ({"json": {"success": True}}, "data is not an object"),
    ],
)
def test_success_answers_that_are_not_the_envelope(
    mocked: Mocked, kwargs: dict[str, Any], message: str
) -> None:
    mock, client, target = mocked
    mock.get(MOCK_BASE + target.path("recordings", "r1"), status=200, **kwargs)
    with pytest.raises(ResponseFormatError) as caught:
        client.get_recording(target, "r1")
    assert (caught.value.status, caught.value.message) == (200, message)


def test_list_and_track_answers_with_the_wrong_shape(mocked: Mocked) -> None:
    mock, client, target = mocked
    mock.get(MOCK_BASE + target.path("recordings"), json={"success": True, "data": {}})
    with pytest.raises(ResponseFormatError, match="data is not a list"):
        list(client.list_recordings(target))
    mock.post(
        MOCK_BASE + target.path("recordings", "track"),
        json={"success": True, "data": {"recording": None}},
    )
    with pytest.raises(ResponseFormatError, match="data.recording is not an object"):
        client.start_track_recording(target, {"meeting_id": "m"})


def test_list_stops_on_an_empty_page_or_missing_paging(mocked: Mocked) -> None:
    mock, client, target = mocked
    url = MOCK_BASE + target.path("recordings")
    mock.get(url, json={"success": True, "data": [{"id": "a"}, "junk"]})
    assert list(client.list_recordings(target)) == [{"id": "a"}]
    assert len(mock.calls) == 1


def test_path_segments_are_escaped() -> None:
    target = Target(MOCK_BASE, "acc", "app")
    assert target.path("recordings", "a/b c") == (
        "/accounts/acc/realtime/kit/app/recordings/a%2Fb%20c"
    )


def test_a_netrc_entry_never_replaces_the_bearer_token(
    emulator: Emulator,
    target: Target,
    meeting_id: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """requests would swap the Authorization header for netrc Basic auth; the API needs Bearer."""
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password elsewhere\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    client = new_client(make_settings(emulator.base_url))

    assert start(client, target, meeting_id)


def test_proxy_settings_come_from_the_environment_once_per_endpoint(
    emulator: Emulator, target: Target, meeting_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    client = new_client(make_settings(emulator.base_url))

    start(client, target, meeting_id)
    client.get_active_recording(target, meeting_id)

    assert client._proxies == {emulator.base_url: {}}


@pytest.mark.parametrize(("status", "error"), [(429, RateLimitError), (503, ServerError)])
def test_a_retry_after_that_is_no_delay_is_ignored_and_backoff_used(
    client: RealtimeKitClient,
    target: Target,
    emulator: Emulator,
    meeting_id: str,
    slept: list[float],
    status: int,
    error: type[ApiError],
) -> None:
    """``Retry-After: soon`` is neither seconds nor a date: urllib3's own Retry raises
    InvalidHeader on it; the client retries the GET on its backoff instead, and reports the
    answer (with no retry_after) once the budget is spent."""
    rid = start(client, target, meeting_id)
    emulator.clear_requests()
    emulator.add_fault(
        "GET", rf"/recordings/{rid}$", "status", status=status, retry_after="soon", count=2
    )
    assert client.get_recording(target, rid)["id"] == rid
    assert [r.status for r in emulator.requests(method="GET")] == [status, status, 200]
    # The first retry goes at once; the second after 0.25 * 2 s plus up to 0.25 s of jitter.
    assert slept == [pytest.approx(0.625, abs=0.125)]

    emulator.clear_requests()
    slept.clear()
    emulator.add_fault(
        "GET", rf"/recordings/{rid}$", "status", status=status, retry_after="soon", count=3
    )
    with pytest.raises(error) as caught:
        client.get_recording(target, rid)
    assert type(caught.value) is error
    assert (caught.value.status, caught.value.retry_after) == (status, None)
    assert len(emulator.requests(method="GET")) == 3  # max_retries=2: one try, two retries
    assert len(slept) == 1
