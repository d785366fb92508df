"""Meetings and webhooks driven as the engine drives them: the SDK's gRPC dynamic provider server.

Create, refresh, drift, in-place update with a minimal PATCH, deactivate/delete, bad input, and
secrets: credentials only ever under ``recording_config.storage_config`` (where the engine
re-marks them secret by key), never in an error, a log line or the pickled provider.
"""

from __future__ import annotations

import base64
from typing import Any

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from pulumi_rtk.emulator import Emulator
from pulumi_rtk.provider import MeetingProvider, WebhookProvider
from tests.support.engine import READ_RETURNS_INPUTS, UNKNOWN, Engine, grpc_details, pickled
from tests.support.processes import api_call
from tests.support.values import (
    AWS_ACCESS_KEY,
    AWS_SECRET,
    REPO,
    SECRET_VALUES,
    TOKEN,
    aws_storage,
    failure_at,
    provider_config,
)

MEETING_PROVIDER = pickled(MeetingProvider())
WEBHOOK_PROVIDER = pickled(WebhookProvider())
CREDENTIALS = (AWS_ACCESS_KEY, AWS_SECRET)


def meeting(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Daily standup",
        "record_on_start": True,
        "recording_config": {
            "storage_config": aws_storage(),
            "video_config": {"codec": "H264", "width": 1280, "height": 720},
            "max_seconds": 3600,
        },
        "status": "ACTIVE",
        "__provider": MEETING_PROVIDER,
        **extra,
    }


def webhook(**extra: Any) -> dict[str, Any]:
    return {
        "name": "uploads",
        "url": "https://hooks.example.com/rtk",
        "events": ["recording.statusUpdate", "meeting.ended"],
        "enabled": True,
        "__provider": WEBHOOK_PROVIDER,
        **extra,
    }


