"""Leak scan: no API token and no storage credential in anything a person or a log can see.

Across happy paths, every fault kind, bad inputs, settings typed into the wrong key and API
errors that echo the request back, this collects every text the provider produces: what it
returns (``repr`` of the results), exception messages, ``repr`` s and tracebacks with their
chained causes, stdout and stderr, log records at DEBUG with ``rtk:debug=true``, the gRPC
provider server's stdout, stderr and error details, and the pickled provider.

The same goes for meetings (storage credentials in ``recording_config.storage_config``: create,
refresh, a rotated credential's update, deactivation, faults, refusals that echo the request)
and webhooks (which hold no credential, so only the token could leak).

Outputs echo the storage credentials under ``storage_config`` on purpose (the engine marks that
key secret, the resource adds ``additional_secret_outputs``): there, and only there, a
credential may appear; a meeting's outputs (and the inputs a refresh hands back) hold them under
``recording_config.storage_config``, which the engine re-marks secret by key. The token may
appear nowhere.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import grpc
import pytest
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_rtk.client import Target
from pulumi_rtk.emulator import Emulator
from pulumi_rtk.errors import RtkError
from pulumi_rtk.provider import MeetingProvider, RecordingProvider, WebhookProvider
from pulumi_rtk.providers.base import ProviderBase
from pulumi_rtk.vocabulary import STORAGE_SECRET_FIELDS as SECRET_FIELDS
from tests.support import summary
from tests.support.engine import PROJECT, Engine, grpc_details, pickled, read_inputs
from tests.support.values import (
    ACCOUNT,
    APP,
    AWS_ACCESS_KEY,
    AWS_SECRET,
    REPO,
    SECRET_VALUES,
    SFTP_PASSWORD,
    SFTP_PRIVATE_KEY,
    TOKEN,
    aws_storage,
    provider_config,
)

PROVIDER = pickled(RecordingProvider())
MEETING_PROVIDER = pickled(MeetingProvider())
WEBHOOK_PROVIDER = pickled(WebhookProvider())
MEETING = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
RECORDING_ID = "0b7d6c8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e"
WEBHOOK_ID = "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a9f"
# A real private key has line breaks; an API that echoes the JSON body shows them escaped.
MULTILINE_KEY = "-----BEGIN KEY-----\nLEAKCHECK-multi\nline-key-8d\n-----END KEY-----"
# A meeting's credential after rotation: the update re-sends the whole recording_config.
ROTATED = "LEAKCHECK-rotated-credential-e4"
CREDENTIALS = (*SECRET_VALUES[1:], MULTILINE_KEY, ROTATED)
# Where outputs may hold credentials: a recording's storage_config, a meeting's under its
# recording_config.
STORAGE = ("storage_config",)
MEETING_STORAGE = ("recording_config", "storage_config")


def forms(secret: str) -> tuple[str, ...]:
    """The secret as text may carry it: plain and JSON-escaped."""
    escaped = json.dumps(secret)[1:-1]
    return (secret,) if escaped == secret else (secret, escaped)


def split_at(props: Mapping[str, Any], path: tuple[str, ...]) -> tuple[dict[str, Any], Any]:
    """``props`` without the value at ``path`` (a key path), and that value (None if absent)."""
    head, *tail = path
    rest = dict(props)
    if not tail:
        return rest, rest.pop(head, None)
    inner = rest.get(head)
    if not isinstance(inner, Mapping):
        return rest, None
    rest[head], found = split_at(inner, tuple(tail))
    return rest, found


# Tally


class Scan:
    """The texts of one scenario, checked as they come in."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self.leaks: list[tuple[str, str, str]] = []
        summary.add("leak scan: scenarios")
        summary.note("leak scan: leaks")

    def text(self, label: str, text: str, *, credentials_allowed: bool = False) -> None:
        secrets = (TOKEN,) if credentials_allowed else (TOKEN, *CREDENTIALS)
        found = [s for secret in secrets for s in forms(secret) if s in text]
        summary.add("leak scan: texts scanned")
        summary.add("leak scan: leaks", len(found))
        self.leaks.extend((self.scenario, label, secret) for secret in found)

    def outputs(
        self, label: str, outs: Mapping[str, Any] | None, at: tuple[str, ...] = STORAGE
    ) -> None:
        """Whole outputs may hold credentials only in the secret fields of the storage config
        at ``at`` (``storage_config``; a meeting's ``recording_config.storage_config``)."""
        outs = dict(outs or {})
        where = ".".join(at)
        self.text(f"{label} (whole)", repr(outs), credentials_allowed=True)
        rest, storage = split_at(outs, at)
        self.text(f"{label} (outside {where})", repr(rest))
        if isinstance(storage, Mapping):
            fields = {k: v for k, v in storage.items() if k not in SECRET_FIELDS}
            self.text(f"{label} ({where}, non-secret fields)", repr(fields))

    def error(self, label: str, exc: BaseException) -> None:
        """Message, repr and full traceback of an error and of every cause and context."""
        self.text(f"{label} traceback", "".join(traceback.format_exception(exc)))
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            self.text(f"{label} str {type(current).__name__}", str(current))
            self.text(f"{label} repr {type(current).__name__}", repr(current))
            current = current.__cause__ or current.__context__

    def provider(self, label: str, provider: ProviderBase) -> None:
        state = pickled(provider)
        self.text(f"{label} pickled", state)
        self.text(f"{label} pickled bytes", base64.b64decode(state).decode("latin-1"))
        self.text(f"{label} repr", repr(provider) + repr(vars(provider)))

    def check(self) -> None:
        assert self.leaks == [], self.leaks


