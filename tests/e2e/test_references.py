"""End to end: read-only references (``Meeting.get``, ``Webhook.get``) under the real CLI.

The engine reads a reference on every ``up`` and forgets it on ``destroy``: the objects' fields
are the stack's outputs, a change made outside Pulumi shows in the next ``up`` and stays, and not
one PATCH or DELETE reaches the API (the emulator's request log). ``tests/engine/
test_references.py`` checks the Read the engine sends, field by field, without the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.cli import Stack, program_project
from tests.support.processes import EmulatorProcess
from tests.support.values import AWS_ACCESS_KEY, AWS_SECRET, TOKEN, aws_storage

PROGRAM = """\
import pulumi

import pulumi_rtk as rtk

config = pulumi.Config()
# Read-only references to objects made outside this stack: read, never changed or deleted.
room = rtk.Meeting.get("room", config.require("meetingId"))
hook = rtk.Webhook.get("hook", config.require("webhookId"))
pulumi.export("room_title", room.title)
pulumi.export("room_status", room.status)
pulumi.export("room_record_on_start", room.record_on_start)
pulumi.export("room_storage", room.recording_config.apply(lambda c: c["storage_config"]))
pulumi.export("room_managed_fields", room.managed_fields)
pulumi.export("hook_name", hook.name)
pulumi.export("hook_url", hook.url)
pulumi.export("hook_events", hook.events)
pulumi.export("hook_enabled", hook.enabled)
"""


def test_get_references_read_on_up_and_are_never_patched_or_deleted(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    stack = new_stack(program_project(tmp_path / "references-src", "rtk-references", PROGRAM))
    room = emulator.api(
        "POST",
        "meetings",
        TOKEN,
        {
            "title": "Board",
            "record_on_start": True,
            "recording_config": {"storage_config": aws_storage(), "max_seconds": 3600},
        },
    )["data"]["id"]
    hook = emulator.api(
        "POST",
        "webhooks",
        TOKEN,
        {"name": "uploads", "url": "https://hooks.example.com/rtk", "events": ["meeting.ended"]},
    )["data"]["id"]
    stack.config("meetingId", room)
    stack.config("webhookId", hook)

    emulator.admin.clear_requests()
    stack.up()
    assert emulator.writes() == []
    assert stack.outputs() == {
        "room_title": "Board",
        "room_status": "ACTIVE",
        "room_record_on_start": True,
        "room_storage": {
            "type": "aws",
            "bucket": "recordings",
            "region": "us-east-1",
            "path": "standups/",
        },
        "room_managed_fields": [],
        "hook_name": "uploads",
        "hook_url": "https://hooks.example.com/rtk",
        "hook_events": ["meeting.ended"],
        "hook_enabled": True,
    }
    for kind, name, id_ in (("Meeting", "room", room), ("Webhook", "hook", hook)):
        state: dict[str, Any] = stack.resources(kind)[name]
        assert (state["id"], state.get("external")) == (id_, True)

    # Changed outside Pulumi: the next `up` reads the change and leaves it as it is.
    emulator.api("PATCH", f"meetings/{room}", TOKEN, {"title": "Board (moved)"})
    emulator.api("PATCH", f"webhooks/{hook}", TOKEN, {"enabled": False})
    emulator.admin.clear_requests()
    stack.up()
    assert emulator.writes() == []
    assert {r.path.rsplit("/", 1)[-1] for r in emulator.admin.requests()} == {room, hook}
    outputs = stack.outputs()
    assert (outputs["room_title"], outputs["hook_enabled"]) == ("Board (moved)", False)

    # Destroy forgets the references: no deactivation, no delete.
    emulator.admin.clear_requests()
    stack.destroy()
    assert emulator.writes() == []
    assert stack.resources("Meeting") == stack.resources("Webhook") == {}
    assert emulator.api("GET", f"meetings/{room}", TOKEN)["data"]["status"] == "ACTIVE"
    assert emulator.api("GET", f"webhooks/{hook}", TOKEN)["data"]["enabled"] is False
    stack.assert_no_secret_leaked((AWS_ACCESS_KEY, AWS_SECRET))
