"""End to end: a recording setup (two meetings, a webhook) through the real CLI.

``examples/recording-setup`` goes through ``preview``, ``up``, a change made behind Pulumi's back
that ``up --refresh`` reverts, an in-place edit, and ``destroy`` (meetings INACTIVE, webhook
gone), with its storage credentials never in plaintext anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.cli import SECRET_SIG, Run, Stack
from tests.support.processes import EmulatorProcess
from tests.support.values import REPO, TOKEN

EXAMPLE = REPO / "examples" / "recording-setup"
ACCESS_KEY = "AKIA-LEAKCHECK-SETUP-93"
SECRET = "LEAKCHECK-setup-secret-1f"


def setup_stack(new_stack: Callable[[Path], Stack]) -> Stack:
    stack = new_stack(EXAMPLE)
    stack.config("storageAccessKey", ACCESS_KEY, secret=True)
    stack.config("storageSecret", SECRET, secret=True)
    return stack


def planned(run: Run) -> dict[str, str]:
    """Resource name -> the step a ``--diff`` preview shows for it."""
    steps = re.findall(
        r"pulumi-python:dynamic/rtk:\w+: \((\w[\w-]*)\)\n"
        r"(?:\s*\[id=\S+\]\n)?\s*\[urn=\S+::([^:\]]+)\]",
        run.stdout,
    )
    return {name: step for step, name in steps}


def meeting_writes(emulator: EmulatorProcess) -> list[tuple[str, str, Any]]:
    return [
        (r.method, r.path.rsplit("/", 1)[-1], r.body)
        for r in emulator.writes()
        if "/meetings" in r.path
    ]


def live(emulator: EmulatorProcess, kind: str, object_id: str) -> dict[str, Any]:
    found: dict[str, Any] = emulator.api("GET", f"{kind}/{object_id}", TOKEN)["data"]
    return found


def test_recording_setup_up_drift_edit_and_destroy(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess
) -> None:
    stack = setup_stack(new_stack)

    emulator.admin.clear_requests()
    preview = stack.preview()
    assert planned(preview) == {"standup": "create", "town-hall": "create", "uploads": "create"}
    assert emulator.admin.requests() == []

    stack.up()
    posts = [r for r in emulator.writes() if r.method == "POST"]
    # One POST per resource, in whatever order the engine ran them.
    assert sorted(r.path.rsplit("/", 1)[-1] for r in posts) == ["meetings", "meetings", "webhooks"]
    bodies = {r.body.get("title"): r.body for r in posts if r.path.endswith("/meetings")}
    standup_body = bodies["Daily standup"]
    assert standup_body["recording_config"]["storage_config"] == {
        "type": "aws",
        "bucket": "acme-recordings",
        "region": "eu-west-1",
        "access_key": ACCESS_KEY,
        "secret": SECRET,
        "path": "standup/",
    }
    assert standup_body["record_on_start"] is True
    assert "status" not in standup_body
    hook_body = next(r.body for r in posts if r.path.endswith("/webhooks"))
    assert hook_body == {
        "name": "uploads",
        "url": "https://hooks.example.com/rtk",
        "events": [
            "meeting.started",
            "meeting.participantJoined",
            "meeting.participantLeft",
            "meeting.ended",
            "recording.statusUpdate",
        ],
        "enabled": True,
    }

    meetings = stack.ids("Meeting")
    hook_id = stack.ids("Webhook")["uploads"]
    outputs = stack.outputs()
    assert outputs["standup_meeting_id"] == meetings["standup"]
    assert live(emulator, "meetings", meetings["standup"])["title"] == "Daily standup"
    for res in stack.resources("Meeting").values():
        storage = res["outputs"]["recording_config"]["storage_config"]
        assert SECRET_SIG in str(storage["secret"]) and SECRET_SIG in str(storage["access_key"])

    emulator.admin.clear_requests()
    stack.preview("--expect-no-changes")
    assert emulator.writes() == []

    # Behind Pulumi's back: the standup is renamed and the webhook disabled in the dashboard.
    emulator.api("PATCH", f"meetings/{meetings['standup']}", TOKEN, {"title": "Renamed"})
    emulator.api("PATCH", f"webhooks/{hook_id}", TOKEN, {"enabled": False})
    refreshed = stack.preview("--refresh")
    assert planned(refreshed)["standup"] == "update", refreshed.stdout
    assert planned(refreshed)["uploads"] == "update", refreshed.stdout
    assert "town-hall" not in planned(refreshed), refreshed.stdout  # unchanged
    emulator.admin.clear_requests()
    stack.up("--refresh")
    assert meeting_writes(emulator) == [("PATCH", meetings["standup"], {"title": "Daily standup"})]
    assert [(r.method, r.body) for r in emulator.writes() if "/webhooks" in r.path] == [
        ("PATCH", {"enabled": True})
    ]
    assert live(emulator, "meetings", meetings["standup"])["title"] == "Daily standup"
    assert live(emulator, "webhooks", hook_id)["enabled"] is True

    # An in-place edit: one PATCH of the field that changed; the meeting keeps its id.
    stack.config("standupTitle", "Standup (EMEA)")
    preview = stack.preview()
    assert planned(preview)["standup"] == "update", preview.stdout
    assert re.search(r"~ title\s*: \"Daily standup\" => \"Standup \(EMEA\)\"", preview.stdout), (
        preview.stdout
    )
    emulator.admin.clear_requests()
    stack.up()
    assert meeting_writes(emulator) == [("PATCH", meetings["standup"], {"title": "Standup (EMEA)"})]
    assert stack.ids("Meeting") == meetings

    # destroy: meetings deactivated (the API has no DELETE for them), the webhook deleted.
    emulator.admin.clear_requests()
    stack.destroy()
    assert sorted(meeting_writes(emulator)) == sorted(
        ("PATCH", meeting_id, {"status": "INACTIVE"}) for meeting_id in meetings.values()
    )
    for meeting_id in meetings.values():
        assert live(emulator, "meetings", meeting_id)["status"] == "INACTIVE"
    assert [r.method for r in emulator.writes() if "/webhooks" in r.path] == ["DELETE"]
    assert emulator.api("GET", "webhooks", TOKEN)["data"] == []
    assert stack.resources("Meeting") == {} and stack.resources("Webhook") == {}

    stack.assert_no_secret_leaked((ACCESS_KEY, SECRET))