# Fixtures


@pytest.fixture(autouse=True)
def _remove_debug_handlers() -> Iterator[None]:
    log = logging.getLogger("pulumi_rtk.http")
    handlers, level = list(log.handlers), log.level
    yield
    for handler in list(log.handlers):
        if handler not in handlers:
            log.removeHandler(handler)
    log.setLevel(level)


_P = TypeVar("_P", bound=ProviderBase)


def debug_provider(base_url: str, **extra: str) -> RecordingProvider:
    return debug_configured(RecordingProvider(), base_url, **extra)


def debug_configured(instance: _P, base_url: str, **extra: str) -> _P:
    config = {
        "rtk:apiBaseUrl": base_url,
        "rtk:accountId": ACCOUNT,
        "rtk:appId": APP,
        "rtk:apiToken": TOKEN,
        "rtk:requestTimeoutSeconds": "0.5",
        "rtk:maxRetries": "2",
        "rtk:debug": "true",
        **extra,
    }
    instance.configure(ConfigureRequest(Config(config, PROJECT)))
    return instance


class Echo(BaseHTTPRequestHandler):
    """An API that answers every request with an error quoting it back, headers included."""

    server: EchoServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        quoted = f"{self.command} {self.path} body={raw} auth={self.headers.get('Authorization')}"
        status = self.server.status
        if self.server.plain:
            body = b"<html>bad gateway</html>"
            self.send_response(status, f"Rejected {quoted}"[:400].replace("\n", " "))
        else:
            envelope = {
                "success": False,
                "error": {"code": status, "message": f"invalid request: {quoted}"},
                "errors": [{"code": 1000, "message": raw}, {"code": 1001, "message": quoted}],
            }
            body = json.dumps(envelope).encode()
            self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def do_PATCH(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()


class EchoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Echo)
        self.status = 400
        self.plain = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/client/v4"


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# Inputs


def aws(meeting_id: str, **extra: Any) -> dict[str, Any]:
    return {"meeting_id": meeting_id, "storage_config": aws_storage(), "max_seconds": 3600, **extra}


def sftp(meeting_id: str, auth: str, **extra: Any) -> dict[str, Any]:
    storage: dict[str, Any] = {
        "type": "sftp",
        "host": "sftp.example.com",
        "port": 22,
        "username": "recorder",
        "auth_method": auth,
    }
    if auth == "KEY":
        storage["private_key"] = SFTP_PRIVATE_KEY
    else:
        storage["password"] = SFTP_PASSWORD
    return {"meeting_id": meeting_id, "storage_config": storage, **extra}


def multiline_sftp(meeting_id: str) -> dict[str, Any]:
    inputs = sftp(meeting_id, "KEY")
    inputs["storage_config"]["private_key"] = MULTILINE_KEY
    return inputs


def azure(meeting_id: str) -> dict[str, Any]:
    return aws(meeting_id, storage_config={**aws_storage(), "type": "azure"})


