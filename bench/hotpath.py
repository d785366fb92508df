"""Where the provider's time goes on top of bare ``requests``: ``python -m bench.hotpath``.

Runs benchmark 1's provider cycle against a subprocess emulator with timers wrapped around
the provider's and client's functions (looked up by name, skipped when absent), so each piece
is timed as it runs between real HTTP calls: with cold caches, several times slower than in a
``timeit`` loop. Also times the bare ``requests`` baseline with ``trust_env`` on (the default)
and off, which is what reading proxy, CA-bundle and netrc settings from the environment costs
on every request. ``--profile N`` adds a cProfile diff of N cycles (provider minus baseline);
``--rpc N`` times N sequential Check, Create and Delete calls through the gRPC server for
``RecordingProvider`` and for benchmark 6's no-op provider.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from bench.common import EmulatorProcess, median
from bench.overhead import RawClient, configured_provider, provider_cycle, provider_props
from pulumi_rtk import client as client_module
from pulumi_rtk import models as models_module
from pulumi_rtk import provider as provider_module
from pulumi_rtk.providers import recording as recording_module
from tests.support.engine import pickled

# (module or class, attribute, label): the provider's own work in a create+read+delete cycle.
PIECES: list[tuple[Any, str, str]] = [
    (provider_module.RecordingProvider, "validated", "validate inputs (pydantic, rules)"),
    (recording_module, "unwrap", "unwrap props (create, read, delete)"),
    (models_module.StartRecording, "body", "inputs.body() (model_dump)"),
    (client_module.Target, "path", "Target.path (quote every segment)"),
    (provider_module.RecordingProvider, "target", "target (every call)"),
    (client_module, "secret_values", "secret_values(body), on errors"),
    (provider_module.RecordingProvider, "_outputs", "_outputs (create, read)"),
    (client_module.RealtimeKitClient, "_parse", "_parse (incl. response.json())"),
]


class Timers:
    """Wraps functions so their outermost calls add to a per-label total (single thread)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, name: str, label: str) -> bool:
        if isinstance(owner, type):  # patch the class in the MRO that defines it
            owner = next((k for k in owner.__mro__ if name in k.__dict__), None)
            raw = None if owner is None else owner.__dict__[name]
        else:
            raw = getattr(owner, name, None)
        if raw is None:
            return False
        is_static = isinstance(raw, staticmethod)
        original = raw.__func__ if is_static else raw

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            # The original stays in place during the call, so recursion is not timed per level.
            setattr(owner, name, raw)
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.totals[label] += time.perf_counter() - started
                setattr(owner, name, wrapper)

        wrapper = staticmethod(timed) if is_static else timed
        setattr(owner, name, wrapper)
        self._undo.append(lambda: setattr(owner, name, raw))
        return True

    def undo(self) -> None:
        for step in reversed(self._undo):
            step()
        self._undo.clear()


