"""RecordingProvider's lifecycle against the real emulator, called in-process."""

from __future__ import annotations

import logging
import threading
import time
import types
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_rtk.emulator import Emulator
from pulumi_rtk.errors import ConfigError, InputError, RecordingStateError
from pulumi_rtk.provider import RecordingProvider
from pulumi_rtk.providers import recording as recording_module
from pulumi_rtk.vocabulary import RECORDING_OUTPUTS as OUTPUT_KEYS
from pulumi_rtk.vocabulary import START_OPTIONS
from tests.support.engine import PROJECT
from tests.support.values import (
    ACCOUNT,
    APP,
    AWS_ACCESS_KEY,
    AWS_SECRET,
    SFTP_PRIVATE_KEY,
    TOKEN,
    aws_storage,
    provider_config,
)

STARTS = r"/recordings$"

# One value for every start option, with the exact key names and JSON types the API documents.
EVERY_OPTION: dict[str, Any] = {
    "allow_multiple_recordings": True,
    "audio_config": {"codec": "AAC", "channel": "stereo", "export_file": True},
    "file_name_prefix": "standup",
    "interactive_config": {"type": "ID3"},
    "max_seconds": 3600,
    "realtimekit_bucket_config": {"enabled": True},
    "rtmp_out_config": {"rtmp_url": "rtmp://live.example.com/app/key"},
    "storage_config": {
        "type": "sftp",
        "host": "sftp.example.com",
        "port": 2222,
        "username": "recorder",
        "auth_method": "KEY",
        "private_key": SFTP_PRIVATE_KEY,
        "path": "meetings/",
    },
    "url": "https://example.com/board",
    "video_config": {
        "codec": "H264",
        "width": 1280,
        "height": 720,
        "export_file": False,
        "watermark": {
            "url": "https://example.com/logo.png",
            "position": "left top",
            "size": {"width": 120, "height": 40},
        },
    },
}


