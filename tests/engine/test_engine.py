"""The provider driven as the engine drives it: the SDK's gRPC dynamic provider server.

Each test talks to a real ``python -u -m pulumi.dynamic`` subprocess that unpickles the
provider from ``__provider``, exactly as ``pulumi up``, ``refresh`` and ``destroy`` do.
"""

from __future__ import annotations

import base64
import pickletools
from typing import Any

import grpc
import pytest
from pulumi.output import Unknown
from pulumi.runtime.proto import provider_pb2

from pulumi_rtk.emulator import Emulator
from pulumi_rtk.provider import RecordingProvider, TrackRecordingProvider
from tests.support.engine import UNKNOWN, Engine, grpc_details, pickled
from tests.support.values import (
    ACCOUNT,
    APP,
    REPO,
    SECRET_VALUES,
    TOKEN,
    aws_storage,
    provider_config,
)

PROVIDER = pickled(RecordingProvider())
TRACK_TYPE = "pulumi-python:dynamic/rtk:TrackRecording"


def declared(meeting_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "meeting_id": meeting_id,
        "storage_config": aws_storage(),
        "max_seconds": 3600,
        "__provider": PROVIDER,
        **extra,
    }


def up(engine: Engine, news: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Check then Create, as `pulumi up` does for a new resource."""
    inputs, failures = engine.check(news)
    assert failures == []
    id_, outs = engine.create(inputs)
    return id_, inputs, outs


def test_configure_answers_like_a_dynamic_provider(emulator: Emulator) -> None:
    harness = Engine(cwd=REPO)
    try:
        response = harness.configure(provider_config(emulator))
        assert response.acceptSecrets is False
    finally:
        harness.close()


def test_create_then_refresh_brings_status_changes_into_outputs(
    engine: Engine, emulator: Emulator, meeting_id: str
) -> None:
    id_, _, outs = up(engine, declared(meeting_id))
    assert outs["status"] == "INVOKED"
    assert outs["account_id"] == ACCOUNT
    assert outs["app_id"] == APP

    emulator.advance(5)
    read_id, refreshed = engine.read(id_, outs)

    assert read_id == id_
    assert refreshed["status"] == "RECORDING"
    assert refreshed["started_time"]
    assert refreshed["__provider"] == PROVIDER


def test_refresh_after_an_out_of_band_stop_shows_upload_and_links(
    engine: Engine, emulator: Emulator, meeting_id: str
) -> None:
    id_, _, outs = up(engine, declared(meeting_id))
    emulator.advance(5)
    emulator.set_status(id_, "UPLOADING")
    emulator.advance(10)

    _, refreshed = engine.read(id_, outs)

    assert refreshed["status"] == "UPLOADED"
    assert refreshed["download_url"].endswith(".mp4")
    assert refreshed["download_url_expiry"]


def test_refresh_of_a_recording_gone_from_the_api_drops_it(
    engine: Engine, emulator: Emulator, meeting_id: str
) -> None:
    id_, _, outs = up(engine, declared(meeting_id))
    emulator.forget(id_)

    read_id, _ = engine.read(id_, outs)

    assert read_id == ""


def test_diff_replaces_when_a_start_option_changes(engine: Engine, meeting_id: str) -> None:
    id_, inputs, outs = up(engine, declared(meeting_id))
    news, _ = engine.check({**inputs, "video_config": {"codec": "VP8"}}, olds=inputs)

    response = engine.diff(id_, outs, news)

    assert response.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(response.replaces) == ["video_config"]
    assert response.deleteBeforeReplace is True


def test_diff_without_changes_is_none(engine: Engine, emulator: Emulator, meeting_id: str) -> None:
    id_, inputs, outs = up(engine, declared(meeting_id))
    emulator.advance(5)
    _, refreshed = engine.read(id_, outs)

    response = engine.diff(id_, refreshed, inputs)

    assert response.changes == provider_pb2.DiffResponse.DIFF_NONE
    assert list(response.replaces) == []


def test_diff_with_values_unknown_in_preview_plans_a_replace(
    engine: Engine, meeting_id: str
) -> None:
    id_, inputs, outs = up(engine, declared(meeting_id))

    response = engine.diff(id_, outs, {**inputs, "file_name_prefix": UNKNOWN})

    assert list(response.replaces) == ["file_name_prefix"]


def test_pause_is_an_update_in_place(engine: Engine, emulator: Emulator, meeting_id: str) -> None:
    id_, inputs, outs = up(engine, declared(meeting_id))
    emulator.advance(5)
    _, outs = engine.read(id_, outs)
    news = {**inputs, "paused": True}

    response = engine.diff(id_, outs, news)
    updated = engine.update(id_, outs, news)

    assert response.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(response.replaces) == []
    assert updated["status"] == "PAUSED"
    assert updated["account_id"] == ACCOUNT
    assert updated["storage_config"] == aws_storage()


def test_check_rejects_bad_input_with_the_field_path(engine: Engine, emulator: Emulator) -> None:
    news = declared(
        "not-a-uuid",
        max_seconds=10,
        storage_config={"type": "sftp", "host": "h", "username": "u", "auth_method": "PASSWORD"},
    )

    _, failures = engine.check(news)

    assert ("meeting_id", "must be a UUID") in failures
    assert ("max_seconds", "must be at least 60") in failures
    assert emulator.requests() == []


def test_check_reports_per_type_storage_rules(engine: Engine, meeting_id: str) -> None:
    storage = {"type": "sftp", "host": "h", "username": "u", "auth_method": "PASSWORD"}

    _, failures = engine.check(declared(meeting_id, storage_config=storage))

    assert failures == [("", "storage_config.password: required when auth_method is PASSWORD")]


def test_check_passes_values_unknown_in_preview(engine: Engine, emulator: Emulator) -> None:
    news = declared(UNKNOWN, storage_config={"type": "aws", "bucket": UNKNOWN}, max_seconds=UNKNOWN)
    news["storage_config"].update(access_key=UNKNOWN, secret=UNKNOWN, region="us-east-1")

    inputs, failures = engine.check(news)

    assert failures == []
    assert isinstance(inputs["max_seconds"], Unknown)
    assert emulator.requests() == []


@pytest.mark.parametrize("state", ["RECORDING", "PAUSED", "INVOKED"])
def test_delete_stops_a_running_recording(
    engine: Engine, emulator: Emulator, meeting_id: str, state: str
) -> None:
    id_, _, outs = up(engine, declared(meeting_id))
    emulator.set_status(id_, state)

    engine.delete(id_, outs)

    assert [r["status"] for r in emulator.recordings()] == ["UPLOADING"]


@pytest.mark.parametrize("state", ["UPLOADING", "UPLOADED", "ERRORED"])
def test_delete_of_an_already_stopped_recording_does_nothing(
    engine: Engine, emulator: Emulator, meeting_id: str, state: str
) -> None:
    id_, _, outs = up(engine, declared(meeting_id))
    emulator.set_status(id_, state)
    emulator.clear_requests()

    engine.delete(id_, outs)

    assert [r["status"] for r in emulator.recordings()] == [state]
    assert len(emulator.requests(method="PUT")) <= 1


def test_delete_of_a_gone_recording_succeeds(
    engine: Engine, emulator: Emulator, meeting_id: str
) -> None:
    id_, _, outs = up(engine, declared(meeting_id))
    emulator.forget(id_)

    engine.delete(id_, outs)


def test_delete_failure_reaches_the_engine_with_status_and_code(
    engine: Engine, emulator: Emulator, meeting_id: str
) -> None:
    id_, _, outs = up(engine, declared(meeting_id))
    emulator.add_fault("PUT", r"/recordings/", "gateway_error", status=403, error_code=9109)

    with pytest.raises(grpc.RpcError) as raised:
        engine.delete(id_, outs)

    details = grpc_details(raised.value)
    assert "HTTP 403 (code 9109)" in details
    for secret in SECRET_VALUES:
        assert secret not in details
    assert emulator.recordings()[0]["status"] in {"INVOKED", "RECORDING"}


def test_adopt_takes_over_a_recording_without_starting_one(
    engine: Engine, emulator: Emulator, meeting_id: str
) -> None:
    existing, _, _ = up(engine, declared(meeting_id))
    emulator.clear_requests()

    id_, _, outs = up(engine, declared(meeting_id, adopt_recording_id=existing))

    assert id_ == existing
    assert outs["status"] == "INVOKED"
    assert emulator.requests(method="POST") == []


def test_track_recording_lifecycle(engine: Engine, emulator: Emulator, meeting_id: str) -> None:
    news = {
        "meeting_id": meeting_id,
        "layers": {"default": {"media_kind": "audio", "file_name_prefix": "speaker"}},
        "user_ids": ["alice", "bob"],
        "__provider": pickled(TrackRecordingProvider()),
    }
    inputs, failures = engine.check(news, name="tracks")
    assert failures == []

    id_, outs = engine.create(inputs, name="tracks")
    [start] = emulator.requests(method="POST", path=r"/recordings/track$")
    engine.delete(id_, outs, name="tracks")

    assert start.body == {key: news[key] for key in ("meeting_id", "layers", "user_ids")}
    assert outs["status"] == "INVOKED"
    assert [r["status"] for r in emulator.recordings()] == ["UPLOADING"]
    assert engine.urn("tracks", TRACK_TYPE).endswith("TrackRecording::tracks")


def test_the_pickled_provider_is_a_small_reference_holding_no_secret(
    engine: Engine, meeting_id: str
) -> None:
    raw = base64.b64decode(PROVIDER)
    ops = [op.name for op, _, _ in pickletools.genops(raw)]

    assert len(raw) <= 200
    assert b"__main__" not in raw
    assert b"pulumi_rtk.provider" in raw
    assert b"RecordingProvider" in raw
    assert "GLOBAL" in " ".join(ops)
    for secret in SECRET_VALUES:
        assert secret.encode() not in raw

    id_, _, outs = up(engine, declared(meeting_id))
    assert outs["__provider"] == PROVIDER
    assert id_


def test_the_provider_process_prints_no_secret(emulator: Emulator, meeting_id: str) -> None:
    harness = Engine(cwd=REPO)
    harness.configure(provider_config(emulator, **{"rtk:debug": "true"}))
    id_, _, outs = up(harness, declared(meeting_id))
    harness.read(id_, outs)
    harness.delete(id_, outs)

    stdout, stderr = harness.close()

    assert "POST /accounts/" in stderr
    for secret in SECRET_VALUES:
        assert secret not in stdout + stderr


def test_create_waits_until_the_recording_records(meeting_id: str) -> None:
    # 50x: the 2 s invoke delay passes in 40 ms. The first look comes when a recording
    # usually records (2 s before any was seen), 100 s on this clock: past the 60 s after
    # which a meeting nobody joined stops its recordings, so that rule is off here.
    fast = Emulator(token=TOKEN, clock_speed=50.0, empty_meeting_timeout=None).start()
    harness = Engine(cwd=REPO)
    try:
        harness.configure(provider_config(fast))
        meeting = fast.create_meeting(ACCOUNT, APP)

        _, _, outs = up(harness, declared(meeting, wait_for_status="RECORDING"))

        assert outs["status"] == "RECORDING"
        assert outs["started_time"]
    finally:
        harness.close()
        fast.stop()


def test_a_wait_that_times_out_fails_create_and_stops_the_recording(
    engine: Engine, emulator: Emulator, meeting_id: str
) -> None:
    inputs, _ = engine.check(
        declared(meeting_id, wait_for_status="RECORDING", wait_timeout_seconds=1)
    )

    with pytest.raises(grpc.RpcError) as raised:
        engine.create(inputs)

    assert "did not get there within 1 s (last status INVOKED" in grpc_details(raised.value)
    assert [r["status"] for r in emulator.recordings()] == ["UPLOADING"]
