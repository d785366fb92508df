"""Fault matrix: every operation under every injected fault, against the real emulator.

Each scenario asserts both what the provider returned (success, or the typed error with its
status and message) and what the server holds afterwards (how many recordings per meeting, in
which status). The invariant under test: one declared recording gives exactly one recording on
the server, or none and an error. Most scenarios drive ``RecordingProvider`` in-process; the
last group goes through the SDK's gRPC provider server, as ``pulumi up`` does.

Settings: request timeout 0.5 s (hangs last 1.5 s, so every hang is a timeout) and
``maxRetries`` 2, so a fault with count 3 exhausts the budget.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_rtk.client import Target
from pulumi_rtk.emulator import Emulator
from pulumi_rtk.errors import (
    ApiError,
    ApiTimeoutError,
    BadRequestError,
    RateLimitError,
    ResponseFormatError,
    RtkError,
    ServerError,
    StartOutcomeUnknownError,
    TransportError,
)
from pulumi_rtk.provider import RecordingProvider
from tests.support import summary
from tests.support.engine import PROJECT, Engine, grpc_details, pickled
from tests.support.values import ACCOUNT, APP, REPO, aws_storage, provider_config

TIMEOUT = "0.5"
HANG_SECONDS = 1.5
MAX_RETRIES = 2
BUDGET = MAX_RETRIES + 1  # requests one call may make
STARTS = r"/recordings$"
ACTIVE_LOOKUP = r"/recordings/active-recording/"
PROVIDER = pickled(RecordingProvider())

# Every scenario registers its id here, so the matrix can be counted and checked for duplicates.
SCENARIOS: list[str] = []

F = Callable[..., None]


def scenario(group: str, names: list[str]) -> list[Any]:
    """Parameters for a group of scenarios, registered at import time."""
    ids = [f"{group}[{name}]" for name in names]
    SCENARIOS.extend(ids)
    return [pytest.param(name, id=name) for name in names]


def single(name: str) -> Callable[[F], F]:
    """Register a scenario that is a test of its own."""

    def register(func: F) -> F:
        SCENARIOS.append(name)
        return func

    return register


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int | None = None
    retry_after: str | None = None
    hang_seconds: float | None = None
    act: bool | None = None
    count: int = 1

    @property
    def acts(self) -> bool:
        """Whether the server performs the request despite the fault."""
        if self.kind == "reset_after":
            return True
        if self.kind == "malformed":
            return self.act is not False
        return self.kind == "hang" and self.act is True

    def inject(self, emulator: Emulator, method: str, path: str) -> None:
        emulator.add_fault(
            method,
            path,
            self.kind,
            count=self.count,
            status=self.status,
            retry_after=self.retry_after,
            hang_seconds=self.hang_seconds,
            act=self.act,
        )


# Faults that one call survives within its retry budget (count 1).
WITHIN: dict[str, Fault] = {
    "503+retry-after": Fault("status", status=503, retry_after="1"),
    "500": Fault("status", status=500),
    "429-gateway+retry-after": Fault("gateway_error", status=429, retry_after="1"),
    "hang": Fault("hang", hang_seconds=HANG_SECONDS),
    "hang-acted": Fault("hang", hang_seconds=HANG_SECONDS, act=True),
    "reset-before": Fault("reset_before"),
    "reset-after": Fault("reset_after"),
    "malformed": Fault("malformed"),
}
# Faults on every attempt the budget allows: the call must fail with a typed error.
OVER: dict[str, tuple[Fault, type[RtkError], int | None, str]] = {
    "503x3": (Fault("status", status=503, count=BUDGET), ServerError, 503, "HTTP 503"),
    "500x3": (Fault("status", status=500, count=BUDGET), ServerError, 500, "HTTP 500"),
    "429x3": (Fault("gateway_error", count=BUDGET), RateLimitError, 429, "(code 971)"),
    "hangx3": (
        Fault("hang", hang_seconds=HANG_SECONDS, count=BUDGET),
        ApiTimeoutError,
        None,
        f"no answer within {TIMEOUT} s",
    ),
    "reset-beforex3": (Fault("reset_before", count=BUDGET), TransportError, None, "failed"),
}


def make_provider(emulator: Emulator, **extra: str) -> RecordingProvider:
    instance = RecordingProvider()
    config = provider_config(emulator, **{"rtk:requestTimeoutSeconds": TIMEOUT, **extra})
    instance.configure(ConfigureRequest(Config(config, PROJECT)))
    return instance


@pytest.fixture
def fast(emulator: Emulator) -> RecordingProvider:
    return make_provider(emulator)


def declared(meeting_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "meeting_id": meeting_id,
        "storage_config": aws_storage(),
        "max_seconds": 3600,
        **extra,
    }


def multiple(meeting_id: str, **extra: Any) -> dict[str, Any]:
    return declared(meeting_id, allow_multiple_recordings=True, **extra)


def statuses(emulator: Emulator, meeting_id: str) -> dict[str, str]:
    return {rec["id"]: rec["status"] for rec in emulator.recordings(meeting_id)}


def faulted(emulator: Emulator, method: str, path: str) -> list[str | None]:
    return [record.fault for record in emulator.requests(method, path)]


def recording(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str, *, paused: bool = False
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A RECORDING (or PAUSED) recording made without faults: id, inputs, refreshed outputs."""
    inputs = declared(meeting_id)
    created = provider.create(inputs)
    emulator.advance(5)
    outs = provider.read(created.id, created.outs or {}).outs
    assert outs is not None
    assert outs["status"] == "RECORDING"
    if paused:
        inputs = {**inputs, "paused": True}
        updated = provider.update(created.id, outs, inputs).outs
        assert updated is not None
        outs = updated
        assert outs["status"] == "PAUSED"
    emulator.clear_requests()
    return created.id, inputs, outs


