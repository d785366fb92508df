"""Benchmark 7: deploys at a real network's latency, with the real CLI, against their floor.

On loopback a request costs about a millisecond; against the API it costs tens. The emulator
answers every public API request after 50 ms here (``--latency-ms``, slept in the request's own
thread, so concurrent requests overlap as on a network). Two stacks, 100 ``Recording``\\ s (the
inputs of benchmark 6) and 100 ``Meeting``\\ s, go through ``pulumi up``, ``pulumi refresh`` and
``pulumi destroy``; each command's requests are counted from the emulator's request log.

The SDK's dynamic provider server runs at most 4 calls at once, so N operations of r sequential
requests at latency L take at least the floor r x L x N / 4, and every row gives its ratio to
it. The same commands also run with the latency set to 0 (admin ``set_latency``, interleaved):
that is the deployment's own work on this machine (engine, program, provider), and what the
latency adds on top of it is reported against the same floor.

Also measured in process, without the CLI: the requests of a create+read+delete cycle of one
recording, on a meeting that runs one recording at a time and with
``allow_multiple_recordings`` (whose start lists the meeting's running recordings first).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from pulumi.dynamic import Config, ConfigureRequest

from bench.common import (
    EmulatorProcess,
    Outcome,
    Row,
    median,
    provider_config,
    resource_inputs,
    start_body,
)
from bench.deploy import Project, cli_env, cli_version, configure_rtk
from pulumi_rtk.provider import RecordingProvider
from tests.support.cli import locate_cli
from tests.support.values import ACCOUNT, APP

LATENCY_MS = 50
GOAL = 1.30
SERVER_THREADS = 4  # pulumi.dynamic's provider server: ThreadPoolExecutor(max_workers=4)
COMMANDS = ("up", "refresh", "destroy")
GOALS = {"up": GOAL, "destroy": GOAL}
CYCLES = 5

RECORDINGS = """
    import json

    import pulumi_rtk

    for index, body in enumerate(json.load(open("bodies.json"))):
        pulumi_rtk.Recording(f"rec-{index:03d}", **body)
"""
MEETINGS = """
    import json

    import pulumi_rtk

    for index, title in enumerate(json.load(open("titles.json"))):
        pulumi_rtk.Meeting(f"meeting-{index:03d}", title=title)
