"""The emulator driven by Cloudflare's official Python SDK, a client no one here wrote.

``_strict_response_validation=True`` makes the SDK check every response against its
models (generated from Cloudflare's OpenAPI schema), so these tests prove the emulator's
paths, bodies, status codes and response shapes match the published schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import cloudflare
import pytest
from cloudflare import Cloudflare

from pulumi_rtk.emulator import Emulator

ACCOUNT = "0123456789abcdef0123456789abcdef"
APP = "app-123"
TOKEN = "sdk-token"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(token=TOKEN, clock_speed=0.0) as emulator:
        yield emulator


@pytest.fixture
def cf(emu: Emulator) -> Iterator[Cloudflare]:
    client = Cloudflare(
        api_token=TOKEN, base_url=emu.base_url, max_retries=0, _strict_response_validation=True
    )
    yield client
    client.close()


def test_meetings_create_list_get_update_replace(emu: Emulator, cf: Cloudflare) -> None:
    meetings = cf.realtime_kit.meetings
    created = meetings.create(
        APP,
        account_id=ACCOUNT,
        title="retro",
        record_on_start=True,
        session_keep_alive_time_in_secs=120.0,  # the SDK types it as float
        recording_config={
            "max_seconds": 3600.0,
            "file_name_prefix": "retro",
            "video_config": {"codec": "H264", "width": 1280, "height": 720},
            "storage_config": {
                "type": "aws",
                "access_key": "AKIA-SDK",
                "secret": "sdk-secret",
                "bucket": "b",
                "region": "us-east-1",
            },
        },
        ai_config={
            "transcription": {"language": "en-US", "keywords": ["rtk"], "profanity_filter": True},
            "summarization": {"summary_type": "daily_standup", "word_limit": 200},
        },
    )
    assert created.success and created.data is not None
    data = created.data
    assert data.title == "retro" and data.record_on_start is True and data.status == "ACTIVE"
    assert data.session_keep_alive_time_in_secs == 120
    assert data.recording_config is not None and data.recording_config.max_seconds == 3600
    assert data.ai_config is not None and data.ai_config.transcription is not None
    assert data.ai_config.transcription.keywords == ["rtk"]
    assert "sdk-secret" not in created.model_dump_json()
    mid = data.id

    got = meetings.get_meeting_by_id(mid, account_id=ACCOUNT, app_id=APP)
    assert got.data is not None and got.data.model_dump() == data.model_dump()

    emu.advance(1)
    patched = meetings.update_meeting_by_id(
        mid, account_id=ACCOUNT, app_id=APP, status="INACTIVE", title="retro 2"
    )
    assert patched.data is not None
    assert (patched.data.status, patched.data.title) == ("INACTIVE", "retro 2")
    assert patched.data.record_on_start is True  # untouched by a PATCH
    assert patched.data.updated_at > data.updated_at

    replaced = meetings.replace_meeting_by_id(mid, account_id=ACCOUNT, app_id=APP, title="fresh")
    assert replaced.data is not None
    assert replaced.data.title == "fresh" and replaced.data.record_on_start is False
    assert replaced.data.recording_config is None and replaced.data.ai_config is None
    assert replaced.data.status == "INACTIVE"  # not a field of PUT in the schema
    assert replaced.data.updated_at > patched.data.updated_at

    other = meetings.create(APP, account_id=ACCOUNT, title="standup").data
    assert other is not None
    listed = meetings.get(APP, account_id=ACCOUNT, per_page=1.0, page_no=2.0)
    assert [m.id for m in listed.data] == [mid]
    assert (listed.paging.total_count, listed.paging.start_offset) == (2, 2)
    inactive = meetings.get(APP, account_id=ACCOUNT, status="INACTIVE")
    assert [m.id for m in inactive.data] == [mid]
    assert [m.id for m in meetings.get(APP, account_id=ACCOUNT, search="STAND").data] == [other.id]
    window = meetings.get(
        APP,
        account_id=ACCOUNT,
        start_time=data.created_at + timedelta(milliseconds=1),
        end_time=datetime.fromisoformat("2999-01-01T00:00:00+00:00"),
    )
    assert [m.id for m in window.data] == [other.id]


def test_meeting_errors_are_typed_sdk_errors(cf: Cloudflare) -> None:
    meetings = cf.realtime_kit.meetings
    with pytest.raises(cloudflare.NotFoundError) as missing:
        meetings.get_meeting_by_id(
            "44444444-4444-4444-8444-444444444444", account_id=ACCOUNT, app_id=APP
        )
    assert missing.value.status_code == 404
    with pytest.raises(cloudflare.BadRequestError, match="session_keep_alive_time_in_secs"):
        meetings.create(APP, account_id=ACCOUNT, session_keep_alive_time_in_secs=30)


def test_webhooks_create_list_get_edit_replace_delete(cf: Cloudflare) -> None:
    webhooks = cf.realtime_kit.webhooks
    created = webhooks.create_webhook(
        APP,
        account_id=ACCOUNT,
        name="ops",
        url="http://127.0.0.1:9/hook",
        events=["meeting.started", "recording.statusUpdate"],
    )
    hook = created.data
    assert hook.enabled is True and hook.events == ["meeting.started", "recording.statusUpdate"]

    assert [w.id for w in webhooks.get_webhooks(APP, account_id=ACCOUNT).data] == [hook.id]
    got = webhooks.get_webhook_by_id(hook.id, account_id=ACCOUNT, app_id=APP).data
    assert got.model_dump() == hook.model_dump()

    edited = webhooks.edit_webhook(hook.id, account_id=ACCOUNT, app_id=APP, enabled=False).data
    assert edited.enabled is False and edited.name == "ops" and edited.events == hook.events

    replaced = webhooks.replace_webhook(
        hook.id,
        account_id=ACCOUNT,
        app_id=APP,
        name="all",
        url="https://localhost/hook",
        events=["meeting.ended"],
    ).data
    assert (replaced.name, replaced.enabled, replaced.events) == ("all", True, ["meeting.ended"])

    deleted = webhooks.delete_webhook(hook.id, account_id=ACCOUNT, app_id=APP).data
    assert deleted.id == hook.id and deleted.name == "all"
    assert webhooks.get_webhooks(APP, account_id=ACCOUNT).data == []
    with pytest.raises(cloudflare.NotFoundError):
        webhooks.get_webhook_by_id(hook.id, account_id=ACCOUNT, app_id=APP)


def test_recordings_start_get_list_active_stop(emu: Emulator, cf: Cloudflare) -> None:
    recordings = cf.realtime_kit.recordings
    mid = emu.create_meeting(ACCOUNT, APP, title="recorded")
    emu.join(mid, "host")
    started = recordings.start_recordings(
        APP,
        account_id=ACCOUNT,
        meeting_id=mid,
        max_seconds=600,
        audio_config={"codec": "MP3", "channel": "stereo"},
        storage_config={
            "type": "sftp",
            "host": "h",
            "username": "u",
            "auth_method": "PASSWORD",
            "password": "pw",
            "port": 22.0,
        },
    ).data
    assert started is not None and started.status == "INVOKED"
    assert started.storage_config is not None and started.storage_config.port == 22
    assert started.session_id == emu.sessions(mid)[0]["id"]

    emu.advance(3)
    active = recordings.get_active_recordings(mid, account_id=ACCOUNT, app_id=APP).data
    assert active.id == started.id and active.status == "RECORDING"
    one = recordings.get_one_recording(started.id, account_id=ACCOUNT, app_id=APP).data
    assert one is not None and one.start_reason is not None
    assert one.start_reason.reason == "API_CALL"

    listed = recordings.get_recordings(
        APP, account_id=ACCOUNT, meeting_id=mid, status=["RECORDING"], per_page=10.0
    )
    assert [r.id for r in listed.data] == [started.id]
    assert listed.data[0].meeting is not None and listed.data[0].meeting.title == "recorded"

    emu.advance(60)
    stopped = recordings.pause_resume_stop_recording(
        started.id, account_id=ACCOUNT, app_id=APP, action="stop"
    ).data
    assert stopped is not None and stopped.status == "UPLOADING"
    assert stopped.stop_reason is not None and stopped.stop_reason.reason == "API_CALL"
    emu.advance(5)
    done = recordings.get_one_recording(started.id, account_id=ACCOUNT, app_id=APP).data
    assert done is not None and done.status == "UPLOADED" and done.recording_duration == 61
    assert done.audio_download_url is not None and done.audio_download_url.endswith(".mp3")
    with pytest.raises(cloudflare.NotFoundError):
        recordings.get_active_recordings(mid, account_id=ACCOUNT, app_id=APP)


def test_record_on_start_recording_parses(emu: Emulator, cf: Cloudflare) -> None:
    mid = emu.create_meeting(ACCOUNT, APP, record_on_start=True)
    person = emu.join(mid)
    emu.advance(3)
    emu.leave(mid, person)
    emu.advance(60 + 5)
    (listed,) = cf.realtime_kit.recordings.get_recordings(APP, account_id=ACCOUNT).data
    rec = cf.realtime_kit.recordings.get_one_recording(listed.id, account_id=ACCOUNT, app_id=APP)
    assert rec.data is not None and rec.data.status == "UPLOADED"
    assert rec.data.start_reason is not None and rec.data.start_reason.reason == "RECORD_ON_START"
    assert rec.data.stop_reason is not None and rec.data.stop_reason.reason == "ALL_PEERS_LEFT"
