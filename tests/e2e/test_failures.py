"""Failures a user can act on, as the real CLI shows them.

Each test reproduces one way things go wrong with ``pulumi`` against the emulator and asserts
what the user now reads: the host and port, the recording id and the next step, the real value
of a bad input, one debug line per request under its resource.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import CLI_TIMEOUT, STACK, Cli, Run, Stack, program_project
from tests.support.processes import EmulatorProcess, free_port
from tests.support.values import ACCOUNT, APP, SECRET_VALUES, TOKEN

ROTATED = "tok-LEAKCHECK-rotated-0c93"

MEETING_PROGRAM = """\
import pulumi

import pulumi_rtk as rtk

meeting = rtk.Meeting("standup", title="Daily standup", persist_chat=True)
hook = rtk.Webhook("uploads", url="https://hooks.example.com/rtk", events=["meeting.ended"])
pulumi.export("meeting_id", meeting.id)
"""

RECORDING_PROGRAM = """\
import pulumi

import pulumi_rtk as rtk

config = pulumi.Config()
recording = rtk.Recording(
    "standup",
    meeting_id=config.require("meetingId"),
    video_config=rtk.VideoConfig(codec=config.get("videoCodec") or "H264"),
    audio_config=rtk.AudioConfig(codec="AAC"),
    max_seconds=config.get_int("maxSeconds") or 3600,
    wait_for_status=config.get("waitFor"),
    wait_timeout_seconds=120,
)
pulumi.export("recording_id", recording.id)
"""


def project(tmp_path: Path, program: str) -> Path:
    return program_project(tmp_path / "source", "rtk-failures", program)


def diagnostics(run: Run) -> dict[str, list[str]]:
    """The ``Diagnostics:`` section of a CLI run: its lines under each resource heading."""
    found: dict[str, list[str]] = {}
    section = run.stdout.split("\nDiagnostics:\n", 1)
    if len(section) < 2:
        return found
    heading = ""
    for line in section[1].splitlines():
        if not line.strip():
            continue
        if not line.startswith("  "):
            break
        if not line.startswith("    "):
            heading = line.strip().rstrip(":")
            found.setdefault(heading, [])
        elif line.strip():
            found[heading].append(line.strip())
    return found


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[Callable[..., EmulatorProcess]]:
    """Start (and restart) an emulator on one fixed port and data directory, as a service
    that goes down or rotates its token would."""
    port, data_dir = free_port(), tmp_path / "emulator"
    running: list[EmulatorProcess] = []

    def start(token: str = TOKEN, *args: str) -> EmulatorProcess:
        for process in running:
            process.close()
        process = EmulatorProcess(token, args, data_dir=data_dir, port=port)
        running.append(process)
        return process

    yield start
    for process in running:
        process.close()


def stack_for(new_stack: Callable[[Path], Stack], source: Path, emulator: EmulatorProcess) -> Stack:
    stack = new_stack(source)
    stack.emulator = emulator
    stack.config("rtk:apiBaseUrl", emulator.base_url)
    stack.config("rtk:maxRetries", 1)
    return stack


def test_a_rotated_token_reaches_destroy_through_run_program(
    new_stack: Callable[[Path], Stack],
    restartable: Callable[..., EmulatorProcess],
    tmp_path: Path,
) -> None:
    emulator = restartable(TOKEN)
    stack = stack_for(new_stack, project(tmp_path, MEETING_PROGRAM), emulator)
    stack.up()
    meeting_id = stack.outputs()["meeting_id"]

    # The API now accepts only the new token; the stack config gets it, and the debug log too.
    emulator = restartable(ROTATED)
    stack.config("rtk:apiToken", ROTATED, secret=True)
    stack.config("rtk:debug", True)
    refused = stack.destroy(ok=False)
    assert refused.returncode != 0
    assert "HTTP 401" in refused.text
    assert "pulumi destroy --run-program" in refused.text, refused.text
    assert emulator.api("GET", f"meetings/{meeting_id}", ROTATED)["data"]["status"] == "ACTIVE"

    done = stack.destroy("--run-program")
    assert emulator.api("GET", f"meetings/{meeting_id}", ROTATED)["data"]["status"] == "INACTIVE"
    # rtk:debug set after the up applies too: one line per request, under its resource.
    (line,) = diagnostics(done)["pulumi-python:dynamic/rtk:Meeting (standup)"]
    path = f"/accounts/{ACCOUNT}/realtime/kit/{APP}/meetings/{meeting_id}"
    assert line.startswith(f"pulumi-rtk: PATCH {path} -> 200 in "), line
    stack.assert_no_secret_leaked((ROTATED,))


def test_the_environment_token_reaches_destroy_through_run_program(
    new_stack: Callable[[Path], Stack],
    restartable: Callable[..., EmulatorProcess],
    tmp_path: Path,
) -> None:
    emulator = restartable(TOKEN)
    stack = stack_for(new_stack, project(tmp_path, MEETING_PROGRAM), emulator)
    stack.up()
    emulator = restartable(ROTATED)
    stack.run("config", "rm", "rtk:apiToken")
    stack.env_extra["CLOUDFLARE_API_TOKEN"] = ROTATED
    assert "pulumi destroy --run-program" in stack.destroy(ok=False).text
    stack.destroy("--run-program")
    assert emulator.api("GET", "webhooks", ROTATED)["data"] == []


def test_a_connection_refused_fails_at_once_naming_host_port_and_cause(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    stack = new_stack(project(tmp_path, RECORDING_PROGRAM))
    stack.config("meetingId", emulator.meeting())
    closed = free_port()
    stack.config("rtk:apiBaseUrl", f"http://127.0.0.1:{closed}/client/v4")
    run = stack.up(ok=False)
    assert run.returncode != 0
    message = run.text
    assert f"to 127.0.0.1:{closed} failed before anything was sent: connection refused" in message
    assert "safe to run the same command again" in message
    # No reconciliation for a request that never left: no orphan search, no "may have acted".
    assert "may have acted" not in message
    assert "looking for" not in message
    # The failure alone, not the chain of requests' and urllib3's exceptions beneath it.
    assert "During handling of the above exception" not in message
    assert "The above exception was the direct cause" not in message
    assert "urllib3" not in message
    assert stack.recordings() == {}


def test_missing_config_fails_the_preview_before_any_request(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    stack = new_stack(project(tmp_path, MEETING_PROGRAM))
    stack.run("config", "rm", "rtk:appId")
    before = len(emulator.admin.requests())
    run = stack.preview(ok=False)
    assert run.returncode != 0
    problem = (
        "no app id: pass app_id to the resource, or run `pulumi config set rtk:appId <value>` "
        "or set RTK_APP_ID"
    )
    [line] = {line.strip() for line in run.text.splitlines() if problem in line}
    assert "rtk:Meeting resource 'standup'" in line or "rtk:Webhook resource 'uploads'" in line
    assert len(emulator.admin.requests()) == before


@pytest.mark.parametrize(
    ("kind", "status", "shown"),
    [("gateway_error", 429, "HTTP 429 (code 971)"), ("status", 400, "HTTP 400 (code 400)")],
)
def test_a_malformed_retry_after_is_ignored_not_raised(
    new_stack: Callable[[Path], Stack],
    emulator: EmulatorProcess,
    tmp_path: Path,
    kind: str,
    status: int,
    shown: str,
) -> None:
    stack = new_stack(project(tmp_path, RECORDING_PROGRAM))
    stack.config("meetingId", emulator.meeting())
    stack.config("rtk:maxRetries", 1)
    emulator.admin.add_fault(
        "POST", r"/recordings$", kind, count=10, status=status, retry_after="soon"
    )
    try:
        run = stack.up(ok=False)
    finally:
        emulator.admin.clear_faults()
    assert run.returncode != 0
    assert shown in run.text, run.text
    assert "InvalidHeader" not in run.text


def test_an_interrupted_create_names_the_recording_and_the_next_up_adopts_it(
    new_stack: Callable[[Path], Stack],
    restartable: Callable[..., EmulatorProcess],
    tmp_path: Path,
    cli: Cli,
) -> None:
    # The recording stays INVOKED for 10 virtual minutes, so `up` is still waiting when the
    # emulator dies.
    emulator = restartable(TOKEN, "--invoke-delay", "600")
    meeting_id = emulator.meeting()
    emulator.admin.join(meeting_id, "host")
    stack = stack_for(new_stack, project(tmp_path, RECORDING_PROGRAM), emulator)
    stack.config("meetingId", meeting_id)
    stack.config("waitFor", "RECORDING")

    up = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--stack", STACK, "--non-interactive"],
        cwd=stack.project,
        env=stack.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not emulator.admin.recordings(meeting_id) and time.monotonic() < deadline:
            time.sleep(0.2)
        (started,) = emulator.admin.recordings(meeting_id)
        emulator.close()  # the API goes away while `up` waits for RECORDING
        output, _ = up.communicate(timeout=CLI_TIMEOUT)
    finally:
        if up.poll() is None:
            up.kill()
            up.communicate()
    assert up.returncode != 0
    recording_id = started["id"]
    assert f"recording {recording_id} was started and may still be running" in output, output
    assert "the next `pulumi up` adopts it" in output
    assert stack.recordings() == {}

    # The API is back (the recording kept running); the next `up` adopts it, starts nothing.
    emulator = restartable(TOKEN, "--invoke-delay", "0")
    emulator.admin.clear_requests()
    stack.up()
    assert stack.ids() == {"standup": recording_id}
    assert [r.status for r in emulator.wire("POST", r"/recordings$")] == [400]
    assert emulator.active(meeting_id) == [recording_id]


def test_a_nested_check_failure_shows_no_false_nil(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    stack = new_stack(project(tmp_path, RECORDING_PROGRAM))
    stack.config("meetingId", emulator.meeting())
    stack.config("videoCodec", "VP8")  # with an audio codec set: not allowed
    emulator.admin.clear_requests()
    nested = stack.preview(ok=False)
    assert nested.returncode != 0
    assert (
        "Recording resource 'standup' has a problem: audio_config.codec: must be unset when "
        "video_config.codec is VP8" in nested.text
    ), nested.text
    assert "<nil>" not in nested.text
    # A top-level input still shows its real value.
    stack.config("videoCodec", "H264")
    stack.config("maxSeconds", 10)
    top = stack.preview(ok=False)
    assert re.search(
        r"property max_seconds value \{10\} has a problem: must be at least 60", top.text
    )
    assert emulator.admin.requests() == []


SECRET_URL_PROGRAM = """\
import pulumi