def breakdown(cycles: int) -> None:
    """Median µs per cycle in each piece, the HTTP calls, and the bare-requests variants."""
    timers = Timers()
    found = [label for owner, name, label in PIECES if timers.wrap(owner, name, label)]
    per_piece: dict[str, list[float]] = defaultdict(list)
    raw_times: dict[bool, list[float]] = {True: [], False: []}
    try:
        with EmulatorProcess() as emu:
            provider = configured_provider(emu.base_url)
            blob = pickled(provider_module.RecordingProvider())
            timers.wrap(provider.client.session, "request", "HTTP (session.request)")
            raws = {trust: RawClient.open(emu.base_url) for trust in (True, False)}
            raws[False].session.trust_env = False
            meeting = emu.fresh_meetings(1)[0]
            for _ in range(20):
                provider_cycle(provider, blob)(meeting)
                for raw in raws.values():
                    raw.cycle(meeting)
            for block in range(max(1, cycles // 10)):
                meeting = emu.fresh_meetings(1)[0]
                props = provider_props(meeting, blob)
                gc.collect()
                for _ in range(10):
                    timers.totals.clear()
                    started = time.perf_counter()
                    created = provider.create(props)
                    read = provider.read(created.id, created.outs or {})
                    provider.delete(created.id, read.outs or {})
                    per_piece["cycle"].append(time.perf_counter() - started)
                    for label, seconds in timers.totals.items():
                        per_piece[label].append(seconds)
                for trust in (True, False) if block % 2 else (False, True):
                    meeting = emu.fresh_meetings(1)[0]
                    raw_times[trust] += [raws[trust].cycle(meeting) for _ in range(10)]
    finally:
        timers.undo()
    cycle = median(per_piece.pop("cycle"))
    http = median(per_piece.pop("HTTP (session.request)"))
    print(f"provider cycle {cycle * 1e6:.0f} µs, of which HTTP (session.request) {http * 1e6:.0f}")
    print(f"{'µs/cycle':>9}  piece (median over {len(raw_times[True])} cycles; timed in place)")
    for label in found:
        values = per_piece.get(label)
        if values:
            print(f"{median(values) * 1e6:9.1f}  {label}")
    with_env, without = median(raw_times[True]), median(raw_times[False])
    print(
        f"\nbare requests cycle: {with_env * 1e6:.0f} µs with trust_env (default), "
        f"{without * 1e6:.0f} µs without: environment lookups cost "
        f"{(with_env - without) * 1e6 / 3:.0f} µs per request"
    )


def profile(cycles: int) -> None:
    """cProfile both sides of benchmark 1; print the largest per-cycle differences."""
    with EmulatorProcess() as emu:
        provider = configured_provider(emu.base_url)
        sides: dict[str, Callable[[str], float]] = {
            "provider": provider_cycle(provider, pickled(provider_module.RecordingProvider())),
            "requests": RawClient.open(emu.base_url).cycle,
        }
        stats: dict[str, Any] = {}
        for name, cycle in sides.items():
            meeting = emu.fresh_meetings(1)[0]
            for _ in range(20):
                cycle(meeting)
            meeting = emu.fresh_meetings(1)[0]
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(cycles):
                cycle(meeting)
            profiler.disable()
            stats[name] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    ours, theirs = stats["provider"], stats["requests"]
    rows = []
    for key in set(ours) | set(theirs):
        mine = ours.get(key, (0, 0, 0.0, 0.0))
        base = theirs.get(key, (0, 0, 0.0, 0.0))
        rows.append((mine[2] - base[2], mine[3], key, mine[1], base[1]))
    rows.sort(key=lambda row: row[0], reverse=True)
    total = sum(row[0] for row in rows)
    print(
        f"\ncProfile, {cycles} cycles per side: provider - requests = "
        f"{total / cycles * 1e6:.0f} µs/cycle of own time (profiled, so inflated)"
    )
    print(f"{'own µs/cycle':>12} {'cum µs/cycle':>12} {'calls':>7} {'base':>6}  function")
    for diff, cumulative, key, calls, base_calls in rows[:25]:
        where = f"{key[0].split('site-packages/')[-1]}:{key[1]}"
        print(
            f"{diff / cycles * 1e6:12.1f} {cumulative / cycles * 1e6:12.1f} {calls:7d} "
            f"{base_calls:6d}  {key[2]} ({where})"
        )


def rpc_costs(count: int) -> None:
    """Sequential Check, Create, Delete through ``python -m pulumi.dynamic``: RecordingProvider
    against the no-op provider of benchmark 6. The first call of each includes first-use
    imports (pydantic models for Check, requests for Create)."""
    from pulumi.runtime.proto import provider_pb2

    from bench.common import provider_config
    from bench.noop_provider import NoopProvider
    from tests.support.engine import Engine, to_struct
    from tests.support.values import REPO

    with EmulatorProcess() as emu:
        providers = {"pulumi_rtk": provider_module.RecordingProvider(), "noop": NoopProvider()}
        for name, instance in providers.items():
            meetings = emu.fresh_meetings(count)
            blob = pickled(instance)
            times: dict[str, list[float]] = {"Check": [], "Create": [], "Delete": []}
            with Engine(REPO, keep_stderr=False) as engine:
                engine.configure(provider_config(emu.base_url))
                created = []
                for index, meeting in enumerate(meetings):
                    urn = engine.urn(f"rec-{index}")
                    news = to_struct(provider_props(meeting, blob))
                    started = time.perf_counter()
                    checked = engine.stub.Check(
                        provider_pb2.CheckRequest(urn=urn, olds=to_struct({}), news=news)
                    )
                    middle = time.perf_counter()
                    response = engine.stub.Create(
                        provider_pb2.CreateRequest(urn=urn, properties=checked.inputs)
                    )
                    times["Check"].append(middle - started)
                    times["Create"].append(time.perf_counter() - middle)
                    created.append((str(response.id), response.properties, urn))
                for id_, state, urn in created:
                    started = time.perf_counter()
                    engine.delete_raw(id_, state, urn)
                    times["Delete"].append(time.perf_counter() - started)
            print(
                f"{name:10s} "
                + "  ".join(
                    f"{rpc} first {values[0] * 1e3:.1f} ms, then {median(values[1:]) * 1e3:.2f} ms"
                    for rpc, values in times.items()
                )
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hotpath", description=__doc__)
    parser.add_argument("--cycles", type=int, default=300, help="cycles to time (default 300)")
    parser.add_argument("--profile", type=int, metavar="N", help="also cProfile N cycles")
    parser.add_argument(
        "--rpc", type=int, metavar="N", help="also time N Check+Create+Delete over gRPC"
    )
    args = parser.parse_args(argv)
    breakdown(args.cycles)
    if args.profile:
        profile(args.profile)
    if args.rpc:
        print()
        rpc_costs(args.rpc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
