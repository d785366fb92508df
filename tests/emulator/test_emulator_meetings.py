"""Meetings on the emulator over HTTP: strict bodies, PATCH/PUT semantics, list filters,
number leniency (JSON doubles for ``number`` fields only) and write-only storage secrets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pulumi_rtk.emulator import Emulator

ACCOUNT = "0123456789abcdef0123456789abcdef"
APP = "app-123"
TOKEN = "test-token"
SECRET = "meeting-write-only-secret"


class Rtk:
    def __init__(self, emu: Emulator) -> None:
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Bearer {TOKEN}"
        self.base = f"{emu.base_url}/accounts/{ACCOUNT}/realtime/kit/{APP}"

    def call(self, method: str, path: str, body: object = None, **kw: Any) -> requests.Response:
        return self.session.request(method, self.base + path, json=body, timeout=10, **kw)

    def data(self, method: str, path: str, body: object = None, **kw: Any) -> Any:
        response = self.call(method, path, body, **kw)
        assert response.status_code == 200, response.text
        assert response.json()["success"] is True
        return response.json()["data"]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(token=TOKEN, clock_speed=0.0) as emulator:
        yield emulator


@pytest.fixture
def rtk(emu: Emulator) -> Iterator[Rtk]:
    client = Rtk(emu)
    yield client
    client.session.close()


def error(response: requests.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["success"] is False and payload["error"]["code"] == status
    message: str = payload["error"]["message"]
    return message


FULL = {
    "title": "all hands",
    "record_on_start": True,
    "live_stream_on_start": False,
    "persist_chat": True,
    "summarize_on_end": True,
    "transcribe_on_end": True,
    "session_keep_alive_time_in_secs": 300,
    "recording_config": {
        "audio_config": {"channel": "mono", "codec": "AAC", "export_file": False},
        "video_config": {
            "codec": "H264",
            "width": 1920,
            "height": 1080,
            "export_file": True,
            "watermark": {
                "url": "https://example.com/w.png",
                "position": "right bottom",
                "size": {"width": 10, "height": 10},
            },
        },
        "file_name_prefix": "hands",
        "max_seconds": 7200,
        "realtimekit_bucket_config": {"enabled": True},
        "storage_config": {
            "type": "sftp",
            "host": "sftp.example.com",
            "port": 2222,
            "username": "rec",
            "auth_method": "PASSWORD",
            "password": SECRET,
            "path": "in/",
        },
        "live_streaming_config": {"rtmp_url": "rtmp://live.example.com/app"},
    },
    "ai_config": {
        "transcription": {"keywords": ["RTK"], "language": "de", "profanity_filter": False},
        "summarization": {
            "summary_type": "team_meeting",
            "text_format": "markdown",
            "word_limit": 300,
        },
    },
}


def test_create_with_every_field_returns_it_without_secrets(rtk: Rtk) -> None:
    created = rtk.data("POST", "/meetings", FULL)
    expected = json.loads(json.dumps(FULL))
    del expected["recording_config"]["storage_config"]["password"]
    for key, value in expected.items():
        assert created[key] == value, key
    assert created["status"] == "ACTIVE"
    assert created["created_at"] == created["updated_at"]
    assert created["created_at"].endswith("Z") and len(created["created_at"]) == 24
    for text in (json.dumps(created), rtk.call("GET", f"/meetings/{created['id']}").text):
        assert SECRET not in text and '"password"' not in text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "INACTIVE"}, "status: unknown field"),
        ({"room_name": "x"}, "room_name: unknown field"),
        ({"session_keep_alive_time_in_secs": 59}, "session_keep_alive_time_in_secs: must be betw"),
        ({"session_keep_alive_time_in_secs": 601.0}, "session_keep_alive_time_in_secs: must be b"),
        ({"session_keep_alive_time_in_secs": 90.5}, "session_keep_alive_time_in_secs: must be a w"),
        ({"session_keep_alive_time_in_secs": "90"}, "session_keep_alive_time_in_secs: must be a n"),
        ({"persist_chat": 1}, "persist_chat: must be a boolean"),
        ({"recording_config": []}, "recording_config: must be a JSON object"),
        ({"recording_config": {"fps": 1}}, "recording_config.fps: unknown field"),
        ({"recording_config": {"max_seconds": 59.0}}, "recording_config.max_seconds: must be betw"),
        (
            {"recording_config": {"video_config": {"width": 1280.0}}},
            "recording_config.video_config.width: must be an integer",
        ),
        (
            {"recording_config": {"video_config": {"watermark": {"size": {"height": 2.0}}}}},
            "recording_config.video_config.watermark.size.height: must be an integer",
        ),
        (
            {"recording_config": {"storage_config": {"type": "gcs"}}},
            "recording_config.storage_config.bucket: is required",
        ),
        (
            {"recording_config": {"storage_config": {"type": "aws", "bucket": "b"}}},
            "recording_config.storage_config.access_key: is required",
        ),
        (
            {"recording_config": {"realtimekit_bucket_config": {}}},
            "recording_config.realtimekit_bucket_config.enabled: is required",
        ),
        (
            {"recording_config": {"live_streaming_config": {"rtmp_url": "http://x"}}},
            "recording_config.live_streaming_config.rtmp_url: must be an rtmp(s) URL",
        ),
        (
            {
                "recording_config": {
                    "video_config": {"codec": "VP8"},
                    "audio_config": {"codec": "MP3"},
                }
            },
            "recording_config.audio_config.codec: cannot be set",
        ),
        ({"ai_config": {"transcription": {"language": "xx"}}}, "ai_config.transcription.language"),
        ({"ai_config": {"transcription": {"keywords": "a"}}}, "ai_config.transcription.keywords:"),
        (
            {"ai_config": {"transcription": {"keywords": [1]}}},
            "ai_config.transcription.keywords[0]",
        ),
        ({"ai_config": {"summarization": {"word_limit": 10.0}}}, "ai_config.summarization.word_li"),
        ({"ai_config": {"summarization": {"summary_type": "x"}}}, "ai_config.summarization.summa"),
        ({"ai_config": {"summarization": {"text_format": "html"}}}, "ai_config.summarization.te"),
        ({"ai_config": {"speakers": True}}, "ai_config.speakers: unknown field"),
    ],
)
def test_create_validation(rtk: Rtk, body: dict[str, Any], message: str) -> None:
    assert error(rtk.call("POST", "/meetings", body)).startswith(message)


def test_number_fields_take_doubles_and_read_back_whole(rtk: Rtk) -> None:
    body = {
        "session_keep_alive_time_in_secs": 120.0,
        "recording_config": {
            "max_seconds": 600.0,
            "storage_config": {
                "type": "sftp",
                "host": "h",
                "username": "u",
                "port": 22.0,
                "auth_method": "KEY",
                "private_key": "k",
            },
        },
    }
    created = rtk.call("POST", "/meetings", body)
    assert '"session_keep_alive_time_in_secs":120,' in created.text
    data = created.json()["data"]
    assert data["recording_config"]["max_seconds"] == 600
    assert data["recording_config"]["storage_config"]["port"] == 22
    assert isinstance(data["recording_config"]["storage_config"]["port"], int)


def test_patch_changes_only_given_fields_and_replaces_given_objects(
    emu: Emulator, rtk: Rtk
) -> None:
    created = rtk.data("POST", "/meetings", FULL)
    mid = created["id"]
    emu.advance(1)
    patched = rtk.data(
        "PATCH",
        f"/meetings/{mid}",
        {"title": "renamed", "status": "INACTIVE", "recording_config": {"max_seconds": 60.0}},
    )
    assert patched["title"] == "renamed" and patched["status"] == "INACTIVE"
    assert patched["recording_config"] == {"max_seconds": 60}  # the whole object replaced
    for key in ("persist_chat", "ai_config", "session_keep_alive_time_in_secs", "created_at"):
        assert patched[key] == created[key], key
    assert patched["updated_at"] > created["updated_at"]
    again = rtk.data("PATCH", f"/meetings/{mid}", {})  # an empty PATCH still touches it
    assert again["updated_at"] > patched["updated_at"]  # even on a frozen clock
    assert rtk.data("GET", f"/meetings/{mid}") == again
    reactivated = rtk.data("PATCH", f"/meetings/{mid}", {"status": "ACTIVE"})
    assert reactivated["status"] == "ACTIVE"
    assert error(rtk.call("PATCH", f"/meetings/{mid}", {"status": "LIVE"})).startswith(
        "status: must be one of ACTIVE, INACTIVE"
    )
    assert error(rtk.call("PATCH", f"/meetings/{mid}", {"colour": 1})) == "colour: unknown field"
    assert error(rtk.call("PATCH", f"/meetings/{mid}")) == "body: must be a JSON object"


def test_put_replaces_everything_but_status(rtk: Rtk) -> None:
    mid = rtk.data("POST", "/meetings", FULL)["id"]
    rtk.data("PATCH", f"/meetings/{mid}", {"status": "INACTIVE"})
    replaced = rtk.data("PUT", f"/meetings/{mid}", {"title": "only a title"})
    assert replaced["title"] == "only a title"
    assert replaced["status"] == "INACTIVE"
    assert (replaced["record_on_start"], replaced["persist_chat"]) == (False, False)
    assert replaced["session_keep_alive_time_in_secs"] == 60
    assert "recording_config" not in replaced and "ai_config" not in replaced
    assert error(rtk.call("PUT", f"/meetings/{mid}", {"status": "ACTIVE"})) == (
        "status: unknown field"
    )
    unknown = "44444444-4444-4444-8444-444444444444"
    assert error(rtk.call("PUT", f"/meetings/{unknown}", {}), 404).startswith("Meeting")
    assert error(rtk.call("PATCH", f"/meetings/{unknown}", {}), 404).startswith("Meeting")


def test_list_filters_status_search_window_and_paging(emu: Emulator, rtk: Rtk) -> None:
    ids = []
    for title in ("alpha", "beta", "gamma"):
        ids.append(rtk.data("POST", "/meetings", {"title": title})["id"])
        emu.advance(10)
    rtk.data("PATCH", f"/meetings/{ids[1]}", {"status": "INACTIVE"})

    def titles(**params: Any) -> list[str]:
        response = rtk.call("GET", "/meetings", params=params)
        assert response.status_code == 200, response.text
        return [m["title"] for m in response.json()["data"]]

    assert titles() == ["gamma", "beta", "alpha"]
    assert titles(status="INACTIVE") == ["beta"]
    assert titles(status="ACTIVE") == ["gamma", "alpha"]
    assert titles(search="AMM") == ["gamma"]
    assert titles(search=ids[0][:8]) == ["alpha"]  # search matches ids too
    created = [rtk.data("GET", f"/meetings/{mid}")["created_at"] for mid in ids]
    assert titles(start_time=created[1]) == ["gamma", "beta"]
    assert titles(end_time=created[1]) == ["beta", "alpha"]
    assert titles(start_time=created[1], end_time=created[1]) == ["beta"]
    page = rtk.call("GET", "/meetings", params={"per_page": "2.0", "page_no": "2"}).json()
    assert [m["title"] for m in page["data"]] == ["alpha"]
    assert page["paging"] == {"total_count": 3, "start_offset": 3, "end_offset": 3}
    for params, message in (
        ({"status": "LIVE"}, "status: must be one of ACTIVE, INACTIVE"),
        ({"per_page": "2.5"}, "per_page: must be a whole number"),
        ({"start_time": "soon"}, "start_time: must be an ISO 8601 date-time"),
        ({"start_time": created[2], "end_time": created[0]}, "start_time: must not be after"),
        ({"sort_order": "ASC"}, "sort_order: unknown query parameter"),
    ):
        assert error(rtk.call("GET", "/meetings", params=params)).startswith(message)
    assert rtk.call("GET", f"/meetings/{ids[0]}", params={"name": "x"}).status_code == 200
    assert error(rtk.call("GET", f"/meetings/{ids[0]}", params={"x": "1"})).startswith("x: unk")


def test_new_routes_keep_auth_routing_and_faults(emu: Emulator, rtk: Rtk) -> None:
    mid = rtk.data("POST", "/meetings", {})["id"]
    bad_auth = rtk.call("PATCH", f"/meetings/{mid}", {}, headers={"Authorization": "Bearer x"})
    assert bad_auth.status_code == 401 and bad_auth.json()["errors"][0]["code"] == 10000
    assert rtk.call("DELETE", f"/meetings/{mid}").json()["errors"][0]["code"] == 7003
    emu.add_fault("PUT", "/meetings/", "status", status=503)
    assert rtk.call("PUT", f"/meetings/{mid}", {}).status_code == 503
    assert rtk.call("PUT", f"/meetings/{mid}", {}).status_code == 200
    assert emu.stats()["by_route"]["PUT /meetings/{id}"] == 2
