"""End to end: the CrossGuard policy pack in policy/ under the real CLI.

``pulumi preview --policy-pack <repo>/policy`` starts the pack the way a user's CLI does: the
language host's ``RunPlugin`` runs ``policy/__main__.py`` in the virtualenv its
``PulumiPolicy.yaml`` names (``../.venv``, the repository's, which has pulumi-policy), and the
engine sends it every resource's inputs. The programs are written here: one breaking each
mandatory policy, one that complies (with switches for the advisory policy), and one whose
webhook URL is known only once a meeting exists. ``tests/unit/test_policy.py`` covers each
check's rules; this proves the pack is wired to the engine: names, levels, configuration and
unknown values as the CLI really presents them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.cli import Run, Stack
from tests.support.processes import EmulatorProcess
from tests.support.values import REPO

PACK = REPO / "policy"
ACCESS_KEY = "AKIA-LEAKCHECK-POLICY-52"
SECRET_KEY = "LEAKCHECK-policy-secret-0d"

# Violations as the CLI prints them, in the --diff display and in the "Policies:" section alike:
# "[mandatory]  rtk-storage-required  (pulumi-python:dynamic/rtk:Recording: no-storage)".
_VIOLATION = re.compile(r"\[(mandatory|advisory)\]\s+(rtk-[\w-]+)\s+\((\S+): ([^)\s]+)\)")

_MANIFEST = "name: {name}\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n"
_HEADER = """\
import pulumi

import pulumi_rtk as rtk

config = pulumi.Config()
storage = rtk.AwsStorage(
    bucket="acme-recordings",
    region="eu-west-1",
    access_key=config.require_secret("accessKey"),
    secret=config.require_secret("secretKey"),
    path="policy-e2e/",
)
own_bucket_only = rtk.RealtimekitBucketConfig(enabled=False)
"""

# Each resource breaks one mandatory policy, and nothing else mandatory.
VIOLATING = (
    _HEADER
    + """
meeting_id = config.require("meetingId")
# rtk-storage-required: no storage_config (the file goes to RealtimeKit's bucket only).
rtk.Recording(
    "no-storage",
    meeting_id=meeting_id,
    max_seconds=3600,
    realtimekit_bucket_config=rtk.RealtimekitBucketConfig(enabled=True),
)
# rtk-max-recording-seconds: 8 h, within the API's 24 h but over the pack's 4 h.
rtk.Recording(
    "too-long",
    meeting_id=meeting_id,
    storage_config=storage,
    max_seconds=28800,
    realtimekit_bucket_config=own_bucket_only,
    allow_multiple_recordings=True,
)
# rtk-storage-required on a meeting: its recording_config has no storage_config.
rtk.Meeting(
    "no-storage-meeting",
    title="Board meeting",
    record_on_start=True,
    recording_config=rtk.RecordingConfig(max_seconds=3600),
)
# rtk-webhook-https: http:// to a host that is not this machine.
rtk.Webhook("plain-http", url="http://hooks.example.com/rtk", events=["meeting.ended"])
"""
)

# Complies with every policy; `alsoRealtimekitBucket` keeps a copy in RealtimeKit's bucket,
# which only the advisory policy minds. The webhook's http:// is to this machine: allowed.
COMPLIANT = (
    _HEADER
    + """
bucket = rtk.RealtimekitBucketConfig(enabled=config.get_bool("alsoRealtimekitBucket") or False)
rtk.Meeting(
    "standup",
    title="Standup",
    record_on_start=True,
    recording_config=rtk.RecordingConfig(
        storage_config=storage, max_seconds=3600, realtimekit_bucket_config=bucket
    ),
)
rtk.Recording(
    "all-hands",
    meeting_id=config.require("meetingId"),
    storage_config=storage,
    max_seconds=7200,
    realtimekit_bucket_config=bucket,
)
rtk.Webhook("events", url="http://127.0.0.1:9/rtk", events=["recording.statusUpdate"])
"""
)

# The webhook's URL embeds the meeting's id, unknown until the meeting exists: a preview of a
# new stack cannot judge it, `up` can (and does, before the webhook is created).
UNKNOWN_URL = (
    _HEADER
    + """