import pulumi_rtk as rtk

hook = rtk.Webhook(
    "uploads",
    url=pulumi.Output.secret("ftp://LEAKCHECK-hook-host.example.com/x"),
    events=["meeting.ended"],
)
"""


def test_a_secret_input_that_breaks_a_rule_is_shown_as_secret(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    stack = new_stack(project(tmp_path, SECRET_URL_PROGRAM))
    run = stack.preview(ok=False)
    assert "property url value {[secret]} has a problem: must be a URL" in run.text, run.text
    assert "LEAKCHECK-hook-host" not in run.text


def test_debug_lines_appear_once_each_under_the_resource_that_made_them(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    stack = new_stack(project(tmp_path, MEETING_PROGRAM))
    stack.config("rtk:debug", True)
    emulator.admin.clear_requests()
    run = stack.up()
    lines = diagnostics(run)
    base = f"/accounts/{ACCOUNT}/realtime/kit/{APP}"
    meeting = lines["pulumi-python:dynamic/rtk:Meeting (standup)"]
    hook = lines["pulumi-python:dynamic/rtk:Webhook (uploads)"]
    assert len(meeting) == 1 and meeting[0].startswith(f"pulumi-rtk: POST {base}/meetings -> 200")
    assert len(hook) == 1 and hook[0].startswith(f"pulumi-rtk: POST {base}/webhooks -> 200")
    assert len(emulator.writes()) == 2  # one line per request, and one request each
    stack_lines = [lines[key] for key in lines if key.startswith("pulumi:pulumi:Stack")]
    assert not any("pulumi-rtk:" in line for group in stack_lines for line in group)
    for secret in SECRET_VALUES:
        assert secret not in run.text
    stack.destroy()
