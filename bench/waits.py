"""Benchmark 8: ``pulumi up`` of recordings that wait until they record, with the real CLI.

``wait_for_status="RECORDING"`` keeps a create (and one of the provider server's 4 threads)
busy from the start request until a look at the recording sees it recording. The emulator runs
its clock in real time (``--clock-speed 1``), takes 3 s from INVOKED to RECORDING
(``--invoke-delay 3``) and answers every request after 50 ms (``--latency-ms 50``).

The floor: each create holds a thread at least for its start request and the delay, L + D, and
4 threads serve N creates, so N x (L + D) / 4. Reported with the looks (GETs) per recording,
which are the requests a wait adds.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bench.common import EmulatorProcess, Outcome, Row, median, start_body
from bench.deploy import Project, cli_env, cli_version, configure_rtk
from pulumi_rtk.vocabulary import ACTIVE_STATUSES as ACTIVE
from tests.support.cli import locate_cli

LATENCY_MS = 50
INVOKE_DELAY = 3.0
SERVER_THREADS = 4

PROGRAM = """
    import json

    import pulumi_rtk

    for index, body in enumerate(json.load(open("bodies.json"))):
        pulumi_rtk.Recording(f"rec-{index:03d}", wait_for_status="RECORDING", **body)
"""


def run(count: int, reps: int) -> Outcome:
    outcome = Outcome("waits")
    bin_dir, why = locate_cli()
    if bin_dir is None:
        outcome.skipped = f"skipped: no Pulumi CLI ({why})"
        return outcome
    args = ("--clock-speed", "1", "--invoke-delay", f"{INVOKE_DELAY:g}")
    with (
        tempfile.TemporaryDirectory(prefix="rtk-bench-waits-") as tmp,
        EmulatorProcess("--latency-ms", str(LATENCY_MS), *args) as emu,
    ):
        root = Path(tmp)
        env = cli_env(bin_dir, root)
        version = cli_version(env)
        project = Project(root, "benchwaits", PROGRAM, env)
        bodies = [start_body(meeting) for meeting in emu.fresh_meetings(count)]
        (project.dir / "bodies.json").write_text(json.dumps(bodies))
        project.pulumi("stack", "init", "bench")
        configure_rtk(project, emu)
        walls: list[float] = []
        looks: list[float] = []
        for _ in range(reps):
            emu.admin.clear_requests()
            walls.append(project.pulumi("up", "--yes", "--skip-preview"))
            looks.append(len(emu.wire("GET")) / count)
            running = [r["status"] for r in emu.admin.recordings() if r["status"] in ACTIVE]
            if running != ["RECORDING"] * count:
                raise RuntimeError(f"expected {count} RECORDING after up, found {running}")
            project.pulumi("destroy", "--yes", "--skip-preview")
    floor = count * (LATENCY_MS / 1000 + INVOKE_DELAY) / SERVER_THREADS
    seconds = median(walls)
    outcome.rows.append(
        Row(
            "8 waits",
            f"pulumi up, {count} Recordings waiting for RECORDING (wall)",
            f"{seconds:.2f} s, {median(looks):g} GET/recording",
            f"floor {floor:.2f} s ({count} x ({LATENCY_MS} ms + {INVOKE_DELAY:g} s) / 4)",
            seconds / floor,
            raw={"seconds": walls, "gets_per_recording": looks, "cli_version": version},
        )
    )
    outcome.notes.append(
        f"8: Pulumi CLI {version}; emulator clock in real time, INVOKED -> RECORDING in "
        f"{INVOKE_DELAY:g} s, {LATENCY_MS} ms per request; {reps} up+destroy run(s), median"
    )
    return outcome
