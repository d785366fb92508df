"""The RealtimeKit emulator over real HTTP on 127.0.0.1: API surface, lifecycle, admin, CLI.

The clock is frozen (``clock_speed=0``) so every lifecycle step happens only through
``advance()`` and results are exact. Fault injection lives in test_emulator_faults.py.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pulumi_rtk.emulator import AdminClient, AdminError, Emulator, EmulatorControl, RequestRecord

ACCOUNT = "0123456789abcdef0123456789abcdef"
APP = "app-123"
TOKEN = "test-token"
AWS_KEY = "AKIA-WRITE-ONLY-KEY"
AWS_SECRET = "write-only-secret-value"
SFTP_PASSWORD = "sftp-write-only-password"
SFTP_KEY = "-----BEGIN OPENSSH PRIVATE KEY----- write-only"
SECRETS = (AWS_KEY, AWS_SECRET, SFTP_PASSWORD, SFTP_KEY)
BASE_KEYS = {
    "id",
    "audio_download_url",
    "download_url",
    "download_url_expiry",
    "file_size",
    "invoked_time",
    "output_file_name",
    "session_id",
    "started_time",
    "status",
    "stopped_time",
    "recording_duration",
}
FULL_KEYS = BASE_KEYS | {"start_reason", "stop_reason", "storage_config"}
STORAGE_READ_KEYS = {"type", "auth_method", "bucket", "host", "path", "port", "region", "username"}
DELETE = object()


class Rtk:
    """A bearer-authenticated session scoped to one account/app on the emulator."""

    def __init__(self, emu: Emulator, account: str = ACCOUNT, app: str = APP) -> None:
        self.session = requests.Session()
        self.session.trust_env = False  # never route loopback traffic through a proxy
        self.session.headers["Authorization"] = f"Bearer {TOKEN}"
        self.base = f"{emu.base_url}/accounts/{account}/realtime/kit/{app}"

    def call(self, method: str, path: str, body: object = None, **kw: Any) -> requests.Response:
        return self.session.request(method, self.base + path, json=body, timeout=10, **kw)

    def ok(self, method: str, path: str, body: object = None, **kw: Any) -> Any:
        response = self.call(method, path, body, **kw)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert payload["success"] is True
        return payload

    def start(self, meeting_id: str, **options: Any) -> dict[str, Any]:
        data: dict[str, Any] = self.ok(
            "POST", "/recordings", {"meeting_id": meeting_id, **options}
        )["data"]
        return data

    def get(self, recording_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self.ok("GET", f"/recordings/{recording_id}")["data"]
        return data

    def act(self, recording_id: str, action: str) -> requests.Response:
        return self.call("PUT", f"/recordings/{recording_id}", {"action": action})


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(token=TOKEN, clock_speed=0.0) as emulator:
        yield emulator


@pytest.fixture
def rtk(emu: Emulator) -> Iterator[Rtk]:
    client = Rtk(emu)
    yield client
    client.session.close()


@pytest.fixture
def mid(emu: Emulator) -> str:
    """A meeting with someone in it, so its recordings never stop for lack of peers."""
    meeting = emu.create_meeting(ACCOUNT, APP)
    emu.join(meeting, "host")
    return meeting


def raw(method: str, url: str, **kw: Any) -> requests.Response:
    """One request on a fresh session that ignores proxy settings (loopback only)."""
    with requests.Session() as session:
        session.trust_env = False
        return session.request(method, url, timeout=10, **kw)


def rtk_error(response: requests.Response, status: int) -> str:
    """Assert the RTK service envelope and return its message."""
    assert response.status_code == status, response.text
    payload = response.json()
    assert set(payload) == {"success", "error"}
    assert payload["success"] is False
    assert payload["error"]["code"] == status
    message: str = payload["error"]["message"]
    return message


def full_body(meeting_id: str) -> dict[str, Any]:
    """A start body that uses every documented option."""
    return {
        "meeting_id": meeting_id,
        "allow_multiple_recordings": False,
        "audio_config": {"channel": "stereo", "codec": "MP3", "export_file": True},
        "video_config": {
            "codec": "H264",
            "width": 1280,
            "height": 720,
            "export_file": True,
            "watermark": {
                "url": "https://example.com/logo.png",
                "position": "left top",
                "size": {"width": 64, "height": 32},
            },
        },
        "file_name_prefix": "standup",
        "interactive_config": {"type": "ID3"},
        "max_seconds": 3600,
        "realtimekit_bucket_config": {"enabled": True},
        "rtmp_out_config": {"rtmp_url": "rtmps://live.example.com/app/key"},
        "url": "https://example.com/room",
        "storage_config": {
            "type": "aws",
            "access_key": AWS_KEY,
            "secret": AWS_SECRET,
            "bucket": "recordings",
            "region": "us-east-1",
            "path": "rtk/",
        },
    }


def mutate(body: dict[str, Any], dotted: str, value: object) -> dict[str, Any]:
    """Copy of ``body`` with ``a.b.c`` set to value (or removed for DELETE)."""
    clone = copy.deepcopy(body)
    *parents, last = dotted.split(".")
    node = clone
    for key in parents:
        node = node.setdefault(key, {})
    if value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return clone


# --- auth and routing ---------------------------------------------------------------------


def test_missing_or_malformed_authorization_is_400_gateway(rtk: Rtk) -> None:
    for header in (None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer two words", "bearer test-token"):
        headers = {"Authorization": header} if header is not None else {}
        session = requests.Session()
        session.trust_env = False
        response = session.get(rtk.base + "/recordings", headers=headers)
        assert response.status_code == 400, header
        assert response.json() == {
            "success": False,
            "errors": [
                {
                    "code": 6003,
                    "message": "Invalid request headers",
                    "error_chain": [
                        {"code": 6111, "message": "Invalid format for Authorization header"}
                    ],
                }
            ],
            "messages": [],
            "result": None,
        }


def test_wrong_token_is_401_and_token_is_never_echoed_or_logged(emu: Emulator, rtk: Rtk) -> None:
    response = rtk.call("GET", "/recordings", headers={"Authorization": "Bearer not-the-token"})
    assert response.status_code == 401
    payload = response.json()
    assert payload["errors"] == [{"code": 10000, "message": "Authentication error"}]
    assert payload["result"] is None and payload["messages"] == []
    assert "not-the-token" not in response.text
    assert "not-the-token" not in repr(emu.requests())
    assert rtk.call("GET", "/recordings").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/client/v4/accounts/acc/realtime/kit/app/nope"),
        ("DELETE", f"/client/v4/accounts/{ACCOUNT}/realtime/kit/{APP}/recordings/x"),
        ("POST", f"/client/v4/accounts/{ACCOUNT}/realtime/kit/{APP}/recordings/"),
        ("GET", "/client/v4/accounts"),
        ("GET", "/"),
    ],
)
def test_unknown_route_is_404_gateway_envelope(emu: Emulator, method: str, path: str) -> None:
    response = raw(method, emu.url + path)
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "errors": [
            {
                "code": 7003,
                "message": f"Could not route to {path}, perhaps your object identifier is invalid?",
            },
            {"code": 7000, "message": "No route for that URI"},
        ],
        "messages": [],
        "result": None,
    }


# --- start --------------------------------------------------------------------------------


def test_start_with_every_option(emu: Emulator, rtk: Rtk, mid: str) -> None:
    data = rtk.start(**full_body(mid))
    assert set(data) == FULL_KEYS
    assert data["status"] == "INVOKED"
    for key in BASE_KEYS - {"id", "invoked_time", "output_file_name", "status", "session_id"}:
        assert data[key] is None, key
    assert data["session_id"] == emu.sessions(mid)[0]["id"]  # the live session
    assert data["invoked_time"].endswith("Z") and len(data["invoked_time"]) == 24
    assert data["output_file_name"].startswith("standup_")
    assert data["start_reason"]["reason"] == "API_CALL"
    assert data["start_reason"]["caller"]["type"] == "ORGANIZATION"
    assert set(data["start_reason"]["caller"]) == {"name", "type", "user_Id"}
    assert data["storage_config"] == {
        "type": "aws",
        "auth_method": None,
        "bucket": "recordings",
        "host": None,
        "path": "rtk/",
        "port": None,
        "region": "us-east-1",
        "username": None,
    }
    (internal,) = emu.recordings(mid)
    assert internal["type"] == "RECORDING" and internal["meeting_id"] == mid
    assert internal["account_id"] == ACCOUNT and internal["app_id"] == APP
    expected_config = full_body(mid)
    del expected_config["storage_config"]["access_key"], expected_config["storage_config"]["secret"]
    assert internal["start_config"] == expected_config
    assert rtk.get(data["id"]) == data


@pytest.mark.parametrize(
    "storage",
    [
        {"type": "gcs", "bucket": "b"},
        {
            "type": "azure",
            "bucket": "b",
            "access_key": AWS_KEY,
            "secret": AWS_SECRET,
            "region": "r",
        },
        {"type": "digitalocean", "bucket": "b", "access_key": "k", "secret": "s", "region": "r"},
        {
            "type": "sftp",
            "host": "h",
            "port": 22,
            "username": "u",
            "auth_method": "KEY",
            "private_key": SFTP_KEY,
            "password": SFTP_PASSWORD,
        },
        {"type": "sftp", "host": "h", "username": "u", "auth_method": "PASSWORD", "password": "p"},
    ],
)
def test_storage_variants_accepted_and_secrets_never_returned(
    emu: Emulator, rtk: Rtk, mid: str, storage: dict[str, Any]
) -> None:
    data = rtk.start(mid, storage_config=storage, realtimekit_bucket_config={"enabled": False})
    assert set(data["storage_config"]) == STORAGE_READ_KEYS
    assert data["storage_config"]["type"] == storage["type"]
    listed = rtk.call("GET", "/recordings").text
    internal = json.dumps(emu.recordings())
    for text in (json.dumps(data), listed, internal):
        for key in ("access_key", "secret", "password", "private_key"):
            assert f'"{key}"' not in text
        for secret in SECRETS:
            assert secret not in text


@pytest.mark.parametrize(
    ("dotted", "value", "message"),
    [
        ("meeting_id", DELETE, "meeting_id: is required"),
        ("meeting_id", "not-a-uuid", "meeting_id: must be a UUID"),
        ("meeting_id", 7, "meeting_id: must be a string"),
        ("colour", "red", "colour: unknown field"),
        ("allow_multiple_recordings", "true", "allow_multiple_recordings: must be a boolean"),
        ("audio_config.channel", "surround", "audio_config.channel: must be one of mono, stereo"),
        ("audio_config.codec", "OGG", "audio_config.codec: must be one of MP3, AAC"),
        ("audio_config.export_file", 1, "audio_config.export_file: must be a boolean"),
        ("audio_config.bitrate", 128, "audio_config.bitrate: unknown field"),
        ("video_config.codec", "AV1", "video_config.codec: must be one of H264, VP8, VP9"),
        ("video_config.width", 0, "video_config.width: must be between 1 and 1920"),
        ("video_config.height", 1921, "video_config.height: must be between 1 and 1920"),
        ("video_config.width", "1280", "video_config.width: must be an integer"),
        ("video_config.width", 1280.5, "video_config.width: must be an integer"),
        ("video_config.width", True, "video_config.width: must be an integer"),
        ("video_config.export_file", "yes", "video_config.export_file: must be a boolean"),
        ("video_config.fps", 30, "video_config.fps: unknown field"),
        ("video_config.watermark.url", "ftp://x/y.png", "video_config.watermark.url: must be an"),
        ("video_config.watermark.position", "center", "video_config.watermark.position: must"),
        ("video_config.watermark.size.width", 0, "video_config.watermark.size.width: must be >= 1"),
        ("video_config.watermark.size.depth", 1, "video_config.watermark.size.depth: unknown"),
        ("video_config.watermark", "logo", "video_config.watermark: must be a JSON object"),
        ("video_config.codec", "VP8", "audio_config.codec: cannot be set when video_config.codec"),
        ("video_config.codec", "VP9", "audio_config.codec: cannot be set when video_config.codec"),
        ("file_name_prefix", 5, "file_name_prefix: must be a string"),
        ("interactive_config.type", "XMP", "interactive_config.type: must be one of ID3"),
        ("max_seconds", 59, "max_seconds: must be between 60 and 86400"),
        ("max_seconds", 86401, "max_seconds: must be between 60 and 86400"),
        ("max_seconds", "60", "max_seconds: must be an integer"),
        ("max_seconds", 60.5, "max_seconds: must be an integer"),
        ("max_seconds", True, "max_seconds: must be an integer"),
        ("realtimekit_bucket_config", {}, "realtimekit_bucket_config.enabled: is required"),
        ("realtimekit_bucket_config.enabled", "false", "realtimekit_bucket_config.enabled: must"),
        ("rtmp_out_config.rtmp_url", "https://x/live", "rtmp_out_config.rtmp_url: must be an"),
        ("url", "example.com", "url: must be an http(s) URL"),
        ("storage_config.type", DELETE, "storage_config.type: is required"),
        ("storage_config.type", "s3", "storage_config.type: must be one of aws"),
        ("storage_config.access_key", DELETE, "storage_config.access_key: is required"),
        ("storage_config.secret", DELETE, "storage_config.secret: is required"),
        ("storage_config.region", DELETE, "storage_config.region: is required"),
        ("storage_config.bucket", DELETE, "storage_config.bucket: is required"),
        ("storage_config.access_key", 5, "storage_config.access_key: must be a string"),
        ("storage_config.port", 0, "storage_config.port: must be between 1 and 65535"),
        ("storage_config.port", 65536, "storage_config.port: must be between 1 and 65535"),
        ("storage_config.port", "22", "storage_config.port: must be a number"),
        ("storage_config.port", 22.5, "storage_config.port: must be a whole number"),
        ("storage_config.auth_method", "TOKEN", "storage_config.auth_method: must be one of"),
        ("storage_config.endpoint", "x", "storage_config.endpoint: unknown field"),
    ],
)
def test_start_validation(rtk: Rtk, mid: str, dotted: str, value: object, message: str) -> None:
    response = rtk.call("POST", "/recordings", mutate(full_body(mid), dotted, value))
    assert rtk_error(response, 400).startswith(message)


@pytest.mark.parametrize(
    ("storage", "message"),
    [
        ({"type": "gcs"}, "storage_config.bucket: is required"),
        ({"type": "sftp", "username": "u", "auth_method": "KEY"}, "storage_config.host: is"),
        ({"type": "sftp", "host": "h", "auth_method": "KEY"}, "storage_config.username: is"),
        ({"type": "sftp", "host": "h", "username": "u"}, "storage_config.auth_method: is"),
        (
            {"type": "sftp", "host": "h", "username": "u", "auth_method": "KEY", "password": "p"},
            "storage_config.private_key: is required",
        ),
        (
            {"type": "sftp", "host": "h", "username": "u", "auth_method": "PASSWORD"},
            "storage_config.password: is required",
        ),
    ],
)
def test_storage_variant_rules(rtk: Rtk, mid: str, storage: dict[str, Any], message: str) -> None:
    response = rtk.call("POST", "/recordings", {"meeting_id": mid, "storage_config": storage})
    assert rtk_error(response, 400).startswith(message)


def test_start_body_shape_and_bucket_destination_rules(rtk: Rtk, mid: str) -> None:
    assert rtk_error(rtk.call("POST", "/recordings", [mid]), 400) == "body: must be a JSON object"
    assert rtk_error(rtk.call("POST", "/recordings"), 400) == "body: must be a JSON object"
    bad_json = rtk.call("POST", "/recordings", data=b"{nope", headers={"Content-Type": "x"})
    assert rtk_error(bad_json, 400) == "body: must be valid JSON"
    nowhere = {"meeting_id": mid, "realtimekit_bucket_config": {"enabled": False}}
    assert "goes nowhere" in rtk_error(rtk.call("POST", "/recordings", nowhere), 400)
    # An RTMP output alone is a destination; VP8 without an audio codec is fine.
    rtmp_only: dict[str, Any] = {
        **nowhere,
        "rtmp_out_config": {"rtmp_url": "rtmp://x/live"},
        "video_config": {"codec": "VP8"},
        "audio_config": {"channel": "mono"},
        "max_seconds": 60,
    }
    assert rtk.start(**rtmp_only)["status"] == "INVOKED"


def test_start_unknown_or_foreign_meeting_is_404(emu: Emulator, rtk: Rtk) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    response = rtk.call("POST", "/recordings", {"meeting_id": unknown})
    assert rtk_error(response, 404) == f"Meeting {unknown} not found"
    foreign = emu.create_meeting(ACCOUNT, "other-app")
    assert rtk_error(rtk.call("POST", "/recordings", {"meeting_id": foreign}), 404)


def test_one_active_recording_per_meeting(emu: Emulator, rtk: Rtk, mid: str) -> None:
    first = rtk.start(mid)
    response = rtk.call("POST", "/recordings", {"meeting_id": mid})
    message = f"Meeting {mid} already has an active recording {first['id']}"
    assert rtk_error(response, 400) == message
    rtk.call("POST", "/recordings/track", {"meeting_id": mid})  # tracks don't count
    second = rtk.start(mid, allow_multiple_recordings=True)
    assert second["id"] != first["id"]
    other_meeting = emu.create_meeting(ACCOUNT, APP)
    rtk.start(other_meeting)  # the rule is per meeting
    for rec in (first, second):
        assert rtk.act(rec["id"], "stop").status_code == 200
    rtk.start(mid)  # no active recording left


# --- lifecycle ----------------------------------------------------------------------------


def test_lifecycle_to_uploaded_with_download_fields(emu: Emulator, rtk: Rtk, mid: str) -> None:
    rec = rtk.start(mid, audio_config={"codec": "AAC"})
    emu.advance(1.9)
    assert rtk.get(rec["id"])["status"] == "INVOKED"
    emu.advance(0.1)
    recording = rtk.get(rec["id"])
    assert recording["status"] == "RECORDING"
    assert recording["session_id"] is not None
    started = datetime.fromisoformat(recording["started_time"])
    assert started - datetime.fromisoformat(rec["invoked_time"]) == timedelta(seconds=2)
    emu.advance(120)
    stopped = rtk.act(rec["id"], "stop").json()["data"]
    assert stopped["status"] == "UPLOADING"
    assert stopped["stop_reason"]["reason"] == "API_CALL"
    assert stopped["stopped_time"] is not None and stopped["download_url"] is None
    emu.advance(4.9)
    assert rtk.get(rec["id"])["status"] == "UPLOADING"
    emu.advance(0.1)
    done = rtk.get(rec["id"])
    assert done["status"] == "UPLOADED"
    assert done["recording_duration"] == 120
    assert done["file_size"] == 10_000_000  # ~300 MB/hour
    assert done["download_url"] == f"{emu.admin_url}/downloads/{rec['id']}.mp4"
    assert done["audio_download_url"] == f"{emu.admin_url}/downloads/{rec['id']}.audio.m4a"
    uploaded = datetime.fromisoformat(done["stopped_time"]) + timedelta(seconds=5)
    assert datetime.fromisoformat(done["download_url_expiry"]) == uploaded + timedelta(days=7)
    for url in (done["download_url"], done["audio_download_url"]):
        media = raw("GET", url)
        assert media.status_code == 200 and media.content


def test_no_audio_url_without_audio_config_and_no_links_without_bucket(
    emu: Emulator, rtk: Rtk, mid: str
) -> None:
    plain = rtk.start(mid, allow_multiple_recordings=True)
    private = rtk.start(
        mid,
        allow_multiple_recordings=True,
        audio_config={"codec": "MP3"},
        realtimekit_bucket_config={"enabled": False},
        storage_config={"type": "gcs", "bucket": "b"},
    )
    emu.advance(10)
    for rec in (plain, private):
        rtk.act(rec["id"], "stop")
    emu.advance(10)
    plain_done, private_done = rtk.get(plain["id"]), rtk.get(private["id"])
    assert plain_done["download_url"] and plain_done["audio_download_url"] is None
    assert private_done["status"] == "UPLOADED" and private_done["file_size"] is not None
    for key in ("download_url", "audio_download_url", "download_url_expiry"):
        assert private_done[key] is None


def test_max_seconds_auto_stop(emu: Emulator, rtk: Rtk, mid: str) -> None:
    rec = rtk.start(mid, max_seconds=60)
    emu.advance(2 + 60 + 5 + 1000)  # one jump: every transition lands at its due time
    done = rtk.get(rec["id"])
    assert done["status"] == "UPLOADED"
    assert done["recording_duration"] == 60
    started = datetime.fromisoformat(done["started_time"])
    assert datetime.fromisoformat(done["stopped_time"]) - started == timedelta(seconds=60)
    assert done["stop_reason"] is None


def test_pause_resume_stop_excludes_paused_time(emu: Emulator, rtk: Rtk, mid: str) -> None:
    rec = rtk.start(mid)
    emu.advance(12)  # 10 s recorded
    assert rtk.act(rec["id"], "pause").json()["data"]["status"] == "PAUSED"
    emu.advance(300)
    assert rtk.act(rec["id"], "resume").json()["data"]["status"] == "RECORDING"
    emu.advance(20)
    assert rtk.act(rec["id"], "stop").json()["data"]["status"] == "UPLOADING"
    emu.advance(5)
    assert rtk.get(rec["id"])["recording_duration"] == 30


def test_pause_from_invoked_then_resume_starts_recording(emu: Emulator, rtk: Rtk, mid: str) -> None:
    rec = rtk.start(mid)
    assert rtk.act(rec["id"], "pause").json()["data"]["status"] == "PAUSED"
    emu.advance(100)
    assert rtk.get(rec["id"])["started_time"] is None
    resumed = rtk.act(rec["id"], "resume").json()["data"]
    assert resumed["status"] == "RECORDING" and resumed["started_time"] is not None


@pytest.mark.parametrize(
    ("setup", "action", "status"),
    [
        ((), "resume", "INVOKED"),
        (("advance",), "resume", "RECORDING"),
        (("pause",), "pause", "PAUSED"),
        (("stop",), "stop", "UPLOADING"),
        (("stop",), "resume", "UPLOADING"),
        (("stop", "advance"), "stop", "UPLOADED"),
        (("stop", "advance"), "pause", "UPLOADED"),
        (("error",), "stop", "ERRORED"),
    ],
)
def test_invalid_transitions(
    emu: Emulator, rtk: Rtk, mid: str, setup: tuple[str, ...], action: str, status: str
) -> None:
    rid = rtk.start(mid)["id"]
    for step in setup:
        if step == "advance":
            emu.advance(10)
        elif step == "error":
            emu.set_status(rid, "ERRORED")
        else:
            assert rtk.act(rid, step).status_code == 200
    message = rtk_error(rtk.act(rid, action), 400)
    assert message == f"Recording {rid} cannot {action} in status {status}"


def test_put_and_get_validation_and_404(rtk: Rtk, mid: str) -> None:
    rid = rtk.start(mid)["id"]
    bad = rtk.call("PUT", f"/recordings/{rid}", {"action": "rewind"})
    assert rtk_error(bad, 400) == "action: must be one of stop, pause, resume"
    extra = rtk.call("PUT", f"/recordings/{rid}", {"action": "stop", "force": True})
    assert rtk_error(extra, 400) == "force: unknown field"
    assert rtk_error(rtk.call("PUT", f"/recordings/{rid}", {}), 400) == "action: is required"
    unknown = "11111111-1111-4111-8111-111111111111"
    assert rtk_error(rtk.call("GET", f"/recordings/{unknown}"), 404) == (
        f"Recording {unknown} not found"
    )
    assert rtk_error(rtk.act(unknown, "stop"), 404)


def test_recordings_are_scoped_by_account_and_app(emu: Emulator, rtk: Rtk, mid: str) -> None:
    rid = rtk.start(mid)["id"]
    other = Rtk(emu, account=ACCOUNT, app="another-app")
    assert rtk_error(other.call("GET", f"/recordings/{rid}"), 404)
    assert other.ok("GET", "/recordings")["data"] == []
    other.session.close()


# --- active recording ---------------------------------------------------------------------


def test_active_recording(emu: Emulator, rtk: Rtk, mid: str) -> None:
    path = f"/recordings/active-recording/{mid}"
    assert rtk_error(rtk.call("GET", path), 404) == f"No active recording found for meeting {mid}"
    rtk.call("POST", "/recordings/track", {"meeting_id": mid})
    assert rtk.call("GET", path).status_code == 404  # track recordings are not "the" recording
    first = rtk.start(mid)
    emu.advance(1)
    second = rtk.start(mid, allow_multiple_recordings=True)
    data = rtk.ok("GET", path)["data"]
    assert set(data) == BASE_KEYS
    assert data["id"] == second["id"]  # the most recently invoked one
    rtk.act(second["id"], "pause")
    assert rtk.ok("GET", path)["data"]["status"] == "PAUSED"
    rtk.act(second["id"], "stop")
    assert rtk.ok("GET", path)["data"]["id"] == first["id"]
    rtk.act(first["id"], "stop")
    assert rtk.call("GET", path).status_code == 404
    unknown = "22222222-2222-4222-8222-222222222222"
    assert rtk_error(rtk.call("GET", f"/recordings/active-recording/{unknown}"), 404)


# --- list ---------------------------------------------------------------------------------


@pytest.fixture
def listing(emu: Emulator, rtk: Rtk) -> dict[str, Any]:
    """Five recordings, 10 s apart: meeting A (title "alpha") has 3, meeting B has 2."""
    meeting_a = emu.create_meeting(ACCOUNT, APP, title="alpha sync")
    meeting_b = emu.create_meeting(ACCOUNT, APP, title="beta retro")
    ids = []
    for meeting in (meeting_a, meeting_b, meeting_a, meeting_b, meeting_a):
        ids.append(rtk.start(meeting, allow_multiple_recordings=True)["id"])
        emu.advance(10)
    rtk.act(ids[0], "stop")
    rtk.act(ids[1], "stop")
    emu.advance(10)  # ids[0], ids[1] UPLOADED; ids[2..4] RECORDING
    return {"a": meeting_a, "b": meeting_b, "ids": ids}


def test_list_defaults_shape_and_paging(rtk: Rtk, listing: dict[str, Any]) -> None:
    payload = rtk.ok("GET", "/recordings")
    ids = listing["ids"]
    assert [r["id"] for r in payload["data"]] == ids[::-1]  # invokedTime DESC
    assert payload["paging"] == {"total_count": 5, "start_offset": 1, "end_offset": 5}
    item = payload["data"][0]
    assert set(item) == BASE_KEYS | {"storage_config", "meeting"}
    assert item["meeting"]["id"] == listing["a"] and item["meeting"]["title"] == "alpha sync"
    page2 = rtk.ok("GET", "/recordings", params={"per_page": 2, "page_no": 2})
    assert [r["id"] for r in page2["data"]] == [ids[2], ids[1]]
    assert page2["paging"] == {"total_count": 5, "start_offset": 3, "end_offset": 4}
    empty = rtk.ok("GET", "/recordings", params={"per_page": 2, "page_no": 9})
    assert empty["data"] == []
    assert empty["paging"] == {"total_count": 5, "start_offset": 17, "end_offset": 16}
    ascending = rtk.ok("GET", "/recordings", params={"sort_by": "invokedTime", "sort_order": "ASC"})
    assert [r["id"] for r in ascending["data"]] == ids


def test_list_filters(emu: Emulator, rtk: Rtk, listing: dict[str, Any]) -> None:
    ids = listing["ids"]

    def found(**params: Any) -> list[str]:
        return [r["id"] for r in rtk.ok("GET", "/recordings", params=params)["data"]]

    assert found(meeting_id=listing["b"]) == [ids[3], ids[1]]
    assert found(status="UPLOADED") == [ids[1], ids[0]]
    assert found(status=["UPLOADED", "RECORDING"]) == ids[::-1]
    assert found(status="ERRORED") == []
    assert found(search="ALPHA") == [ids[4], ids[2], ids[0]]
    assert found(search=listing["b"][:8]) == [ids[3], ids[1]]
    invoked = [rtk.get(rid)["invoked_time"] for rid in ids]
    assert found(start_time=invoked[1], end_time=invoked[3]) == [ids[3], ids[2], ids[1]]
    assert found(expired="true") == []
    assert found(expired="false") == ids[::-1]
    emu.advance(7 * 24 * 3600)
    assert found(expired="true") == [ids[1], ids[0]]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"meeting_id": "nope"}, "meeting_id: must be a UUID"),
        ({"status": "DONE"}, "status: must be one of INVOKED"),
        ({"page_no": "0"}, "page_no: must be a whole number between 1"),
        ({"page_no": "x"}, "page_no: must be a whole number between 1"),
        ({"page_no": "1.5"}, "page_no: must be a whole number between 1"),
        ({"per_page": "101"}, "per_page: must be a whole number between 1 and 100"),
        ({"per_page": ["1", "2"]}, "per_page: must be given once"),
        ({"sort_by": "createdAt"}, "sort_by: must be one of invokedTime"),
        ({"sort_order": "asc"}, "sort_order: must be one of ASC, DESC"),
        ({"expired": "yes"}, "expired: must be one of true, false"),
        ({"start_time": "yesterday"}, "start_time: must be an ISO 8601 date-time"),
        (
            {"start_time": "2030-01-02T00:00:00Z", "end_time": "2030-01-01T00:00:00Z"},
            "start_time: must not be after end_time",
        ),
        ({"limit": "5"}, "limit: unknown query parameter"),
    ],
)
def test_list_query_validation(rtk: Rtk, params: dict[str, Any], message: str) -> None:
    assert rtk_error(rtk.call("GET", "/recordings", params=params), 400).startswith(message)


# --- track recordings ---------------------------------------------------------------------


def test_track_recording(emu: Emulator, rtk: Rtk, mid: str) -> None:
    body = {
        "meeting_id": mid,
        "layers": {"default": {"file_name_prefix": "speaker", "media_kind": "audio"}},
        "user_ids": ["u1", "u2"],
    }
    data = rtk.ok("POST", "/recordings/track", body)["data"]
    rec = data["recording"]
    assert set(data) == {"recording"}
    assert set(rec) == BASE_KEYS | {"type", "meeting_id"}
    assert rec["type"] == "TRACK" and rec["meeting_id"] == mid and rec["status"] == "INVOKED"
    assert rec["output_file_name"].startswith("speaker_")
    assert rtk.start(mid)["status"] == "INVOKED"  # a track does not block a recording
    emu.advance(5)
    assert rtk.get(rec["id"])["status"] == "RECORDING"
    assert rtk.act(rec["id"], "stop").json()["data"]["status"] == "UPLOADING"
    emu.advance(5)
    assert rtk.get(rec["id"])["status"] == "UPLOADED"
    assert [r["type"] for r in emu.recordings(mid)] == ["TRACK", "RECORDING"]
    assert rtk.ok("POST", "/recordings/track", {"meeting_id": mid})["data"]["recording"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"meeting_id": None}, 400, "meeting_id: is required"),
        ({"meeting_id": "33333333-3333-4333-8333-333333333333"}, 404, "Meeting"),
        ({"layers": {"default": {"media_kind": "video"}}}, 400, "layers.default.media_kind: must"),
        ({"layers": {"default": {"prefix": "x"}}}, 400, "layers.default.prefix: unknown field"),
        ({"layers": []}, 400, "layers: must be a JSON object"),
        ({"user_ids": "u1"}, 400, "user_ids: must be a list"),
        ({"user_ids": [1]}, 400, "user_ids[0]: must be a string"),
        ({"user_ids": [f"u{i}" for i in range(101)]}, 400, "user_ids: must hold at most 100"),
        ({"max_seconds": 60}, 400, "max_seconds: unknown field"),
    ],
)
def test_track_validation(
    rtk: Rtk, mid: str, body: dict[str, Any], status: int, message: str
) -> None:
    response = rtk.call("POST", "/recordings/track", {"meeting_id": mid, **body})
    assert rtk_error(response, status).startswith(message)


# --- meetings -----------------------------------------------------------------------------


def test_meetings_create_get_list(emu: Emulator, rtk: Rtk) -> None:
    created = rtk.ok("POST", "/meetings", {"title": "retro", "record_on_start": True})["data"]
    assert created["title"] == "retro" and created["status"] == "ACTIVE"
    assert created["record_on_start"] is True
    assert {"id", "created_at", "updated_at"} <= set(created)
    assert rtk.ok("GET", f"/meetings/{created['id']}")["data"] == created
    for n in range(3):
        emu.advance(1)
        rtk.ok("POST", "/meetings", {"title": f"m{n}"})
    listed = rtk.ok("GET", "/meetings", params={"per_page": 3})
    assert [m["title"] for m in listed["data"]] == ["m2", "m1", "m0"]
    assert listed["paging"] == {"total_count": 4, "start_offset": 1, "end_offset": 3}
    assert rtk.ok("GET", "/meetings", params={"search": "RETRO"})["data"] == [created]
    unknown = "44444444-4444-4444-8444-444444444444"
    assert rtk_error(rtk.call("GET", f"/meetings/{unknown}"), 404) == f"Meeting {unknown} not found"
    other = Rtk(emu, app="other-app")
    assert other.ok("GET", "/meetings")["data"] == []
    assert rtk_error(other.call("GET", f"/meetings/{created['id']}"), 404)
    other.session.close()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": 5}, "title: must be a string"),
        ({"record_on_start": "yes"}, "record_on_start: must be a boolean"),
        ({"session_keep_alive_time_in_secs": 10}, "session_keep_alive_time_in_secs: must be"),
        ({"status": "ACTIVE"}, "status: unknown field"),
        ({"host": "me"}, "host: unknown field"),
    ],
)
def test_meeting_validation(rtk: Rtk, body: dict[str, Any], message: str) -> None:
    assert rtk_error(rtk.call("POST", "/meetings", body), 400).startswith(message)


def test_meeting_recording_config_secrets_are_dropped(emu: Emulator, rtk: Rtk) -> None:
    storage = {"type": "aws", "access_key": AWS_KEY, "secret": AWS_SECRET, "bucket": "b"}
    config = {"storage_config": {**storage, "region": "r"}}
    created = rtk.ok("POST", "/meetings", {"recording_config": config})["data"]
    expected = {"type": "aws", "bucket": "b", "region": "r"}
    assert created["recording_config"] == {"storage_config": expected}
    for secret in (AWS_KEY, AWS_SECRET):
        assert secret not in rtk.call("GET", f"/meetings/{created['id']}").text


# --- admin API, request log, stats --------------------------------------------------------


def test_request_log_keeps_bodies_and_never_headers(emu: Emulator, rtk: Rtk, mid: str) -> None:
    emu.clear_requests()
    body = full_body(mid)
    rtk.call("POST", "/recordings", body)
    rtk.call("GET", "/recordings", params={"status": ["UPLOADED", "ERRORED"]})
    rtk.call("PUT", "/recordings/x", data=b"not json")
    raw("GET", emu.admin_url + "/health")  # admin calls are not logged
    log = emu.requests()
    assert [(r.method, r.status) for r in log] == [("POST", 200), ("GET", 200), ("PUT", 400)]
    assert log[0].body == body  # the secrets that reached the wire are visible here
    assert log[0].path == f"/client/v4/accounts/{ACCOUNT}/realtime/kit/{APP}/recordings"
    assert log[1].query == {"status": ["UPLOADED", "ERRORED"]} and log[1].body is None
    assert log[2].body == "not json"
    assert TOKEN not in repr(log)
    assert [r.method for r in emu.requests(method="get")] == ["GET"]
    assert len(emu.requests(path=r"/recordings$")) == 2
    over_http = raw("GET", emu.admin_url + "/requests").json()["requests"]
    assert [RequestRecord.from_json(r) for r in over_http] == log
    assert "Authorization" not in json.dumps(over_http)
    emu.clear_requests()
    assert emu.requests() == []


def test_stats_and_reset(emu: Emulator, rtk: Rtk, mid: str) -> None:
    rid = rtk.start(mid)["id"]
    rtk.get(rid)
    rtk.get(rid)
    rtk.call("GET", f"/recordings/active-recording/{mid}")
    rtk.call("GET", "/nowhere")
    assert emu.stats() == {
        "requests": 5,
        "by_route": {
            "POST /recordings": 1,
            "GET /recordings/{id}": 2,
            "GET /recordings/active-recording/{meeting_id}": 1,
            "UNROUTED": 1,
        },
    }
    emu.add_fault("GET", "x", "status")
    raw("POST", emu.admin_url + "/reset").raise_for_status()
    assert emu.stats() == {"requests": 0, "by_route": {}}
    assert emu.recordings() == [] and emu.requests() == []
    assert raw("GET", emu.admin_url + "/faults").json() == {"faults": []}
    assert rtk_error(rtk.call("GET", f"/meetings/{mid}"), 404)


def test_admin_client_controls_the_emulator(emu: Emulator, rtk: Rtk) -> None:
    admin = AdminClient(emu.url)
    control: EmulatorControl = admin
    assert admin.health() and control.base_url == emu.base_url
    meeting = control.create_meeting(ACCOUNT, APP, title="via admin")
    assert rtk.ok("GET", f"/meetings/{meeting}")["data"]["title"] == "via admin"
    rid = rtk.start(meeting)["id"]
    control.advance(3)
    assert rtk.get(rid)["status"] == "RECORDING"
    (internal,) = control.recordings(meeting)
    assert internal["id"] == rid and internal["meeting_id"] == meeting
    assert control.recordings("55555555-5555-4555-8555-555555555555") == []
    control.set_status(rid, "ERRORED")
    errored = rtk.get(rid)
    assert errored["status"] == "ERRORED" and errored["stop_reason"] == {"reason": "INTERNAL_ERROR"}
    assert errored["stopped_time"] is not None
    assert [r.method for r in control.requests(path="recordings")] == ["POST", "GET", "GET"]
    control.clear_requests()
    assert control.requests() == []
    fault_id = control.add_fault("GET", "/recordings/", "status", count=2, status=500)
    assert rtk.call("GET", f"/recordings/{rid}").status_code == 500
    assert raw("GET", emu.admin_url + "/faults").json()["faults"][0]["count"] == 1
    assert fault_id
    control.clear_faults()
    assert rtk.call("GET", f"/recordings/{rid}").status_code == 200
    assert control.stats()["by_route"]["GET /recordings/{id}"] == 4
    control.forget(rid)
    assert rtk_error(rtk.call("GET", f"/recordings/{rid}"), 404)
    with pytest.raises(AdminError) as excinfo:
        control.forget(rid)
    assert excinfo.value.status == 404
    with pytest.raises(AdminError, match="kind: must be one of"):
        control.add_fault("GET", "x", "explode")
    control.reset()
    assert control.stats()["requests"] == 0


def test_admin_set_status_variants(emu: Emulator, rtk: Rtk, mid: str) -> None:
    rid = rtk.start(mid)["id"]
    emu.set_status(rid, "UPLOADED")
    done = rtk.get(rid)
    assert done["status"] == "UPLOADED" and done["download_url"] and done["stopped_time"]
    emu.set_status(rid, "ERRORED", stop_reason="ALL_PEERS_LEFT")
    assert rtk.get(rid)["stop_reason"] == {"reason": "ALL_PEERS_LEFT"}
    response = raw("POST", f"{emu.admin_url}/recordings/{rid}", json={"status": "LOST"})
    assert response.status_code == 400
    clock = raw("POST", emu.admin_url + "/clock", json={"advance_seconds": 60})
    assert clock.json()["now"].endswith("Z")
    bad_clock = raw("POST", emu.admin_url + "/clock", json={"advance_seconds": "1"})
    assert bad_clock.status_code == 400
    assert raw("GET", emu.admin_url + "/nope").status_code == 404
    meetings = emu.admin_url + "/meetings"
    assert raw("POST", meetings, json={"account_id": ACCOUNT}).status_code == 400
    bad_title = raw("POST", meetings, json={"account_id": ACCOUNT, "app_id": APP, "title": 1})
    assert bad_title.json() == {"error": "title: must be a string"}
    full = {"account_id": ACCOUNT, "app_id": APP, "title": "t", "persist_chat": True}
    created = raw("POST", meetings, json=full).json()["data"]
    assert created["persist_chat"] is True and "account_id" not in created
    assert raw("GET", f"{emu.admin_url}/downloads/{mid}.mp4").status_code == 404


# --- speed, persistence, CLI --------------------------------------------------------------


def test_keep_alive_responses_are_single_writes(emu: Emulator, rtk: Rtk, mid: str) -> None:
    """Headers and body split over two writes would cost ~40 ms each (Nagle + delayed ACK)."""
    rid = rtk.start(mid)["id"]
    began = time.perf_counter()
    for _ in range(200):
        assert rtk.call("GET", f"/recordings/{rid}").status_code == 200
    assert time.perf_counter() - began < 5.0


def test_state_persists_across_restart_without_secrets(tmp_path: Path) -> None:
    with Emulator(token=TOKEN, clock_speed=0.0, data_dir=tmp_path) as first:
        rtk = Rtk(first)
        meeting = first.create_meeting(ACCOUNT, APP, title="persisted")
        first.join(meeting, "host")
        body = full_body(meeting)
        body["storage_config"] = {
            "type": "sftp",
            "host": "h",
            "username": "u",
            "auth_method": "KEY",
            "private_key": SFTP_KEY,
            "password": SFTP_PASSWORD,
        }
        body["storage_config"]["host"] = "sftp.example.com"
        rid = rtk.start(**body)["id"]
        first.advance(1000)
        rtk.act(rid, "stop")
        before = rtk.get(rid)
        rtk.session.close()
    state = (tmp_path / "state.json").read_text()
    assert not list(tmp_path.glob("*.tmp"))
    for secret in SECRETS:
        assert secret not in state
    for key in ("access_key", "secret", "password", "private_key"):
        assert f'"{key}"' not in state
    with Emulator(token=TOKEN, clock_speed=0.0, data_dir=tmp_path) as second:
        rtk = Rtk(second)
        after = rtk.get(rid)
        assert after == before  # a frozen clock stays frozen across the restart
        assert rtk.ok("GET", f"/meetings/{meeting}")["data"]["title"] == "persisted"
        assert rtk_error(rtk.call("POST", "/recordings", {"meeting_id": meeting, "x": 1}), 400)
        second.advance(5)
        assert rtk.get(rid)["status"] == "UPLOADED"
        rtk.session.close()
    (tmp_path / "state.json").write_text('{"version": 1}')
    with pytest.raises(ValueError, match="unreadable state"):
        Emulator(data_dir=tmp_path)


def _spawn(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "RTK_EMULATOR_TOKEN": "cli-token"}
    return subprocess.Popen(
        [sys.executable, "-m", "pulumi_rtk.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_cli_serves_persists_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = _spawn(
        "--data-dir",
        str(tmp_path),
        "--clock-speed",
        "0",
        "--fault",
        "method=GET,path=/meetings$,kind=gateway_error,count=1,retry_after=2",
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        prefix = "rtk-emulator listening on http://127.0.0.1:"
        assert line.startswith(prefix) and line.endswith("/client/v4")
        base_url = line.removeprefix("rtk-emulator listening on ")
        admin = AdminClient(base_url.removesuffix("/client/v4"))
        assert admin.base_url == base_url
        meeting = admin.create_meeting(ACCOUNT, APP)
        session = requests.Session()
        session.trust_env = False
        url = f"{base_url}/accounts/{ACCOUNT}/realtime/kit/{APP}"
        headers = {"Authorization": "Bearer cli-token"}
        throttled = session.get(f"{url}/meetings", headers=headers)
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
        started = session.post(
            f"{url}/recordings", json={"meeting_id": meeting}, headers=headers, timeout=10
        )
        assert started.status_code == 200
        session.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr
    assert "cli-token" not in stderr
    state = json.loads((tmp_path / "state.json").read_text())
    assert [r["id"] for r in state["recordings"]] == [started.json()["data"]["id"]]


@pytest.mark.parametrize(
    "args", [("--host", "0.0.0.0"), ("--host", "192.168.1.10"), ("--fault", "kind=boom")]
)
def test_cli_refuses_bad_host_and_fault(args: tuple[str, ...]) -> None:
    proc = _spawn(*args)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 2, (out, err)
    assert out == ""


def test_emulator_refuses_non_loopback_host() -> None:
    with pytest.raises(ValueError, match="only loopback"):
        Emulator(host="0.0.0.0")


def test_cli_help_documents_every_option() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pulumi_rtk.emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    for option in (
        "--empty-meeting-timeout",
        "--latency-ms",
        "--webhook-key",
        "--webhook-attempts",
        "--webhook-backoff",
        "--webhook-timeout",
    ):
        assert option in proc.stdout


def test_cli_latency_timeout_and_webhook_key_options(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    proc = _spawn(
        "--clock-speed",
        "0",
        "--latency-ms",
        "120",
        "--empty-meeting-timeout",
        "0",
        "--webhook-key",
        str(key_file),
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip().removeprefix("rtk-emulator listening on ")
        origin = base_url.removesuffix("/client/v4")
        admin = AdminClient(origin)
        assert raw("GET", f"{origin}/__emulator/latency").json() == {"ms": 120.0}
        assert admin.webhook_public_key().encode() == public_pem
        meeting = admin.create_meeting(ACCOUNT, APP)
        headers = {"Authorization": "Bearer cli-token"}
        url = f"{base_url}/accounts/{ACCOUNT}/realtime/kit/{APP}"
        began = time.perf_counter()
        started = raw("POST", f"{url}/recordings", json={"meeting_id": meeting}, headers=headers)
        assert started.status_code == 200 and time.perf_counter() - began >= 0.12
        admin.advance(3600)
        assert admin.recordings(meeting)[0]["status"] == "RECORDING"  # no empty-meeting stop
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0
