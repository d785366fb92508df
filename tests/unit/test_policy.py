"""The CrossGuard policy pack in policy/: each policy on inputs shaped as a real preview sends them.

Inputs are built the way the engine marshals them for an analyzer (secrets as signature objects,
unknowns as sentinel strings, numbers as floats, unset inputs as None), then decoded by
pulumi_policy exactly as its Analyze handler does, so the checks see what they see in a preview.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import (
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

from tests.support.values import (
    AWS_ACCESS_KEY,
    AWS_SECRET,
    REPO,
    SECRET_VALUES,
    SFTP_PASSWORD,
    SFTP_PRIVATE_KEY,
)

# The CLI runs the pack as `python policy/`, which puts that directory first on sys.path.
sys.path.insert(0, str(REPO / "policy"))

import rtk_policies
from rtk_policies import (
    ALLOWED_STORAGE_TYPES,
    MAX_RECORDING_SECONDS,
    MEETING,
    NO_REALTIMEKIT_BUCKET,
    RECORDING,
    STORAGE_REQUIRED,
    TRACK_RECORDING,
    WEBHOOK,
    WEBHOOK_HTTPS,
)

MEETING_ID = "c0fcfc9e-811d-4e19-b84f-13f95e278bd9"
URL_TOKEN = "LEAKCHECK-webhook-token-8e"
ALL_TYPES = ("aws", "azure", "digitalocean", "gcs", "sftp")


# --- Inputs as the engine sends them ----------------------------------------------------------


def secret(value: object) -> dict[str, object]:
    """A secret as the engine marshals it for analyzers (KeepSecrets)."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def aws_storage(**changes: object) -> dict[str, object]:
    """The wire shape of ``rtk.AwsStorage(...)``: credentials are secrets."""
    return {
        "type": "aws",
        "bucket": "recordings",
        "region": "us-east-1",
        "path": "standups/",
        "access_key": secret(AWS_ACCESS_KEY),
        "secret": secret(AWS_SECRET),
        **changes,
    }


def recording(**changes: object) -> dict[str, Any]:
    """A compliant Recording's inputs; ``changes`` overrides keys (``None`` = unset)."""
    props: dict[str, Any] = {
        # Stripped by the real engine (internal key); kept to prove the checks ignore it.
        "__provider": "gASVbgAAAAAAAACMCHB1bHVtaV9ydGsulC4=",
        "meeting_id": MEETING_ID,
        "storage_config": aws_storage(),
        "audio_config": {"codec": "AAC", "channel": "stereo"},
        "video_config": None,
        "file_name_prefix": "standup",
        "interactive_config": None,
        "max_seconds": 3600.0,
        "realtimekit_bucket_config": {"enabled": False},
        "rtmp_out_config": None,
        "url": None,
        "allow_multiple_recordings": None,
        "paused": None,
        "wait_for_status": "RECORDING",
        "wait_timeout_seconds": None,
        "adopt_recording_id": None,
        "account_id": None,
        "app_id": None,
        # Output keys the resource declares up front; None until the provider answers.
        "status": None,
        "download_url": None,
        "api_base_url": None,
    }
    props.update(changes)
    return props


def recording_config(**changes: object) -> dict[str, Any]:
    config: dict[str, Any] = {
        "storage_config": aws_storage(),
        "video_config": None,
        "audio_config": None,
        "file_name_prefix": None,
        "max_seconds": 3600.0,
        "realtimekit_bucket_config": {"enabled": False},
        "live_streaming_config": None,
    }
    config.update(changes)
    return config


def meeting(**changes: object) -> dict[str, Any]:
    props: dict[str, Any] = {
        "__provider": "gASVbgAAAAAAAACMCHB1bHVtaV9ydGsulC4=",
        "title": "Standup",
        "record_on_start": True,
        "recording_config": recording_config(),
        "live_stream_on_start": False,
        "persist_chat": None,
        "summarize_on_end": None,
        "transcribe_on_end": None,
        "session_keep_alive_time_in_secs": None,
        "ai_config": None,
        "status": "ACTIVE",
    }
    props.update(changes)
    return props


def track_recording(**changes: object) -> dict[str, Any]:
    props: dict[str, Any] = {
        "__provider": "gASVbgAAAAAAAACMCHB1bHVtaV9ydGsulC4=",
        "meeting_id": MEETING_ID,
        "layers": {"default": {"file_name_prefix": "tracks", "media_kind": "audio"}},
        "user_ids": None,
        "account_id": None,
        "app_id": None,
        "status": None,
    }
    props.update(changes)
    return props


