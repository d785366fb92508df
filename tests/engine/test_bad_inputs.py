"""Bad-input matrix: invalid configurations sent through the gRPC engine's Check.

Each must fail at Check with the offending field's path and a reason that says what to change,
and none may reach the API: the emulator must see zero requests across the whole matrix. Values
unknown during preview must not fail Check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_rtk.emulator import Emulator
from pulumi_rtk.provider import RecordingProvider
from tests.support import summary
from tests.support.engine import UNKNOWN, Engine, pickled
from tests.support.values import (
    ACCOUNT,
    APP,
    REPO,
    SECRET_VALUES,
    SFTP_PASSWORD,
    SFTP_PRIVATE_KEY,
    TOKEN,
    aws_storage,
    failure_at,
    provider_config,
)

PROVIDER = pickled(RecordingProvider())
DROP = object()  # an override that removes the key
# A meeting id that exists on the emulator is not needed: nothing may be sent at all.
MEETING = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"


def merged(base: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    out = {**base, **overrides}
    return {key: value for key, value in out.items() if value is not DROP}


def sftp(**overrides: Any) -> dict[str, Any]:
    base = {
        "type": "sftp",
        "host": "sftp.example.com",
        "port": 22,
        "username": "recorder",
        "auth_method": "KEY",
        "private_key": SFTP_PRIVATE_KEY,
        "path": "/uploads",
    }
    return merged(base, **overrides)


def aws(**overrides: Any) -> dict[str, Any]:
    return merged(aws_storage(), **overrides)


def inputs(**overrides: Any) -> dict[str, Any]:
    base = {"meeting_id": MEETING, "storage_config": aws_storage(), "max_seconds": 3600}
    return merged(base, **overrides)


def video(**fields: Any) -> dict[str, Any]:
    return inputs(video_config=fields)


def watermark(**fields: Any) -> dict[str, Any]:
    return video(codec="H264", watermark=fields)


# (id, inputs, expected failure path, words the reason must contain)
BAD: list[tuple[str, dict[str, Any], str, str]] = [
    # meeting_id
    ("meeting_id missing", inputs(meeting_id=DROP), "meeting_id", "required"),
    ("meeting_id not a uuid", inputs(meeting_id="standup"), "meeting_id", "must be a UUID"),
    ("meeting_id a number", inputs(meeting_id=42), "meeting_id", "must be a string"),
    ("meeting_id uuid too short", inputs(meeting_id=MEETING[:-1]), "meeting_id", "UUID"),
    # max_seconds: types and range
    ("max_seconds string", inputs(max_seconds="3600"), "max_seconds", "whole number"),
    ("max_seconds fraction", inputs(max_seconds=60.5), "max_seconds", "whole number"),
    ("max_seconds bool", inputs(max_seconds=True), "max_seconds", "whole number"),
    ("max_seconds below 60", inputs(max_seconds=59), "max_seconds", "at least 60"),
    ("max_seconds above a day", inputs(max_seconds=86401), "max_seconds", "at most 86400"),
    # unknown keys
    ("unknown top-level key", inputs(max_second=3600), "max_second", "unknown field"),
    ("camelCase key", inputs(maxSeconds=3600), "maxSeconds", "snake_case"),
    (
        "unknown storage key",
        inputs(storage_config=aws(secret_key="x")),
        "storage_config.secret_key",
        "unknown field",
    ),
    ("unknown nested key", video(colour="red"), "video_config.colour", "unknown field"),
    # storage_config per type
    (
        "storage type unknown",
        inputs(storage_config=aws(type="s3")),
        "storage_config.type",
        "must be one of",
    ),
    (
        "storage type missing",
        inputs(storage_config=aws(type=DROP)),
        "storage_config.type",
        "required",
    ),
    (
        "aws without bucket",
        inputs(storage_config=aws(bucket=DROP)),
        "storage_config.bucket",
        "required when type is aws",
    ),
    (
        "aws without access_key",
        inputs(storage_config=aws(access_key=DROP)),
        "storage_config.access_key",
        "required when type is aws",
    ),
    (
        "aws without secret",
        inputs(storage_config=aws(secret=DROP)),
        "storage_config.secret",
        "required when type is aws",
    ),
    (
        "aws without region",
        inputs(storage_config=aws(region=DROP)),
        "storage_config.region",
        "required when type is aws",
    ),
    (
        "aws empty access_key",
        inputs(storage_config=aws(access_key="")),
        "storage_config.access_key",
        "must not be empty",
    ),
    (
        "aws empty bucket",
        inputs(storage_config=aws(bucket="")),
        "storage_config.bucket",
        "must not be empty",
    ),
    (
        "aws with password",
        inputs(storage_config=aws(password=SFTP_PASSWORD)),
        "storage_config.password",
        "only valid when type is sftp",
    ),
    (
        "azure without secret",
        inputs(storage_config=aws(type="azure", secret=DROP)),
        "storage_config.secret",
        "required when type is azure",
    ),
    (
        "digitalocean without region",
        inputs(storage_config=aws(type="digitalocean", region=DROP)),
        "storage_config.region",
        "required when type is digitalocean",
    ),
    (
        "gcs without bucket",
        inputs(storage_config={"type": "gcs"}),
        "storage_config.bucket",
        "required when type is gcs",
    ),
    (
        "gcs with host",
        inputs(storage_config={"type": "gcs", "bucket": "b", "host": "h"}),
        "storage_config.host",
        "only valid when type is sftp",
    ),
    # sftp
    (
        "sftp without host",
        inputs(storage_config=sftp(host=DROP)),
        "storage_config.host",
        "required when type is sftp",
    ),
    (
        "sftp without username",
        inputs(storage_config=sftp(username=DROP)),
        "storage_config.username",
        "required when type is sftp",
    ),
    (
        "sftp without auth_method",
        inputs(storage_config=sftp(auth_method=DROP)),
        "storage_config.auth_method",
        "required when type is sftp",
    ),
    (
        "sftp KEY without private_key",
        inputs(storage_config=sftp(private_key=DROP)),
        "storage_config.private_key",
        "required when auth_method is KEY",
    ),
    (
        "sftp KEY with empty private_key",
        inputs(storage_config=sftp(private_key="")),
        "storage_config.private_key",
        "must not be empty when auth_method is KEY",
    ),
    (
        "sftp PASSWORD without password",
        inputs(storage_config=sftp(auth_method="PASSWORD", private_key=DROP)),
        "storage_config.password",
        "required when auth_method is PASSWORD",
    ),
    (
        "sftp auth_method unknown",
        inputs(storage_config=sftp(auth_method="TOKEN")),
        "storage_config.auth_method",
        "must be one of",
    ),
    ("sftp port zero", inputs(storage_config=sftp(port=0)), "storage_config.port", "at least 1"),
    (
        "sftp port too big",
        inputs(storage_config=sftp(port=70000)),
        "storage_config.port",
        "at most 65535",
    ),
    (
        "sftp port string",
        inputs(storage_config=sftp(port="22")),
        "storage_config.port",
        "whole number",
    ),
    ("storage_config a string", inputs(storage_config="aws"), "storage_config", "object"),
    ("storage_config a list", inputs(storage_config=[aws_storage()]), "storage_config", "object"),
    # video_config and the codec rule
    ("video codec unknown", video(codec="H265"), "video_config.codec", "must be one of"),
    ("video width zero", video(width=0), "video_config.width", "at least 1"),
    ("video height too big", video(height=1921), "video_config.height", "at most 1920"),
    ("video width fraction", video(width=640.5), "video_config.width", "whole number"),
    (
        "video export_file string",
        video(export_file="yes"),
        "video_config.export_file",
        "true or false",
    ),
    ("video_config a list", inputs(video_config=["H264"]), "video_config", "object"),
    (
        "audio with VP8",
        inputs(video_config={"codec": "VP8"}, audio_config={"codec": "AAC"}),
        "audio_config.codec",
        "must be unset when video_config.codec is VP8",
    ),
    (
        "audio with VP9",
        inputs(video_config={"codec": "VP9"}, audio_config={"codec": "MP3"}),
        "audio_config.codec",
        "must be unset when video_config.codec is VP9",
    ),
    # watermark
    (
        "watermark width zero",
        watermark(size={"width": 0, "height": 10}),
        "video_config.watermark.size.width",
        "at least 1",
    ),
    (
        "watermark height negative",
        watermark(size={"width": 10, "height": -5}),
        "video_config.watermark.size.height",
        "at least 1",
    ),
    ("watermark size a list", watermark(size=[10, 10]), "video_config.watermark.size", "object"),
    (
        "watermark url ftp",
        watermark(url="ftp://example.com/logo.png"),
        "video_config.watermark.url",
        "http or https",
    ),
    (
        "watermark position",
        watermark(position="center"),
        "video_config.watermark.position",
        "must be one of",
    ),
    # audio_config
    (
        "audio codec unknown",
        inputs(audio_config={"codec": "OGG"}),
        "audio_config.codec",
        "must be one of",
    ),
    (
        "audio channel unknown",
        inputs(audio_config={"channel": "surround"}),
        "audio_config.channel",
        "must be one of",
    ),
    (
        "audio export_file number",
        inputs(audio_config={"export_file": 1}),
        "audio_config.export_file",
        "true or false",
    ),
    # URLs and other options
    ("url not a url", inputs(url="not a url"), "url", "http or https"),
    ("url ftp", inputs(url="ftp://example.com/page"), "url", "http or https"),
    (
        "rtmp url http",
        inputs(rtmp_out_config={"rtmp_url": "http://live.example.com/app"}),
        "rtmp_out_config.rtmp_url",
        "rtmp or rtmps",
    ),
    (
        "interactive type",
        inputs(interactive_config={"type": "ID4"}),
        "interactive_config.type",
        "must be one of",
    ),
    (
        "bucket disabled, nowhere to go",
        inputs(storage_config=DROP, realtimekit_bucket_config={"enabled": False}),
        "realtimekit_bucket_config.enabled",
        "needs a storage_config or rtmp_out_config",
    ),
    (
        "bucket enabled missing",
        inputs(realtimekit_bucket_config={}),
        "realtimekit_bucket_config.enabled",
        "required",
    ),
    (
        "bucket enabled string",
        inputs(realtimekit_bucket_config={"enabled": "false"}),
        "realtimekit_bucket_config.enabled",
        "true or false",
    ),
    (
        "allow_multiple string",
        inputs(allow_multiple_recordings="true"),
        "allow_multiple_recordings",
        "true or false",
    ),
    ("file_name_prefix number", inputs(file_name_prefix=7), "file_name_prefix", "string"),
    # provider-only switches
    ("paused string", inputs(paused="yes"), "paused", "true or false"),
    (
        "wait_for_status other",
        inputs(wait_for_status="UPLOADED"),
        "wait_for_status",
        "must be one of",
    ),
    ("wait_timeout zero", inputs(wait_timeout_seconds=0), "wait_timeout_seconds", "at least 1"),
    (
        "wait_timeout too long",
        inputs(wait_timeout_seconds=3601),
        "wait_timeout_seconds",
        "at most 3600",
    ),
    (
        "wait_timeout fraction",
        inputs(wait_timeout_seconds=1.5),
        "wait_timeout_seconds",
        "whole number",
    ),
    (
        "adopt id not a uuid",
        inputs(adopt_recording_id="rec-1"),
        "adopt_recording_id",
        "must be a UUID",
    ),
    (
        "account_id with spaces",
        inputs(account_id="my account"),
        "account_id",
        "letters, digits or dashes",
    ),
    ("app_id too long", inputs(app_id="a" * 37), "app_id", "1-36"),
]

# Values unknown during `pulumi preview`: Check must let them through.
PREVIEW: list[tuple[str, dict[str, Any]]] = [
    ("meeting_id", inputs(meeting_id=UNKNOWN)),
    ("max_seconds", inputs(max_seconds=UNKNOWN)),
    ("whole storage_config", inputs(storage_config=UNKNOWN)),
    ("storage secret", inputs(storage_config=aws(secret=UNKNOWN))),
    ("storage type", inputs(storage_config=aws(type=UNKNOWN))),
    ("sftp auth_method", inputs(storage_config=sftp(auth_method=UNKNOWN, private_key=DROP))),
    ("sftp port", inputs(storage_config=sftp(port=UNKNOWN))),
    ("video width", video(width=UNKNOWN)),
    ("watermark", video(watermark=UNKNOWN)),
    ("url", inputs(url=UNKNOWN)),
    ("adopt_recording_id", inputs(adopt_recording_id=UNKNOWN)),
    ("account and app", inputs(account_id=UNKNOWN, app_id=UNKNOWN)),
]

ACTIONABLE = ("must", "required", "unknown field", "only valid", "needs")


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(token=TOKEN, clock_speed=0.0).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="module")
def engine(emulator: Emulator) -> Iterator[Engine]:
    harness = Engine(cwd=REPO)
    harness.configure(provider_config(emulator))
    try:
        yield harness
    finally:
        harness.close()


def check(engine: Engine, news: dict[str, Any]) -> list[tuple[str, str]]:
    """The failures as (field path, reason), whichever way the engine was sent them."""
    _, failures = engine.check({**news, "__provider": PROVIDER})
    return [failure_at(prop, reason) for prop, reason in failures]


@pytest.mark.parametrize(("news", "path", "words"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_fails_check_at_its_field(
    engine: Engine, emulator: Emulator, news: dict[str, Any], path: str, words: str
) -> None:
    failures = check(engine, news)

    reasons = [reason for prop, reason in failures if prop == path]
    assert reasons, f"no failure at {path}: {failures}"
    assert len(failures) == 1, failures  # the one change a case makes, nothing else
    assert any(words in reason for reason in reasons), failures
    for _, reason in failures:
        assert any(word in reason for word in ACTIONABLE), reason
        assert not any(secret in reason for secret in SECRET_VALUES)
    assert emulator.stats()["requests"] == 0


@pytest.mark.parametrize("news", [c[1] for c in PREVIEW], ids=[c[0] for c in PREVIEW])
def test_values_unknown_in_preview_pass_check(
    engine: Engine, emulator: Emulator, news: dict[str, Any]
) -> None:
    assert check(engine, news) == []
    assert emulator.stats()["requests"] == 0


def test_an_unknown_value_does_not_hide_a_real_error(engine: Engine) -> None:
    failures = check(engine, inputs(meeting_id=UNKNOWN, max_seconds=10))
    assert failures == [("max_seconds", "must be at least 60")]


def test_the_valid_baselines_pass(engine: Engine) -> None:
    """The matrix's bases are valid, so each failure is the one change a case makes."""
    for news in (inputs(), inputs(storage_config=sftp()), watermark(size={"width": 1})):
        assert check(engine, news) == []
    assert check(engine, inputs(account_id=ACCOUNT, app_id=APP)) == []


def test_the_matrix_has_distinct_cases() -> None:
    assert len(BAD) >= 40
    assert len({c[0] for c in BAD}) == len(BAD)
    summary.add("bad-input matrix: invalid inputs", len(BAD))
    summary.add("bad-input matrix: preview unknowns", len(PREVIEW))