meeting = rtk.Meeting(
    "standup",
    title="Standup",
    recording_config=rtk.RecordingConfig(
        storage_config=storage, max_seconds=3600, realtimekit_bucket_config=own_bucket_only
    ),
)
scheme = config.get("hookScheme") or "http"
rtk.Webhook(
    "per-meeting",
    url=meeting.id.apply(lambda meeting_id: f"{scheme}://hooks.example.com/rtk/{meeting_id}"),
    events=["meeting.ended"],
)
"""
)


def violations(run: Run) -> set[tuple[str, str, str, str]]:
    """(level, policy, resource type, resource name) of every violation the CLI printed."""
    return {
        (level, policy, kind.rsplit(":", 1)[-1], name)
        for level, policy, kind, name in _VIOLATION.findall(run.text)
    }


def program_stack(
    new_stack: Callable[[Path], Stack], tmp_path: Path, name: str, program: str
) -> Stack:
    """A new stack of a program written here, configured for the emulator, with the bucket's
    credentials as secrets."""
    source = tmp_path / f"{name}-src"
    source.mkdir()
    (source / "Pulumi.yaml").write_text(_MANIFEST.format(name=name))
    (source / "__main__.py").write_text(program)
    stack = new_stack(source)
    stack.config("accessKey", ACCESS_KEY, secret=True)
    stack.config("secretKey", SECRET_KEY, secret=True)
    return stack


def with_pack(*extra: str) -> tuple[str, ...]:
    return ("--policy-pack", str(PACK), *extra)


def pack_config(tmp_path: Path, name: str, settings: dict[str, Any]) -> tuple[str, ...]:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(settings))
    return with_pack("--policy-pack-config", str(path))


def test_each_violated_policy_fails_the_preview_by_name(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    stack = program_stack(new_stack, tmp_path, "rtk-policy-violating", VIOLATING)
    stack.config("meetingId", emulator.meeting())

    emulator.admin.clear_requests()
    run = stack.preview(*with_pack(), ok=False)
    assert run.returncode != 0, run.text
    assert violations(run) == {
        ("mandatory", "rtk-storage-required", "Recording", "no-storage"),
        ("mandatory", "rtk-max-recording-seconds", "Recording", "too-long"),
        ("mandatory", "rtk-storage-required", "Meeting", "no-storage-meeting"),
        ("mandatory", "rtk-webhook-https", "Webhook", "plain-http"),
        # Advisory, and reported alongside: the first recording keeps RealtimeKit's copy, the
        # meeting does not say (enabled is the API's default).
        ("advisory", "rtk-no-realtimekit-bucket", "Recording", "no-storage"),
        ("advisory", "rtk-no-realtimekit-bucket", "Meeting", "no-storage-meeting"),
    }, run.text
    # Messages name the property path and the rule, and never quote a value.
    assert "rtk:Recording 'too-long': max_seconds exceeds the limit" in run.text
    assert "rtk:Meeting 'no-storage-meeting': recording_config.storage_config is not set" in (
        run.text
    )
    assert emulator.admin.requests() == []

    # Without the pack, the same program previews cleanly: the failure is the policies'.
    assert stack.preview().returncode == 0
    stack.assert_no_secret_leaked((ACCESS_KEY, SECRET_KEY))


def test_compliant_stack_passes_and_config_changes_limits_and_levels(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    stack = program_stack(new_stack, tmp_path, "rtk-policy-compliant", COMPLIANT)
    stack.config("meetingId", emulator.meeting())

    passed = stack.preview(*with_pack())
    assert violations(passed) == set(), passed.text
    assert f"rtk-policies|local|{PACK}" in passed.stdout  # the "Policy Packs run" table

    # --policy-pack-config lowers the limit: the 2 h recording breaks it, the 1 h meeting not.
    lowered = stack.preview(
        *pack_config(tmp_path, "max-1h", {"rtk-max-recording-seconds": {"maxSeconds": 3600}}),
        ok=False,
    )
    assert lowered.returncode != 0
    assert violations(lowered) == {
        ("mandatory", "rtk-max-recording-seconds", "Recording", "all-hands")
    }, lowered.text
    assert "set it to at most 3600" in lowered.text

    # Only gcs allowed: the meeting and the recording both upload to aws.
    gcs_only = stack.preview(
        *pack_config(
            tmp_path, "gcs-only", {"rtk-allowed-storage-types": {"allowedTypes": ["gcs"]}}
        ),
        ok=False,
    )
    assert gcs_only.returncode != 0
    assert violations(gcs_only) == {
        ("mandatory", "rtk-allowed-storage-types", "Meeting", "standup"),
        ("mandatory", "rtk-allowed-storage-types", "Recording", "all-hands"),
    }, gcs_only.text
    assert "rtk:Recording 'all-hands': storage_config.type must be one of: gcs" in gcs_only.text
    assert (
        "rtk:Meeting 'standup': recording_config.storage_config.type must be one of: gcs"
        in gcs_only.text
    )

    # A copy in RealtimeKit's bucket only warns: advisory, and the preview passes.
    stack.config("alsoRealtimekitBucket", True)
    warned = stack.preview(*with_pack())
    advisories = {
        ("advisory", "rtk-no-realtimekit-bucket", "Meeting", "standup"),
        ("advisory", "rtk-no-realtimekit-bucket", "Recording", "all-hands"),
    }
    assert violations(warned) == advisories, warned.text

    # ... until the configuration makes the policy mandatory.
    strict = stack.preview(
        *pack_config(
            tmp_path,
            "bucket-mandatory",
            {"rtk-no-realtimekit-bucket": {"enforcementLevel": "mandatory"}},
        ),
        ok=False,
    )
    assert strict.returncode != 0
    assert violations(strict) == {("mandatory", *v[1:]) for v in advisories}, strict.text

    # The pack checks `up` too: the compliant stack deploys under it.
    stack.config("alsoRealtimekitBucket", False)
    stack.up(*with_pack())
    assert set(stack.ids("Meeting")) == {"standup"}
    assert set(stack.ids("Recording")) == {"all-hands"}
    stack.destroy()
    stack.assert_no_secret_leaked((ACCESS_KEY, SECRET_KEY))


def test_a_value_unknown_in_the_preview_is_checked_by_up(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    stack = program_stack(new_stack, tmp_path, "rtk-policy-unknown", UNKNOWN_URL)

    # The URL depends on the meeting's id: "cannot tell yet" is no violation.
    preview = stack.preview(*with_pack())
    assert violations(preview) == set(), preview.text
    assert re.search(r"\+ pulumi-python:dynamic/rtk:Webhook: \(create\)", preview.stdout)

    # `up` creates the meeting, then knows the URL: http:// to another host stops the webhook.
    emulator.admin.clear_requests()
    up = stack.up(*with_pack(), ok=False)
    assert up.returncode != 0
    assert violations(up) == {("mandatory", "rtk-webhook-https", "Webhook", "per-meeting")}, up.text
    assert [r.path.rsplit("/", 1)[-1] for r in emulator.wire("POST", r"")] == ["meetings"]
    assert set(stack.ids("Meeting")) == {"standup"}
    assert stack.resources("Webhook") == {}

    stack.config("hookScheme", "https")
    stack.up(*with_pack())
    (hook,) = stack.resources("Webhook").values()
    assert hook["outputs"]["url"].startswith("https://hooks.example.com/rtk/")
    stack.destroy()
    stack.assert_no_secret_leaked((ACCESS_KEY, SECRET_KEY))