def webhook(**changes: object) -> dict[str, Any]:
    props: dict[str, Any] = {
        "__provider": "gASVbgAAAAAAAACMCHB1bHVtaV9ydGsulC4=",
        "name": "recordings",
        "url": "https://hooks.example.com/rtk",
        "events": ["recording.statusUpdate"],
        "enabled": True,
    }
    props.update(changes)
    return props


def decoded(raw: dict[str, Any]) -> Mapping[str, Any]:
    """What a validation sees: pulumi_policy's Analyze decodes, then wraps, exactly so."""
    return unknown_checking_proxy(deserialize_properties(raw))


# --- Running a policy with a fake reporter ----------------------------------------------------

POLICIES = {policy.name: policy for policy in rtk_policies.policies()}
OPTIONS = PolicyResourceOptions(
    protect=False,
    ignore_changes=[],
    delete_before_replace=None,
    aliases=[],
    custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
    additional_secret_outputs=["storage_config"],
)


class Reporter:
    """Stands in for pulumi_policy's report_violation callback."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, message: str, urn: str | None = None) -> None:
        assert urn is None  # resource policies report against the resource itself
        self.messages.append(message)


def run(
    name: str, type_: str, raw: dict[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Violations one policy reports for one resource; ``config`` as the engine sends it."""
    policy = POLICIES[name]
    assert isinstance(policy, ResourceValidationPolicy)
    resource_name = type_.rpartition(":")[2].lower()
    args = ResourceValidationArgs(
        resource_type=type_,
        props=decoded(raw),
        urn=f"urn:pulumi:dev::rtk::{type_}::{resource_name}",
        name=resource_name,
        opts=OPTIONS,
        provider=None,
        config=config,
    )
    reporter = Reporter()
    assert policy.validate(args, reporter) is None
    return reporter.messages


def run_all(type_: str, raw: dict[str, Any]) -> dict[str, list[str]]:
    """Every policy's violations, keeping only the policies that reported any."""
    found = {name: run(name, type_, raw) for name in POLICIES}
    return {name: messages for name, messages in found.items() if messages}


# --- The pack ---------------------------------------------------------------------------------


def test_the_pack_has_exactly_the_five_policies_at_their_default_levels() -> None:
    levels = {name: policy.enforcement_level for name, policy in POLICIES.items()}
    assert levels == {
        "rtk-storage-required": EnforcementLevel.MANDATORY,
        "rtk-allowed-storage-types": EnforcementLevel.MANDATORY,
        "rtk-max-recording-seconds": EnforcementLevel.MANDATORY,
        "rtk-no-realtimekit-bucket": EnforcementLevel.ADVISORY,
        "rtk-webhook-https": EnforcementLevel.MANDATORY,
    }
    assert rtk_policies.PACK_NAME == "rtk-policies"


def test_every_policy_documents_itself_and_defaults_all_its_config() -> None:
    readme = (REPO / "policy" / "README.md").read_text()
    for name, policy in POLICIES.items():
        assert policy.description
        assert policy.config_schema is not None
        assert f"`{name}`" in readme
        for key, schema in policy.config_schema.properties.items():
            assert "default" in schema, f"{name}.{key}: the engine fills in defaults from here"
            assert f"`{key}`" in readme, f"{name}.{key} missing from policy/README.md"


# --- Compliant stacks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "raw"),
    [
        (RECORDING, recording()),
        (MEETING, meeting()),
        (MEETING, meeting(record_on_start=False, recording_config=None)),
        (MEETING, meeting(record_on_start=None, recording_config=None)),
        (WEBHOOK, webhook()),
        ("aws:s3/bucket:Bucket", {"bucket": "x", "storage_config": None, "url": "http://x"}),
    ],
    ids=["recording", "meeting", "meeting-not-recording", "meeting-unset", "webhook", "other"],
)
def test_compliant_resources_pass_every_policy(type_: str, raw: dict[str, Any]) -> None:
    assert run_all(type_, raw) == {}


def test_config_defaults_match_what_the_engine_sends() -> None:
    """No config (a bare ``validate``) and the engine's defaults-filled config agree."""
    engine_defaults = {"maxSeconds": 14400.0, "allowDashboardDefaults": False}
    for max_seconds in (14400.0, 14401.0):
        raw = recording(max_seconds=max_seconds)
        assert run(MAX_RECORDING_SECONDS, RECORDING, raw) == run(
            MAX_RECORDING_SECONDS, RECORDING, raw, engine_defaults
        )


# --- rtk-storage-required ---------------------------------------------------------------------