"""


def _stacks(root: Path, env: dict[str, str], emu: EmulatorProcess, count: int) -> dict[str, Any]:
    """The two projects, their stacks initialised and configured for the emulator."""
    stacks = {
        "Recordings": Project(root, "latencyrec", RECORDINGS, env),
        "Meetings": Project(root, "latencymeet", MEETINGS, env),
    }
    bodies = [start_body(meeting) for meeting in emu.fresh_meetings(count)]
    (stacks["Recordings"].dir / "bodies.json").write_text(json.dumps(bodies))
    titles = [f"latency {index}" for index in range(count)]
    (stacks["Meetings"].dir / "titles.json").write_text(json.dumps(titles))
    for project in stacks.values():
        project.pulumi("stack", "init", "bench")
        configure_rtk(project, emu)
    return stacks


def _cycle_requests(emu: EmulatorProcess, *, multiple: bool) -> tuple[float, float]:
    """Requests and median seconds of a create+read+delete cycle through RecordingProvider."""
    provider = RecordingProvider()
    provider.configure(ConfigureRequest(Config(provider_config(emu.base_url), "bench")))
    requests: list[int] = []
    seconds: list[float] = []
    for _ in range(CYCLES):
        meeting = emu.admin.create_meeting(ACCOUNT, APP, "cycle")
        inputs = {**resource_inputs(meeting), "allow_multiple_recordings": multiple}
        emu.admin.clear_requests()
        started = time.perf_counter()
        created = provider.create(inputs)
        read = provider.read(created.id, created.outs or {})
        provider.delete(created.id, read.outs or {})
        seconds.append(time.perf_counter() - started)
        requests.append(len(emu.admin.requests()))
    return median(requests), median(seconds)


def run(count: int, reps: int, full: bool) -> Outcome:
    """``count`` resources per stack, ``reps`` runs of each command; ``full`` adds the runs at
    0 ms and an untimed warm-up (the full benchmark; ``--quick``, a smoke run, leaves them out)."""
    outcome = Outcome("latency")
    latency = LATENCY_MS / 1000
    with EmulatorProcess("--latency-ms", str(LATENCY_MS)) as emu:
        one, one_s = _cycle_requests(emu, multiple=False)
        many, many_s = _cycle_requests(emu, multiple=True)
        outcome.rows += [
            Row(
                "7 latency",
                f"create+read+delete at {LATENCY_MS} ms, one recording per meeting",
                f"{one:g} requests, {one_s * 1000:.0f} ms",
                f"floor {one * LATENCY_MS:g} ms (requests x latency)",
                one_s / (one * latency),
            ),
            Row(
                "7 latency",
                "  same, allow_multiple_recordings (lists before it starts)",
                f"{many:g} requests, {many_s * 1000:.0f} ms",
                f"{one_s * 1000:.0f} ms (one recording per meeting)",
                many_s / one_s,
            ),
        ]
        bin_dir, why = locate_cli()
        if bin_dir is None:
            outcome.notes.append(f"7: CLI rows skipped: no Pulumi CLI ({why})")
            return outcome
        with tempfile.TemporaryDirectory(prefix="rtk-bench-latency-") as tmp:
            root = Path(tmp)
            env = cli_env(bin_dir, root)
            version = cli_version(env)
            stacks = _stacks(root, env, emu, count)
            emu.admin.set_latency(0)
            for project in stacks.values() if full else ():  # untimed: bytecode, page cache
                project.pulumi("up", "--yes", "--skip-preview")
                project.pulumi("destroy", "--yes", "--skip-preview")
            latencies = (latency, 0.0) if full else (latency,)
            wall: dict[tuple[str, str, float], list[float]] = {}
            sent: dict[tuple[str, str], list[int]] = {}
            for rep in range(reps):
                for current in latencies if rep % 2 == 0 else latencies[::-1]:
                    emu.admin.set_latency(current)
                    for kind, project in stacks.items():
                        for command in COMMANDS:
                            emu.admin.clear_requests()
                            seconds = project.pulumi(command, "--yes", "--skip-preview")
                            wall.setdefault((kind, command, current), []).append(seconds)
                            if current:
                                sent.setdefault((kind, command), []).append(
                                    len(emu.admin.requests())
                                )
    outcome.notes.append(
        f"7: Pulumi CLI {version}; {count} resources per stack, {reps} run(s) of each command "
        f"at {LATENCY_MS} ms"
        + (" and at 0 ms, interleaved" if full else "")
        + f"; floor = requests per operation x {LATENCY_MS} ms x {count} / {SERVER_THREADS} "
        "(the SDK's provider server runs 4 calls at once)"
    )
    for kind in stacks:
        for command in COMMANDS:
            per_op = median(sent[kind, command]) / count
            floor = per_op * latency * count / SERVER_THREADS
            seconds = median(wall[kind, command, latency])
            goal = GOALS.get(command) if full else None  # goals are for the full stacks
            at_zero = median(wall[kind, command, 0.0]) if full else None
            outcome.rows.append(
                Row(
                    "7 latency",
                    f"pulumi {command}, {count} {kind}, {LATENCY_MS} ms (wall)",
                    f"{seconds:.2f} s, {per_op:g} req/op",
                    f"floor {floor:.2f} s"
                    + ("" if at_zero is None else f"; at 0 ms {at_zero:.2f} s"),
                    seconds / floor,
                    "" if goal is None else f"≤ {goal:.2f}",
                    None if goal is None else seconds / floor <= goal,
                    raw={
                        "seconds": wall[kind, command, latency],
                        "at_zero": wall.get((kind, command, 0.0), []),
                        "requests": sent[kind, command],
                    },
                )
            )
            if at_zero is not None:
                outcome.rows.append(
                    Row(
                        "7 latency",
                        "  what the latency adds (wall at 50 ms - at 0 ms)",
                        f"{seconds - at_zero:.2f} s",
                        f"floor {floor:.2f} s",
                        (seconds - at_zero) / floor,
                    )
                )
    return outcome
