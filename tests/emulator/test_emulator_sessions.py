"""Participants, sessions, record_on_start and the empty-meeting stop, on a frozen clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from pulumi_rtk.emulator import AdminClient, AdminError, Emulator, EmulatorControl
from pulumi_rtk.emulator.validation import ApiError

ACCOUNT = "0123456789abcdef0123456789abcdef"
APP = "app-123"
TOKEN = "test-token"
AWS = {"type": "aws", "access_key": "k", "secret": "s", "bucket": "meeting-b", "region": "r"}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(token=TOKEN, clock_speed=0.0) as emulator:
        yield emulator


def api(emu: Emulator, method: str, path: str, body: object = None, **kw: Any) -> Any:
    with requests.Session() as session:
        session.trust_env = False
        response = session.request(
            method,
            f"{emu.base_url}/accounts/{ACCOUNT}/realtime/kit/{APP}{path}",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
            **kw,
        )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_session_starts_with_first_join_and_ends_after_keep_alive(emu: Emulator) -> None:
    mid = emu.create_meeting(ACCOUNT, APP, session_keep_alive_time_in_secs=120)
    assert emu.sessions(mid) == []
    alice = emu.join(mid, "alice", custom_participant_id="user-1")
    emu.advance(10)
    bob = emu.join(mid, "bob")
    (session,) = emu.sessions(mid)
    assert session["status"] == "LIVE" and session["ended_at"] is None
    assert [p["name"] for p in session["participants"]] == ["alice", "bob"]
    assert session["participants"][0]["custom_participant_id"] == "user-1"
    assert session["participants"][1]["custom_participant_id"] == bob  # defaults to the id
    emu.leave(mid, alice)
    emu.advance(500)
    assert emu.sessions(mid)[0]["status"] == "LIVE"  # bob is still there
    emu.leave(mid, bob)
    emu.advance(119.999)
    assert emu.sessions(mid)[0]["status"] == "LIVE"  # keep-alive running
    emu.advance(0.001)
    (ended,) = emu.sessions(mid)
    assert ended["status"] == "ENDED"
    left = at(ended["participants"][1]["left_at"])
    assert at(ended["ended_at"]) - left == timedelta(seconds=120)
    carol = emu.join(mid, "carol")  # a new session
    sessions = emu.sessions(mid)
    assert len(sessions) == 2 and sessions[1]["participants"][0]["id"] == carol


def test_rejoining_within_keep_alive_continues_the_session(emu: Emulator) -> None:
    mid = emu.create_meeting(ACCOUNT, APP)
    emu.leave(mid, emu.join(mid))
    emu.advance(30)
    emu.join(mid)
    emu.advance(1000)
    (session,) = emu.sessions(mid)
    assert session["status"] == "LIVE" and len(session["participants"]) == 2


def test_inactive_meeting_refuses_joins(emu: Emulator) -> None:
    mid = emu.create_meeting(ACCOUNT, APP)
    api(emu, "PATCH", f"/meetings/{mid}", {"status": "INACTIVE"})
    with pytest.raises(ApiError, match="INACTIVE"):
        emu.join(mid)
    admin = AdminClient(emu.url)
    with pytest.raises(AdminError, match="INACTIVE") as refused:
        admin.join(mid)
    assert refused.value.status == 409
    api(emu, "PATCH", f"/meetings/{mid}", {"status": "ACTIVE"})
    assert admin.join(mid)
    with pytest.raises(AdminError) as unknown:
        admin.join("44444444-4444-4444-8444-444444444444")
    assert unknown.value.status == 404


def test_leave_errors(emu: Emulator) -> None:
    mid = emu.create_meeting(ACCOUNT, APP)
    person = emu.join(mid)
    admin = AdminClient(emu.url)
    with pytest.raises(AdminError) as unknown:
        admin.leave(mid, "nobody")
    assert unknown.value.status == 404
    admin.leave(mid, person)
    with pytest.raises(AdminError) as twice:
        admin.leave(mid, person)
    assert twice.value.status == 409


def test_api_recording_carries_the_live_session_id(emu: Emulator) -> None:
    mid = emu.create_meeting(ACCOUNT, APP)
    emu.join(mid)
    rec = api(emu, "POST", "/recordings", {"meeting_id": mid})
    assert rec["session_id"] == emu.sessions(mid)[0]["id"]
    assert rec["start_reason"]["reason"] == "API_CALL"


def test_recording_of_an_empty_meeting_stops_after_60_s(emu: Emulator) -> None:
    mid = emu.create_meeting(ACCOUNT, APP)
    rec = api(emu, "POST", "/recordings", {"meeting_id": mid})
    assert rec["session_id"] is None  # no live session yet
    emu.advance(59.999)
    assert api(emu, "GET", f"/recordings/{rec['id']}")["status"] == "RECORDING"
    emu.advance(0.001)
    stopped = api(emu, "GET", f"/recordings/{rec['id']}")
    assert stopped["status"] == "UPLOADING"
    assert stopped["stop_reason"] == {"reason": "ALL_PEERS_LEFT"}  # no caller
    assert at(stopped["stopped_time"]) - at(rec["invoked_time"]) == timedelta(seconds=60)
    emu.advance(5)
    done = api(emu, "GET", f"/recordings/{rec['id']}")
    assert done["status"] == "UPLOADED" and done["recording_duration"] == 58


def test_recording_stops_60_s_after_the_last_participant_leaves(emu: Emulator) -> None:
    mid = emu.create_meeting(ACCOUNT, APP, session_keep_alive_time_in_secs=600)
    alice, bob = emu.join(mid, "alice"), emu.join(mid, "bob")
    rec = api(emu, "POST", "/recordings", {"meeting_id": mid})
    emu.advance(1000)
    emu.leave(mid, alice)
    emu.advance(100)
    assert api(emu, "GET", f"/recordings/{rec['id']}")["status"] == "RECORDING"
    emu.leave(mid, bob)
    emu.advance(30)
    emu.join(mid, "carol")  # back within 60 s: the timer is cancelled
    emu.advance(100)
    assert api(emu, "GET", f"/recordings/{rec['id']}")["status"] == "RECORDING"
    emu.leave(mid, emu.sessions(mid)[0]["participants"][2]["id"])
    emu.advance(65)  # one jump: the stop lands exactly 60 s after the last leave
    stopped = api(emu, "GET", f"/recordings/{rec['id']}")
    assert stopped["status"] == "UPLOADED"
    assert stopped["stop_reason"] == {"reason": "ALL_PEERS_LEFT"}
    assert stopped["recording_duration"] == 1000 + 100 + 30 + 100 + 60 - 2
    assert emu.sessions(mid)[0]["status"] == "LIVE"  # the 600 s keep-alive outlives it
    emu.advance(600)
    assert emu.sessions(mid)[0]["status"] == "ENDED"


def test_empty_meeting_timeout_can_be_disabled() -> None:
    with Emulator(token=TOKEN, clock_speed=0.0, empty_meeting_timeout=None) as emu:
        mid = emu.create_meeting(ACCOUNT, APP)
        rec = api(emu, "POST", "/recordings", {"meeting_id": mid})
        emu.advance(3600)
        assert api(emu, "GET", f"/recordings/{rec['id']}")["status"] == "RECORDING"


def test_record_on_start_uses_meeting_config_over_app_defaults(emu: Emulator) -> None:
    emu.set_app_recording_config(
        ACCOUNT,
        APP,
        {
            "file_name_prefix": "app",
            "max_seconds": 600,
            "audio_config": {"codec": "MP3"},
            "storage_config": {"type": "gcs", "bucket": "app-bucket"},
        },
    )
    mid = emu.create_meeting(
        ACCOUNT,
        APP,
        record_on_start=True,
        recording_config={"file_name_prefix": "meeting", "storage_config": AWS},
    )
    alice = emu.join(mid, "alice")
    (rec,) = emu.recordings(mid)
    assert rec["start_reason"] == {"reason": "RECORD_ON_START"}  # no caller
    assert rec["output_file_name"].startswith("meeting_")
    assert rec["storage_config"]["bucket"] == "meeting-b"  # the meeting's storage, whole
    assert rec["config"]["max_seconds"] == 600  # the app default fills the gaps
    assert rec["session_id"] == emu.sessions(mid)[0]["id"]
    assert "secret" not in rec["config"]["storage_config"]
    emu.join(mid, "bob")  # a second join starts nothing
    assert len(emu.recordings(mid)) == 1
    emu.advance(2)
    emu.leave(mid, alice)
    emu.leave(mid, emu.sessions(mid)[0]["participants"][1]["id"])
    emu.advance(65)
    (done,) = emu.recordings(mid)
    assert done["status"] == "UPLOADED"
    assert done["stop_reason"] == {"reason": "ALL_PEERS_LEFT"}
    assert done["audio_download_url"].endswith(".mp3")  # from the app default
    (upload,) = emu.uploads()
    assert upload["recording_id"] == done["id"] and upload["file_name"] == done["output_file_name"]
    assert upload["storage"]["type"] == "aws" and upload["storage"]["bucket"] == "meeting-b"
    assert upload["uploaded_at"] == (at(done["stopped_time"]) + timedelta(seconds=5)).isoformat(
        timespec="milliseconds"
    ).replace("+00:00", "Z")


def test_start_call_options_take_precedence(emu: Emulator) -> None:
    emu.set_app_recording_config(ACCOUNT, APP, {"video_config": {"width": 640, "height": 360}})
    mid = emu.create_meeting(
        ACCOUNT,
        APP,
        recording_config={"video_config": {"codec": "VP8"}, "file_name_prefix": "meeting"},
    )
    emu.join(mid)
    rec = api(
        emu,
        "POST",
        "/recordings",
        {"meeting_id": mid, "video_config": {"codec": "H264"}, "file_name_prefix": "call"},
    )
    assert rec["output_file_name"].startswith("call_")
    (internal,) = emu.recordings(mid)
    assert internal["config"]["video_config"] == {"codec": "H264", "width": 640, "height": 360}
    assert internal["start_config"]["video_config"] == {"codec": "H264"}


def test_record_on_start_that_would_record_nowhere_starts_nothing(emu: Emulator) -> None:
    mid = emu.create_meeting(
        ACCOUNT,
        APP,
        record_on_start=True,
        recording_config={"realtimekit_bucket_config": {"enabled": False}},
    )
    emu.join(mid)
    assert emu.recordings(mid) == []


def test_app_recording_config_is_validated(emu: Emulator) -> None:
    admin = AdminClient(emu.url)
    with pytest.raises(AdminError, match="storage_config.bucket: is required"):
        admin.set_app_recording_config(ACCOUNT, APP, {"storage_config": {"type": "aws"}})
    with pytest.raises(AdminError, match="fps: unknown field"):
        admin.set_app_recording_config(ACCOUNT, APP, {"fps": 1})
    stored = admin.set_app_recording_config(ACCOUNT, APP, {"storage_config": AWS})
    assert stored == {"storage_config": {"type": "aws", "bucket": "meeting-b", "region": "r"}}


def test_admin_client_mirrors_the_emulator_for_sessions(emu: Emulator) -> None:
    control: EmulatorControl = AdminClient(emu.url)
    mid = control.create_meeting(ACCOUNT, APP, title="t", record_on_start=True)
    person = control.join(mid, "alice")
    assert control.sessions(mid) == emu.sessions(mid)
    assert control.sessions()[0]["participants"][0]["id"] == person
    control.advance(3)
    control.leave(mid, person)
    control.advance(70)
    assert control.uploads() == emu.uploads() == []  # the RTK bucket only: nothing logged
    assert control.recordings(mid)[0]["status"] == "UPLOADED"


def test_sessions_webhooks_and_app_config_persist(tmp_path: Path) -> None:
    with Emulator(token=TOKEN, clock_speed=0.0, data_dir=tmp_path) as first:
        first.set_app_recording_config(ACCOUNT, APP, {"storage_config": AWS})
        mid = first.create_meeting(ACCOUNT, APP, record_on_start=True)
        person = first.join(mid)
        hook = {"name": "h", "url": "http://127.0.0.1:9/h", "events": ["meeting.ended"]}
        webhook = api(first, "POST", "/webhooks", hook)
        sessions = first.sessions(mid)
    assert "meeting-b" in (tmp_path / "state.json").read_text()
    assert '"secret"' not in (tmp_path / "state.json").read_text()
    with Emulator(token=TOKEN, clock_speed=0.0, data_dir=tmp_path) as second:
        assert second.sessions(mid) == sessions
        assert api(second, "GET", "/webhooks") == [webhook]
        second.leave(mid, person)  # the timers are rebuilt from the saved state
        second.advance(65)
        (rec,) = second.recordings(mid)
        assert rec["status"] == "UPLOADED" and rec["stop_reason"]["reason"] == "ALL_PEERS_LEFT"
        assert second.sessions(mid)[0]["status"] == "ENDED"
        assert [u["recording_id"] for u in second.uploads()] == [rec["id"]]


def test_latency_delays_api_requests_but_not_admin_calls() -> None:
    with Emulator(token=TOKEN, clock_speed=0.0, latency=0.2) as emu:
        admin = AdminClient(emu.url)
        began = time.perf_counter()
        mid = admin.create_meeting(ACCOUNT, APP)
        assert time.perf_counter() - began < 0.15
        began = time.perf_counter()
        api(emu, "GET", f"/meetings/{mid}")
        assert time.perf_counter() - began >= 0.2
        emu.set_latency(0)
        began = time.perf_counter()
        api(emu, "GET", f"/meetings/{mid}")
        assert time.perf_counter() - began < 0.15
        admin.set_latency(0.05)
        began = time.perf_counter()
        api(emu, "GET", f"/meetings/{mid}")
        assert time.perf_counter() - began >= 0.05