def test_storage_required_reports_a_recording_without_storage() -> None:
    assert run(STORAGE_REQUIRED, RECORDING, recording(storage_config=None)) == [
        "rtk:Recording 'recording': storage_config is not set: recordings would not upload to "
        "the team's own storage"
    ]
    absent = recording()
    del absent["storage_config"]
    assert len(run(STORAGE_REQUIRED, RECORDING, absent)) == 1


def test_storage_required_reports_a_meeting_recording_config_without_storage() -> None:
    for record_on_start in (True, False):
        raw = meeting(
            record_on_start=record_on_start,
            recording_config=recording_config(storage_config=None),
        )
        (message,) = run(STORAGE_REQUIRED, MEETING, raw)
        assert message.startswith("rtk:Meeting 'meeting': recording_config.storage_config is not")


def test_a_meeting_recording_on_start_without_recording_config_follows_the_dashboard() -> None:
    raw = meeting(record_on_start=True, recording_config=None)
    (message,) = run(STORAGE_REQUIRED, MEETING, raw)
    assert "record_on_start is true but recording_config is not set" in message
    assert message.endswith("set recording_config.storage_config")
    assert run(STORAGE_REQUIRED, MEETING, raw, {"allowDashboardDefaults": True}) == []


def test_track_recordings_are_not_subject_to_storage_rules() -> None:
    for name in (STORAGE_REQUIRED, ALLOWED_STORAGE_TYPES, MAX_RECORDING_SECONDS, WEBHOOK_HTTPS):
        assert run(name, TRACK_RECORDING, track_recording()) == []


# --- rtk-allowed-storage-types ----------------------------------------------------------------


@pytest.mark.parametrize("storage_type", ALL_TYPES)
def test_every_storage_type_is_allowed_by_default(storage_type: str) -> None:
    raw = recording(storage_config=aws_storage(type=storage_type))
    assert run(ALLOWED_STORAGE_TYPES, RECORDING, raw) == []


def test_allowed_storage_types_follow_the_configured_list() -> None:
    config = {"allowedTypes": ["gcs", "sftp"]}
    assert run(ALLOWED_STORAGE_TYPES, RECORDING, recording(), config) == [
        "rtk:Recording 'recording': storage_config.type must be one of: gcs, sftp"
    ]
    gcs = recording(storage_config={"type": "gcs", "bucket": "recordings"})
    assert run(ALLOWED_STORAGE_TYPES, RECORDING, gcs, config) == []
    nested = meeting(recording_config=recording_config(storage_config={"type": "azure"}))
    (message,) = run(ALLOWED_STORAGE_TYPES, MEETING, nested, config)
    assert "recording_config.storage_config.type must be one of: gcs, sftp" in message


def test_an_unsupported_or_missing_storage_type_is_reported_without_quoting_it() -> None:
    for storage in (aws_storage(type="dropbox"), aws_storage(type=None), {"bucket": "recordings"}):
        (message,) = run(ALLOWED_STORAGE_TYPES, RECORDING, recording(storage_config=storage))
        assert message.endswith("storage_config.type must be one of: " + ", ".join(ALL_TYPES))
        assert "dropbox" not in message


def test_no_storage_is_left_to_storage_required() -> None:
    assert run(ALLOWED_STORAGE_TYPES, RECORDING, recording(storage_config=None)) == []
    dashboard = meeting(record_on_start=True, recording_config=None)
    assert run(ALLOWED_STORAGE_TYPES, MEETING, dashboard) == []


# --- rtk-max-recording-seconds ----------------------------------------------------------------


def test_max_seconds_at_most_the_default_limit() -> None:
    assert run(MAX_RECORDING_SECONDS, RECORDING, recording(max_seconds=14400.0)) == []
    assert run(MAX_RECORDING_SECONDS, RECORDING, recording(max_seconds=14401.0)) == [
        "rtk:Recording 'recording': max_seconds exceeds the limit: set it to at most 14400"
    ]


def test_unset_max_seconds_means_24_hours_and_violates() -> None:
    (message,) = run(MAX_RECORDING_SECONDS, RECORDING, recording(max_seconds=None))
    assert "max_seconds is not set, so the recording may run for up to 86400 s (24 h)" in message
    raw = meeting(recording_config=recording_config(max_seconds=None))
    (message,) = run(MAX_RECORDING_SECONDS, MEETING, raw)
    assert "recording_config.max_seconds is not set" in message


