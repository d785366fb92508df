"""The recording-setup walkthrough, followed as its README says, and what it must have produced.

``examples/recording-setup/README.md`` runs (its ```bash blocks, in one shell:
``tests/support/readme.py``) in a copy of the example outside the repository, in a user's
environment: the Pulumi CLI and a plain Python on PATH, a new HOME, ``RTK_PACKAGE`` naming the
wheel built from this checkout, ``RTK_EMULATOR_PORT`` a free port. It deploys two
self-recording meetings and a webhook, has someone join and leave the standup, moves the
emulator's clock, and destroys the stack. Then, from what the walkthrough left in the copy:

- ``receiver.log``: the standup's webhook deliveries arrived in the order they happened, each
  with a signature the receiver verified;
- ``emulator-data/`` (the emulator's saved state, reopened in-process on a frozen clock): the
  recording started by itself (``RECORD_ON_START``) into the storage target the program
  declared, stopped with ``ALL_PEERS_LEFT``, and its file was logged as uploaded there;
- no storage credential in plaintext in the stack's state, the emulator's state or the logs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pulumi_rtk.emulator import Emulator
from tests.support.cli import Cli
from tests.support.processes import api_call
from tests.support.readme import ReadmeRun, follow_readme
from tests.support.values import REPO

# The wheel and the CLI may need building first; the README run itself is bounded below.
pytestmark = pytest.mark.timeout(1800)

EXAMPLE = REPO / "examples" / "recording-setup"
# pip installs the venv (seconds with a warm cache), then a handful of CLI commands.
README_TIMEOUT = 600
# What the README sets and declares: its token, the bucket's credentials, the standup's target.
TOKEN = "my-token"
CREDENTIALS = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
STANDUP_TARGET = {"type": "aws", "bucket": "acme-recordings", "path": "standup/"}


def deliveries(log: str) -> list[dict[str, str]]:
    """The receiver's lines (``event=... key=value ...``) as dicts, in arrival order."""
    return [
        {key: value for key, _, value in (field.partition("=") for field in line.split())}
        for line in log.splitlines()
        if line.startswith("event=")
    ]


def label(delivery: dict[str, str]) -> str:
    status = delivery.get("status")
    return f"{delivery['event']} {status}" if status else delivery["event"]


@pytest.fixture(scope="module")
def walkthrough(
    cli: Cli, wheel: Path, pins: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ReadmeRun]:
    """The README, run once in a copy of the example; the copy keeps what it left behind."""
    root = tmp_path_factory.mktemp("walkthrough")
    assert REPO not in root.parents
    copy, run = follow_readme(EXAMPLE, root, cli.bin_dir, wheel, pins, timeout=README_TIMEOUT)
    assert run.returncode == 0, (
        f"following examples/recording-setup/README.md failed ({run.returncode}); "
        f"the end of its output:\n{run.output[-8000:]}"
    )
    return copy, run


@pytest.fixture(scope="module")
def emulator_state(walkthrough: tuple[Path, ReadmeRun]) -> dict[str, Any]:
    """What the walkthrough's emulator saved, read back through the emulator itself."""
    copy, _ = walkthrough
    data = copy / "emulator-data"
    assert (data / "state.json").is_file(), "the README's emulator left no state"
    with Emulator(token=TOKEN, data_dir=data, clock_speed=0.0) as emulator:
        recordings = emulator.recordings()
        meetings = {
            r["meeting_id"]: api_call(
                emulator.base_url, "GET", f"meetings/{r['meeting_id']}", TOKEN
            )
            for r in recordings
        }
        return {"recordings": recordings, "meetings": meetings, "uploads": emulator.uploads()}


