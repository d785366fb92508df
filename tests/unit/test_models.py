"""The wire models: every rule the API enforces is caught before a billable request, by path."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_rtk.models import (
    UNKNOWN,
    MeetingInputs,
    RecordingInfo,
    RecordingInputs,
    StartRecording,
    TrackRecordingInputs,
    WebhookInputs,
    validate,
)
from tests.support.values import (
    AWS_ACCESS_KEY,
    AWS_SECRET,
    SECRET_VALUES,
    SFTP_PASSWORD,
    SFTP_PRIVATE_KEY,
    aws_storage,
)

MEETING = "c0fcfc9e-811d-4e19-b84f-13f95e278bd9"


def sftp(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "sftp",
        "host": "sftp.example.com",
        "port": 22,
        "username": "recorder",
        "auth_method": "KEY",
        "private_key": SFTP_PRIVATE_KEY,
        "password": SFTP_PASSWORD,
    }
    return {**base, **overrides}


def keyed(kind: str, **overrides: Any) -> dict[str, Any]:
    return {**aws_storage(), "type": kind, **overrides}


def failures(**options: Any) -> list[tuple[str, str]]:
    """Validate a start body with ``options`` and return its (path, reason) failures."""
    return validate(StartRecording, {"meeting_id": MEETING, **options})[1]


def passes(**options: Any) -> bool:
    """Fully valid: parsed, with no failure (unknown values give no failure but no model)."""
    parsed, found = validate(StartRecording, {"meeting_id": MEETING, **options})
    return parsed is not None and found == []


def paths(**options: Any) -> list[str]:
    return [path for path, _ in failures(**options)]


# Shape, types, enums and ranges


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"video_config": {"codec": "AV1"}}, "video_config.codec"),
        ({"audio_config": {"codec": "OGG"}}, "audio_config.codec"),
        ({"audio_config": {"channel": "surround"}}, "audio_config.channel"),
        ({"interactive_config": {"type": "ID4"}}, "interactive_config.type"),
        (
            {"video_config": {"watermark": {"position": "center"}}},
            "video_config.watermark.position",
        ),
        ({"storage_config": {"type": "s3", "bucket": "b"}}, "storage_config.type"),
        ({"storage_config": sftp(auth_method="TOKEN")}, "storage_config.auth_method"),
    ],
)
def test_enum_values_outside_the_documented_set_fail(options: dict[str, Any], path: str) -> None:
    found = failures(**options)
    assert [p for p, _ in found] == [path]
    assert found[0][1].startswith("must be one of")


@pytest.mark.parametrize(
    "options",
    [
        {"video_config": {"codec": "H264"}},
        {"video_config": {"codec": "VP8"}},
        {"audio_config": {"codec": "MP3", "channel": "mono"}},
        {"audio_config": {"codec": "AAC", "channel": "stereo", "export_file": False}},
        {"interactive_config": {"type": "ID3"}},
        {"video_config": {"watermark": {"position": "right bottom"}}},
    ],
)
def test_documented_enum_values_pass(options: dict[str, Any]) -> None:
    assert passes(**options)


@pytest.mark.parametrize(("value", "ok"), [(60, True), (86400, True), (59, False), (86401, False)])
def test_max_seconds_range_is_60_to_86400(value: int, ok: bool) -> None:
    assert passes(max_seconds=value) is ok


def test_max_seconds_accepts_a_whole_double_as_an_int() -> None:
    """The engine sends every number as a double; 3600.0 must reach the API as 3600."""
    parsed, found = validate(StartRecording, {"meeting_id": MEETING, "max_seconds": 3600.0})
    assert found == []
    assert parsed is not None
    sent = parsed.body()["max_seconds"]
    assert sent == 3600
    assert type(sent) is int


@pytest.mark.parametrize("value", [3600.5, "3600", True, False, 3600.000001])
def test_max_seconds_rejects_fractions_strings_and_bools(value: object) -> None:
    assert failures(max_seconds=value) == [("max_seconds", "must be a whole number")]


@pytest.mark.parametrize(
    ("options", "path"),
    [
        (
            {"video_config": {"watermark": {"size": {"width": 0}}}},
            "video_config.watermark.size.width",
        ),
        (
            {"video_config": {"watermark": {"size": {"height": -4}}}},
            "video_config.watermark.size.height",
        ),
        ({"storage_config": sftp(port=0)}, "storage_config.port"),
        ({"storage_config": sftp(port=65536)}, "storage_config.port"),
    ],
)
def test_sizes_and_ports_must_be_positive_and_in_range(options: dict[str, Any], path: str) -> None:
    assert paths(**options) == [path]


@pytest.mark.parametrize(
    ("width", "ok"),
    [(1, True), (1920, True), (0, False), (1921, False), (720.0, True), (1.5, False)],
)
def test_video_pixels_range_is_1_to_1920(width: object, ok: bool) -> None:
    found = paths(video_config={"width": width, "height": width})
    assert found == ([] if ok else ["video_config.width", "video_config.height"])


@pytest.mark.parametrize(
    ("options", "ok"),
    [
        ({"url": "https://example.com/board"}, True),
        ({"url": "http://example.com"}, True),
        ({"url": "ftp://example.com"}, False),
        ({"url": "https://"}, False),
        ({"url": "example.com"}, False),
        ({"rtmp_out_config": {"rtmp_url": "rtmp://live.example.com/app"}}, True),
        ({"rtmp_out_config": {"rtmp_url": "rtmps://live.example.com/app"}}, True),
        ({"rtmp_out_config": {"rtmp_url": "https://live.example.com/app"}}, False),
        ({"video_config": {"watermark": {"url": "https://example.com/logo.png"}}}, True),
        ({"video_config": {"watermark": {"url": "rtmp://example.com/logo.png"}}}, False),
    ],
)
def test_urls_need_the_right_scheme_and_a_host(options: dict[str, Any], ok: bool) -> None:
    found = failures(**options)
    assert passes(**options) is ok
    if not ok:
        assert "must be a URL with scheme" in found[0][1]


@pytest.mark.parametrize("meeting_id", ["nope", "c0fcfc9e811d4e19b84f13f95e278bd9", 42, ""])
def test_meeting_id_must_be_a_uuid_string(meeting_id: object) -> None:
    _, found = validate(StartRecording, {"meeting_id": meeting_id})
    assert [path for path, _ in found] == ["meeting_id"]


def test_meeting_id_is_required() -> None:
    assert validate(StartRecording, {})[1] == [("meeting_id", "required")]


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"max_second": 60}, "max_second"),
        ({"video_config": {"framerate": 30}}, "video_config.framerate"),
        ({"video_config": {"watermark": {"opacity": 1}}}, "video_config.watermark.opacity"),
        ({"storage_config": keyed("aws", bucket_name="x")}, "storage_config.bucket_name"),
        (
            {"realtimekit_bucket_config": {"enabled": True, "ttl": 3}},
            "realtimekit_bucket_config.ttl",
        ),
    ],
)
def test_unknown_keys_are_rejected_with_their_path(options: dict[str, Any], path: str) -> None:
    found = failures(**options)
    assert [p for p, _ in found] == [path]
    assert found[0][1].startswith("unknown field")


def test_an_unknown_key_fails_even_when_its_value_is_unknown() -> None:
    """A typo is wrong whatever its value; preview must not let it through to apply."""
    assert paths(max_second=UNKNOWN) == ["max_second"]


@pytest.mark.parametrize(
    ("options", "path", "reason"),
    [
        (
            {"allow_multiple_recordings": "yes"},
            "allow_multiple_recordings",
            "must be true or false",
        ),
        ({"file_name_prefix": 7}, "file_name_prefix", "must be a string"),
        ({"video_config": "H264"}, "video_config", "must be an object"),
        ({"realtimekit_bucket_config": {}}, "realtimekit_bucket_config.enabled", "required"),
        ({"storage_config": {"bucket": "b"}}, "storage_config.type", "required"),
        ({"storage_config": keyed("aws", bucket="")}, "storage_config.bucket", "must not be empty"),
    ],
)
def test_type_errors_name_the_field_and_the_fix(
    options: dict[str, Any], path: str, reason: str
) -> None:
    assert failures(**options) == [(path, reason)]


# Per-type storage rules


@pytest.mark.parametrize("kind", ["aws", "azure", "digitalocean"])
@pytest.mark.parametrize("field", ["bucket", "access_key", "secret", "region"])
def test_keyed_object_stores_need_bucket_keys_and_region(kind: str, field: str) -> None:
    storage = keyed(kind)
    del storage[field]
    assert failures(storage_config=storage) == [
        (f"storage_config.{field}", f"required when type is {kind}")
    ]


@pytest.mark.parametrize("field", ["access_key", "secret"])
def test_an_empty_credential_counts_as_missing(field: str) -> None:
    """The API rejects an empty access key; catching it in preview saves a failed start."""
    assert failures(storage_config=keyed("aws", **{field: ""})) == [
        (f"storage_config.{field}", "must not be empty when type is aws")
    ]


def test_gcs_needs_a_bucket_but_no_keys() -> None:
    assert failures(storage_config={"type": "gcs", "bucket": "b"}) == []
    assert failures(storage_config={"type": "gcs"}) == [
        ("storage_config.bucket", "required when type is gcs")
    ]


@pytest.mark.parametrize("field", ["host", "username", "auth_method"])
def test_sftp_needs_host_username_and_auth_method(field: str) -> None:
    storage = sftp()
    del storage[field]
    assert failures(storage_config=storage) == [
        (f"storage_config.{field}", "required when type is sftp")
    ]


def test_sftp_key_auth_needs_a_private_key() -> None:
    storage = sftp()
    del storage["private_key"]
    assert failures(storage_config=storage) == [
        ("storage_config.private_key", "required when auth_method is KEY")
    ]


def test_sftp_password_auth_needs_a_password_not_a_key() -> None:
    storage = sftp(auth_method="PASSWORD")
    del storage["private_key"], storage["password"]
    assert failures(storage_config=storage) == [
        ("storage_config.password", "required when auth_method is PASSWORD")
    ]
    storage["password"] = SFTP_PASSWORD
    assert failures(storage_config=storage) == []


@pytest.mark.parametrize("kind", ["aws", "azure", "digitalocean", "gcs"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("host", "h"),
        ("port", 22),
        ("username", "u"),
        ("auth_method", "KEY"),
        ("private_key", SFTP_PRIVATE_KEY),
        ("password", SFTP_PASSWORD),
    ],
)
def test_sftp_only_fields_are_rejected_on_other_types(kind: str, field: str, value: object) -> None:
    assert failures(storage_config=keyed(kind, **{field: value})) == [
        (f"storage_config.{field}", f"only valid when type is sftp, not {kind}")
    ]


# Rules across fields


@pytest.mark.parametrize("video_codec", ["VP8", "VP9"])
def test_audio_codec_cannot_be_set_with_a_vp_video_codec(video_codec: str) -> None:
    found = failures(audio_config={"codec": "AAC"}, video_config={"codec": video_codec})
    assert [path for path, _ in found] == ["audio_config.codec"]
    assert video_codec in found[0][1]


def test_audio_channel_alone_is_fine_with_vp8() -> None:
    assert failures(audio_config={"channel": "mono"}, video_config={"codec": "VP8"}) == []
    assert failures(audio_config={"codec": "MP3"}, video_config={"codec": "H264"}) == []


def test_disabling_the_bucket_needs_another_destination() -> None:
    off = {"enabled": False}
    assert paths(realtimekit_bucket_config=off) == ["realtimekit_bucket_config.enabled"]
    assert failures(realtimekit_bucket_config=off, storage_config=aws_storage()) == []
    rtmp = {"rtmp_url": "rtmp://live.example.com/app"}
    assert failures(realtimekit_bucket_config=off, rtmp_out_config=rtmp) == []


# Values unknown during preview


def replace_unknown(value: Any, by: object) -> Any:
    if value == UNKNOWN:
        return by
    if isinstance(value, dict):
        return {key: replace_unknown(item, by) for key, item in value.items()}
    return value


@pytest.mark.parametrize(
    "options",
    [
        {"max_seconds": UNKNOWN},
        {"url": UNKNOWN},
        {"storage_config": UNKNOWN},
        {"video_config": {"codec": UNKNOWN, "width": UNKNOWN, "watermark": UNKNOWN}},
        {"storage_config": {**aws_storage(), "bucket": UNKNOWN, "access_key": UNKNOWN}},
        {"storage_config": sftp(auth_method=UNKNOWN, port=UNKNOWN)},
        {"realtimekit_bucket_config": {"enabled": UNKNOWN}},
        {"rtmp_out_config": {"rtmp_url": UNKNOWN}},
    ],
)
def test_values_unknown_during_preview_pass(options: dict[str, Any]) -> None:
    assert failures(**options) == []
    # The same inputs with a wrong-typed value where UNKNOWN was do fail: the marker is why.
    assert failures(**replace_unknown(options, [])) != []


def test_an_unknown_value_does_not_hide_a_real_failure_elsewhere() -> None:
    assert paths(max_seconds=UNKNOWN, url="ftp://x") == ["url"]


# The request body


def _has_none(value: object) -> bool:
    if isinstance(value, dict):
        return any(item is None or _has_none(item) for item in value.values())
    return False


def test_body_leaves_unset_options_out_everywhere() -> None:
    parsed, found = validate(
        RecordingInputs,
        {
            "meeting_id": MEETING,
            "video_config": {"codec": "H264", "watermark": {"size": {"width": 10}}},
            "storage_config": {"type": "gcs", "bucket": "b"},
            "paused": False,
            "account_id": "acc",
        },
    )
    assert found == []
    assert parsed is not None
    assert not _has_none(parsed.body())
    assert parsed.body() == {
        "meeting_id": MEETING,
        "video_config": {"codec": "H264", "watermark": {"size": {"width": 10}}},
        "storage_config": {"type": "gcs", "bucket": "b"},
    }


def test_body_of_a_bare_start_is_just_the_meeting() -> None:
    parsed, _ = validate(StartRecording, {"meeting_id": MEETING})
    assert parsed is not None
    assert parsed.body() == {"meeting_id": MEETING}


def test_body_reveals_credentials_and_repr_masks_them() -> None:
    parsed, found = validate(
        StartRecording, {"meeting_id": MEETING, "storage_config": sftp(path="rec/")}
    )
    assert found == []
    assert parsed is not None
    body = parsed.body()
    assert not _has_none(body)
    assert body["storage_config"]["private_key"] == SFTP_PRIVATE_KEY
    assert body["storage_config"]["password"] == SFTP_PASSWORD
    for text in (repr(parsed), str(parsed), repr(parsed.storage_config)):
        for secret in SECRET_VALUES:
            assert secret not in text
    aws, _ = validate(StartRecording, {"meeting_id": MEETING, "storage_config": aws_storage()})
    assert aws is not None
    assert aws.body()["storage_config"]["access_key"] == AWS_ACCESS_KEY
    assert aws.body()["storage_config"]["secret"] == AWS_SECRET
    assert AWS_SECRET not in repr(aws) and AWS_ACCESS_KEY not in repr(aws)


@pytest.mark.parametrize(
    "storage",
    [
        keyed("aws", access_key=12345, secret=["x", AWS_SECRET]),
        keyed("aws", region=None, port=AWS_SECRET),
        keyed("gcs", password=SFTP_PASSWORD, private_key=SFTP_PRIVATE_KEY),
        sftp(auth_method=SFTP_PASSWORD, private_key={"k": SFTP_PRIVATE_KEY}),
        {"type": AWS_SECRET, "access_key": AWS_ACCESS_KEY},
    ],
)
def test_no_failure_reason_contains_a_credential(storage: dict[str, Any]) -> None:
    found = failures(storage_config=storage, url=AWS_SECRET)
    assert found, "the input is invalid, so there must be failures"
    for path, reason in found:
        for secret in SECRET_VALUES:
            assert secret not in reason
            assert secret not in path


# Track recordings and API answers


def test_track_inputs_validate_layers_and_user_ids_and_build_the_body() -> None:
    data = {
        "meeting_id": MEETING,
        "layers": {"default": {"file_name_prefix": "t", "media_kind": "audio"}},
        "user_ids": ["u1"],
        "app_id": "app",
    }
    parsed, found = validate(TrackRecordingInputs, data)
    assert found == []
    assert parsed is not None
    assert parsed.body() == {k: v for k, v in data.items() if k != "app_id"}
    bad = {
        "meeting_id": MEETING,
        "layers": {"default": {"media_kind": "video"}},
        "user_ids": ["ok", ""],
    }
    assert [p for p, _ in validate(TrackRecordingInputs, bad)[1]] == [
        "layers.default.media_kind",
        "user_ids[1]",
    ]
    too_many = {"meeting_id": MEETING, "user_ids": [f"u{i}" for i in range(101)]}
    assert validate(TrackRecordingInputs, too_many)[1] == [
        ("user_ids", "must have at most 100 items")
    ]


def test_recording_info_ignores_unknown_keys_and_reads_caller_user_id() -> None:
    info = RecordingInfo.model_validate(
        {
            "id": "r1",
            "status": "RECORDING",
            "brand_new_field": 1,
            "start_reason": {"caller": {"user_Id": "u-1", "type": "USER"}, "reason": "API_CALL"},
        }
    )
    assert info.status == "RECORDING"
    assert info.start_reason is not None and info.start_reason.caller is not None
    assert info.start_reason.caller.user_id == "u-1"


@pytest.mark.parametrize(
    ("model", "data", "path", "reason"),
    [
        (
            WebhookInputs,
            {"name": "n", "url": "https://h.example/", "events": ["recording.statusUpdated"]},
            "events[0]",
            "not 'recording.statusUpdated' (did you mean 'recording.statusUpdate'?)",
        ),
        (MeetingInputs, {"status": "inactive"}, "status", "(did you mean 'INACTIVE'?)"),
        (
            StartRecording,
            {"meeting_id": MEETING, "video_config": {"codec": "h246"}},
            "video_config.codec",
            "not 'h246' (did you mean 'H264'?)",
        ),
        (
            StartRecording,
            {"meeting_id": MEETING, "storage_confg": {}},
            "storage_confg",
            "unknown field; check the spelling against the API's snake_case names "
            "(did you mean 'storage_config'?)",
        ),
    ],
)
def test_a_typo_is_named_with_its_likely_fix(
    model: Any, data: dict[str, Any], path: str, reason: str
) -> None:
    _, failures = validate(model, data)
    [(failed, why)] = failures
    assert failed == path
    assert why.endswith(reason)


def test_a_value_like_no_choice_is_neither_guessed_at_nor_quoted() -> None:
    """It may be a secret pasted into the wrong field: check failures reach previews."""
    _, failures = validate(MeetingInputs, {"status": "tok-LEAKCHECK-status"})
    assert failures == [("status", "must be one of 'ACTIVE' or 'INACTIVE'")]
