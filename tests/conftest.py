"""Fixtures shared by every kind of test, and the markers that sort tests by kind.

A test's directory is its kind: ``unit`` (no server, no subprocess), ``emulator`` (HTTP to a
real emulator on 127.0.0.1), ``engine`` (the SDK's dynamic provider server over gRPC) and
``e2e`` (the real Pulumi CLI). ``pytest -m unit`` runs the fast subset in seconds.
"""

from __future__ import annotations

import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import urllib3.util.retry
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_rtk.emulator import Emulator
from pulumi_rtk.provider import (
    MeetingProvider,
    RecordingProvider,
    TrackRecordingProvider,
    WebhookProvider,
)
from pulumi_rtk.providers.base import ProviderBase
from tests.support import summary
from tests.support.engine import PROJECT, Engine
from tests.support.values import ACCOUNT, APP, REPO, TOKEN, provider_config

KINDS = ("unit", "emulator", "engine", "e2e")


# The real CLI may have to be built (minutes, cold) the first time a test asks for it; each CLI
# call has its own, much shorter timeout.
E2E_TIMEOUT = 3600


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    for item in items:
        kind = Path(item.path).relative_to(root).parts[0]
        if kind in KINDS:
            item.add_marker(getattr(pytest.mark, kind))
        if kind == "e2e" and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(E2E_TIMEOUT))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Figures the matrices collected (scenarios, texts scanned), whatever order tests ran in."""
    lines = summary.lines()
    if lines:
        terminalreporter.section("pulumi_rtk matrices")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """urllib3's retry sleeps (Retry-After and backoff), recorded instead of slept."""
    delays: list[float] = []
    fake_time = types.SimpleNamespace(sleep=delays.append, time=time.time)
    monkeypatch.setattr(urllib3.util.retry, "time", fake_time)
    return delays


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh emulator whose clock only moves when a test advances it."""
    emu = Emulator(token=TOKEN, clock_speed=0.0).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def meeting_id(emulator: Emulator) -> str:
    return emulator.create_meeting(ACCOUNT, APP)


_P = TypeVar("_P", bound=ProviderBase)


def configured(cls: type[_P], emulator: Emulator, **extra: str) -> _P:
    """A provider configured the way the engine configures one, pointed at the emulator."""
    instance = cls()
    instance.configure(ConfigureRequest(Config(provider_config(emulator, **extra), PROJECT)))
    return instance


@pytest.fixture
def provider(emulator: Emulator) -> RecordingProvider:
    return configured(RecordingProvider, emulator)


@pytest.fixture
def track_provider(emulator: Emulator) -> TrackRecordingProvider:
    return configured(TrackRecordingProvider, emulator)


@pytest.fixture
def meeting_provider(emulator: Emulator) -> MeetingProvider:
    return configured(MeetingProvider, emulator)


@pytest.fixture
def webhook_provider(emulator: Emulator) -> WebhookProvider:
    return configured(WebhookProvider, emulator)


@pytest.fixture
def engine(emulator: Emulator) -> Iterator[Engine]:
    """The SDK's dynamic provider server in a subprocess, configured for the emulator."""
    harness = Engine(cwd=REPO)
    harness.configure(provider_config(emulator))
    try:
        yield harness
    finally:
        harness.close()
