"""Benchmark 4: what a recording costs in state, and the provider process's memory over time.

The pickled provider is the ``__provider`` string stored with every resource. A state entry
is the outputs a Create returns through the gRPC server (``__provider`` included), as JSON.
Memory is the peak RSS (VmHWM) of a fresh ``python -m pulumi.dynamic`` process after 10 and
after N operations (an operation is one create, read or delete).
"""

from __future__ import annotations

import json

from google.protobuf import struct_pb2

from bench.common import EmulatorProcess, Outcome, Row, provider_config, rss_kib
from bench.overhead import provider_props
from pulumi_rtk.provider import RecordingProvider
from tests.support.engine import PROVIDER_KEY, Engine, from_struct, pickled, pickled_bytes
from tests.support.values import REPO

PICKLE_GOAL = 200
GROWTH_GOAL = 0.10


class Operations:
    """Create, read, delete, create, ... on one meeting, resumable after any operation."""

    def __init__(self, engine: Engine, meeting: str, blob: str) -> None:
        self.engine = engine
        self.urn = engine.urn("state")
        self.request = engine.create_request(provider_props(meeting, blob), "state")
        self.done = 0
        self.id = ""
        self.state = struct_pb2.Struct()
        self.created: struct_pb2.Struct | None = None

    def run(self, count: int) -> None:
        for _ in range(count):
            step = self.done % 3
            if step == 0:
                self.id, self.state = self.engine.create_raw(self.request)
                self.created = self.state
            elif step == 1:
                self.state = self.engine.read_raw(self.id, self.state, self.urn)
            else:
                self.engine.delete_raw(self.id, self.state, self.urn)
            self.done += 1


def run(emu: EmulatorProcess, ops: int) -> Outcome:
    outcome = Outcome("state")
    blob = pickled(RecordingProvider())
    raw = pickled_bytes(RecordingProvider())
    meeting = emu.fresh_meetings(1)[0]
    with Engine(REPO, keep_stderr=False) as engine:
        engine.configure(provider_config(emu.base_url))
        runner = Operations(engine, meeting, blob)
        runner.run(10)
        early = rss_kib(engine.pid)
        runner.run(ops - 10)
        late = rss_kib(engine.pid)
    if runner.created is None:
        raise RuntimeError("no create ran")
    outs = from_struct(runner.created)
    entry = json.dumps(outs, separators=(",", ":")).encode()
    without = json.dumps(
        {k: v for k, v in outs.items() if k != PROVIDER_KEY}, separators=(",", ":")
    ).encode()
    growth = late["VmHWM"] / early["VmHWM"] - 1
    outcome.rows += [
        Row(
            "4 state",
            "pickled provider (__provider), decoded bytes",
            f"{len(raw)} B",
            f"base64 in state: {len(blob)} chars",
            None,
            f"≤ {PICKLE_GOAL} B",
            len(raw) <= PICKLE_GOAL,
            raw={"decoded_bytes": len(raw), "base64_chars": len(blob)},
        ),
        Row(
            "4 state",
            "one recording's outputs as JSON (with __provider)",
            f"{len(entry)} B",
            f"{len(without)} B without __provider",
            raw={"outputs": sorted(outs)},
        ),
        Row(
            "4 state",
            f"provider process peak RSS after 10 -> {ops} ops",
            f"{early['VmHWM'] / 1024:.1f} -> {late['VmHWM'] / 1024:.1f} MiB",
            f"VmRSS {early['VmRSS'] / 1024:.1f} -> {late['VmRSS'] / 1024:.1f} MiB",
            None,
            f"growth < {GROWTH_GOAL:.0%}",
            growth < GROWTH_GOAL,
            raw={"after_10": early, f"after_{ops}": late, "growth": growth},
        ),
    ]
    outcome.rows[-1].baseline += f"; growth {growth:+.1%}"
    return outcome
