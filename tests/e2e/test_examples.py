"""End to end: the real Pulumi CLI runs every example against the emulator.

Each test copies its example into a temporary directory (``tests/support/cli.py``): the copy
differs from the example in one line only, its ``virtualenv`` (``venv``, the example's own,
which its README creates) set to the user's virtualenv the fixtures install the wheel into.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # (PyYAML comes with pulumi; no stubs installed)

from pulumi_rtk.emulator.requestlog import RequestRecord
from tests.support.cli import CLI_TIMEOUT, SECRET_SIG, TYPES, Cli, Run, Stack
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


def gitops_bodies(m: Mapping[str, str], max_seconds: int | None) -> list[dict[str, Any]]:
    return [
        {
            "meeting_id": m["meetingId"],
            "realtimekit_bucket_config": {"enabled": True},
            "audio_config": {"codec": "AAC", "channel": "mono", "export_file": True},
            "file_name_prefix": "all-hands",
            "max_seconds": 5400 if max_seconds is None else max_seconds,
        }
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
    Example("gitops", ("meetingId",), {}, gitops_bodies, {"all-hands": "meetingId"}),
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
    source = tmp_path / "adopt-src"
    source.mkdir()
    (source / "Pulumi.yaml").write_text(
        "name: rtk-adopt\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n"
    )
    (source / "__main__.py").write_text(ADOPT_PROGRAM)
    stack = new_stack(source)
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


# The gitops example's GitHub Actions workflow


WORKFLOW = REPO / "examples" / "gitops" / ".github" / "workflows" / "recordings.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load_workflow() -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return workflow


def test_gitops_workflow_previews_pull_requests_and_applies_main() -> None:
    workflow = load_workflow()
    triggers: dict[str, Any] = workflow["on" if "on" in workflow else True]  # YAML 1.1: on=true
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"] == {"branches": ["main"]}
    preview, up = workflow["jobs"]["preview"], workflow["jobs"]["up"]
    assert preview["if"] == "github.event_name == 'pull_request'"
    assert up["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    for job in (preview, up):
        for step in job["steps"]:
            if "uses" in step:
                pinned = r"(actions/checkout|actions/setup-python|pulumi/actions)@v\d+"
                assert re.fullmatch(pinned, step["uses"]), step
            else:
                # Values reach scripts through env only: no ${{ }} inside a script.
                assert "${{" not in step["run"], step
    # Pull requests run without any secret, against the emulator on loopback only.
    assert "secrets." not in yaml.safe_dump(preview)
    assert "127.0.0.1" in yaml.safe_dump(preview)
    assert up["env"]["CLOUDFLARE_API_TOKEN"] == "${{ secrets.CLOUDFLARE_API_TOKEN }}"
    (script,) = [step["run"] for step in up["steps"] if step.get("name") == "pulumi up"]
    assert "pulumi up --yes" in script


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_gitops_pull_request_job_runs_here(cli: Cli, tmp_path: Path) -> None:
    """The preview job's own scripts, run in order with the real CLI: a minimal runner.

    The ``uses:`` steps (checkout, Python, Pulumi CLI) and the venv install are what this
    machine already has: a workspace with the example and the repo's venv stands in for them.
    """
    workflow = load_workflow()
    job = workflow["jobs"]["preview"]
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner-temp"
    copy = workspace / "examples" / "gitops"
    shutil.copytree(
        REPO / "examples" / "gitops", copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    (workspace / ".venv").symlink_to(REPO / ".venv")
    runner_temp.mkdir()
    job_env = {**workflow["env"], **job["env"], "RTK_EMULATOR_PORT": str(free_port())}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "CLOUDFLARE_"))}
    env = {
        **base,
        **job_env,
        "PATH": f"{cli.bin_dir}{os.pathsep}{base.get('PATH', '')}",
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_WORKSPACE": str(workspace),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    outputs: dict[str, dict[str, str]] = {}

    def resolve(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            parts = match.group(1).split(".")
            if parts[0] == "env" and len(parts) == 2:
                return str(job_env[parts[1]])
            if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
                return outputs[parts[1]][parts[3]]
            raise AssertionError(f"this runner does not know ${{{{ {match.group(1)} }}}}")

        return EXPRESSION.sub(one, text)

    runs: list[tuple[str, subprocess.CompletedProcess[str]]] = []
    failed = False
    try:
        for number, step in enumerate(job["steps"]):
            if "uses" in step or step.get("id") == "install":
                continue
            if failed and step.get("if") != "always()":
                continue
            output_file = tmp_path / f"github-output-{number}"
            output_file.touch()
            script = tmp_path / f"step-{number}.sh"
            script.write_text(step["run"])
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=workspace / resolve(step.get("working-directory", ".")),
                env={
                    **env,
                    **{k: resolve(str(v)) for k, v in step.get("env", {}).items()},
                    "GITHUB_OUTPUT": str(output_file),
                },
                capture_output=True,
                text=True,
                timeout=CLI_TIMEOUT,
                check=False,
            )
            runs.append((step["name"], proc))
            failed = failed or proc.returncode != 0
            if "id" in step:
                lines = output_file.read_text().splitlines()
                outputs[step["id"]] = dict(line.split("=", 1) for line in lines if line)
    finally:
        pid_file = runner_temp / "rtk-emulator" / "pid"
        if pid_file.exists():  # the job's own last step should have stopped it already
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
    report = "\n".join(f"--- {name} ({p.returncode})\n{p.stdout}{p.stderr}" for name, p in runs)
    assert not failed, report
    assert [name for name, _ in runs] == [
        "Start the RealtimeKit emulator",
        "Create a meeting on the emulator",
        "pulumi preview",
        "Stop the emulator",
    ]
    preview = runs[2][1].stdout
    assert re.search(r"\+ pulumi-python:dynamic/rtk:Recording: \(create\)", preview), report
    assert "+ 2 to create" in preview, report
    # The preview started nothing: the emulator's saved state has the meeting and no recording.
    state = json.loads((runner_temp / "rtk-emulator" / "data" / "state.json").read_text())
    assert [m["id"] for m in state["meetings"]] == [outputs["meeting"]["id"]]
    assert state["recordings"] == []
