"""Load: 200 recordings created, refreshed and destroyed through the gRPC provider server.

Four callers at once, as the engine's provider server runs at most four calls concurrently.
Two layouts: 50 meetings with four overlapping recordings each (allow_multiple_recordings, so
recordings of one meeting race each other), and 200 single-recording meetings. Afterwards every
recording must exist exactly once and none may still be running.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from pulumi_rtk.emulator import Emulator
from pulumi_rtk.provider import RecordingProvider
from pulumi_rtk.vocabulary import ACTIVE_STATUSES as ACTIVE
from tests.support.engine import Engine, pickled
from tests.support.values import ACCOUNT, APP, aws_storage

PROVIDER = pickled(RecordingProvider())
RECORDINGS = 200
CONCURRENCY = 4
BUDGET_SECONDS = 30.0
LAYOUTS = {
    "50 meetings x 4, allow_multiple": (50, True, False),
    "200 meetings x 1": (200, False, False),
    "50 meetings x 4, allow_multiple, 80 faults": (50, True, True),
}
# Faulted: 20 starts answered by a reset after the server acted, 20 by a broken body (both
# must be adopted, never posted again), then 20 refreshes throttled once (429) and 20 stops
# reset after acting, each on a recording of its own so no call exceeds its retry budget.
FAULT_COUNT = 20

T = TypeVar("T")
R = TypeVar("R")


def in_parallel(call: Callable[[T], R], items: list[T]) -> tuple[list[R], float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(call, items))
    return results, time.perf_counter() - started


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_200_recordings_through_the_engine(engine: Engine, emulator: Emulator, layout: str) -> None:
    meetings_count, multiple, faulty = LAYOUTS[layout]
    meetings = [emulator.create_meeting(ACCOUNT, APP) for _ in range(meetings_count)]
    declared: list[dict[str, Any]] = []
    for n in range(RECORDINGS):
        inputs: dict[str, Any] = {
            "meeting_id": meetings[n % meetings_count],
            "storage_config": aws_storage(),
            "max_seconds": 3600,
            "file_name_prefix": f"load-{n}",
            "__provider": PROVIDER,
        }
        if multiple:
            inputs["allow_multiple_recordings"] = True
        declared.append(inputs)
    if faulty:
        emulator.add_fault("POST", r"/recordings$", "reset_after", count=FAULT_COUNT)
        emulator.add_fault("POST", r"/recordings$", "malformed", count=FAULT_COUNT)
    started = time.perf_counter()

    def up(news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        inputs, failures = engine.check(news)
        assert failures == []
        return engine.create(inputs)

    created, up_seconds = in_parallel(up, declared)
    emulator.advance(5)
    if faulty:
        for n, (id_, _) in enumerate(created[: 2 * FAULT_COUNT]):
            method, kind = ("GET", "gateway_error") if n % 2 else ("PUT", "reset_after")
            emulator.add_fault(method, rf"/recordings/{id_}$", kind)
    refreshed, refresh_seconds = in_parallel(lambda c: engine.read(*c), created)
    _, destroy_seconds = in_parallel(lambda r: engine.delete(*r), refreshed)
    total = time.perf_counter() - started

    ids = [id_ for id_, _ in created]
    assert len(set(ids)) == RECORDINGS
    assert [id_ for id_, _ in refreshed] == ids
    assert all(outs["status"] == "RECORDING" for _, outs in refreshed)
    recordings = emulator.recordings()
    assert sorted(rec["id"] for rec in recordings) == sorted(ids)
    assert [rec for rec in recordings if rec["status"] in ACTIVE] == []
    assert Counter(rec["status"] for rec in recordings) == {"UPLOADING": RECORDINGS}
    per_meeting = Counter(rec["meeting_id"] for rec in recordings)
    assert set(per_meeting.values()) == {RECORDINGS // meetings_count}
    faulted = [r for r in emulator.requests() if r.fault]
    if faulty:
        # Every fault was met and survived; starts that acted were adopted, not repeated.
        assert Counter((r.method, r.fault) for r in faulted) == {
            ("POST", "reset_after"): FAULT_COUNT,
            ("POST", "malformed"): FAULT_COUNT,
            ("GET", "gateway_error"): FAULT_COUNT,
            ("PUT", "reset_after"): FAULT_COUNT,
        }
        assert len(emulator.requests("POST")) == RECORDINGS
    else:
        # No call failed and none had to be repeated.
        assert [r for r in emulator.requests() if r.status >= 400 or r.fault] == []
        assert len(emulator.requests("POST")) == RECORDINGS
    assert total < BUDGET_SECONDS
    print(
        f"load [{layout}]: {RECORDINGS} recordings, {CONCURRENCY} callers: "
        f"check+create {up_seconds:.2f} s, read {refresh_seconds:.2f} s, "
        f"delete {destroy_seconds:.2f} s, total {total:.2f} s, "
        f"{len(emulator.requests())} API requests, {len(faulted)} faults, 0 errors"
    )