def up(engine: Engine, news: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Check then Create, as `pulumi up` does for a new resource."""
    inputs, failures = engine.check(news)
    assert failures == []
    id_, outs = engine.create(inputs)
    return id_, inputs, outs


def patches(emulator: Emulator, kind: str) -> list[Any]:
    return [r.body for r in emulator.requests("PATCH", rf"/{kind}/")]


def assert_handed_back(given: dict[str, Any] | None, expected: dict[str, Any]) -> None:
    """Refresh hands the declared inputs back as read, where the SDK can; an older SDK keeps
    the stored inputs (``READ_RETURNS_INPUTS``), and the diff still sees drift in the outputs."""
    if not READ_RETURNS_INPUTS:
        assert given is None
        return
    assert given is not None
    assert {key: given[key] for key in expected} == expected


def no_credentials_outside_storage(props: dict[str, Any]) -> None:
    rest = {key: value for key, value in props.items() if key != "recording_config"}
    config = dict(props.get("recording_config") or {})
    config.pop("storage_config", None)
    for secret in CREDENTIALS:
        assert secret not in repr(rest) + repr(config)


def test_meeting_create_refresh_drift_update_and_deactivate(
    engine: Engine, emulator: Emulator
) -> None:
    id_, inputs, outs = up(engine, meeting())
    assert [r.method for r in emulator.requests()] == ["POST"]
    assert outs["title"] == "Daily standup" and outs["status"] == "ACTIVE"
    assert outs["recording_config"]["storage_config"]["secret"] == AWS_SECRET
    no_credentials_outside_storage(outs)

    # Nothing changed: refresh hands back the declared inputs as they are; no diff.
    read_id, refreshed, given = engine.refresh(id_, outs, inputs)
    assert read_id == id_
    assert_handed_back(
        given, {"title": "Daily standup", "record_on_start": True, "status": "ACTIVE"}
    )
    none = engine.diff(id_, refreshed, inputs)
    assert none.changes == provider_pb2.DiffResponse.DIFF_NONE

    # Drift: a title changed in the dashboard shows in refresh, and the next up puts it back.
    api_call(emulator.base_url, "PATCH", f"meetings/{id_}", TOKEN, {"title": "Renamed"})
    _, refreshed, given = engine.refresh(id_, refreshed, inputs)
    assert refreshed["title"] == "Renamed"
    assert_handed_back(given, {"title": "Renamed"})
    drift = engine.diff(id_, refreshed, inputs)
    assert drift.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(drift.replaces) == []
    emulator.clear_requests()
    updated = engine.update(id_, refreshed, inputs)
    assert patches(emulator, "meetings") == [{"title": "Daily standup"}]
    assert updated["title"] == "Daily standup"

    # An in-place edit sends only what changed.
    edited, _ = engine.check(meeting(persist_chat=True), olds=inputs)
    assert engine.diff(id_, updated, edited).changes == provider_pb2.DiffResponse.DIFF_SOME
    emulator.clear_requests()
    updated = engine.update(id_, updated, edited)
    assert patches(emulator, "meetings") == [{"persist_chat": True}]

    # Destroy deactivates (no DELETE for meetings); doing it twice is no error.
    emulator.clear_requests()
    engine.delete(id_, updated)
    engine.delete(id_, updated)
    assert patches(emulator, "meetings") == [{"status": "INACTIVE"}] * 2
    shown = api_call(emulator.base_url, "GET", f"meetings/{id_}", TOKEN)["data"]
    assert shown["status"] == "INACTIVE"


def test_webhook_create_drift_update_and_delete(engine: Engine, emulator: Emulator) -> None:
    id_, inputs, outs = up(engine, webhook())
    assert outs["enabled"] is True
    api_call(emulator.base_url, "PATCH", f"webhooks/{id_}", TOKEN, {"enabled": False})
    _, refreshed, given = engine.refresh(id_, outs, inputs)
    assert refreshed["enabled"] is False
    assert_handed_back(given, {"enabled": False})
    assert engine.diff(id_, refreshed, inputs).changes == provider_pb2.DiffResponse.DIFF_SOME
    emulator.clear_requests()
    updated = engine.update(id_, refreshed, inputs)
    assert patches(emulator, "webhooks") == [{"enabled": True}]

    emulator.clear_requests()
    engine.delete(id_, updated)
    engine.delete(id_, updated)  # gone already: done
    assert [r.method for r in emulator.requests()] == ["DELETE", "DELETE"]
    gone_id, _ = engine.read(id_, updated)
    assert gone_id == ""


@pytest.mark.parametrize(
    ("news", "path"),
    [
        (meeting(session_keep_alive_time_in_secs=5), "session_keep_alive_time_in_secs"),
        (
            meeting(
                recording_config={
                    "realtimekit_bucket_config": {"enabled": False},
                    "max_seconds": 3600,
                }
            ),
            "recording_config.realtimekit_bucket_config.enabled",
        ),
        (
            meeting(recording_config={"storage_config": {**aws_storage(), "secret": ""}}),
            "recording_config.storage_config.secret",
        ),
        (webhook(events=["recording.done"]), "events[0]"),
        (webhook(url="gopher://hooks.example.com"), "url"),
    ],
    ids=["keep-alive", "nowhere", "empty-secret", "event", "url"],
)
def test_bad_input_fails_check_at_its_field_without_a_request(
    engine: Engine, emulator: Emulator, news: dict[str, Any], path: str
) -> None:
    _, failures = engine.check(news)
    assert [failure_at(prop, reason)[0] for prop, reason in failures] == [path]
    for _, reason in failures:
        for secret in SECRET_VALUES:
            assert secret not in reason
    assert emulator.stats()["requests"] == 0


def test_values_unknown_in_preview_pass_check(engine: Engine, emulator: Emulator) -> None:
    news = meeting(
        title=UNKNOWN,
        recording_config={"storage_config": {**aws_storage(), "bucket": UNKNOWN}},
    )
    assert engine.check(news)[1] == []
    assert engine.check(webhook(url=UNKNOWN))[1] == []
    assert emulator.stats()["requests"] == 0


def test_an_api_refusal_names_the_request_and_leaks_no_credential(emulator: Emulator) -> None:
    harness = Engine(cwd=REPO)
    try:
        harness.configure(provider_config(emulator, **{"rtk:debug": "true"}))
        emulator.add_fault("POST", r"/meetings$", "status", status=400)
        inputs, _ = harness.check(meeting())
        with pytest.raises(grpc.RpcError) as caught:
            harness.create(inputs)
        details = grpc_details(caught.value)
        assert "POST /accounts/" in details and "/meetings" in details
        assert "HTTP 400" in details
    finally:
        out, err = harness.close()
    for text in (details, out, err):
        for secret in SECRET_VALUES:
            assert secret not in text


def test_the_pickled_providers_are_references_without_fields() -> None:
    for blob, name in (
        (MEETING_PROVIDER, b"MeetingProvider"),
        (WEBHOOK_PROVIDER, b"WebhookProvider"),
    ):
        raw = base64.b64decode(blob)
        assert b"pulumi_rtk.provider" in raw and name in raw
        assert len(raw) < 80
        for secret in (*SECRET_VALUES, TOKEN):
            assert secret.encode() not in raw
