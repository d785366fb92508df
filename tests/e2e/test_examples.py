"""End to end: the real Pulumi CLI runs every example against the emulator.

Each test copies its example into a temporary directory (``tests/support/cli.py``): the copy
differs from the example in one line only, its ``virtualenv`` (``venv``, the example's own,
which its README creates) set to the user's virtualenv the fixtures install the wheel into.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pulumi_rtk.emulator.requestlog import RequestRecord
from tests.support.cli import SECRET_SIG, TYPES, Run, Stack, program_project
from tests.support.processes import EmulatorProcess
from tests.support.values import (
    AWS_ACCESS_KEY,
    AWS_SECRET,
    REPO,
    SFTP_PRIVATE_KEY,
    TOKEN,
)

GCS_SECRET = "LEAKCHECK-gcs-service-account-8e"
RECORDING = TYPES["Recording"]
ACTIVE = frozenset({"INVOKED", "RECORDING", "PAUSED"})
STOPPED = frozenset({"UPLOADING", "UPLOADED"})


# What each example declares


@dataclass(frozen=True)
class Example:
    """An example program and what its stack must send: its declared values, spelled out."""

    name: str
    meeting_keys: tuple[str, ...]
    secrets: Mapping[str, str]
    # The start bodies of ``pulumi up``, from the meeting ids and the value of maxSeconds.
    bodies: Callable[[Mapping[str, str], int | None], list[dict[str, Any]]]
    # Recording resource name -> config key of its meeting.
    resources: Mapping[str, str]
    multiple: bool = False

    @property
    def path(self) -> Path:
        return REPO / "examples" / self.name


def _with_max(body: dict[str, Any], max_seconds: int | None) -> dict[str, Any]:
    return body if max_seconds is None else {**body, "max_seconds": max_seconds}


def quickstart_bodies(m: Mapping[str, str], max_seconds: int | None) -> list[dict[str, Any]]:
    body = {"meeting_id": m["meetingId"], "realtimekit_bucket_config": {"enabled": True}}
    return [_with_max(body, max_seconds)]


def storage_bodies(m: Mapping[str, str], max_seconds: int | None) -> list[dict[str, Any]]:
    limit = 3600 if max_seconds is None else max_seconds
    return [
        {
            "meeting_id": m["awsMeetingId"],
            "storage_config": {
                "type": "aws",
                "bucket": "acme-recordings",
                "region": "us-east-1",
                "path": "board/",
                "access_key": AWS_ACCESS_KEY,
                "secret": AWS_SECRET,
            },
            "video_config": {
                "codec": "H264",
                "width": 1920,
                "height": 1080,
                "watermark": {
                    "url": "https://example.com/acme-logo.png",
                    "position": "right bottom",
                    "size": {"width": 160, "height": 48},
                },
            },
            "audio_config": {"codec": "AAC", "channel": "stereo"},
            "file_name_prefix": "board",
            "max_seconds": limit,
        },
        {
            "meeting_id": m["gcsMeetingId"],
            "storage_config": {
                "type": "gcs",
                "bucket": "acme-town-hall",
                "path": "town-hall/",
                "secret": GCS_SECRET,
            },
            "max_seconds": limit,
        },
        {
            "meeting_id": m["sftpMeetingId"],
            "storage_config": {
                "type": "sftp",
                "host": "sftp.example.com",
                "port": 22,
                "username": "recorder",
                "auth_method": "KEY",
                "private_key": SFTP_PRIVATE_KEY,
                "path": "/uploads/support",
            },
            "realtimekit_bucket_config": {"enabled": False},
            "max_seconds": limit,
        },
    ]


def multi_bodies(m: Mapping[str, str], max_seconds: int | None) -> list[dict[str, Any]]:
    return [
        {
            "meeting_id": m["meetingId"],
            "video_config": {"codec": "H264", "width": width, "height": height},
            "realtimekit_bucket_config": {"enabled": True},
            "file_name_prefix": f"keynote-{layout}",
            "allow_multiple_recordings": True,
            "max_seconds": 7200 if max_seconds is None else max_seconds,
        }
        for layout, width, height in (("portrait", 720, 1280), ("landscape", 1280, 720))
    ]


EXAMPLES = [
    Example("quickstart", ("meetingId",), {}, quickstart_bodies, {"meeting": "meetingId"}),
    Example(
        "storage-as-code",
        ("awsMeetingId", "gcsMeetingId", "sftpMeetingId"),
        {
            "awsAccessKey": AWS_ACCESS_KEY,
            "awsSecret": AWS_SECRET,
            "gcsSecret": GCS_SECRET,
            "sftpPrivateKey": SFTP_PRIVATE_KEY,
        },
        storage_bodies,
        {
            "board-meeting-s3": "awsMeetingId",
            "town-hall-gcs": "gcsMeetingId",
            "support-call-sftp": "sftpMeetingId",
        },
    ),
    Example(
        "multi-recording",
        ("meetingId",),
        {},
        multi_bodies,
        {"keynote-portrait": "meetingId", "keynote-landscape": "meetingId"},
        multiple=True,
    ),
]


def example_stack(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess, example: Example
) -> tuple[Stack, dict[str, str]]:
    """A stack of the example with new meetings and its secrets set; returns the meeting ids."""
    stack = new_stack(example.path)
    meetings = {key: emulator.meeting() for key in example.meeting_keys}
    for key, meeting_id in meetings.items():
        stack.config(key, meeting_id)
    for key, value in example.secrets.items():
        stack.config(key, value, secret=True)
    return stack, meetings


def exported_statuses(outputs: Mapping[str, Any]) -> dict[str, str]:
    """Recording id -> status, as the stack outputs show them (one recording, or a dict)."""
    if "recording_ids" in outputs:
        return {rid: outputs["statuses"][key] for key, rid in outputs["recording_ids"].items()}
    return {outputs["recording_id"]: outputs["status"]}


def canonical(bodies: Sequence[Any]) -> list[str]:
    return sorted(json.dumps(body, sort_keys=True) for body in bodies)


def planned(run: Run) -> dict[str, str]:
    """Recording name -> the step a ``--diff`` preview shows for it."""
    steps = re.findall(
        rf"{re.escape(RECORDING)}: \((\w[\w-]*)\)\n(?:\s*\[id=\S+\]\n)?\s*\[urn=\S+::([^:\]]+)\]",
        run.stdout,
    )
    return {name: step for step, name in steps}


def starts_and_stops(
    emulator: EmulatorProcess, log: Sequence[RequestRecord]
) -> dict[str, list[str]]:
    """A request log as each meeting saw it: ``"start"`` and ``"stop"`` in arrival order."""
    meeting_of = {r["id"]: r["meeting_id"] for r in emulator.admin.recordings()}
    events: dict[str, list[str]] = {}
    for record in log:
        assert 200 <= record.status < 300, record
        if record.method == "POST" and record.path.endswith("/recordings"):
            events.setdefault(record.body["meeting_id"], []).append("start")
        elif record.method == "PUT" and record.body == {"action": "stop"}:
            events.setdefault(meeting_of[record.path.rsplit("/", 1)[1]], []).append("stop")
    return events


def peak_running(events: Sequence[str], before: int) -> int:
    """The most recordings running at once on a meeting, replaying its starts and stops."""
    running = peak = before
    for event in events:
        running += 1 if event == "start" else -1
        peak = max(peak, running)
    return peak


# Every example: preview, up, replace, refresh, destroy, secrets


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example_lifecycle(
    example: Example, new_stack: Callable[[Path], Stack], emulator: EmulatorProcess
) -> None:
    stack, meetings = example_stack(new_stack, emulator, example)
    names = set(example.resources)

    # preview: the planned creates, and not a single request.
    emulator.admin.clear_requests()
    preview = stack.preview()
    assert planned(preview) == dict.fromkeys(names, "create"), preview.stdout
    assert f"+ {len(names) + 1} to create" in preview.stdout
    # Each secret input shows as [secret] in the --diff display of the planned inputs.
    assert preview.stdout.count("[secret]") == len(example.secrets)
    assert emulator.admin.requests() == []

    # up: exactly the declared recordings with exactly the declared bodies, secrets included.
    stack.up()
    assert canonical(emulator.start_bodies()) == canonical(example.bodies(meetings, None))
    assert [r.body for r in emulator.writes()] == [r.body for r in emulator.wire("POST")]
    ids = stack.ids()
    assert set(ids) == names
    for name, recording_id in ids.items():
        on_server = emulator.recording(recording_id)
        assert on_server["meeting_id"] == meetings[example.resources[name]]
        assert on_server["status"] in ACTIVE
    assert exported_statuses(stack.outputs()) == {ids[n]: s for n, s in stack.statuses().items()}
    assert set(stack.statuses().values()) <= {"INVOKED", "RECORDING"}
    for res in stack.recordings().values():
        if "storage_config" in res["inputs"]:
            # The whole echoed storage config is a secret in state, not only its credentials.
            assert SECRET_SIG in res["outputs"]["storage_config"], res["outputs"]

    # A second preview has nothing to do and changes nothing.
    emulator.admin.clear_requests()
    stack.preview("--expect-no-changes")
    assert emulator.writes() == []

    # A changed start option replaces every recording; a single-recording meeting never has
    # two running, since the old one stops before the new one starts.
    stack.config("maxSeconds", 120)
    emulator.admin.clear_requests()
    preview = stack.preview()
    assert planned(preview) == dict.fromkeys(names, "replace"), preview.stdout
    assert "max_seconds" in preview.stdout
    assert emulator.writes() == []
    before = {m: len(emulator.active(m)) for m in set(meetings.values())}
    stack.up()
    log = emulator.writes()
    assert canonical(emulator.start_bodies()) == canonical(example.bodies(meetings, 120))
    assert sorted(emulator.stops()) == sorted(ids.values())
    new_ids = stack.ids()
    assert set(new_ids) == names
    assert not set(new_ids.values()) & set(ids.values())
    for old in ids.values():
        assert emulator.recording(old)["status"] in STOPPED
    for meeting_id in set(meetings.values()):
        assert sorted(emulator.active(meeting_id)) == sorted(
            new_ids[name] for name, key in example.resources.items() if meetings[key] == meeting_id
        )
    events = starts_and_stops(emulator, log)
    for meeting_id, seen in events.items():
        if example.multiple:
            # Create before delete: the new recordings start before the old ones stop.
            assert seen == ["start"] * len(names) + ["stop"] * len(names), seen
        else:
            assert seen == ["stop", "start"], seen
            assert peak_running(seen, before[meeting_id]) == 1
    assert sorted(events) == sorted(set(meetings.values()))

    # refresh: an out-of-band status change reaches the state and the stack outputs.
    first, *rest = sorted(new_ids)
    emulator.admin.set_status(new_ids[first], "PAUSED")
    stack.refresh()
    assert stack.statuses()[first] == "PAUSED"
    assert exported_statuses(stack.outputs())[new_ids[first]] == "PAUSED"

    # refresh: a recording the API no longer knows leaves the state.
    gone = rest[0] if rest else first
    emulator.admin.forget(new_ids[gone])
    stack.refresh()
    assert set(stack.ids()) == names - {gone}

    # destroy stops every recording left (the paused one too); a second destroy is a no-op.
    emulator.admin.clear_requests()
    stack.destroy()
    left = {new_ids[name] for name in names - {gone}}
    assert sorted(emulator.stops()) == sorted(left)
    assert emulator.wire("POST") == []
    for meeting_id in set(meetings.values()):
        assert emulator.active(meeting_id) == []
    assert stack.recordings() == {}
    emulator.admin.clear_requests()
    stack.destroy()
    assert emulator.admin.requests() == []

    stack.assert_no_secret_leaked((GCS_SECRET,))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_bad_input_fails_preview_before_any_request(
    example: Example, new_stack: Callable[[Path], Stack], emulator: EmulatorProcess
) -> None:
    stack, _ = example_stack(new_stack, emulator, example)
    stack.config("maxSeconds", 10)
    emulator.admin.clear_requests()
    preview = stack.preview(ok=False)
    assert preview.returncode != 0
    assert "max_seconds" in preview.text, preview.text
    assert emulator.admin.requests() == []
    stack.assert_no_secret_leaked((GCS_SECRET,))


# Issue 6 through the CLI: pause with `pulumi up`, refresh after the clock moves, lookups, adopt

QUICKSTART = EXAMPLES[0]


def test_quickstart_pause_is_an_in_place_update_and_lookups_reach_the_outputs(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess
) -> None:
    stack, meetings = example_stack(new_stack, emulator, QUICKSTART)
    stack.up()
    outputs = stack.outputs()
    recording_id = outputs["recording_id"]
    assert outputs["status"] == "RECORDING"
    # get_active_recording, run by the program once the recording exists.
    assert outputs["active_recording_id"] == recording_id

    # Pausing is one config value: an update in place, never a replacement.
    stack.config("paused", True)
    emulator.admin.clear_requests()
    preview = stack.preview()
    assert planned(preview) == {"meeting": "update"}, preview.stdout
    assert "~ paused" in preview.stdout
    assert emulator.writes() == []
    stack.up()
    assert [(r.method, r.body) for r in emulator.writes()] == [("PUT", {"action": "pause"})]
    outputs = stack.outputs()
    assert (outputs["recording_id"], outputs["status"]) == (recording_id, "PAUSED")
    assert outputs["active_recording_id"] == recording_id

    emulator.admin.clear_requests()
    stack.config("paused", False)
    stack.up()
    assert [(r.method, r.body) for r in emulator.writes()] == [("PUT", {"action": "resume"})]
    assert stack.outputs()["status"] == "RECORDING"

    # A day later the recording has stopped by itself (max_seconds defaults to 86400) and
    # uploaded: refresh brings the status and the download link into the outputs.
    emulator.admin.advance(86400 + 10)
    stack.refresh()
    outputs = stack.outputs()
    assert outputs["status"] == "UPLOADED"
    assert outputs["download_url"].endswith(f"/__emulator/downloads/{recording_id}.mp4")
    assert "active_recording_id" not in outputs  # the meeting has no active recording now

    # Nothing left to stop.
    emulator.admin.clear_requests()
    stack.destroy()
    assert emulator.writes() == []
    assert emulator.active(meetings["meetingId"]) == []
    stack.assert_no_secret_leaked((GCS_SECRET,))


ADOPT_PROGRAM = """\
import pulumi

