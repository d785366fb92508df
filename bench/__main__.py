"""``python -m bench``: run the benchmarks of docs/performance.md and print one table.

Exits 1 when a benchmark crashes (not when a goal is missed), so CI can run ``--quick``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import EmulatorProcess, Outcome, Row, machine, median


@dataclass(frozen=True)
class Sizes:
    """How much work each benchmark does: the full run, or ``--quick`` for CI."""

    cycles: int  # 1: create+read+delete cycles per side
    block: int  # 1: cycles per alternating block
    warmup: int  # 1: warm-up cycles per side
    engine_cycles: int  # 2: cycles per caller per block
    engine_blocks: int  # 2: blocks per side
    import_runs: int  # 3: interpreter starts per import statement
    state_ops: int  # 4: operations before the second RSS reading
    capacity_seconds: float  # 5: seconds per load level
    deploy_reps: int  # 6: up+destroy runs per project
    latency_count: int  # 7: resources per stack
    latency_reps: int  # 7: runs of each command
    latency_full: bool  # 7: also run each command at 0 ms, after a warm-up
    wait_count: int  # 8: recordings that wait
    wait_reps: int  # 8: up+destroy runs


FULL = Sizes(500, 10, 30, 25, 6, 20, 1000, 3.0, 8, 100, 2, True, 20, 2)
QUICK = Sizes(60, 10, 10, 5, 2, 5, 1000, 1.0, 2, 10, 1, False, 4, 1)
NAMES = ("overhead", "engine", "import", "state", "capacity", "deploy", "latency", "waits")


class Emulators:
    """One subprocess emulator shared by benchmarks 1, 2, 4 and 5, started on first use."""

    def __init__(self) -> None:
        self._emu: EmulatorProcess | None = None

    def get(self) -> EmulatorProcess:
        if self._emu is None:
            self._emu = EmulatorProcess()
        return self._emu

    def close(self) -> None:
        if self._emu is not None:
            self._emu.close()
            self._emu = None


def _runners(sizes: Sizes, emus: Emulators) -> dict[str, Callable[[], Outcome]]:
    from bench import capacity, deploy, engine_door, imports, latency, overhead, state, waits

    return {
        "overhead": lambda: overhead.run(emus.get(), sizes.cycles, sizes.block, sizes.warmup),
        "engine": lambda: engine_door.run(emus.get(), sizes.engine_cycles, sizes.engine_blocks),
        "import": lambda: imports.run(sizes.import_runs),
        "state": lambda: state.run(emus.get(), sizes.state_ops),
        "capacity": lambda: capacity.run(emus.get(), sizes.capacity_seconds),
        "deploy": lambda: deploy.run(sizes.deploy_reps),
        "latency": lambda: latency.run(sizes.latency_count, sizes.latency_reps, sizes.latency_full),
        "waits": lambda: waits.run(sizes.wait_count, sizes.wait_reps),
    }


def _cross_rows(outcomes: dict[str, Outcome]) -> None:
    """Benchmark 2 against benchmark 1's single caller, when both ran."""
    one, two = outcomes.get("overhead"), outcomes.get("engine")
    if not (one and two and one.rows and two.rows):
        return
    cycle = median(one.rows[0].raw["provider_s"])
    single = 3 / cycle
    grpc = median(two.rows[0].raw["grpc_ops_per_s"])
    two.rows.append(
        Row(
            "2 engine door",
            "gRPC, 4 callers vs in-process, 1 caller",
            f"{grpc:.0f} ops/s",
            f"{single:.0f} ops/s (provider in 1)",
            grpc / single,
        )
    )


def _cell(row: Row) -> list[str]:
    ratio = "" if row.ratio is None else f"{row.ratio:.3f}"
    status = "" if row.met is None else ("met" if row.met else "MISSED")
    return [row.bench, row.measure, row.value, row.baseline, ratio, row.goal, status]


def render(outcomes: Sequence[Outcome], info: dict[str, Any]) -> str:
    head = ["bench", "measure", "value", "baseline (same run)", "ratio", "goal", ""]
    lines: list[list[str]] = []
    for outcome in outcomes:
        if outcome.error:
            lines.append([outcome.name, "CRASHED", outcome.error.splitlines()[-1][:60], "", "", ""])
        elif outcome.skipped:
            lines.append([outcome.name, outcome.skipped, "", "", "", "", ""])
        lines += [_cell(row) for row in outcome.rows]
    widths = [max(len(x[i]) if i < len(x) else 0 for x in [head, *lines]) for i in range(7)]

    def fmt(cells: list[str]) -> str:
        cells = cells + [""] * (7 - len(cells))
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [
        f"pulumi_rtk benchmarks, {info['date']}",
        f"machine: {info['nproc']} CPUs, {info['memory_gib']} GiB, Python {info['python']}, "
        f"pulumi SDK {info['pulumi_sdk']}, CLI {info['pulumi_cli'] or 'none'}, "
        f"load avg {info['loadavg_start']} at start, {info['loadavg']} at end",
        "",
        fmt(head),
        "-+-".join("-" * w for w in widths),
        *(fmt(line) for line in lines),
    ]
    notes = [note for outcome in outcomes for note in outcome.notes]
    if notes:
        out += ["", *notes]
    return "\n".join(out)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small counts, no 100-resource CLI deploy (CI)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=NAMES,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(NAMES)}",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    sizes = QUICK if args.quick else FULL
    selected = args.only or [n for n in NAMES if not (args.quick and n == "deploy")]
    emus = Emulators()
    runners = _runners(sizes, emus)
    outcomes: dict[str, Outcome] = {}
    load_before = machine()["loadavg"]
    started = time.monotonic()
    try:
        for name in NAMES:
            if name not in selected:
                continue
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            begun = time.monotonic()
            try:
                outcome = runners[name]()
            except Exception:
                outcome = Outcome(name, error=traceback.format_exc())
                print(outcome.error, file=sys.stderr, flush=True)
            outcome.seconds = time.monotonic() - begun
            outcomes[name] = outcome
    finally:
        emus.close()
    _cross_rows(outcomes)
    cli = next(
        (r.raw["cli_version"] for o in outcomes.values() for r in o.rows if "cli_version" in r.raw),
        None,
    )
    info = machine(cli)
    info["loadavg_start"] = load_before
    info["seconds"] = round(time.monotonic() - started, 1)
    print(render(list(outcomes.values()), info))
    print(f"\ntotal {info['seconds']} s", file=sys.stderr)
    if args.json:
        payload = {
            "machine": info,
            "quick": args.quick,
            "benchmarks": [
                {
                    "name": o.name,
                    "seconds": round(o.seconds, 2),
                    "error": o.error,
                    "skipped": o.skipped,
                    "notes": o.notes,
                    "rows": [row.to_json() for row in o.rows],
                }
                for o in outcomes.values()
            ],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if any(o.error for o in outcomes.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
