"""MeetingProvider's lifecycle against the real emulator, called in-process."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_rtk.emulator import Emulator
from pulumi_rtk.errors import InputError
from pulumi_rtk.provider import MeetingProvider
from pulumi_rtk.vocabulary import MEETING_FIELDS
from tests.conftest import configured
from tests.support.engine import READ_RETURNS_INPUTS, read_inputs
from tests.support.processes import api_call
from tests.support.values import (
    ACCOUNT,
    APP,
    AWS_ACCESS_KEY,
    AWS_SECRET,
    TOKEN,
    aws_storage,
    failure_at,
)

MEETINGS = r"/meetings"

# One value for every field of the create body, with the API's names and JSON types.
EVERY_FIELD: dict[str, Any] = {
    "title": "Daily standup",
    "record_on_start": True,
    "recording_config": {
        "storage_config": aws_storage(),
        "video_config": {"codec": "H264", "width": 1280, "height": 720},
        "audio_config": {"codec": "AAC", "channel": "stereo"},
        "file_name_prefix": "standup",
        "max_seconds": 3600,
        "realtimekit_bucket_config": {"enabled": False},
        "live_streaming_config": {"rtmp_url": "rtmp://live.example.com/app/key"},
    },
    "live_stream_on_start": False,
    "persist_chat": True,
    "summarize_on_end": True,
    "transcribe_on_end": True,
    "session_keep_alive_time_in_secs": 120,
    "ai_config": {
        "transcription": {"language": "en-US", "keywords": ["RealtimeKit"]},
        "summarization": {"summary_type": "daily_standup", "text_format": "markdown"},
    },
}


def as_engine_sends(value: Any) -> Any:
    """Pulumi carries numbers as doubles: 3600 reaches the provider as 3600.0."""
    if isinstance(value, dict):
        return {key: as_engine_sends(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_engine_sends(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def api(emulator: Emulator, method: str, path: str, body: object = None) -> dict[str, Any]:
    return api_call(emulator.base_url, method, path, TOKEN, body)


def writes(emulator: Emulator) -> list[tuple[str, Any]]:
    return [(r.method, r.body) for r in emulator.requests(path=MEETINGS) if r.method != "GET"]


def create(provider: MeetingProvider, **inputs: Any) -> tuple[str, dict[str, Any]]:
    result = provider.create(as_engine_sends({"status": "ACTIVE", **inputs}))
    assert result.outs is not None
    return str(result.id), result.outs


def without_secrets(body: dict[str, Any]) -> dict[str, Any]:
    storage = dict(body["recording_config"]["storage_config"])
    storage.pop("access_key"), storage.pop("secret")
    return {**body, "recording_config": {**body["recording_config"], "storage_config": storage}}


def test_create_sends_one_post_with_exactly_the_declared_fields(
    meeting_provider: MeetingProvider, emulator: Emulator
) -> None:
    assert set(EVERY_FIELD) == set(MEETING_FIELDS)
    meeting_id, outs = create(meeting_provider, **EVERY_FIELD)

    assert writes(emulator) == [("POST", EVERY_FIELD)]  # whole numbers, no nulls, no status
    shown = emulator.requests("GET")
    assert shown == []
    # Every field as the API reports it, with the declared credentials kept (write-only).
    for key, value in EVERY_FIELD.items():
        assert outs[key] == value, key
    assert outs["status"] == "ACTIVE"
    assert outs["created_at"] and outs["updated_at"]
    assert (outs["account_id"], outs["app_id"]) == (ACCOUNT, APP)
    assert sorted(outs["managed_fields"]) == sorted([*EVERY_FIELD, "status"])
    assert emulator.requests("POST")[0].path.endswith("/meetings")
    assert api(emulator, "GET", f"meetings/{meeting_id}")["data"]["title"] == "Daily standup"


def test_a_meeting_declared_inactive_is_created_then_deactivated(
    meeting_provider: MeetingProvider, emulator: Emulator
) -> None:
    _, outs = create(meeting_provider, title="archive", status="INACTIVE")
    assert writes(emulator) == [("POST", {"title": "archive"}), ("PATCH", {"status": "INACTIVE"})]
    assert outs["status"] == "INACTIVE"


def test_no_change_is_no_diff_and_outputs_never_cause_one(
    meeting_provider: MeetingProvider,
) -> None:
    meeting_id, outs = create(meeting_provider, **EVERY_FIELD)
    news = as_engine_sends({"status": "ACTIVE", **EVERY_FIELD})
    diff = meeting_provider.diff(meeting_id, outs, news)
    assert (diff.changes, diff.replaces) == (False, [])


@pytest.mark.parametrize(
    ("change", "patch"),
    [
        ({"title": "Weekly sync"}, {"title": "Weekly sync"}),
        ({"persist_chat": False}, {"persist_chat": False}),
        ({"session_keep_alive_time_in_secs": 300}, {"session_keep_alive_time_in_secs": 300}),
        ({"status": "INACTIVE"}, {"status": "INACTIVE"}),
    ],
    ids=["title", "bool", "number", "status"],
)
def test_a_changed_field_is_an_in_place_patch_of_that_field_only(
    meeting_provider: MeetingProvider,
    emulator: Emulator,
    change: dict[str, Any],
    patch: dict[str, Any],
) -> None:
    meeting_id, outs = create(meeting_provider, **EVERY_FIELD)
    news = as_engine_sends({"status": "ACTIVE", **EVERY_FIELD, **change})
    diff = meeting_provider.diff(meeting_id, outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    emulator.clear_requests()
    updated = meeting_provider.update(meeting_id, outs, news).outs
    assert writes(emulator) == [("PATCH", patch)]
    assert updated is not None
    for key, value in change.items():
        assert updated[key] == value


def test_a_nested_change_re_sends_the_whole_recording_config_with_its_credentials(
    meeting_provider: MeetingProvider, emulator: Emulator
) -> None:
    meeting_id, outs = create(meeting_provider, **EVERY_FIELD)
    config = {**EVERY_FIELD["recording_config"], "video_config": {"codec": "VP8"}}
    config.pop("audio_config")  # VP8 records vorbis audio: no audio codec allowed
    news = as_engine_sends({"status": "ACTIVE", **EVERY_FIELD, "recording_config": config})
    assert meeting_provider.diff(meeting_id, outs, news).changes
    emulator.clear_requests()
    meeting_provider.update(meeting_id, outs, news)
    assert writes(emulator) == [("PATCH", {"recording_config": config})]


def test_a_rotated_credential_is_an_update_that_re_sends_it(
    meeting_provider: MeetingProvider, emulator: Emulator
) -> None:
    meeting_id, outs = create(meeting_provider, **EVERY_FIELD)
    storage = {**aws_storage(), "secret": "rotated-LEAKCHECK-7"}
    config = {**EVERY_FIELD["recording_config"], "storage_config": storage}
    news = as_engine_sends({"status": "ACTIVE", **EVERY_FIELD, "recording_config": config})
    diff = meeting_provider.diff(meeting_id, outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    emulator.clear_requests()
    updated = meeting_provider.update(meeting_id, outs, news).outs
    assert writes(emulator) == [("PATCH", {"recording_config": config})]
    assert updated is not None
    assert updated["recording_config"]["storage_config"]["secret"] == "rotated-LEAKCHECK-7"


def test_only_account_and_app_replace(
    meeting_provider: MeetingProvider, emulator: Emulator
) -> None:
    meeting_id, outs = create(meeting_provider, title="t")
    news = {"title": "t", "status": "ACTIVE", "app_id": "another-app"}
    diff = meeting_provider.diff(meeting_id, outs, news)
    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (True, ["app_id"], False)
    # The app it was created in, set explicitly, is no change.
    same = meeting_provider.diff(meeting_id, outs, {**news, "app_id": APP})
    assert (same.changes, same.replaces) == (True, [])  # app_id is now declared: managed changes


def test_a_field_no_longer_declared_is_left_as_it_is(
    meeting_provider: MeetingProvider, emulator: Emulator
) -> None:
    meeting_id, outs = create(meeting_provider, title="t", persist_chat=True)
    news = {"title": "t", "status": "ACTIVE"}
    assert meeting_provider.diff(meeting_id, outs, news).changes  # what Pulumi manages changed
    emulator.clear_requests()
    updated = meeting_provider.update(meeting_id, outs, news).outs
    assert writes(emulator) == []
    assert updated is not None
    assert updated["persist_chat"] is True
    assert sorted(updated["managed_fields"]) == ["status", "title"]
    assert not meeting_provider.diff(meeting_id, updated, news).changes


def test_drift_shows_in_read_and_the_next_update_puts_the_declared_value_back(
    meeting_provider: MeetingProvider, emulator: Emulator
) -> None:
    meeting_id, outs = create(meeting_provider, **EVERY_FIELD)
    # Changed behind Pulumi's back (the dashboard, a script).
    api(
        emulator,
        "PATCH",
        f"meetings/{meeting_id}",
        {"title": "Renamed", "recording_config": {"video_config": {"codec": "VP9"}}},
    )
    read = meeting_provider.read(meeting_id, outs)
    assert read.id == meeting_id and read.outs is not None
    assert read.outs["title"] == "Renamed"
    assert read.outs["recording_config"] == {"video_config": {"codec": "VP9"}}
    # Refreshed inputs: the declared fields as they are now, nothing undeclared (where the SDK
    # takes inputs from a read; the diff below sees the drift in the outputs either way).
    given = read_inputs(read)
    if READ_RETURNS_INPUTS:
        assert given is not None
        assert given["title"] == "Renamed"
        assert set(given) == {*EVERY_FIELD, "status"}
    else:
        assert given is None

    news = as_engine_sends({"status": "ACTIVE", **EVERY_FIELD})
    diff = meeting_provider.diff(meeting_id, read.outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    emulator.clear_requests()
    meeting_provider.update(meeting_id, read.outs, news)
    assert writes(emulator) == [
        (
            "PATCH",
            {"title": EVERY_FIELD["title"], "recording_config": EVERY_FIELD["recording_config"]},
        )
    ]
    again = meeting_provider.read(meeting_id, outs).outs
    assert again is not None
    assert again["title"] == EVERY_FIELD["title"]
    assert again["recording_config"] == without_secrets(EVERY_FIELD)["recording_config"] | {
        "storage_config": EVERY_FIELD["recording_config"]["storage_config"]
    }


def test_read_of_a_meeting_the_api_does_not_know_drops_it(
    meeting_provider: MeetingProvider,
) -> None:
    _, outs = create(meeting_provider, title="t")
    gone = meeting_provider.read("0f0f0f0f-0000-4000-8000-000000000000", outs)
    assert gone.id == ""


def test_delete_deactivates_and_is_no_error_when_inactive_or_gone(
    meeting_provider: MeetingProvider, emulator: Emulator
) -> None:
    meeting_id, outs = create(meeting_provider, title="t")
    emulator.clear_requests()
    meeting_provider.delete(meeting_id, outs)
    meeting_provider.delete(meeting_id, outs)  # already inactive
    meeting_provider.delete("0f0f0f0f-0000-4000-8000-000000000000", outs)  # never existed
    assert writes(emulator) == [("PATCH", {"status": "INACTIVE"})] * 3
    assert api(emulator, "GET", f"meetings/{meeting_id}")["data"]["status"] == "INACTIVE"


def test_adopt_takes_an_existing_meeting_with_one_patch_of_what_differs(
    meeting_provider: MeetingProvider, emulator: Emulator
) -> None:
    existing = emulator.create_meeting(ACCOUNT, APP, title="legacy")
    emulator.clear_requests()
    meeting_id, outs = create(
        meeting_provider, title="legacy", persist_chat=True, adopt_meeting_id=existing
    )
    assert meeting_id == existing
    assert writes(emulator) == [("PATCH", {"persist_chat": True})]
    assert outs["adopt_meeting_id"] == existing
    # Adopting it again (or with everything already as declared) changes nothing.
    emulator.clear_requests()
    create(meeting_provider, title="legacy", persist_chat=True, adopt_meeting_id=existing)
    assert writes(emulator) == []
    other = meeting_provider.diff(
        meeting_id, outs, {"title": "legacy", "status": "ACTIVE", "adopt_meeting_id": meeting_id}
    )
    assert other.replaces == []
    moved = meeting_provider.diff(
        meeting_id,
        outs,
        {"status": "ACTIVE", "adopt_meeting_id": "0f0f0f0f-0000-4000-8000-000000000000"},
    )
    assert moved.replaces == ["adopt_meeting_id"]


def test_adopting_a_meeting_that_does_not_exist_fails_naming_the_input(
    meeting_provider: MeetingProvider, emulator: Emulator
) -> None:
    with pytest.raises(InputError, match="adopt_meeting_id: no meeting 0f0f0f0f"):
        create(meeting_provider, adopt_meeting_id="0f0f0f0f-0000-4000-8000-000000000000")
    assert writes(emulator) == []


def test_a_create_whose_answer_was_lost_adopts_the_meeting_it_made(
    emulator: Emulator,
) -> None:
    meeting_provider = configured(MeetingProvider, emulator, **{"rtk:requestTimeoutSeconds": "1"})
    emulator.add_fault("POST", r"/meetings$", "reset_after")
    meeting_id, outs = create(meeting_provider, title="lost answer", persist_chat=True)
    posts = emulator.requests("POST", r"/meetings$")
    assert len(posts) == 1  # looked, found it, never posted again
    listed = api(emulator, "GET", "meetings?search=lost")["data"]
    assert [m["id"] for m in listed] == [meeting_id]
    assert outs["title"] == "lost answer"


def test_a_create_refused_by_a_5xx_is_posted_again(emulator: Emulator) -> None:
    meeting_provider = configured(MeetingProvider, emulator)
    emulator.add_fault("POST", r"/meetings$", "status", status=503)
    meeting_id, _ = create(meeting_provider, title="retried")
    assert len(emulator.requests("POST", r"/meetings$")) == 2
    listed = api(emulator, "GET", "meetings?search=retried")["data"]
    assert [m["id"] for m in listed] == [meeting_id]


@pytest.mark.parametrize(
    ("inputs", "path", "words"),
    [
        ({"session_keep_alive_time_in_secs": 30}, "session_keep_alive_time_in_secs", "at least 60"),
        ({"status": "PAUSED"}, "status", "must be one of"),
        ({"colour": "blue"}, "colour", "unknown field"),
        (
            {"recording_config": {"storage_config": {**aws_storage(), "bucket": None}}},
            "recording_config.storage_config.bucket",
            "required when type is aws",
        ),
        (
            {"recording_config": {"realtimekit_bucket_config": {"enabled": False}}},
            "recording_config.realtimekit_bucket_config.enabled",
            "goes nowhere",
        ),
        (
            {"recording_config": {"rtmp_out_config": {"rtmp_url": "rtmp://x/y"}}},
            "recording_config.rtmp_out_config",
            "unknown field",
        ),
        (
            {"ai_config": {"transcription": {"language": "xx"}}},
            "ai_config.transcription.language",
            "must be one of",
        ),
        (
            {"recording_config": {"live_streaming_config": {"rtmp_url": "https://x/y"}}},
            "recording_config.live_streaming_config.rtmp_url",
            "rtmp",
        ),
    ],
)
def test_bad_input_fails_check_at_its_field_before_any_request(
    meeting_provider: MeetingProvider,
    emulator: Emulator,
    inputs: dict[str, Any],
    path: str,
    words: str,
) -> None:
    result = meeting_provider.check({}, {"status": "ACTIVE", **inputs})
    failures = [failure_at(f.property, f.reason) for f in result.failures]
    assert [(at, words in reason) for at, reason in failures] == [(path, True)]
    assert emulator.stats()["requests"] == 0
    assert AWS_ACCESS_KEY not in repr(result.failures) and AWS_SECRET not in repr(result.failures)
