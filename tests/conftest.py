"""Shared fixtures: a real emulator on 127.0.0.1, configured providers, the gRPC engine harness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_rtk.emulator import Emulator
from pulumi_rtk.provider import RecordingProvider, TrackRecordingProvider
from tests.harness import PROJECT, Engine

ACCOUNT = "0123456789abcdef0123456789abcdef"
APP = "fedcba9876543210fedcba9876543210"
# Distinctive values, so leak checks can search any text for them.
TOKEN = "tok-LEAKCHECK-4f1e9a7c2b"
AWS_ACCESS_KEY = "AKIA-LEAKCHECK-ACCESS-77"
AWS_SECRET = "LEAKCHECK-aws-secret-9b2d"
SFTP_PASSWORD = "LEAKCHECK-sftp-password-31"
SFTP_PRIVATE_KEY = "-----BEGIN KEY----- LEAKCHECK-private-key-5c -----END KEY-----"
SECRET_VALUES = (TOKEN, AWS_ACCESS_KEY, AWS_SECRET, SFTP_PASSWORD, SFTP_PRIVATE_KEY)
REPO = Path(__file__).resolve().parent.parent


def provider_config(emulator: Emulator, **extra: str) -> dict[str, str]:
    """Stack config as the engine sends it to a dynamic provider (full keys, plain strings)."""
    return {
        "rtk:apiBaseUrl": emulator.base_url,
        "rtk:accountId": ACCOUNT,
        "rtk:appId": APP,
        "rtk:apiToken": TOKEN,
        "rtk:requestTimeoutSeconds": "2",
        "rtk:maxRetries": "2",
        **extra,
    }


def aws_storage() -> dict[str, object]:
    return {
        "type": "aws",
        "bucket": "recordings",
        "region": "us-east-1",
        "access_key": AWS_ACCESS_KEY,
        "secret": AWS_SECRET,
        "path": "standups/",
    }


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


@pytest.fixture
def provider(emulator: Emulator) -> RecordingProvider:
    """A provider configured the way the engine configures one, pointed at the emulator."""
    instance = RecordingProvider()
    instance.configure(ConfigureRequest(Config(provider_config(emulator), PROJECT)))
    return instance


@pytest.fixture
def track_provider(emulator: Emulator) -> TrackRecordingProvider:
    instance = TrackRecordingProvider()
    instance.configure(ConfigureRequest(Config(provider_config(emulator), PROJECT)))
    return instance


@pytest.fixture
def engine(emulator: Emulator) -> Iterator[Engine]:
    """The SDK's dynamic provider server in a subprocess, configured for the emulator."""
    harness = Engine(cwd=REPO)
    harness.configure(provider_config(emulator))
    try:
        yield harness
    finally:
        harness.close()