def as_engine_sends(value: Any) -> Any:
    """Pulumi carries numbers as doubles: 3600 reaches the provider as 3600.0."""
    if isinstance(value, dict):
        return {key: as_engine_sends(item) for key, item in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def start_bodies(emulator: Emulator) -> list[Any]:
    return [r.body for r in emulator.requests(method="POST", path=STARTS)]


def test_every_start_option_reaches_the_wire_with_api_names_and_types(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    assert set(EVERY_OPTION) == set(START_OPTIONS)
    props = as_engine_sends({"meeting_id": meeting_id, **EVERY_OPTION})

    provider.create(props)

    [body] = start_bodies(emulator)
    assert body == {"meeting_id": meeting_id, **EVERY_OPTION}
    assert type(body["max_seconds"]) is int
    assert type(body["video_config"]["watermark"]["size"]["width"]) is int
    assert type(body["storage_config"]["port"]) is int


@pytest.mark.parametrize("option", sorted(EVERY_OPTION))
def test_each_option_alone_is_sent_and_nothing_else(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str, option: str
) -> None:
    value = EVERY_OPTION[option]
    if option == "realtimekit_bucket_config":
        value = {"enabled": True}
    provider.create(as_engine_sends({"meeting_id": meeting_id, option: value}))

    assert start_bodies(emulator) == [{"meeting_id": meeting_id, option: value}]


def test_unset_options_are_not_sent(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    provider.create({"meeting_id": meeting_id, "audio_config": None, "paused": None, "url": None})

    assert start_bodies(emulator) == [{"meeting_id": meeting_id}]


def test_create_returns_id_and_full_outputs(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    result = provider.create({"meeting_id": meeting_id, "storage_config": aws_storage()})

    [recording] = emulator.recordings()
    assert result.id == recording["id"]
    outs = result.outs or {}
    reported = {key for key in OUTPUT_KEYS if recording.get(key) is not None}
    assert {"status", "invoked_time"} <= reported <= set(outs)
    assert None not in outs.values(), "what the API does not report is absent, not null"
    assert outs["status"] == "INVOKED"
    assert outs["account_id"] == ACCOUNT
    assert outs["app_id"] == APP
    assert outs["api_base_url"] == emulator.base_url
    assert outs["meeting_id"] == meeting_id
    assert TOKEN not in repr(outs)


def test_check_rejects_bad_input_with_field_paths_and_sends_nothing(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    news = {
        "meeting_id": meeting_id,
        "storage_config": {"type": "sftp", "host": "h", "username": "u", "auth_method": "KEY"},
    }

    result = provider.check({}, news)

    # A nested path carries no property: the engine would look it up at the top level and
    # print a false nil (or, for an input holding credentials, the secret) as its value.
    assert [(f.property, f.reason) for f in result.failures] == [
        ("", "storage_config.private_key: required when auth_method is KEY")
    ]
    assert emulator.requests() == []


def test_check_lets_preview_unknowns_through(provider: RecordingProvider) -> None:
    from pulumi_rtk.models import UNKNOWN

    news = {"meeting_id": UNKNOWN, "max_seconds": UNKNOWN, "storage_config": UNKNOWN}

    assert provider.check({}, news).failures == []


def test_create_validates_again_before_any_request(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    with pytest.raises(InputError, match="max_seconds: must be at least 60"):
        provider.create({"meeting_id": meeting_id, "max_seconds": 10.0})
    assert emulator.requests() == []


def test_read_refreshes_status_and_download_links(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    created = provider.create({"meeting_id": meeting_id, "storage_config": aws_storage()})
    outs = created.outs or {}
    emulator.advance(5)
    provider.delete(created.id, outs)
    emulator.advance(10)

    result = provider.read(created.id, outs)

    refreshed = result.outs or {}
    assert result.id == created.id
    assert refreshed["status"] == "UPLOADED"
    assert refreshed["download_url"]
    assert refreshed["stopped_time"]
    assert refreshed["storage_config"]["secret"] == AWS_SECRET


def test_read_of_a_recording_the_api_forgot_drops_it(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    created = provider.create({"meeting_id": meeting_id})
    emulator.forget(created.id)

    result = provider.read(created.id, created.outs or {})

    assert result.id == ""
    assert result.outs == {}


def test_read_and_delete_keep_the_endpoint_and_ids_create_used(
    emulator: Emulator, meeting_id: str
) -> None:
    first = RecordingProvider()
    first.configure(ConfigureRequest(Config(provider_config(emulator), PROJECT)))
    created = first.create({"meeting_id": meeting_id})
    moved = RecordingProvider()
    elsewhere = {
        **provider_config(emulator),
        "rtk:apiBaseUrl": "http://127.0.0.1:9/client/v4",
        "rtk:accountId": "another",
    }
    moved.configure(ConfigureRequest(Config(elsewhere, PROJECT)))

    assert moved.read(created.id, created.outs or {}).id == created.id
    moved.delete(created.id, created.outs or {})

    assert emulator.recordings()[0]["status"] == "UPLOADING"


def test_diff_replaces_on_any_start_option_and_never_runs_two(
    provider: RecordingProvider, meeting_id: str
) -> None:
    inputs = {"meeting_id": meeting_id, "max_seconds": 3600.0, "storage_config": aws_storage()}
    outs = provider.create(inputs).outs or {}

    changed = provider.diff("id", outs, {**inputs, "max_seconds": 7200.0})

    assert changed.changes is True
    assert changed.replaces == ["max_seconds"]
    assert changed.delete_before_replace is True


def test_diff_replaces_on_a_changed_credential(
    provider: RecordingProvider, meeting_id: str
) -> None:
    inputs = {"meeting_id": meeting_id, "storage_config": aws_storage()}
    outs = provider.create(inputs).outs or {}
    rotated = {**aws_storage(), "secret": "rotated-secret"}

    result = provider.diff("id", outs, {**inputs, "storage_config": rotated})

    assert result.replaces == ["storage_config"]


def test_diff_with_no_change_ignores_outputs_and_provider_key(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    inputs = {"meeting_id": meeting_id, "max_seconds": 3600.0, "__provider": "abc"}
    created = provider.create(inputs)
    emulator.advance(5)
    refreshed = provider.read(created.id, created.outs or {}).outs or {}

    result = provider.diff(created.id, {**refreshed, "__provider": "old"}, inputs)

    assert refreshed["status"] == "RECORDING"

    assert result.changes is False
    assert result.replaces == []


def test_diff_lets_multiple_recordings_overlap_during_replace(
    provider: RecordingProvider, meeting_id: str
) -> None:
    inputs = {"meeting_id": meeting_id, "allow_multiple_recordings": True}
    outs = provider.create(inputs).outs or {}

    result = provider.diff("id", outs, {**inputs, "file_name_prefix": "portrait"})

    assert result.replaces == ["file_name_prefix"]
    assert result.delete_before_replace is False


def test_diff_only_replaces_ids_set_explicitly(
    provider: RecordingProvider, meeting_id: str
) -> None:
    outs = provider.create({"meeting_id": meeting_id}).outs or {}
    news = {"meeting_id": meeting_id}

    assert provider.diff("id", outs, news).changes is False
    assert provider.diff("id", outs, {**news, "account_id": ACCOUNT}).changes is False
    assert provider.diff("id", outs, {**news, "app_id": "otherapp"}).replaces == ["app_id"]


def test_diff_treats_unknown_start_options_as_replacements(
    provider: RecordingProvider, meeting_id: str
) -> None:
    from pulumi_rtk.models import UNKNOWN

    outs = provider.create({"meeting_id": meeting_id, "url": "https://a.example"}).outs or {}

    result = provider.diff("id", outs, {"meeting_id": meeting_id, "url": UNKNOWN})

    assert result.replaces == ["url"]


def test_update_never_wipes_outputs(provider: RecordingProvider, meeting_id: str) -> None:
    inputs = {"meeting_id": meeting_id}
    created = provider.create(inputs)
    outs = created.outs or {}

    updated = provider.update(created.id, outs, {**inputs, "wait_timeout_seconds": 60.0}).outs

    assert updated is not None
    assert {key: updated.get(key) for key in OUTPUT_KEYS} == {
        key: outs.get(key) for key in OUTPUT_KEYS
    }
    assert "status" in updated


def test_paused_change_is_an_in_place_update_that_pauses_and_resumes(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    inputs = {"meeting_id": meeting_id}
    created = provider.create(inputs)
    emulator.advance(5)
    outs = provider.read(created.id, created.outs or {}).outs or {}

    diff = provider.diff(created.id, outs, {**inputs, "paused": True})
    paused = provider.update(created.id, outs, {**inputs, "paused": True}).outs or {}
    resumed = provider.update(created.id, paused, {**inputs, "paused": False}).outs or {}

    assert diff.changes is True
    assert diff.replaces == []
    assert paused["status"] == "PAUSED"
    assert resumed["status"] == "RECORDING"
    actions = [r.body for r in emulator.requests(method="PUT")]
    assert actions == [{"action": "pause"}, {"action": "resume"}]


def test_paused_at_create_pauses_after_start(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    created = provider.create({"meeting_id": meeting_id, "paused": True})

    assert (created.outs or {})["status"] == "PAUSED"
    assert [r.body for r in emulator.requests(method="PUT")] == [{"action": "pause"}]


def test_pausing_a_stopped_recording_fails_clearly(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    inputs = {"meeting_id": meeting_id}
    created = provider.create(inputs)
    outs = created.outs or {}
    emulator.set_status(created.id, "ERRORED", "INTERNAL_ERROR")

    with pytest.raises(RecordingStateError, match="cannot pause recording .* it is ERRORED"):
        provider.update(created.id, outs, {**inputs, "paused": True})


def test_wait_for_recording_returns_once_it_records(emulator: Emulator, meeting_id: str) -> None:
    # 50x: the 2 s invoke delay passes in 40 ms. The first look comes when a recording
    # usually records (2 s before any was seen), 100 s on this clock: past the 60 s after
    # which a meeting nobody joined stops its recordings, so that rule is off here.
    fast = Emulator(token=TOKEN, clock_speed=50.0, empty_meeting_timeout=None).start()
    try:
        waiter = RecordingProvider()
        waiter.configure(ConfigureRequest(Config(provider_config(fast), PROJECT)))
        meeting = fast.create_meeting(ACCOUNT, APP)

        result = waiter.create({"meeting_id": meeting, "wait_for_status": "RECORDING"})

        assert (result.outs or {})["status"] == "RECORDING"
        assert len(fast.requests(method="GET")) >= 1
    finally:
        fast.stop()


def test_a_wait_first_looks_when_recordings_usually_start(
    meeting_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first look of a wait comes when the starts seen so far began recording (by the API's
    own started_time - invoked_time): with a 0.4 s delay, the second wait looks once, at 0.4 s,
    instead of at the 2 s guess the first one had to make.

    The pauses the wait asks for are its schedule: recorded (and still slept, on a live clock),
    they tell the learned first look from the 2 s guess without an upper bound on wall time."""
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        time.sleep(seconds)

    clock = types.SimpleNamespace(time=time.time, monotonic=time.monotonic, sleep=sleep)
    monkeypatch.setattr(recording_module, "time", clock)
    live = Emulator(token=TOKEN, clock_speed=1.0, invoke_delay=0.4).start()
    try:
        waiter = RecordingProvider()
        waiter.configure(ConfigureRequest(Config(provider_config(live), PROJECT)))
        meetings = [live.create_meeting(ACCOUNT, APP) for _ in range(2)]
        waits = []
        for meeting in meetings:
            live.clear_requests()
            pauses.clear()
            result = waiter.create({"meeting_id": meeting, "wait_for_status": "RECORDING"})
            waits.append((list(pauses), len(live.requests(method="GET"))))
            assert (result.outs or {})["status"] == "RECORDING"

        (first, first_looks), (second, second_looks) = waits
        # The first wait could only guess: it paused 2 s, then looked once.
        assert first == [pytest.approx(recording_module.DEFAULT_START_SECONDS, abs=0.1)]
        assert first_looks == 1
        # The second paused as long as the first took to record, by the API's own clock, then
        # looked; on a busy machine the look may land a little early and take one more, after
        # the first step of the back-off.
        assert waiter._typical_start() == pytest.approx(0.4, abs=0.05)
        assert second[0] == pytest.approx(0.4, abs=0.1)
        assert second[1:] in ([], [pytest.approx(recording_module.FIRST_STEP_SECONDS, abs=0.1)])
        assert second_looks == len(second)
    finally:
        live.stop()


def test_wait_timeout_stops_the_recording_and_names_the_last_status(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    inputs = {"meeting_id": meeting_id, "wait_for_status": "RECORDING", "wait_timeout_seconds": 1.0}

    with pytest.raises(RecordingStateError, match=r"within 1 s \(last status INVOKED.*stopped"):
        provider.create(inputs)

    [recording] = emulator.recordings()
    assert recording["status"] == "UPLOADING"


def test_wait_fails_on_errored_with_the_stop_reason(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    def error_the_recording() -> None:
        for _ in range(250):
            started = emulator.recordings()
            if started:
                emulator.set_status(started[0]["id"], "ERRORED", "INTERNAL_ERROR")
                return
            time.sleep(0.02)

    worker = threading.Thread(target=error_the_recording)
    worker.start()
    inputs = {"meeting_id": meeting_id, "wait_for_status": "RECORDING", "wait_timeout_seconds": 10}
    try:
        with pytest.raises(
            RecordingStateError, match="ended .*ERRORED, stop reason INTERNAL_ERROR"
        ):
            provider.create(inputs)
    finally:
        worker.join()


def emulator_recording(emulator: Emulator, recording_id: str) -> dict[str, Any]:
    [found] = [r for r in emulator.recordings() if r["id"] == recording_id]
    return found


def test_adopt_binds_to_an_existing_recording_without_starting_one(
    provider: RecordingProvider,
    emulator: Emulator,
    meeting_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    existing = provider.create({"meeting_id": meeting_id}).id
    emulator.clear_requests()

    with caplog.at_level(logging.WARNING, logger="pulumi_rtk"):
        adopted = provider.create({"meeting_id": meeting_id, "adopt_recording_id": existing})

    assert adopted.id == existing
    assert emulator.requests(method="POST") == []
    assert "adopted recording" in caplog.text


def test_adopt_of_an_unknown_recording_fails(provider: RecordingProvider, meeting_id: str) -> None:
    missing = "00000000-0000-4000-8000-000000000000"

    with pytest.raises(RecordingStateError, match=f"no recording {missing}"):
        provider.create({"meeting_id": meeting_id, "adopt_recording_id": missing})


def test_delete_stops_a_running_recording(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    created = provider.create({"meeting_id": meeting_id})
    emulator.advance(5)

    provider.delete(created.id, created.outs or {})

    assert emulator.recordings()[0]["status"] == "UPLOADING"
    assert [r.body for r in emulator.requests(method="PUT")] == [{"action": "stop"}]


@pytest.mark.parametrize("status", ["UPLOADING", "UPLOADED", "ERRORED"])
def test_delete_of_an_already_stopped_recording_is_a_no_op(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str, status: str
) -> None:
    created = provider.create({"meeting_id": meeting_id})
    emulator.set_status(created.id, status)

    provider.delete(created.id, created.outs or {})

    assert emulator_recording(emulator, created.id)["status"] == status


def test_delete_of_a_gone_recording_is_a_no_op(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    created = provider.create({"meeting_id": meeting_id})
    emulator.forget(created.id)

    provider.delete(created.id, created.outs or {})


def test_delete_raises_on_other_failures_so_the_resource_stays(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    from pulumi_rtk.errors import PermissionDeniedError

    created = provider.create({"meeting_id": meeting_id})
    emulator.add_fault("PUT", r"/recordings/", "gateway_error", status=403, error_code=9109)

    with pytest.raises(PermissionDeniedError, match="HTTP 403 \\(code 9109\\)"):
        provider.delete(created.id, created.outs or {})


def test_missing_settings_name_config_key_and_environment_variable(
    emulator: Emulator, meeting_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "RTK_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    bare = RecordingProvider()
    bare.configure(ConfigureRequest(Config({"rtk:apiBaseUrl": emulator.base_url}, PROJECT)))

    with pytest.raises(ConfigError, match="rtk:accountId.*CLOUDFLARE_ACCOUNT_ID"):
        bare.create({"meeting_id": meeting_id})
    with pytest.raises(ConfigError, match="rtk:apiToken.*CLOUDFLARE_API_TOKEN"):
        bare.create({"meeting_id": meeting_id, "account_id": ACCOUNT, "app_id": APP})


def test_environment_fallbacks_configure_the_provider(
    emulator: Emulator, meeting_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("RTK_APP_ID", APP)
    monkeypatch.setenv("RTK_API_BASE_URL", emulator.base_url)
    from_env = RecordingProvider()
    from_env.configure(ConfigureRequest(Config({}, PROJECT)))

    assert from_env.create({"meeting_id": meeting_id}).id


def test_the_pickled_provider_holds_no_state_at_all(provider: RecordingProvider) -> None:
    import pickle

    provider.client.session  # noqa: B018 (build the session, with the token inside)
    data = pickle.dumps(provider)

    assert TOKEN.encode() not in data
    assert AWS_ACCESS_KEY.encode() not in data
    assert len(data) < 120
    assert isinstance(pickle.loads(data), RecordingProvider)
