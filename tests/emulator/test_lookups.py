"""Program-side lookups: settings from Pulumi config or the environment, typed results."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from pulumi.runtime.config import set_all_config

from pulumi_rtk import lookups
from pulumi_rtk.client import RealtimeKitClient, Target
from pulumi_rtk.config import ProviderSettings
from pulumi_rtk.emulator import Emulator
from pulumi_rtk.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    ResponseFormatError,
)
from pulumi_rtk.models import MeetingInfo, RecordingInfo, WebhookInfo
from tests.support.processes import api_call
from tests.support.values import ACCOUNT, APP, TOKEN, provider_config

ENV_KEYS = (
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_ACCOUNT_ID",
    "RTK_APP_ID",
    "RTK_API_BASE_URL",
    "RTK_REQUEST_TIMEOUT_SECONDS",
    "RTK_MAX_RETRIES",
    "RTK_DEBUG",
    "PULUMI_CONFIG",
)


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No settings leak in from the shell or between tests; cached clients are closed."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    set_all_config({})
    lookups._client.cache_clear()
    made: list[RealtimeKitClient] = []

    def tracked(settings: ProviderSettings) -> RealtimeKitClient:
        made.append(RealtimeKitClient(settings))
        return made[-1]

    monkeypatch.setattr(lookups, "RealtimeKitClient", tracked)
    yield
    set_all_config({})
    lookups._client.cache_clear()
    for client in made:
        client.close()


@pytest.fixture
def from_env(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("RTK_APP_ID", APP)
    monkeypatch.setenv("RTK_API_BASE_URL", emulator.base_url)


@pytest.fixture
def seeded(emulator: Emulator) -> tuple[str, list[str]]:
    """A meeting with three recordings: the first two stopped, the newest one running."""
    meeting_id = emulator.create_meeting(ACCOUNT, APP)
    client = RealtimeKitClient(ProviderSettings(api_token=TOKEN))
    target = Target(emulator.base_url, ACCOUNT, APP)
    ids = []
    for _ in range(3):
        body = {"meeting_id": meeting_id, "allow_multiple_recordings": True}
        ids.append(str(client.start_recording(target, body)["id"]))
        emulator.advance(1)
    emulator.advance(5)  # past the invoke delay: the running one is RECORDING
    for rid in ids[:2]:
        client.act_on_recording(target, rid, "stop")
    client.close()
    emulator.clear_requests()
    return meeting_id, ids


@pytest.mark.usefixtures("from_env")
def test_get_recording_from_environment_settings(seeded: tuple[str, list[str]]) -> None:
    _, ids = seeded
    info = lookups.get_recording(ids[0])
    assert isinstance(info, RecordingInfo)
    assert info.id == ids[0]
    assert info.status == "UPLOADING"
    assert info.stop_reason is not None and info.stop_reason.reason == "API_CALL"


@pytest.mark.usefixtures("from_env")
def test_get_active_recording_returns_the_running_one_or_none(
    seeded: tuple[str, list[str]], emulator: Emulator
) -> None:
    meeting_id, ids = seeded
    active = lookups.get_active_recording(meeting_id)
    assert isinstance(active, RecordingInfo)
    assert active.id == ids[2]
    assert active.status == "RECORDING"
    idle = emulator.create_meeting(ACCOUNT, APP)
    assert lookups.get_active_recording(idle) is None


@pytest.mark.usefixtures("from_env")
def test_list_recordings_follows_every_page_and_filters(
    seeded: tuple[str, list[str]], emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting_id, ids = seeded
    real_list = RealtimeKitClient.list_recordings

    def small_pages(self: RealtimeKitClient, target: Target, **filters: object) -> object:
        return real_list(self, target, **{**filters, "per_page": 1})  # type: ignore[arg-type]

    monkeypatch.setattr(RealtimeKitClient, "list_recordings", small_pages)
    listed = lookups.list_recordings(meeting_id, sort_order="ASC")
    assert [info.id for info in listed] == ids
    assert all(isinstance(info, RecordingInfo) for info in listed)
    assert len(emulator.requests(method="GET", path=r"/recordings$")) == 3

    stopped = lookups.list_recordings(meeting_id, "UPLOADING", sort_order="ASC")
    assert [info.id for info in stopped] == ids[:2]
    both = lookups.list_recordings(status=["UPLOADING", "RECORDING"], sort_order="DESC")
    assert [info.id for info in both] == ids[::-1]
    assert lookups.list_recordings(meeting_id, expired=True) == []


def test_settings_from_pulumi_config(seeded: tuple[str, list[str]], emulator: Emulator) -> None:
    set_all_config(provider_config(emulator))
    _, ids = seeded
    assert lookups.get_recording(ids[1]).id == ids[1]


def test_pulumi_config_wins_over_the_environment(
    seeded: tuple[str, list[str]], emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "stale-env-token")
    monkeypatch.setenv("RTK_API_BASE_URL", "http://127.0.0.1:9/client/v4")
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "env-account")
    set_all_config(provider_config(emulator))
    _, ids = seeded
    assert lookups.get_recording(ids[0]).id == ids[0]


@pytest.mark.usefixtures("from_env")
def test_explicit_ids_win_over_settings(seeded: tuple[str, list[str]], emulator: Emulator) -> None:
    _, ids = seeded
    with pytest.raises(NotFoundError):
        lookups.get_recording(ids[0], account_id="someone-else")
    (request,) = emulator.requests(method="GET")
    assert request.path.startswith("/client/v4/accounts/someone-else/realtime/kit/")
    assert lookups.get_recording(ids[0], account_id=ACCOUNT, app_id=APP).id == ids[0]


def test_a_wrong_token_is_an_authentication_error(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_all_config(provider_config(emulator, **{"rtk:apiToken": "nope"}))
    with pytest.raises(AuthenticationError):
        lookups.get_recording("r1")


def test_missing_settings_say_how_to_set_them(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="rtk:accountId"):
        lookups.get_recording("r1")
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("RTK_APP_ID", APP)
    with pytest.raises(ConfigError, match="CLOUDFLARE_API_TOKEN"):
        lookups.list_recordings()


@pytest.mark.usefixtures("from_env")
def test_one_client_is_reused_for_the_same_settings(seeded: tuple[str, list[str]]) -> None:
    meeting_id, ids = seeded
    lookups.get_recording(ids[0])
    lookups.get_active_recording(meeting_id)
    lookups.list_recordings(meeting_id)
    info = lookups._client.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_meeting_lookups_follow_every_page_and_filter(from_env: None, emulator: Emulator) -> None:
    standups = [emulator.create_meeting(ACCOUNT, APP, title=f"standup {i}") for i in range(105)]
    review = emulator.create_meeting(ACCOUNT, APP, title="design review")
    api_call(emulator.base_url, "PATCH", f"meetings/{review}", TOKEN, {"status": "INACTIVE"})

    found = lookups.get_meeting(review)
    assert isinstance(found, MeetingInfo)
    assert (found.id, found.title, found.status) == (review, "design review", "INACTIVE")
    listed = lookups.list_meetings(search="standup")
    assert sorted(m.id for m in listed) == sorted(standups)  # 105: two pages
    assert [m.id for m in lookups.list_meetings(status="INACTIVE")] == [review]
    with pytest.raises(NotFoundError):
        lookups.get_meeting("0f0f0f0f-0000-4000-8000-000000000000")


def test_list_webhooks_returns_typed_webhooks(from_env: None, emulator: Emulator) -> None:
    body = {"name": "uploads", "url": "https://hooks.example.com/rtk", "events": ["meeting.ended"]}
    created = api_call(emulator.base_url, "POST", "webhooks", TOKEN, body)["data"]["id"]
    (hook,) = lookups.list_webhooks()
    assert isinstance(hook, WebhookInfo)
    assert (hook.id, hook.name, hook.events, hook.enabled) == (
        created,
        "uploads",
        ["meeting.ended"],
        True,
    )


def test_lookups_read_what_the_api_adds_and_name_what_it_breaks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A status the API adds later passes through; a required field missing is the answer's
    fault, raised in the package's error tree (not pydantic's), without the values it held."""
    base = "https://api.example.test/client/v4"
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("RTK_APP_ID", APP)
    monkeypatch.setenv("RTK_API_BASE_URL", base)
    target = Target(base, ACCOUNT, APP)
    with responses.RequestsMock() as mock:
        mock.get(
            base + target.path("recordings", "r1"),
            json={"success": True, "data": {"id": "r1", "status": "TRANSCODING", "new": 1}},
        )
        mock.get(
            base + target.path("meetings", "m1"),
            json={"success": True, "data": {"id": "m1", "title": "secret-LEAKCHECK-title"}},
        )
        assert lookups.get_recording("r1").status == "TRANSCODING"
        with pytest.raises(ResponseFormatError) as caught:
            lookups.get_meeting("m1")
    message = str(caught.value)
    assert f"GET {target.path('meetings', 'm1')}" in message
    assert "MeetingInfo" in message
    assert "created_at: Field required" in message
    assert "updated_at: Field required" in message
    assert "LEAKCHECK" not in message
