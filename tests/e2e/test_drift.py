"""End to end: drift detection with ``pulumi refresh --preview-only --expect-no-changes``.

The check reads every resource from the API and compares it with the state, changing nothing.
It passes while nothing changed outside Pulumi, and fails, naming the resource and the property,
once something did: a meeting renamed or its ``record_on_start`` turned off in the dashboard
(``examples/recording-setup``), a recording paused through the API (``examples/quickstart``).
The state stays as it was, so the next ``up --refresh`` still finds the drift and puts it back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.support.cli import Run, Stack
from tests.support.processes import EmulatorProcess
from tests.support.values import REPO, TOKEN

EXPECTED_NO_CHANGES = "no changes were expected for refresh but changes were proposed"


def drift_check(stack: Stack, *, ok: bool = True) -> Run:
    return stack.run("refresh", "--preview-only", "--expect-no-changes", "--diff", ok=ok)


def drifted(run: Run) -> dict[str, str]:
    """Resource name -> the step the refresh preview shows for it (``update``, ``delete``)."""
    steps = re.findall(
        r"pulumi-python:dynamic/rtk:\w+: \((\w[\w-]*)\)\n"
        r"(?:\s*\[id=\S+\]\n)?\s*\[urn=\S+::([^:\]]+)\]",
        run.stdout,
    )
    return {name: step for step, name in steps}


def test_meetings_changed_in_the_dashboard_fail_the_check_and_up_reverts_them(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess
) -> None:
    stack = new_stack(REPO / "examples" / "recording-setup")
    stack.config("storageAccessKey", "AKIA-LEAKCHECK-DRIFT-61", secret=True)
    stack.config("storageSecret", "LEAKCHECK-drift-secret-3a", secret=True)
    stack.up()
    meetings = stack.ids("Meeting")

    emulator.admin.clear_requests()
    clean = drift_check(stack)
    assert drifted(clean) == {}, clean.stdout
    assert "4 unchanged" in clean.stdout
    assert emulator.writes() == []  # reads only

    emulator.api("PATCH", f"meetings/{meetings['standup']}", TOKEN, {"title": "Renamed"})
    emulator.api("PATCH", f"meetings/{meetings['town-hall']}", TOKEN, {"record_on_start": False})
    before = stack.export()
    emulator.admin.clear_requests()
    run = drift_check(stack, ok=False)
    assert run.returncode != 0
    assert EXPECTED_NO_CHANGES in run.text
    assert drifted(run) == {"standup": "update", "town-hall": "update"}, run.stdout
    assert re.search(r'~ title\s*: "Daily standup" => "Renamed"', run.stdout), run.stdout
    assert re.search(r"~ record_on_start\s*: true => false", run.stdout), run.stdout
    assert emulator.writes() == []

    # --preview-only left the state alone: the export is the same, and without a refresh the
    # state still matches the program, so a plain preview has nothing to do ...
    assert stack.export() == before
    stack.preview("--expect-no-changes")
    # ... while `up --refresh` learns of the drift and reverts it, one PATCH per meeting.
    emulator.admin.clear_requests()
    stack.up("--refresh")
    assert sorted((r.method, r.path.rsplit("/", 1)[-1], r.body) for r in emulator.writes()) == (
        sorted(
            [
                ("PATCH", meetings["standup"], {"title": "Daily standup"}),
                ("PATCH", meetings["town-hall"], {"record_on_start": True}),
            ]
        )
    )
    assert drifted(drift_check(stack)) == {}

    stack.destroy()
    stack.assert_no_secret_leaked(("AKIA-LEAKCHECK-DRIFT-61", "LEAKCHECK-drift-secret-3a"))


def test_a_recording_paused_behind_pulumis_back_fails_the_check(
    new_stack: Callable[[Path], Stack], emulator: EmulatorProcess
) -> None:
    stack = new_stack(REPO / "examples" / "quickstart")
    stack.config("meetingId", emulator.meeting())
    stack.up()
    recording_id = stack.ids()["meeting"]
    assert drifted(drift_check(stack)) == {}

    emulator.api("PUT", f"recordings/{recording_id}", TOKEN, {"action": "pause"})
    before = stack.export()
    run = drift_check(stack, ok=False)
    assert run.returncode != 0
    assert EXPECTED_NO_CHANGES in run.text
    assert drifted(run) == {"meeting": "update"}, run.stdout
    assert re.search(r'~ status\s*: "RECORDING" => "PAUSED"', run.stdout), run.stdout
    assert stack.export() == before
    assert stack.statuses() == {"meeting": "RECORDING"}

    # The program says paused=False: `up --refresh` sees PAUSED and resumes the same recording.
    emulator.admin.clear_requests()
    stack.up("--refresh")
    assert [(r.method, r.body) for r in emulator.writes()] == [("PUT", {"action": "resume"})]
    assert stack.statuses() == {"meeting": "RECORDING"}
    assert stack.ids()["meeting"] == recording_id
    assert drifted(drift_check(stack)) == {}
    stack.destroy()