def test_max_seconds_follows_the_configured_limit() -> None:
    config = {"maxSeconds": 7200.0}  # JSON numbers reach the pack as floats
    assert run(MAX_RECORDING_SECONDS, RECORDING, recording(max_seconds=7200.0), config) == []
    (message,) = run(MAX_RECORDING_SECONDS, RECORDING, recording(max_seconds=7201.0), config)
    assert message.endswith("set it to at most 7200")
    raw = meeting(recording_config=recording_config(max_seconds=9000.0))
    (message,) = run(MAX_RECORDING_SECONDS, MEETING, raw, config)
    assert "recording_config.max_seconds exceeds the limit" in message


def test_max_seconds_for_a_meeting_on_dashboard_defaults() -> None:
    raw = meeting(record_on_start=True, recording_config=None)
    (message,) = run(MAX_RECORDING_SECONDS, MEETING, raw)
    assert message.endswith("set recording_config.max_seconds to at most 14400")
    assert run(MAX_RECORDING_SECONDS, MEETING, raw, {"allowDashboardDefaults": True}) == []


# --- rtk-no-realtimekit-bucket ----------------------------------------------------------------


@pytest.mark.parametrize(
    "bucket", [None, {"enabled": True}, {"enabled": None}, {}], ids=["unset", "true", "none", "{}"]
)
def test_files_also_in_realtimekit_bucket_are_reported(bucket: object) -> None:
    (message,) = run(NO_REALTIMEKIT_BUCKET, RECORDING, recording(realtimekit_bucket_config=bucket))
    assert message.startswith("rtk:Recording 'recording': realtimekit_bucket_config")
    raw = meeting(recording_config=recording_config(realtimekit_bucket_config=bucket))
    (message,) = run(NO_REALTIMEKIT_BUCKET, MEETING, raw)
    assert "recording_config.realtimekit_bucket_config" in message


def test_track_recordings_always_go_to_the_realtimekit_bucket() -> None:
    assert run(NO_REALTIMEKIT_BUCKET, TRACK_RECORDING, track_recording()) == [
        "rtk:TrackRecording 'trackrecording': track recordings always upload to RealtimeKit's "
        "bucket (no storage option)"
    ]
    config = {"includeTrackRecordings": False}
    assert run(NO_REALTIMEKIT_BUCKET, TRACK_RECORDING, track_recording(), config) == []


def test_realtimekit_bucket_for_a_meeting_on_dashboard_defaults() -> None:
    raw = meeting(record_on_start=True, recording_config=None)
    (message,) = run(NO_REALTIMEKIT_BUCKET, MEETING, raw)
    assert message.endswith("set recording_config.realtimekit_bucket_config.enabled = false")
    assert run(NO_REALTIMEKIT_BUCKET, MEETING, raw, {"allowDashboardDefaults": True}) == []


# --- rtk-webhook-https ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/rtk",
        "HTTPS://hooks.example.com/rtk",
        "http://127.0.0.1:8787/hooks",
        "http://127.8.9.10/hooks",
        "http://localhost:8787/hooks",
        "http://LOCALHOST/hooks",
        "http://[::1]:8787/hooks",
    ],
)
def test_https_and_loopback_webhooks_pass(url: str) -> None:
    assert run(WEBHOOK_HTTPS, WEBHOOK, webhook(url=url)) == []


@pytest.mark.parametrize(
    "url",
    [
        f"http://hooks.example.com/rtk?token={URL_TOKEN}",
        f"http://127.0.0.1.example.com/?token={URL_TOKEN}",
        f"http://localhost@evil.example.com/?token={URL_TOKEN}",
        f"http://localhost.example.com/?token={URL_TOKEN}",
        f"ftp://hooks.example.com/{URL_TOKEN}",
        f"hooks.example.com/{URL_TOKEN}",
        f"http://[::1/{URL_TOKEN}",
    ],
)
def test_other_webhook_urls_violate_without_being_quoted(url: str) -> None:
    assert run(WEBHOOK_HTTPS, WEBHOOK, webhook(url=url)) == [
        "rtk:Webhook 'webhook': url must use https:// (http:// only to 127.0.0.1, localhost or "
        "[::1])"
    ]


def test_the_loopback_exemption_can_be_turned_off() -> None:
    config = {"allowLoopback": False}
    for url in ("http://127.0.0.1:8787/hooks", "http://localhost/hooks", "http://[::1]/hooks"):
        assert run(WEBHOOK_HTTPS, WEBHOOK, webhook(url=url), config) == [
            "rtk:Webhook 'webhook': url must use https://"
        ]
    assert run(WEBHOOK_HTTPS, WEBHOOK, webhook(), config) == []


# --- Unknown values: cannot tell yet, so no violation -----------------------------------------