def assert_error(
    exc: BaseException, cls: type[RtkError], status: int | None, text: str, method: str
) -> None:
    assert isinstance(exc, cls), repr(exc)
    if status is not None:
        assert isinstance(exc, ApiError)
        assert exc.status == status
    if isinstance(exc, (ApiError, TransportError)):
        assert exc.method == method
    assert text in str(exc)


# Create, single-recording meeting


@pytest.mark.parametrize("name", scenario("create", [*WITHIN, "malformed-not-acted"]))
def test_create_survives(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str, name: str
) -> None:
    fault = WITHIN.get(name) or Fault("malformed", act=False)
    fault.inject(emulator, "POST", STARTS)

    result = fast.create(declared(meeting_id))

    assert statuses(emulator, meeting_id) == {result.id: "INVOKED"}
    assert result.outs is not None
    assert result.outs["status"] == "INVOKED"
    # An acted start is found and adopted; any other is posted again.
    expected = [fault.kind] if fault.acts else [fault.kind, None]
    assert faulted(emulator, "POST", STARTS) == expected


@single("create[retry-after-honoured]")
def test_create_honours_retry_after(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    emulator.add_fault("POST", STARTS, "status", status=503, retry_after="1")
    started = time.monotonic()
    result = fast.create(declared(meeting_id))
    assert time.monotonic() - started >= 0.9
    assert statuses(emulator, meeting_id) == {result.id: "INVOKED"}


@pytest.mark.parametrize("name", scenario("create-over-budget", list(OVER)))
def test_create_over_budget_fails_and_starts_nothing(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str, name: str
) -> None:
    fault, cls, status, text = OVER[name]
    fault.inject(emulator, "POST", STARTS)

    with pytest.raises(cls) as caught:
        fast.create(declared(meeting_id))

    assert_error(caught.value, cls, status, text, "POST")
    assert emulator.recordings(meeting_id) == []
    assert faulted(emulator, "POST", STARTS) == [fault.kind] * BUDGET


@single("create-over-budget[reset-afterx3]")
def test_create_with_every_start_reset_after_adopts_the_first(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    Fault("reset_after", count=BUDGET).inject(emulator, "POST", STARTS)

    result = fast.create(declared(meeting_id))

    assert statuses(emulator, meeting_id) == {result.id: "INVOKED"}
    assert len(emulator.requests("POST", STARTS)) == 1


@single("create[reset-after+lookup-503x3]")
def test_create_when_the_lookup_fails_too_reports_the_unknown_outcome_then_adopts(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    """The start acted, but the look for it fails as well: fail clearly, adopt on the next up."""
    emulator.add_fault("POST", STARTS, "reset_after")
    emulator.add_fault("GET", ACTIVE_LOOKUP, "status", status=503, count=BUDGET)

    with pytest.raises(StartOutcomeUnknownError) as caught:
        fast.create(declared(meeting_id))

    message = str(caught.value)
    assert meeting_id in message
    assert "pulumi up" in message
    [(orphan, status)] = statuses(emulator, meeting_id).items()
    assert status == "INVOKED"

    again = fast.create(declared(meeting_id))  # the next `pulumi up`
    assert again.id == orphan
    assert statuses(emulator, meeting_id) == {orphan: "INVOKED"}


# Create, allow_multiple_recordings


@pytest.mark.parametrize("name", scenario("create-multiple", list(WITHIN)))
def test_create_multiple_never_duplicates(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str, name: str
) -> None:
    fault = WITHIN[name]
    first = fast.create(multiple(meeting_id, file_name_prefix="first")).id
    fault.inject(emulator, "POST", STARTS)

    if fault.kind == "hang" and not fault.acts:
        # No recording appeared; posting again could start a second one if the first lands.
        with pytest.raises(StartOutcomeUnknownError) as caught:
            fast.create(multiple(meeting_id))
        assert "timed out" in str(caught.value)
        assert statuses(emulator, meeting_id) == {first: "INVOKED"}
        return

    result = fast.create(multiple(meeting_id))

    assert result.id != first
    assert statuses(emulator, meeting_id) == {first: "INVOKED", result.id: "INVOKED"}
    posts = faulted(emulator, "POST", STARTS)[1:]
    assert posts == ([fault.kind] if fault.acts else [fault.kind, None])


@single("create-multiple[earlier-run+reset-before]")
def test_create_multiple_does_not_adopt_a_recording_of_an_earlier_run(
    emulator: Emulator, meeting_id: str
) -> None:
    """A fresh provider process has claimed nothing yet: a recording another resource started a
    moment ago (same meeting, same storage) must not be taken for this create's lost start."""
    earlier = make_provider(emulator).create(multiple(meeting_id)).id
    fresh = make_provider(emulator)
    emulator.add_fault("POST", STARTS, "reset_before")

    result = fresh.create(multiple(meeting_id))

    assert result.id != earlier
    assert statuses(emulator, meeting_id) == {earlier: "INVOKED", result.id: "INVOKED"}


@single("create-multiple[concurrent+reset-after]")
def test_concurrent_creates_in_one_meeting_each_get_their_own_recording(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    """Four resources of one meeting created at once (the engine's concurrency), every start
    reset after the server acted: four recordings, four distinct ids, no error."""
    Fault("reset_after", count=4).inject(emulator, "POST", STARTS)

    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(
                lambda n: fast.create(multiple(meeting_id, file_name_prefix=f"p{n}")), range(4)
            )
        )

    ids = {result.id for result in results}
    assert len(ids) == 4
    assert statuses(emulator, meeting_id) == dict.fromkeys(ids, "INVOKED")


# Crash recovery: the provider died after its POST reached the server


def start_directly(emulator: Emulator, provider: RecordingProvider, body: dict[str, Any]) -> str:
    target = Target(emulator.base_url, ACCOUNT, APP)
    return str(provider.client.start_recording(target, body)["id"])


@single("crash-recovery[same-inputs]")
def test_crash_recovery_adopts_the_running_recording(
    fast: RecordingProvider,
    emulator: Emulator,
    meeting_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    orphan = start_directly(emulator, fast, declared(meeting_id))
    emulator.advance(5)

    with caplog.at_level(logging.WARNING, logger="pulumi_rtk"):
        result = make_provider(emulator).create(declared(meeting_id))

    assert result.id == orphan
    assert result.outs is not None
    assert result.outs["status"] == "RECORDING"
    assert statuses(emulator, meeting_id) == {orphan: "RECORDING"}
    assert f"adopted recording {orphan}" in caplog.text


CRASH_MISMATCHES: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {
    "other-bucket": (aws_storage(), {**aws_storage(), "bucket": "other-bucket"}),
    "other-type": (aws_storage(), {"type": "gcs", "bucket": "recordings"}),
    "declared-none": (aws_storage(), None),
    "running-none": (None, aws_storage()),
}


@pytest.mark.parametrize("name", scenario("crash-recovery", list(CRASH_MISMATCHES)))
def test_crash_recovery_does_not_adopt_another_storage_config(
    fast: RecordingProvider,
    emulator: Emulator,
    meeting_id: str,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    running, wanted = CRASH_MISMATCHES[name]
    body: dict[str, Any] = {"meeting_id": meeting_id, "max_seconds": 3600}
    orphan = start_directly(
        emulator, fast, body if running is None else {**body, "storage_config": running}
    )
    inputs = {**body} if wanted is None else {**body, "storage_config": wanted}

    with (
        caplog.at_level(logging.WARNING, logger="pulumi_rtk"),
        pytest.raises(BadRequestError) as caught,
    ):
        make_provider(emulator).create(inputs)

    assert caught.value.status == 400
    assert "already has an active recording" in caught.value.message
    assert statuses(emulator, meeting_id) == {orphan: "INVOKED"}
    assert "adopted" not in caplog.text


@single("crash-recovery[multiple]")
def test_crash_recovery_with_multiple_recordings_starts_a_new_one(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    """allow_multiple_recordings never refuses a start, so nothing tells the provider that an
    earlier start was lost: it starts its own (the lost one is the user's to stop)."""
    orphan = start_directly(emulator, fast, multiple(meeting_id))
    result = make_provider(emulator).create(multiple(meeting_id))
    assert result.id != orphan
    assert statuses(emulator, meeting_id) == {orphan: "INVOKED", result.id: "INVOKED"}


# Read


@pytest.mark.parametrize("name", scenario("read", list(WITHIN)))
def test_read_under_fault(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str, name: str
) -> None:
    fault = WITHIN[name]
    id_, _, outs = recording(fast, emulator, meeting_id)
    path = rf"/recordings/{id_}$"
    fault.inject(emulator, "GET", path)

    if fault.kind == "malformed":
        # A 200 the client cannot parse is not retried: reported, state untouched.
        with pytest.raises(ResponseFormatError) as caught:
            fast.read(id_, outs)
        assert_error(caught.value, ResponseFormatError, 200, "not a JSON envelope", "GET")
        assert faulted(emulator, "GET", path) == ["malformed"]
    else:
        result = fast.read(id_, outs)
        assert result.id == id_
        assert result.outs is not None
        assert result.outs["status"] == "RECORDING"
        assert faulted(emulator, "GET", path) == [fault.kind, None]
    assert statuses(emulator, meeting_id) == {id_: "RECORDING"}


@pytest.mark.parametrize("name", scenario("read-over-budget", list(OVER)))
def test_read_over_budget_fails_and_changes_nothing(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str, name: str
) -> None:
    fault, cls, status, text = OVER[name]
    id_, _, outs = recording(fast, emulator, meeting_id)
    fault.inject(emulator, "GET", rf"/recordings/{id_}$")

    with pytest.raises(cls) as caught:
        fast.read(id_, outs)

    assert_error(caught.value, cls, status, text, "GET")
    assert statuses(emulator, meeting_id) == {id_: "RECORDING"}
    assert len(emulator.requests("GET")) == BUDGET


# Update: pause and resume in place


@pytest.mark.parametrize("name", scenario("pause", list(WITHIN)))
def test_pause_under_fault(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str, name: str
) -> None:
    fault = WITHIN[name]
    id_, inputs, outs = recording(fast, emulator, meeting_id)
    fault.inject(emulator, "PUT", rf"/recordings/{id_}$")

    updated = fast.update(id_, outs, {**inputs, "paused": True}).outs

    assert updated is not None
    assert updated["status"] == "PAUSED"
    assert updated["paused"] is True
    assert statuses(emulator, meeting_id) == {id_: "PAUSED"}
    assert faulted(emulator, "PUT", ".")[0] == fault.kind


@pytest.mark.parametrize("name", scenario("resume", list(WITHIN)))
def test_resume_under_fault(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str, name: str
) -> None:
    fault = WITHIN[name]
    id_, inputs, outs = recording(fast, emulator, meeting_id, paused=True)
    fault.inject(emulator, "PUT", rf"/recordings/{id_}$")

    updated = fast.update(id_, outs, {**inputs, "paused": False}).outs

    assert updated is not None
    assert updated["status"] == "RECORDING"
    assert statuses(emulator, meeting_id) == {id_: "RECORDING"}
    assert faulted(emulator, "PUT", ".")[0] == fault.kind


@pytest.mark.parametrize("name", scenario("pause-over-budget", list(OVER)))
def test_pause_over_budget_fails_and_leaves_it_recording(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str, name: str
) -> None:
    fault, cls, status, text = OVER[name]
    id_, inputs, outs = recording(fast, emulator, meeting_id)
    fault.inject(emulator, "PUT", rf"/recordings/{id_}$")

    with pytest.raises(cls) as caught:
        fast.update(id_, outs, {**inputs, "paused": True})

    assert_error(caught.value, cls, status, text, "PUT")
    assert statuses(emulator, meeting_id) == {id_: "RECORDING"}
    assert faulted(emulator, "PUT", ".") == [fault.kind] * BUDGET


# Delete


@pytest.mark.parametrize("name", scenario("delete", list(WITHIN)))
def test_delete_under_fault_stops_the_recording(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str, name: str
) -> None:
    fault = WITHIN[name]
    id_, _, outs = recording(fast, emulator, meeting_id)
    fault.inject(emulator, "PUT", rf"/recordings/{id_}$")

    fast.delete(id_, outs)

    assert statuses(emulator, meeting_id) == {id_: "UPLOADING"}
    emulator.advance(10)
    assert statuses(emulator, meeting_id) == {id_: "UPLOADED"}
    assert faulted(emulator, "PUT", ".")[0] == fault.kind


@pytest.mark.parametrize("name", scenario("delete-over-budget", list(OVER)))
def test_delete_over_budget_fails_and_a_later_delete_stops_it(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str, name: str
) -> None:
    """The failed delete keeps the resource in state, so the recording is not orphaned."""
    fault, cls, status, text = OVER[name]
    id_, _, outs = recording(fast, emulator, meeting_id)
    fault.inject(emulator, "PUT", rf"/recordings/{id_}$")

    with pytest.raises(cls) as caught:
        fast.delete(id_, outs)

    assert_error(caught.value, cls, status, text, "PUT")
    assert statuses(emulator, meeting_id) == {id_: "RECORDING"}
    fast.delete(id_, outs)  # the next `pulumi destroy`
    assert statuses(emulator, meeting_id) == {id_: "UPLOADING"}


ACTED_EVERY_TIME = {
    "reset-afterx3": Fault("reset_after", count=BUDGET),
    "hang-actedx3": Fault("hang", hang_seconds=HANG_SECONDS, act=True, count=BUDGET),
    "malformedx3": Fault("malformed", count=BUDGET),
}


@pytest.mark.parametrize("name", scenario("delete-acted-over-budget", list(ACTED_EVERY_TIME)))
def test_delete_whose_stop_acted_but_never_answered_succeeds(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str, name: str
) -> None:
    """Every answer lost, yet the first stop acted: delete checks and reports success."""
    id_, _, outs = recording(fast, emulator, meeting_id)
    ACTED_EVERY_TIME[name].inject(emulator, "PUT", rf"/recordings/{id_}$")

    fast.delete(id_, outs)

    assert statuses(emulator, meeting_id) == {id_: "UPLOADING"}


@pytest.mark.parametrize("name", scenario("pause-acted-over-budget", list(ACTED_EVERY_TIME)))
def test_pause_whose_action_acted_but_never_answered_succeeds(
    fast: RecordingProvider, emulator: Emulator, meeting_id: str, name: str
) -> None:
    id_, inputs, outs = recording(fast, emulator, meeting_id)
    ACTED_EVERY_TIME[name].inject(emulator, "PUT", rf"/recordings/{id_}$")

    updated = fast.update(id_, outs, {**inputs, "paused": True}).outs

    assert updated is not None
    assert updated["status"] == "PAUSED"
    assert statuses(emulator, meeting_id) == {id_: "PAUSED"}


# Through the gRPC provider server, as `pulumi up` drives it


def engine_up(engine: Engine, news: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    inputs, failures = engine.check({**news, "__provider": PROVIDER})
    assert failures == []
    id_, outs = engine.create(inputs)
    return id_, inputs, outs


GRPC: dict[str, Callable[[Engine, Emulator, str], None]] = {}


def grpc_scenario(
    func: Callable[[Engine, Emulator, str], None],
) -> Callable[[Engine, Emulator, str], None]:
    GRPC[func.__name__] = func
    return func


@grpc_scenario
def create_reset_after_adopts(engine: Engine, emulator: Emulator, meeting_id: str) -> None:
    emulator.add_fault("POST", STARTS, "reset_after")
    id_, _, outs = engine_up(engine, declared(meeting_id))
    assert outs["status"] == "INVOKED"
    assert statuses(emulator, meeting_id) == {id_: "INVOKED"}
    assert len(emulator.requests("POST", STARTS)) == 1


@grpc_scenario
def create_503_over_budget_fails(engine: Engine, emulator: Emulator, meeting_id: str) -> None:
    emulator.add_fault("POST", STARTS, "status", status=503, count=BUDGET)
    with pytest.raises(grpc.RpcError) as caught:
        engine_up(engine, declared(meeting_id))
    details = grpc_details(caught.value)
    assert "POST /accounts/" in details
    assert "HTTP 503 (code 503): Injected fault: HTTP 503" in details
    assert emulator.recordings(meeting_id) == []


@grpc_scenario
def crash_recovery_adopts(engine: Engine, emulator: Emulator, meeting_id: str) -> None:
    orphan = start_directly(emulator, make_provider(emulator), declared(meeting_id))
    id_, _, _ = engine_up(engine, declared(meeting_id))
    assert id_ == orphan
    assert statuses(emulator, meeting_id) == {orphan: "INVOKED"}


@grpc_scenario
def refresh_retries_a_503(engine: Engine, emulator: Emulator, meeting_id: str) -> None:
    id_, _, outs = engine_up(engine, declared(meeting_id))
    emulator.advance(5)
    emulator.add_fault("GET", rf"/recordings/{id_}$", "status", status=503)
    read_id, refreshed = engine.read(id_, outs)
    assert (read_id, refreshed["status"]) == (id_, "RECORDING")
    assert faulted(emulator, "GET", rf"/recordings/{id_}$") == ["status", None]


@grpc_scenario
def pause_under_a_429(engine: Engine, emulator: Emulator, meeting_id: str) -> None:
    id_, inputs, outs = engine_up(engine, declared(meeting_id))
    emulator.add_fault("PUT", rf"/recordings/{id_}$", "gateway_error")
    updated = engine.update(id_, outs, {**inputs, "paused": True})
    assert updated["status"] == "PAUSED"
    assert statuses(emulator, meeting_id) == {id_: "PAUSED"}


@grpc_scenario
def destroy_under_reset_after(engine: Engine, emulator: Emulator, meeting_id: str) -> None:
    id_, _, outs = engine_up(engine, declared(meeting_id))
    emulator.add_fault("PUT", rf"/recordings/{id_}$", "reset_after")
    engine.delete(id_, outs)
    assert statuses(emulator, meeting_id) == {id_: "UPLOADING"}


@grpc_scenario
def create_multiple_under_malformed(engine: Engine, emulator: Emulator, meeting_id: str) -> None:
    first, _, _ = engine_up(engine, multiple(meeting_id))
    emulator.add_fault("POST", STARTS, "malformed")
    second, _, _ = engine_up(
        engine,
        multiple(meeting_id),
    )
    assert statuses(emulator, meeting_id) == {first: "INVOKED", second: "INVOKED"}


@pytest.mark.parametrize("name", scenario("grpc", list(GRPC)))
def test_through_the_grpc_server(
    engine: Engine, emulator: Emulator, meeting_id: str, name: str
) -> None:
    GRPC[name](engine, emulator, meeting_id)


@single("grpc[hang-acted-timeout-0.5s]")
def test_grpc_create_after_a_timeout_adopts_what_the_server_started(
    emulator: Emulator, meeting_id: str
) -> None:
    harness = Engine(cwd=REPO)
    try:
        harness.configure(provider_config(emulator, **{"rtk:requestTimeoutSeconds": TIMEOUT}))
        emulator.add_fault("POST", STARTS, "hang", hang_seconds=HANG_SECONDS, act=True)
        id_, _, _ = engine_up(harness, declared(meeting_id))
    finally:
        harness.close()
    assert statuses(emulator, meeting_id) == {id_: "INVOKED"}
    assert len(emulator.requests("POST", STARTS)) == 1


# The matrix itself


def test_the_matrix_has_distinct_scenarios() -> None:
    assert len(SCENARIOS) == len(set(SCENARIOS))
    assert len(SCENARIOS) >= 30
    summary.add("fault matrix: scenarios", len(SCENARIOS))