def meeting(storage: Mapping[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A meeting recording to ``storage`` (aws by default) on start."""
    return {
        "title": "Standup",
        "record_on_start": True,
        "recording_config": {"storage_config": dict(storage or aws_storage()), "max_seconds": 3600},
        "status": "ACTIVE",
        **extra,
    }


def sftp_meeting(auth: str) -> dict[str, Any]:
    return meeting(sftp(MEETING, auth)["storage_config"])


def multiline_meeting() -> dict[str, Any]:
    return meeting(multiline_sftp(MEETING)["storage_config"])


def rotated(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The meeting with one credential rotated (the secret, password or private key)."""
    config = dict(inputs["recording_config"])
    storage = dict(config["storage_config"])
    (field,) = [key for key in ("secret", "password", "private_key") if key in storage]
    storage[field] = ROTATED
    return {**inputs, "recording_config": {**config, "storage_config": storage}}


def webhook(**extra: Any) -> dict[str, Any]:
    return {
        "name": "uploads",
        "url": "https://hooks.example.com/rtk",
        "events": ["recording.statusUpdate", "meeting.ended"],
        "enabled": True,
        **extra,
    }


# In-process scenarios: each gets (scan, emulator, meeting id, echo server)


@dataclass
class Ctx:
    scan: Scan
    emulator: Emulator
    meeting_id: str
    echo: EchoServer

    def provider(self, **extra: str) -> RecordingProvider:
        return debug_provider(self.emulator.base_url, **extra)

    def meeting_provider(self) -> MeetingProvider:
        return debug_configured(MeetingProvider(), self.emulator.base_url)

    def webhook_provider(self) -> WebhookProvider:
        return debug_configured(WebhookProvider(), self.emulator.base_url)

    def expect_error(self, label: str, call: Callable[[], object]) -> BaseException:
        try:
            result = call()
        except RtkError as exc:
            self.scan.error(label, exc)
            return exc
        raise AssertionError(f"{label}: expected an error, got {result!r}")


def lifecycle(inputs_of: Callable[[str], dict[str, Any]]) -> Callable[[Ctx], None]:
    def run(ctx: Ctx) -> None:
        provider = ctx.provider()
        inputs = inputs_of(ctx.meeting_id)
        checked = provider.check({}, inputs)
        ctx.scan.outputs("check inputs", checked.inputs)
        created = provider.create(inputs)
        ctx.scan.outputs("create", created.outs)
        ctx.scan.text("create result", repr(vars(created)), credentials_allowed=True)
        ctx.emulator.advance(5)
        outs = provider.read(created.id, created.outs or {}).outs
        ctx.scan.outputs("read", outs)
        diff = provider.diff(created.id, outs or {}, {**inputs, "paused": True})
        ctx.scan.text("diff", repr(vars(diff)))
        paused = provider.update(created.id, outs or {}, {**inputs, "paused": True}).outs
        ctx.scan.outputs("pause", paused)
        resumed = provider.update(created.id, paused or {}, inputs).outs
        ctx.scan.outputs("resume", resumed)
        provider.delete(created.id, resumed or {})
        ctx.scan.outputs("read after delete", provider.read(created.id, resumed or {}).outs)
        ctx.scan.provider("provider after use", provider)

    return run


def adopt(ctx: Ctx) -> None:
    provider = ctx.provider()
    target = Target(ctx.emulator.base_url, ACCOUNT, APP)
    orphan = provider.client.start_recording(target, aws(ctx.meeting_id))["id"]
    ctx.scan.outputs("crash recovery", ctx.provider().create(aws(ctx.meeting_id)).outs)
    other = ctx.emulator.create_meeting(ACCOUNT, APP)
    running = provider.client.start_recording(target, aws(other))["id"]
    adopted = ctx.provider().create(aws(other, adopt_recording_id=running)).outs
    ctx.scan.outputs("adopt_recording_id", adopted)
    assert orphan


def create_under(kind: str, **fault: Any) -> Callable[[Ctx], None]:
    def run(ctx: Ctx) -> None:
        ctx.emulator.add_fault("POST", r"/recordings$", kind, **fault)
        try:
            ctx.scan.outputs("create", ctx.provider().create(aws(ctx.meeting_id)).outs)
        except RtkError as exc:
            ctx.scan.error("create", exc)

    return run


def over_budget(method: str, kind: str, **fault: Any) -> Callable[[Ctx], None]:
    def run(ctx: Ctx) -> None:
        provider = ctx.provider()
        if method == "POST":
            ctx.emulator.add_fault("POST", r"/recordings$", kind, count=3, **fault)
            ctx.expect_error("create", lambda: provider.create(sftp(ctx.meeting_id, "PASSWORD")))
            return
        created = provider.create(sftp(ctx.meeting_id, "KEY"))
        ctx.emulator.add_fault(method, r"/recordings/[^/]+$", kind, count=3, **fault)
        outs = created.outs or {}
        if method == "GET":
            ctx.expect_error("read", lambda: provider.read(created.id, outs))
        else:
            ctx.expect_error("delete", lambda: provider.delete(created.id, outs))

    return run


def lookup_fails_too(ctx: Ctx) -> None:
    ctx.emulator.add_fault("POST", r"/recordings$", "reset_after")
    ctx.emulator.add_fault("GET", r"/active-recording/", "status", status=503, count=3)
    ctx.expect_error("create", lambda: ctx.provider().create(aws(ctx.meeting_id)))


def multiple_timeout(ctx: Ctx) -> None:
    ctx.emulator.add_fault("POST", r"/recordings$", "hang", hang_seconds=1.5)
    inputs = aws(ctx.meeting_id, allow_multiple_recordings=True)
    ctx.expect_error("create", lambda: ctx.provider().create(inputs))


def wait_times_out(ctx: Ctx) -> None:
    inputs = aws(ctx.meeting_id, wait_for_status="RECORDING", wait_timeout_seconds=1)
    ctx.expect_error("create", lambda: ctx.provider().create(inputs))


def pause_a_stopped_one(ctx: Ctx) -> None:
    provider = ctx.provider()
    inputs = sftp(ctx.meeting_id, "PASSWORD")
    created = provider.create(inputs)
    ctx.emulator.set_status(created.id, "ERRORED")
    outs = {**(created.outs or {}), "status": "RECORDING"}
    ctx.expect_error("pause", lambda: provider.update(created.id, outs, {**inputs, "paused": True}))


BAD_INPUTS: dict[str, dict[str, Any]] = {
    "password on aws": aws(MEETING, storage_config={**aws_storage(), "password": SFTP_PASSWORD}),
    "secret under a typo": aws(MEETING, storage_config={**aws_storage(), "secret_key": AWS_SECRET}),
    "token as an input": aws(MEETING, api_token=TOKEN),
    "key in the prefix type": aws(MEETING, file_name_prefix=["x", SFTP_PRIVATE_KEY]),
    "credential as max_seconds": aws(MEETING, max_seconds=AWS_ACCESS_KEY),
    "credential as meeting_id": aws(AWS_SECRET),
    "sftp key as port": {
        "meeting_id": MEETING,
        "storage_config": {**sftp(MEETING, "KEY")["storage_config"], "port": SFTP_PRIVATE_KEY},
    },
    "sftp password as auth_method": {
        "meeting_id": MEETING,
        "storage_config": {**sftp(MEETING, "KEY")["storage_config"], "auth_method": SFTP_PASSWORD},
    },
}


def scan_bad_inputs(ctx: Ctx, provider: ProviderBase, cases: Mapping[str, dict[str, Any]]) -> None:
    """Each case fails check and create, and neither sends a request."""
    for name, inputs in cases.items():
        result = provider.check({}, inputs)
        ctx.scan.text(f"{name}: check failures", repr(result.failures))
        ctx.scan.text(f"{name}: failure fields", repr([vars(f) for f in result.failures]))
        assert result.failures, name
        ctx.expect_error(f"{name}: create without check", partial(provider.create, inputs))
    assert ctx.emulator.requests() == []


def bad_inputs(ctx: Ctx) -> None:
    scan_bad_inputs(ctx, ctx.provider(), BAD_INPUTS)


SETTINGS_MISTAKES = {
    "token in the timeout": {"rtk:requestTimeoutSeconds": TOKEN},
    "token in the retries": {"rtk:maxRetries": TOKEN},
    "token in the debug switch": {"rtk:debug": TOKEN},
    "token as the base url": {"rtk:apiBaseUrl": TOKEN},
}


def settings_mistakes(ctx: Ctx) -> None:
    for name, extra in SETTINGS_MISTAKES.items():
        config = {**provider_config(ctx.emulator), **extra}
        request = ConfigureRequest(Config(config, PROJECT))
        ctx.expect_error(name, partial(RecordingProvider().configure, request))
    provider = RecordingProvider()
    no_token = {k: v for k, v in provider_config(ctx.emulator).items() if k != "rtk:apiToken"}
    provider.configure(ConfigureRequest(Config(no_token, PROJECT)))
    ctx.expect_error("no token", lambda: provider.create(aws(ctx.meeting_id)))


def wrong_token(ctx: Ctx) -> None:
    provider = debug_provider(ctx.emulator.base_url, **{"rtk:apiToken": TOKEN + "-stale"})
    ctx.expect_error("create with a wrong token", lambda: provider.create(aws(ctx.meeting_id)))


def echoed(
    status: int, inputs_of: Callable[[str], dict[str, Any]], plain: bool = False
) -> Callable[[Ctx], None]:
    def run(ctx: Ctx) -> None:
        ctx.echo.status, ctx.echo.plain = status, plain
        provider = debug_provider(ctx.echo.base_url)
        inputs = inputs_of(MEETING)
        ctx.expect_error("create", lambda: provider.create(inputs))
        state = {**inputs, "status": "RECORDING"}
        rid = RECORDING_ID
        ctx.expect_error("read", lambda: provider.read(rid, state))
        ctx.expect_error("delete", lambda: provider.delete(rid, state))
        ctx.expect_error("pause", lambda: provider.update(rid, state, {**inputs, "paused": True}))
        ctx.scan.provider("provider", provider)

    return run


# Meetings: credentials live under recording_config.storage_config


def meeting_lifecycle(inputs_of: Callable[[], dict[str, Any]]) -> Callable[[Ctx], None]:
    """Create, refresh, rotate a credential (an update re-sending it), deactivate, read."""

    def run(ctx: Ctx) -> None:
        provider = ctx.meeting_provider()
        inputs = inputs_of()
        checked = provider.check({}, inputs)
        ctx.scan.outputs("check inputs", checked.inputs, MEETING_STORAGE)
        created = provider.create(inputs)
        ctx.scan.outputs("create", created.outs, MEETING_STORAGE)
        ctx.scan.text("create result", repr(vars(created)), credentials_allowed=True)
        read = provider.read(created.id, created.outs or {})
        ctx.scan.outputs("read", read.outs, MEETING_STORAGE)
        ctx.scan.outputs("read: inputs handed back", read_inputs(read), MEETING_STORAGE)
        news = rotated(inputs)
        diff = provider.diff(created.id, read.outs or {}, news)
        ctx.scan.text("diff", repr(vars(diff)))
        ctx.emulator.clear_requests()
        updated = provider.update(created.id, read.outs or {}, news).outs
        ctx.scan.outputs("update with a rotated credential", updated, MEETING_STORAGE)
        (patch,) = ctx.emulator.requests("PATCH")
        assert ROTATED in repr(patch.body), "the rotated credential should be re-sent"
        refreshed = provider.read(created.id, updated or {})
        ctx.scan.outputs("read after rotation", refreshed.outs, MEETING_STORAGE)
        provider.delete(created.id, refreshed.outs or {})
        assert ctx.emulator.requests("PATCH")[-1].body == {"status": "INACTIVE"}
        after = provider.read(created.id, refreshed.outs or {}).outs
        ctx.scan.outputs("read after deactivation", after, MEETING_STORAGE)
        ctx.scan.provider("provider after use", provider)

    return run


def meeting_adopt(ctx: Ctx) -> None:
    """Adopting a meeting re-sends the declared recording_config (the API hides credentials)."""
    existing = ctx.emulator.create_meeting(ACCOUNT, APP)
    adopted = ctx.meeting_provider().create(meeting(adopt_meeting_id=existing)).outs
    ctx.scan.outputs("adopt_meeting_id", adopted, MEETING_STORAGE)


def meeting_under(
    step: str, kind: str, *, fails: bool = False, count: int = 1, **fault: Any
) -> Callable[[Ctx], None]:
    """One step of a meeting's life (create, read, rotate, deactivate) under an emulator fault;
    ``fails`` when the fault outlasts the retry budget."""

    def run(ctx: Ctx) -> None:
        provider = ctx.meeting_provider()
        inputs = meeting()
        if step == "create":
            ctx.emulator.add_fault("POST", r"/meetings$", kind, count=count, **fault)
            call: Callable[[], object] = lambda: provider.create(inputs).outs  # noqa: E731
        else:
            created = provider.create(inputs)
            id_, outs = created.id, created.outs or {}
            method = "GET" if step == "read" else "PATCH"
            ctx.emulator.add_fault(method, r"/meetings/[^/]+$", kind, count=count, **fault)
            call = {
                "read": lambda: provider.read(id_, outs).outs,
                "rotate": lambda: provider.update(id_, outs, rotated(inputs)).outs,
                "deactivate": lambda: provider.delete(id_, outs),
            }[step]
        if fails:
            ctx.expect_error(step, call)
            return
        try:
            result = call()
        except RtkError as exc:
            ctx.scan.error(step, exc)
            return
        if isinstance(result, Mapping):
            ctx.scan.outputs(step, result, MEETING_STORAGE)

    return run


MEETING_BAD_INPUTS: dict[str, dict[str, Any]] = {
    "password on aws": meeting({**aws_storage(), "password": SFTP_PASSWORD}),
    "secret under a typo": meeting({**aws_storage(), "secret_key": AWS_SECRET}),
    "token as an input": meeting(api_token=TOKEN),
    "key as the title": meeting(title=["x", SFTP_PRIVATE_KEY]),
    "credential as adopt_meeting_id": meeting(adopt_meeting_id=AWS_ACCESS_KEY),
    "credential as max_seconds": {
        **meeting(),
        "recording_config": {"storage_config": aws_storage(), "max_seconds": AWS_SECRET},
    },
    "sftp key as port": meeting(
        {**sftp(MEETING, "KEY")["storage_config"], "port": SFTP_PRIVATE_KEY}
    ),
    "sftp password as auth_method": meeting(
        {**sftp(MEETING, "KEY")["storage_config"], "auth_method": SFTP_PASSWORD}
    ),
    "credential as the status": meeting(status=AWS_SECRET),
}

WEBHOOK_BAD_INPUTS: dict[str, dict[str, Any]] = {
    "token as the url": webhook(url=TOKEN),
    "token in the url": webhook(url=f"gopher://hooks.example.com/{TOKEN}"),
    "token as enabled": webhook(enabled=TOKEN),
    "token as an input": webhook(api_token=TOKEN),
    "token as an event": webhook(events=[TOKEN]),
}


def bad_meetings_and_webhooks(
    meetings: Mapping[str, dict[str, Any]], webhooks: Mapping[str, dict[str, Any]]
) -> Callable[[Ctx], None]:
    def run(ctx: Ctx) -> None:
        scan_bad_inputs(ctx, ctx.meeting_provider(), meetings)
        scan_bad_inputs(ctx, ctx.webhook_provider(), webhooks)

    return run


def meeting_echoed(
    status: int, inputs_of: Callable[[], dict[str, Any]], plain: bool = False
) -> Callable[[Ctx], None]:
    """Every call of a meeting against an API that quotes each request back in its error,
    the rotated credential's PATCH included."""

    def run(ctx: Ctx) -> None:
        ctx.echo.status, ctx.echo.plain = status, plain
        provider = debug_configured(MeetingProvider(), ctx.echo.base_url)
        inputs = inputs_of()
        ctx.expect_error("create", lambda: provider.create(inputs))
        state = {**inputs, "managed_fields": list(inputs)}
        ctx.expect_error("read", lambda: provider.read(MEETING, state))
        ctx.expect_error("rotate", lambda: provider.update(MEETING, state, rotated(inputs)))
        ctx.expect_error("deactivate", lambda: provider.delete(MEETING, state))
        ctx.scan.provider("provider", provider)

    return run


# Webhooks: no credential of their own, so only the token could leak


def webhook_lifecycle(ctx: Ctx) -> None:
    provider = ctx.webhook_provider()
    inputs = webhook()
    ctx.scan.outputs("check inputs", provider.check({}, inputs).inputs)
    created = provider.create(inputs)
    ctx.scan.outputs("create", created.outs)
    read = provider.read(created.id, created.outs or {})
    ctx.scan.outputs("read", read.outs)
    ctx.scan.outputs("read: inputs handed back", read_inputs(read))
    news = {**inputs, "enabled": False}
    ctx.scan.text("diff", repr(vars(provider.diff(created.id, read.outs or {}, news))))
    updated = provider.update(created.id, read.outs or {}, news).outs
    ctx.scan.outputs("update", updated)
    provider.delete(created.id, updated or {})
    ctx.scan.outputs("read after delete", provider.read(created.id, updated or {}).outs)
    ctx.scan.provider("provider after use", provider)


def webhook_faults(ctx: Ctx) -> None:
    """A create whose answer is lost (found again by listing), then a delete over budget."""
    provider = ctx.webhook_provider()
    ctx.emulator.add_fault("POST", r"/webhooks$", "reset_after")
    created = provider.create(webhook())
    ctx.scan.outputs("create after reset", created.outs)
    ctx.emulator.add_fault("DELETE", r"/webhooks/[^/]+$", "status", status=503, count=3)
    ctx.expect_error("delete", lambda: provider.delete(created.id, created.outs or {}))


def webhook_echoed(ctx: Ctx) -> None:
    provider = debug_configured(WebhookProvider(), ctx.echo.base_url)
    inputs = webhook()
    state = {**inputs, "managed_fields": list(inputs)}
    ctx.expect_error("create", lambda: provider.create(inputs))
    ctx.expect_error("read", lambda: provider.read(WEBHOOK_ID, state))
    news = {**inputs, "enabled": False}
    ctx.expect_error("update", lambda: provider.update(WEBHOOK_ID, state, news))
    ctx.expect_error("delete", lambda: provider.delete(WEBHOOK_ID, state))
    ctx.scan.provider("provider", provider)


CREATE_FAULTS: dict[str, tuple[str, dict[str, Any]]] = {
    "503": ("status", {"status": 503, "retry_after": "1"}),
    "500": ("status", {"status": 500}),
    "429": ("gateway_error", {"retry_after": "1"}),
    "hang": ("hang", {"hang_seconds": 1.5}),
    "hang acted": ("hang", {"hang_seconds": 1.5, "act": True}),
    "reset_before": ("reset_before", {}),
    "reset_after": ("reset_after", {}),
    "malformed": ("malformed", {}),
}

IN_PROCESS: dict[str, Callable[[Ctx], None]] = {
    "happy aws": lifecycle(aws),
    "happy azure": lifecycle(azure),
    "happy sftp key": lifecycle(lambda m: sftp(m, "KEY")),
    "happy sftp password": lifecycle(lambda m: sftp(m, "PASSWORD")),
    "happy multiline key": lifecycle(multiline_sftp),
    "adopt and crash recovery": adopt,
    **{
        f"create under {name}": create_under(kind, **fault)
        for name, (kind, fault) in CREATE_FAULTS.items()
    },
    "create 503 over budget": over_budget("POST", "status", status=503),
    "create 429 over budget": over_budget("POST", "gateway_error"),
    "create hang over budget": over_budget("POST", "hang", hang_seconds=1.5),
    "create reset over budget": over_budget("POST", "reset_before"),
    "read 500 over budget": over_budget("GET", "status", status=500),
    "read reset over budget": over_budget("GET", "reset_before"),
    "read malformed": over_budget("GET", "malformed"),
    "delete 503 over budget": over_budget("PUT", "status", status=503),
    "delete hang over budget": over_budget("PUT", "hang", hang_seconds=1.5),
    "start lookup fails too": lookup_fails_too,
    "multiple start timed out": multiple_timeout,
    "wait timed out": wait_times_out,
    "pause an errored recording": pause_a_stopped_one,
    "bad inputs carrying secrets": bad_inputs,
    "token typed into other settings": settings_mistakes,
    "wrong token": wrong_token,
    "API echoes input in a 400": echoed(400, aws),
    "API echoes input in a 500": echoed(500, lambda m: sftp(m, "PASSWORD")),
    "API echoes a multi-line key": echoed(400, multiline_sftp),
    "API echoes input in its reason phrase": echoed(400, lambda m: sftp(m, "KEY"), plain=True),
    "API echoes input in a 422": echoed(422, azure),
    "happy meeting aws": meeting_lifecycle(meeting),
    "happy meeting sftp password": meeting_lifecycle(lambda: sftp_meeting("PASSWORD")),
    "happy meeting sftp key": meeting_lifecycle(lambda: sftp_meeting("KEY")),
    "happy meeting multiline key": meeting_lifecycle(multiline_meeting),
    "meeting adopted": meeting_adopt,
    "meeting create under reset_after": meeting_under("create", "reset_after"),
    "meeting create under malformed": meeting_under("create", "malformed"),
    "meeting create hang acted": meeting_under("create", "hang", hang_seconds=1.5, act=True),
    "meeting create 503 over budget": meeting_under("create", "status", fails=True, count=3),
    "meeting read 500 over budget": meeting_under(
        "read", "status", fails=True, count=3, status=500
    ),
    "meeting rotation refused (400)": meeting_under("rotate", "status", fails=True, status=400),
    "meeting rotation reset_after": meeting_under("rotate", "reset_after", fails=True, count=3),
    "meeting deactivate hang over budget": meeting_under(
        "deactivate", "hang", fails=True, count=3, hang_seconds=1.5
    ),
    "bad meeting and webhook inputs": bad_meetings_and_webhooks(
        MEETING_BAD_INPUTS, WEBHOOK_BAD_INPUTS
    ),
    "meeting: API echoes input in a 400": meeting_echoed(400, meeting),
    "meeting: API echoes a multi-line key in a 422": meeting_echoed(422, multiline_meeting),
    "meeting: API echoes input in its reason phrase": meeting_echoed(
        400, lambda: sftp_meeting("PASSWORD"), plain=True
    ),
    "meeting: API echoes input in a 500": meeting_echoed(500, lambda: sftp_meeting("KEY")),
    "happy webhook": webhook_lifecycle,
    "webhook create reset, delete over budget": webhook_faults,
    "webhook: API echoes input in a 400": webhook_echoed,
}


@pytest.mark.parametrize("name", list(IN_PROCESS))
def test_in_process_scenario_leaks_nothing(
    name: str,
    emulator: Emulator,
    meeting_id: str,
    echo: EchoServer,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    scan = Scan(name)
    IN_PROCESS[name](Ctx(scan, emulator, meeting_id, echo))

    emulator.clear_faults()
    out, err = capfd.readouterr()
    scan.text("stdout", out)
    scan.text("stderr", err)
    scan.text("log text", caplog.text)
    for record in caplog.records:
        scan.text(f"log record {record.name}", f"{record.getMessage()} {record.args!r}")
        if record.exc_info and record.exc_info[1] is not None:
            scan.error("logged exception", record.exc_info[1])
    if name.startswith("happy"):
        assert any(r.name == "pulumi_rtk.http" for r in caplog.records), "no debug log lines"
    scan.check()


# Through the gRPC provider server


def run_engine(scan: Scan, base_url: str, body: Callable[[Engine, Scan], None]) -> None:
    harness = Engine(cwd=REPO)
    try:
        harness.configure(
            {
                "rtk:apiBaseUrl": base_url,
                "rtk:accountId": ACCOUNT,
                "rtk:appId": APP,
                "rtk:apiToken": TOKEN,
                "rtk:requestTimeoutSeconds": "0.5",
                "rtk:maxRetries": "1",
                "rtk:debug": "true",
            }
        )
        body(harness, scan)
    finally:
        out, err = harness.close()
        scan.text("engine stdout", out)
        scan.text("engine stderr", err)
        assert "pulumi-rtk: POST" in err, "the debug log should reach the engine's stderr"


def grpc_error(scan: Scan, label: str, call: Callable[[], object]) -> None:
    try:
        call()
    except grpc.RpcError as exc:
        scan.text(f"{label} details", grpc_details(exc))
        scan.text(f"{label} repr", repr(exc))
        return
    raise AssertionError(f"{label}: expected an error")


def engine_lifecycle(emulator: Emulator, meeting_id: str) -> Callable[[Engine, Scan], None]:
    def body(engine: Engine, scan: Scan) -> None:
        for inputs in (aws(meeting_id), sftp(emulator.create_meeting(ACCOUNT, APP), "PASSWORD")):
            checked, failures = engine.check({**inputs, "__provider": PROVIDER})
            assert failures == []
            scan.outputs("check", checked)
            id_, outs = engine.create(checked)
            scan.outputs("create", outs)
            emulator.advance(5)
            _, outs = engine.read(id_, outs)
            scan.outputs("read", outs)
            scan.text("diff", repr(engine.diff(id_, outs, {**checked, "paused": True})))
            outs = engine.update(id_, outs, {**checked, "paused": True})
            scan.outputs("update", outs)
            engine.delete(id_, outs)
        for name, inputs in BAD_INPUTS.items():
            _, failures = engine.check({**inputs, "__provider": PROVIDER})
            scan.text(f"check {name}", repr(failures))
            grpc_error(
                scan,
                f"create {name}",
                partial(engine.create, {**inputs, "__provider": PROVIDER}),
            )
        other = emulator.create_meeting(ACCOUNT, APP)
        emulator.add_fault("POST", r"/recordings$", "reset_after")
        id_, outs = engine.create({**aws(other), "__provider": PROVIDER})
        scan.outputs("create after reset", outs)
        emulator.add_fault("GET", r"/recordings/[^/]+$", "status", status=503, count=2)
        grpc_error(scan, "read over budget", lambda: engine.read(id_, outs))
        emulator.add_fault("PUT", r"/recordings/[^/]+$", "hang", hang_seconds=1.5, count=2)
        grpc_error(scan, "delete over budget", lambda: engine.delete(id_, outs))
        third = emulator.create_meeting(ACCOUNT, APP)
        emulator.add_fault("POST", r"/recordings$", "malformed", act=False, count=2)
        grpc_error(
            scan,
            "create malformed",
            lambda: engine.create({**sftp(third, "KEY"), "__provider": PROVIDER}),
        )
        engine_meetings(engine, scan, emulator)
        engine_webhooks(engine, scan, emulator)

    return body


def engine_meetings(engine: Engine, scan: Scan, emulator: Emulator) -> None:
    """Create, refresh, a rotated credential's update, deactivate; bad inputs; a refusal."""
    for fresh in (meeting(), sftp_meeting("KEY")):
        news = {**fresh, "__provider": MEETING_PROVIDER}
        checked, failures = engine.check(news, name="standup")
        assert failures == []
        scan.outputs("meeting check", checked, MEETING_STORAGE)
        id_, outs = engine.create(checked, name="standup")
        scan.outputs("meeting create", outs, MEETING_STORAGE)
        _, outs, given = engine.refresh(id_, outs, checked, name="standup")
        scan.outputs("meeting refresh", outs, MEETING_STORAGE)
        scan.outputs("meeting refresh: inputs handed back", given, MEETING_STORAGE)
        news = {**rotated(fresh), "__provider": MEETING_PROVIDER}
        scan.text("meeting diff", repr(engine.diff(id_, outs, news, name="standup")))
        outs = engine.update(id_, outs, news, name="standup")
        scan.outputs("meeting update with a rotated credential", outs, MEETING_STORAGE)
        engine.delete(id_, outs, name="standup")
        _, outs = engine.read(id_, outs, name="standup")
        scan.outputs("meeting read after deactivation", outs, MEETING_STORAGE)
        # Rotating back (and reactivating) is refused: the PATCH carried a credential.
        back = {**fresh, "__provider": MEETING_PROVIDER}
        emulator.add_fault("PATCH", r"/meetings/[^/]+$", "status", status=400)
        grpc_error(
            scan,
            "meeting rotation refused",
            partial(engine.update, id_, outs, back, name="standup"),
        )
    for name, inputs in MEETING_BAD_INPUTS.items():
        _, failures = engine.check({**inputs, "__provider": MEETING_PROVIDER}, name="standup")
        scan.text(f"meeting check {name}", repr(failures))
        grpc_error(
            scan,
            f"meeting create {name}",
            partial(engine.create, {**inputs, "__provider": MEETING_PROVIDER}, name="standup"),
        )


def engine_webhooks(engine: Engine, scan: Scan, emulator: Emulator) -> None:
    news = {**webhook(), "__provider": WEBHOOK_PROVIDER}
    checked, failures = engine.check(news, name="hook")
    assert failures == []
    emulator.add_fault("POST", r"/webhooks$", "reset_after")
    id_, outs = engine.create(checked, name="hook")
    scan.outputs("webhook create after reset", outs)
    _, outs, given = engine.refresh(id_, outs, checked, name="hook")
    scan.outputs("webhook refresh", outs)
    scan.outputs("webhook refresh: inputs handed back", given)
    news = {**checked, "enabled": False}
    scan.text("webhook diff", repr(engine.diff(id_, outs, news, name="hook")))
    outs = engine.update(id_, outs, news, name="hook")
    scan.outputs("webhook update", outs)
    emulator.add_fault("DELETE", r"/webhooks/[^/]+$", "status", status=503, count=2)
    grpc_error(scan, "webhook delete over budget", lambda: engine.delete(id_, outs, name="hook"))
    engine.delete(id_, outs, name="hook")
    for name, inputs in WEBHOOK_BAD_INPUTS.items():
        _, failures = engine.check({**inputs, "__provider": WEBHOOK_PROVIDER}, name="hook")
        scan.text(f"webhook check {name}", repr(failures))
        grpc_error(
            scan,
            f"webhook create {name}",
            partial(engine.create, {**inputs, "__provider": WEBHOOK_PROVIDER}, name="hook"),
        )


def engine_echo(engine: Engine, scan: Scan) -> None:
    for inputs in (aws(MEETING), sftp(MEETING, "KEY"), multiline_sftp(MEETING)):
        state = {**inputs, "__provider": PROVIDER, "status": "RECORDING"}
        grpc_error(scan, "create", partial(engine.create, {**inputs, "__provider": PROVIDER}))
        grpc_error(scan, "read", partial(engine.read, RECORDING_ID, state))
        grpc_error(scan, "delete", partial(engine.delete, RECORDING_ID, state))
    for fresh in (meeting(), multiline_meeting()):
        inputs = {**fresh, "__provider": MEETING_PROVIDER}
        state = {**inputs, "managed_fields": list(fresh)}
        news = {**rotated(fresh), "__provider": MEETING_PROVIDER}
        grpc_error(scan, "meeting create", partial(engine.create, inputs, name="standup"))
        grpc_error(scan, "meeting read", partial(engine.read, MEETING, state, name="standup"))
        grpc_error(
            scan, "meeting rotate", partial(engine.update, MEETING, state, news, name="standup")
        )
        grpc_error(scan, "meeting deactivate", partial(engine.delete, MEETING, state, "standup"))
    hook = {**webhook(), "__provider": WEBHOOK_PROVIDER}
    grpc_error(scan, "webhook create", partial(engine.create, hook, name="hook"))
    grpc_error(scan, "webhook delete", partial(engine.delete, WEBHOOK_ID, hook, name="hook"))


def test_engine_against_the_emulator_leaks_nothing(emulator: Emulator, meeting_id: str) -> None:
    scan = Scan("engine: lifecycle, faults, bad inputs")
    run_engine(scan, emulator.base_url, engine_lifecycle(emulator, meeting_id))
    scan.check()


def test_engine_against_an_echoing_api_leaks_nothing(echo: EchoServer) -> None:
    scan = Scan("engine: API echoes input")
    run_engine(scan, echo.base_url, engine_echo)
    scan.check()