def test_the_decoded_inputs_raise_on_unknowns_as_in_a_preview() -> None:
    """The premise of the tests below: pulumi_policy's proxy raises on an unknown value."""
    with pytest.raises(UnknownValueError):
        _ = decoded({"storage_config": UNKNOWN_OBJECT_VALUE})["storage_config"]


@pytest.mark.parametrize(
    ("type_", "raw"),
    [
        (RECORDING, recording(storage_config=UNKNOWN_OBJECT_VALUE)),
        (RECORDING, recording(storage_config=secret(UNKNOWN_OBJECT_VALUE))),
        (RECORDING, recording(storage_config=aws_storage(type=UNKNOWN_STRING_VALUE))),
        (RECORDING, recording(max_seconds=UNKNOWN_NUMBER_VALUE)),
        (RECORDING, recording(realtimekit_bucket_config=UNKNOWN_OBJECT_VALUE)),
        (RECORDING, recording(realtimekit_bucket_config={"enabled": UNKNOWN_BOOLEAN_VALUE})),
        (MEETING, meeting(recording_config=UNKNOWN_OBJECT_VALUE)),
        (MEETING, meeting(record_on_start=UNKNOWN_BOOLEAN_VALUE, recording_config=None)),
        (MEETING, meeting(recording_config=recording_config(max_seconds=UNKNOWN_NUMBER_VALUE))),
        (WEBHOOK, webhook(url=UNKNOWN_STRING_VALUE)),
    ],
    ids=[
        "storage",
        "secret-storage",
        "storage-type",
        "max-seconds",
        "bucket-config",
        "bucket-enabled",
        "recording-config",
        "record-on-start",
        "meeting-max-seconds",
        "webhook-url",
    ],
)
def test_unknown_values_do_not_violate(type_: str, raw: dict[str, Any]) -> None:
    assert run_all(type_, raw) == {}


def test_unknowns_elsewhere_do_not_hide_known_violations() -> None:
    raw = recording(
        meeting_id=UNKNOWN_STRING_VALUE,
        storage_config=aws_storage(bucket=UNKNOWN_STRING_VALUE),
        max_seconds=None,
    )
    assert list(run_all(RECORDING, raw)) == [MAX_RECORDING_SECONDS]


def test_the_checks_also_read_raw_sentinels_in_plain_dicts() -> None:
    """Called directly, without pulumi_policy's proxy in between."""
    raw = {"storage_config": {"type": UNKNOWN_STRING_VALUE}, "max_seconds": UNKNOWN_NUMBER_VALUE}
    assert rtk_policies.check_allowed_storage_types(RECORDING, raw, allowed_types=["gcs"]) == []
    assert rtk_policies.check_max_recording_seconds(RECORDING, raw, max_seconds=60) == []
    assert rtk_policies.check_storage_required(RECORDING, {}) == [
        "storage_config is not set: recordings would not upload to the team's own storage"
    ]
    assert rtk_policies.check_webhook_https(WEBHOOK, {"url": "http://x.example"}) != []
    assert rtk_policies.check_no_realtimekit_bucket(MEETING, {"record_on_start": False}) == []


# --- Secrets ----------------------------------------------------------------------------------


def test_secrets_reach_the_pack_in_plaintext() -> None:
    """Why no message may quote a value: a secret is indistinguishable once decoded."""
    assert decoded({"storage_config": aws_storage()})["storage_config"]["secret"] == AWS_SECRET


def test_no_message_quotes_a_secret_or_any_property_value() -> None:
    whole_secret = secret(
        {
            "type": "dropbox",
            "host": "sftp.example.com",
            "username": "recorder",
            "password": SFTP_PASSWORD,
            "private_key": SFTP_PRIVATE_KEY,
        }
    )
    resources = [
        (RECORDING, recording(storage_config=whole_secret, max_seconds=secret(86399.0))),
        (RECORDING, recording(storage_config=aws_storage(type="dropbox"), max_seconds=99999.0)),
        (
            MEETING,
            meeting(
                recording_config=recording_config(storage_config=whole_secret, max_seconds=None)
            ),
        ),
        (WEBHOOK, webhook(url=secret(f"http://hooks.example.com/?token={URL_TOKEN}"))),
    ]
    messages = [
        message
        for type_, raw in resources
        for found in run_all(type_, raw).values()
        for message in found
    ]
    # storage type and max_seconds for each recording and the meeting, and the webhook's URL
    assert len(messages) == 7
    for message in messages:
        for value in (*SECRET_VALUES, URL_TOKEN, "dropbox", "sftp.example.com", "86399", "99999"):
            assert value not in message