import pulumi_rtk as rtk

config = pulumi.Config()
meeting_id = config.require("meetingId")
started = config.require("recordingId")

# Take over a recording started outside Pulumi: no new start request.
adopted = rtk.Recording(
    "adopted",
    meeting_id=meeting_id,
    realtimekit_bucket_config=rtk.RealtimekitBucketConfig(enabled=True),
    adopt_recording_id=started,
)
# A read-only reference to the same recording: read, never stopped.
reference = rtk.Recording.get("reference", started)
pulumi.export("adopted_id", adopted.id)
pulumi.export("adopted_status", adopted.status)
pulumi.export("reference_id", reference.id)
pulumi.export("reference_status", reference.status)
pulumi.export("reference_started_time", reference.started_time)

# Lookups: plain reads in the program process (they run in previews too).
pulumi.export("lookup_status", rtk.get_recording(started).status)
pulumi.export("listed", [r.id for r in rtk.list_recordings(meeting_id)])
active = rtk.get_active_recording(meeting_id)
pulumi.export("active_id", active.id if active else None)
"""


def test_adopt_binds_without_a_start_and_get_reads_without_stopping(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    stack = new_stack(program_project(tmp_path / "adopt-src", "rtk-adopt", ADOPT_PROGRAM))
    meeting_id = emulator.meeting()
    started = emulator.api("POST", "recordings", TOKEN, {"meeting_id": meeting_id})["data"]["id"]
    stack.config("meetingId", meeting_id)
    stack.config("recordingId", started)

    emulator.admin.clear_requests()
    stack.up()
    assert emulator.writes() == []  # adopted and read: not one POST or PUT
    outputs = stack.outputs()
    assert outputs["adopted_id"] == outputs["reference_id"] == started
    assert outputs["adopted_status"] == outputs["reference_status"] == "RECORDING"
    assert outputs["reference_started_time"] == emulator.recording(started)["started_time"]
    assert outputs["lookup_status"] == "RECORDING"
    assert outputs["listed"] == [started]
    assert outputs["active_id"] == started
    assert emulator.active(meeting_id) == [started]

    # The adopted recording is managed now: destroy stops it, once (the reference is not ours).
    emulator.admin.clear_requests()
    stack.destroy()
    assert emulator.stops() == [started]
    assert emulator.active(meeting_id) == []
    stack.assert_no_secret_leaked((GCS_SECRET,))