def test_the_standup_recorded_itself_into_the_declared_target(
    emulator_state: dict[str, Any],
) -> None:
    (recording,) = emulator_state["recordings"]  # only the standup had anyone in it
    meeting = emulator_state["meetings"][recording["meeting_id"]]["data"]
    assert meeting["title"] == "Daily standup"
    assert meeting["record_on_start"] is True
    assert meeting["status"] == "INACTIVE"  # pulumi destroy deactivated it

    assert recording["start_reason"] == {"reason": "RECORD_ON_START"}
    assert recording["stop_reason"] == {"reason": "ALL_PEERS_LEFT"}
    assert recording["status"] == "UPLOADED"
    storage = recording["storage_config"]
    assert {key: storage[key] for key in STANDUP_TARGET} == STANDUP_TARGET
    assert recording["output_file_name"].startswith("standup_")
    # The meeting's recording_config, not the start call's (there was none): H264 at 720p.
    assert recording["config"]["video_config"] == {"codec": "H264", "width": 1280, "height": 720}

    (upload,) = emulator_state["uploads"]
    assert upload["recording_id"] == recording["id"]
    assert upload["file_name"] == recording["output_file_name"]
    assert {key: upload["storage"][key] for key in STANDUP_TARGET} == STANDUP_TARGET


def test_the_receiver_got_every_event_in_order_and_verified(
    walkthrough: tuple[Path, ReadmeRun], emulator_state: dict[str, Any]
) -> None:
    copy, _ = walkthrough
    log = (copy / "receiver.log").read_text()
    got = deliveries(log)
    (recording,) = emulator_state["recordings"]
    standup = recording["meeting_id"]

    assert [label(d) for d in got] == [
        "meeting.started",
        "meeting.participantJoined",
        "recording.statusUpdate RECORDING",
        "meeting.participantLeft",
        "recording.statusUpdate UPLOADING",
        "meeting.ended",
        "recording.statusUpdate UPLOADED",
    ], log
    assert {d["meeting"] for d in got} == {standup}, log
    assert {d["signature"] for d in got} == {"verified"}, log
    assert {d["recording"] for d in got if "recording" in d} == {recording["id"]}
    assert {d["participant"] for d in got if "participant" in d} == {"alice"}
    started, ended = (
        next(d for d in got if d["event"] == e) for e in ("meeting.started", "meeting.ended")
    )
    assert started["session"] == ended["session"] == recording["session_id"]
    assert ended["reason"] == "ALL_PARTICIPANTS_LEFT"


def test_the_walkthrough_shows_what_happened(walkthrough: tuple[Path, ReadmeRun]) -> None:
    """The lines the README's comments promise, as the user sees them."""
    _, run = walkthrough
    uuid = r"[0-9a-f-]{36}"
    target = r"aws://acme-recordings/standup/"
    for shown in (
        rf"^{uuid} INVOKED start: RECORD_ON_START stop: - {target}$",
        rf"^{uuid} RECORDING start: RECORD_ON_START stop: - {target}$",
        rf"^{uuid} UPLOADING start: RECORD_ON_START stop: ALL_PEERS_LEFT {target}$",
        rf"^{uuid} UPLOADED start: RECORD_ON_START stop: ALL_PEERS_LEFT {target}$",
        rf"^standup_{uuid}\.mp4 -> {target}$",
        r'^\{"drained": ?true\}$',
    ):
        assert re.search(shown, run.output, re.MULTILINE), f"no {shown!r} in:\n{run.output[-8000:]}"


def test_no_credential_in_plaintext(walkthrough: tuple[Path, ReadmeRun]) -> None:
    copy, _ = walkthrough
    readme = (copy / "README.md").read_text()
    assert all(secret in readme for secret in CREDENTIALS)  # still the values the README sets
    places = [*(copy / "state").rglob("*"), *(copy / "emulator-data").rglob("*")]
    places += [copy / "emulator.log", copy / "receiver.log"]
    for path in places:
        if path.is_file():
            text = path.read_bytes().decode(errors="replace")
            for secret in CREDENTIALS:
                assert secret not in text, f"{secret!r} in plaintext in {path.relative_to(copy)}"
